"""The local-name list (matcher/data/local_city_names.csv) checked against GeoNames and CLDR, and the display rule."""

import csv

import pytest
from babel import Locale

from matcher import geocoding
from matcher.place_names import LOCAL_NAMES_FILE, local_name, local_names, locale_script, place_label, script_of

WARSAW, VIENNA, MUNICH, KYIV, LVIV, ATHENS, BELGRADE, GENEVA, KRAKOW = (
    756135, 2761369, 2867714, 703448, 702550, 264371, 792680, 2660646, 3094802,
)  # fmt: skip
# The script of each country's language where it is not Latin (Serbian: both, Cyrillic official).
COUNTRY_SCRIPTS = {
    "UA": "Cyrl", "RU": "Cyrl", "BY": "Cyrl", "BG": "Cyrl", "RS": "Cyrl", "MK": "Cyrl",
    "GR": "Grek", "CY": "Grek", "GE": "Geor", "AM": "Armn",
}  # fmt: skip
# Cities of 100k+ in those countries that GeoNames lists no alternate name for in the local script.
NO_LOCAL_ALTERNATE = {6418146, 13156582}  # Chertanovo Yuzhnoye (RU), Arabkir (AM)
# Latin-script cities of 100k+ whose GeoNames main name is an exonym or lacks the local letters.
LATIN_EXONYMS = {
    "AT": ["Vienna"], "BE": ["Brussels", "Antwerp"], "CH": ["Geneva"], "CZ": ["Prague", "Pilsen"],
    "DE": ["Munich", "Nuremberg"], "DK": ["Copenhagen"], "IT": ["Rome", "Milan", "Naples", "Turin", "Genoa",
    "Florence", "Padua"], "LV": ["Riga"], "MD": ["Chisinau"], "NL": ["The Hague"], "PL": ["Warsaw", "Bielsko-Biala"],
    "PT": ["Lisbon"], "RO": ["Bucharest", "Iaşi", "Constanţa", "Braşov", "Timişoara"], "SE": ["Gothenburg"],
    "TR": ["Istanbul"], "XK": ["Pristina"], "AZ": ["Baku"],
}  # fmt: skip


@pytest.fixture(scope="module")
def gaz():
    return geocoding.load_gazetteer()


@pytest.fixture(scope="module")
def rows():
    with open(LOCAL_NAMES_FILE, encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@pytest.fixture(scope="module")
def alternates():
    # The gazetteer keeps normalised keys only: read the raw alternate names once, for the listed cities.
    listed = set(local_names())
    return {row[0]: (row[1], row[2], set(row[7])) for row in geocoding._load_rows() if row[0] in listed}


# --- the data, checked against GeoNames itself ---------------------------------------------------------------


def test_every_local_name_is_one_of_the_citys_geonames_names(rows, alternates):
    for row in rows:
        main, country, names = alternates[int(row["geoname_id"])]
        assert (row["geonames_name"], row["country"]) == (main, country), row
        assert row["local_name"] == main or row["local_name"] in names, row


def test_rows_are_unique_and_forms_differ_from_each_other(rows):
    pairs = [(row["geoname_id"], row["local_name"]) for row in rows]
    assert len(pairs) == len(set(pairs))
    assert all(len(entry.forms) == len(set(entry.forms)) for entry in local_names().values())


def test_every_big_city_in_another_script_has_its_local_name(gaz):
    big = [
        row
        for row in range(len(gaz.ids))
        if gaz.population[row] >= 100_000 and str(gaz.countries[row]) in COUNTRY_SCRIPTS
    ]
    missing = {int(gaz.ids[row]) for row in big} - set(local_names()) - NO_LOCAL_ALTERNATE
    assert not missing, [gaz.names[gaz.row_of_id[i]] for i in missing]
    assert len(big) > 300


def test_local_names_are_in_the_countrys_script(rows):
    for row in rows:
        script = COUNTRY_SCRIPTS.get(row["country"], "Latn")
        first = local_names()[int(row["geoname_id"])].forms[0]
        assert script_of(first) == script, row
    assert [script_of(f) for f in local_names()[BELGRADE].forms] == ["Cyrl", "Latn"]


def test_known_latin_exonyms_are_covered(gaz):
    for country, names in LATIN_EXONYMS.items():
        for name in names:
            [row] = [r for r in range(len(gaz.ids)) if gaz.names[r] == name and gaz.countries[r] == country]
            assert int(gaz.ids[row]) in local_names(), name


# --- and against CLDR's exemplar cities, an independent source ----------------------------------------------


@pytest.mark.parametrize(
    ("locale", "zone", "geoname_id"),
    [
        ("pl", "Europe/Warsaw", WARSAW), ("uk", "Europe/Kiev", KYIV), ("de", "Europe/Vienna", VIENNA),
        ("el", "Europe/Athens", ATHENS), ("sr", "Europe/Belgrade", BELGRADE), ("ru", "Europe/Moscow", 524901),
        ("be", "Europe/Minsk", 625144), ("bg", "Europe/Sofia", 727011), ("cs", "Europe/Prague", 3067696),
        ("it", "Europe/Rome", 3169070), ("pt", "Europe/Lisbon", 2267057), ("da", "Europe/Copenhagen", 2618425),
        ("ro", "Europe/Bucharest", 683506), ("ka", "Asia/Tbilisi", 611717), ("hy", "Asia/Yerevan", 616052),
        ("mk", "Europe/Skopje", 785842), ("fr", "Europe/Brussels", 2800866), ("lv", "Europe/Riga", 456172),
        ("ro", "Europe/Chisinau", 618426), ("az", "Asia/Baku", 587084), ("tr", "Europe/Istanbul", 745044),
        ("el", "Asia/Nicosia", 146268), ("uk", "Europe/Simferopol", 693805), ("ru", "Europe/Samara", 499099),
        ("ru", "Europe/Volgograd", 472757), ("ru", "Asia/Novosibirsk", 1496747), ("ru", "Asia/Omsk", 1496153),
        ("ru", "Asia/Yekaterinburg", 1486209), ("ru", "Europe/Kaliningrad", 554234), ("ru", "Europe/Kirov", 548408),
        ("ru", "Asia/Vladivostok", 2013348), ("ru", "Europe/Ulyanovsk", 479123), ("ru", "Asia/Barnaul", 1510853),
        ("ru", "Asia/Novokuznetsk", 1496990), ("ru", "Asia/Kamchatka", 2122104),
    ],
)  # fmt: skip
def test_local_names_agree_with_cldr_exemplar_cities(locale, zone, geoname_id):
    assert Locale.parse(locale).time_zones[zone]["city"] == local_name(geoname_id, "?")


def test_serbian_latin_agrees_with_cldr_too():
    assert Locale.parse("sr_Latn").time_zones["Europe/Belgrade"]["city"] in local_names()[BELGRADE].forms


# --- the display rule -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "script"),
    [("Київ", "Cyrl"), ("Warszawa", "Latn"), ("Αθήνα", "Grek"), ("თბილისი", "Geor"), ("Երևան", "Armn"),
     ("'s-Hertogenbosch", "Latn"), ("北京", "Zyyy"), ("", ""), ("123", "")],
)  # fmt: skip
def test_script_of(text, script):
    assert script_of(text) == script


@pytest.mark.parametrize(
    ("locale", "script"),
    [("en", "Latn"), ("pl", "Latn"), ("de", "Latn"), ("uk", "Cyrl"), ("ru", "Cyrl"), ("sr", "Cyrl"),
     ("sr_Latn", "Latn"), ("el", "Grek"), ("pt-BR", "Latn"), ("xx", "Latn"), ("", "Latn")],
)  # fmt: skip
def test_locale_script_comes_from_cldr(locale, script):
    assert locale_script(locale) == script


@pytest.mark.parametrize(
    ("geoname_id", "en", "uk", "pl", "de", "ru"),
    [
        (WARSAW, "Warszawa", "Warszawa", "Warszawa", "Warszawa", "Warszawa"),
        (VIENNA, "Wien", "Wien", "Wien", "Wien", "Wien"),
        (MUNICH, "München", "München", "München", "München", "München"),
        (KYIV, "Київ (Kyiv)", "Київ", "Київ (Kyiv)", "Київ (Kyiv)", "Київ"),
        (LVIV, "Львів (Lviv)", "Львів", "Львів (Lviv)", "Львів (Lviv)", "Львів"),
        (ATHENS, "Αθήνα (Athens)", "Αθήνα (Athens)", "Αθήνα (Athens)", "Αθήνα (Athens)", "Αθήνα (Athens)"),
        (BELGRADE, "Beograd", "Београд", "Beograd", "Beograd", "Београд"),
        (GENEVA, "Genève", "Genève", "Genève", "Genève", "Genève"),
    ],
)
def test_place_label_per_reader(geoname_id, en, uk, pl, de, ru):
    labels = [place_label(geoname_id, "stored", locale) for locale in ("en", "uk", "pl", "de", "ru")]
    assert labels == [en, uk, pl, de, ru]


def test_places_the_list_does_not_know_keep_their_stored_name():
    assert place_label(KRAKOW, "Kraków", "uk") == "Kraków"  # already local
    assert place_label(None, "Київ", "en") == "Київ"  # found by Nominatim: no Latin name to add
    assert local_name(None, "Bucha") == local_name(-1, "Bucha") == "Bucha"
    assert local_name(VIENNA, "Vienna") == "Wien"
