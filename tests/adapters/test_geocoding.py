"""The offline gazetteer and the opt-in Nominatim geocoder; the network is never touched."""

import logging

import pytest
from geopy.exc import GeocoderTimedOut, GeocoderUnavailable
from geopy.extra.rate_limiter import RateLimiter
from geopy.location import Location

from matcher import geocoding
from matcher.geocoding import (
    GazetteerGeocoder,
    GeocodeResult,
    NominatimGeocoder,
    country_name,
    european_countries,
    get_geocoder,
    normalize_name,
)

LVIV = 702550
KRAKOW = 3094802
WARSAW = 756135
KYIV = 703448
VIENNA = 2761369
MUNICH = 2867714
PARIS = 2988507
FRANKFURT_MAIN = 2925533
FRANKFURT_ODER = 2925535
LEMBERG_PFALZ = 2878948
KAMIANETS = 706950


@pytest.fixture(scope="module")
def gazetteer() -> GazetteerGeocoder:
    # The index is a per-process singleton: built once (~2 s) for the whole test session.
    return GazetteerGeocoder()


def found_id(result: GeocodeResult) -> int | None:
    assert result.status == "found", result
    assert result.place is not None and result.options == ()
    return result.place.geoname_id


# --- normalisation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Kraków", "krakow"),
        ("KRAKÓW", "krakow"),
        ("  Krakow  ", "krakow"),
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("Æbeltoft", "aebeltoft"),
        ("Œuilly", "oeuilly"),
        ("Đakovo", "dakovo"),
        ("Tromsø", "tromso"),
        ("Þórshöfn", "thorshofn"),
        ("İstanbul", "istanbul"),
        ("Kam'yanets'", "kamyanets"),
        ("Kam’yanets’", "kamyanets"),
        ("Kam”yanets", "kamyanets"),
        ("ЛЬВІВ", "львів"),
        ("Кам’янець", "камянець"),
        ("Frankfurt (Oder)", "frankfurt oder"),
        ("Frankfurt/Oder", "frankfurt oder"),
        ("Saint-Jean-de-Luz", "saint jean de luz"),
        ("", ""),
    ],
)
def test_normalize_name(raw, key):
    assert normalize_name(raw) == key


def test_bulk_normalisation_matches_one_by_one(gazetteer):
    g = geocoding.load_gazetteer()
    sample = g.names[::97] + ["Kam”yanets’", "Œuilly", "İstanbul", "a_b", "Straße", ""]
    assert geocoding._normalize_many(sample) == [normalize_name(n) for n in sample]


# --- geocode: spellings, scripts, country filter -------------------------------------------------------------


@pytest.mark.parametrize("query", ["Lviv", "Львів", "Lwów", "Lemberg", "lwow", "LWÓW", "L'viv", "Львов", "ЛЬВІВ"])
@pytest.mark.parametrize("country", [None, "UA", "ua"])
def test_every_spelling_of_lviv_is_one_place(gazetteer, query, country):
    assert found_id(gazetteer.geocode(query, country)) == LVIV


@pytest.mark.parametrize("query", ["Kraków", "Krakow", "Краків", "Krakau", "KRAKÓW", "krakow ", "Cracow", "Краков"])
@pytest.mark.parametrize("country", [None, "PL"])
def test_every_spelling_of_krakow_is_one_place(gazetteer, query, country):
    assert found_id(gazetteer.geocode(query, country)) == KRAKOW


@pytest.mark.parametrize(
    "query", ["Kamyanets-Podilskyi", "Kam’yanets-Podilskyi", "Kam'janec'-Podil's'kyj", "Кам’янець-Подільський"]
)
def test_apostrophes_do_not_matter(gazetteer, query):
    assert found_id(gazetteer.geocode(query)) == KAMIANETS


@pytest.mark.parametrize(
    ("a", "b"), [("Łódź", "Lodz"), ("Gdańsk", "Gdansk"), ("Tromsø", "Tromso"), ("München", "Munchen")]
)
def test_letters_nfkd_keeps_whole_fold_too(gazetteer, a, b):
    assert found_id(gazetteer.geocode(a)) == found_id(gazetteer.geocode(b))


def test_names_keep_their_local_form(gazetteer):
    place = gazetteer.geocode("Krakow").place
    assert (place.name, place.country) == ("Kraków", "PL")


# --- local names (matcher.place_names) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name", "geonames_name"),
    [
        ("Warsaw", "Warszawa", "Warsaw"),
        ("Vienna", "Wien", "Vienna"),
        ("Munich", "München", "Munich"),
        ("Kyiv", "Київ", "Kyiv"),
        ("Athens", "Αθήνα", "Athens"),
        ("Belgrade", "Београд", "Belgrade"),
        ("Geneva", "Genève", "Geneva"),
        ("The Hague", "Den Haag", "The Hague"),
        ("Kraków", "Kraków", "Kraków"),  # GeoNames' main name is already local
    ],
)
def test_a_city_is_named_in_its_local_form(gazetteer, query, name, geonames_name):
    place = gazetteer.geocode(query).place
    assert (place.name, place.geonames_name) == (name, geonames_name)
    assert gazetteer.place_by_id(place.geoname_id) == place


@pytest.mark.parametrize(
    ("queries", "geoname_id"),
    [
        (["Warsaw", "Warszawa", "Варшава", "Warschau", "WARSZAWA", "warszawa ", "Varsovie"], WARSAW),
        (["Kyiv", "Київ", "Kiev", "Киев", "КИЇВ", "kyiv", "Kijów", "Kíev"], KYIV),
        (["Vienna", "Wien", "Відень", "Вена", "Wiedeń"], VIENNA),
        (["Munich", "München", "Munchen", "Мюнхен", "Monachium"], MUNICH),
    ],
)
def test_every_spelling_and_script_finds_the_same_city(gazetteer, queries, geoname_id):
    assert {found_id(gazetteer.geocode(q)) for q in queries} == {geoname_id}
    assert {found_id(gazetteer.geocode(q, gazetteer.place_by_id(geoname_id).country)) for q in queries} == {geoname_id}


@pytest.mark.parametrize("query", ["Київ (Kyiv)", "Kyiv (Київ)", "Київ (Kyiv), Україна", "Київ (Kyiv), UA"])
def test_a_name_as_pages_show_it_is_found(gazetteer, query):
    assert found_id(gazetteer.geocode(query)) == KYIV


def test_brackets_that_are_part_of_a_name_still_count(gazetteer):
    assert gazetteer.geocode("Halle (Saale)").place.name == "Halle (Saale)"
    assert gazetteer.geocode("Xyzzy (Kyiv)").status == "unknown"
    assert gazetteer.search("Київ (Kyiv)")[0].geoname_id == KYIV  # a suggestion, as it was shown
    assert gazetteer.search("Halle (S")[0].name == "Halle (Saale)"


def test_a_local_name_ranks_like_a_main_name(gazetteer):
    # "Wien" is an alternate name of Vienna in GeoNames; as the local name it outranks Wiesbaden's main name.
    assert gazetteer.search("Wie")[0].geoname_id == VIENNA
    assert gazetteer.search("Mün", country="DE")[0].geoname_id == MUNICH
    assert gazetteer.search("Варш")[0].geoname_id == WARSAW


def test_the_nearest_big_city_is_named_locally_too(gazetteer):
    place = gazetteer.geocode("Pruszków").place
    assert (place.near, place.near_id) == ("Warszawa", WARSAW) and 10 < place.near_km < 20


def test_ids_named_finds_every_place_of_a_name_in_any_script(gazetteer):
    assert gazetteer.ids_named("Lviv") == gazetteer.ids_named("Львів") == gazetteer.ids_named("Львів (Lviv)")
    assert gazetteer.ids_named("Lviv")[0] == LVIV
    assert {LVIV, LEMBERG_PFALZ} <= set(gazetteer.ids_named("Lemberg"))
    assert gazetteer.ids_named("Lemberg", limit=1) == [LVIV]  # most populous first
    assert gazetteer.ids_named("") == gazetteer.ids_named("Xyzzyville") == []


def test_country_filter_picks_that_countrys_place(gazetteer):
    # Without a country "Lemberg" is Lviv (170x bigger); in Germany it is the village in the Palatinate.
    assert found_id(gazetteer.geocode("Lemberg")) == LVIV
    assert found_id(gazetteer.geocode("Lemberg", "DE")) == LEMBERG_PFALZ
    assert gazetteer.geocode("Lviv", "PL").status == "unknown"


def test_country_outside_europe_finds_nothing(gazetteer):
    assert gazetteer.geocode("Paris", "US") == GeocodeResult("unknown")


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Kraków, Polska", KRAKOW), ("Krakow, PL", KRAKOW), ("Lemberg, Deutschland", LEMBERG_PFALZ)],
)
def test_country_after_a_comma(gazetteer, query, expected):
    assert found_id(gazetteer.geocode(query)) == expected


# --- ambiguity ---------------------------------------------------------------------------------------------------


def test_well_known_cities_are_not_ambiguous(gazetteer):
    assert found_id(gazetteer.geocode("Kraków", "PL")) == KRAKOW
    # Two tiny namesakes (RU, UA) list "Paris" too; Paris has >900x their people.
    assert found_id(gazetteer.geocode("Paris")) == PARIS


def test_only_main_name_match_wins_over_aliases(gazetteer):
    # Fribourg (CH, 38k) lists "Freiburg" only as an alternate name; Freiburg im Breisgau is 6x, not 20x, bigger.
    assert gazetteer.geocode("Freiburg").place.country == "DE"
    assert gazetteer.geocode("Freiburg", "CH").place.name == "Fribourg"


def test_a_place_and_its_namesake_nearby_are_one_place(gazetteer):
    # Yerevan lists its district's name "Erebuni" as an old name: one place, the district matching on its own name.
    place = gazetteer.geocode("Erebuni").place
    assert (place.name, place.geonames_name, place.country) == ("Էրեբունի", "Erebuni", "AM")


def test_frankfurt_asks_which_one(gazetteer):
    result = gazetteer.geocode("Frankfurt", "DE")
    assert result.status == "ambiguous" and result.place is None
    main, oder = result.options
    assert (main.geoname_id, oder.geoname_id) == (FRANKFURT_MAIN, FRANKFURT_ODER)  # most populous first
    assert (main.country, main.admin1, oder.country, oder.admin1) == ("DE", "05", "DE", "11")
    assert main.population > oder.population > 50_000
    assert oder.near == "Berlin" and 60 < oder.near_km < 100
    assert (round(oder.lat), round(oder.lon)) == (52, 15)


def test_same_name_in_two_countries_is_ambiguous(gazetteer):
    result = gazetteer.geocode("Brest")
    assert result.status == "ambiguous"
    assert [o.country for o in result.options[:2]] == ["BY", "FR"]
    assert found_id(gazetteer.geocode("Brest", "FR")) == 3030300


def test_options_are_capped_and_distinct(gazetteer):
    options = gazetteer.geocode("Saint-Martin").options
    assert 2 <= len(options) <= geocoding.MAX_OPTIONS
    assert len({o.geoname_id for o in options}) == len(options)
    assert [o.population for o in options] == sorted((o.population for o in options), reverse=True)


def test_chosen_option_comes_back_by_id(gazetteer):
    option = gazetteer.geocode("Frankfurt").options[1]
    assert gazetteer.place_by_id(option.geoname_id) == option
    assert gazetteer.place_by_id(-1) is None


@pytest.mark.parametrize("query", ["Xyzzyville", "", "   ", "---"])
def test_unknown_names(gazetteer, query):
    assert gazetteer.geocode(query) == GeocodeResult("unknown", None, ())


# --- autocomplete -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "first"), [("Льв", LVIV), ("krak", KRAKOW), ("Krak", KRAKOW), ("Кра", None)])
def test_search_by_prefix_in_any_script(gazetteer, prefix, first):
    hits = gazetteer.search(prefix)
    assert 0 < len(hits) <= 10
    assert len({h.geoname_id for h in hits}) == len(hits)
    if first is not None:
        assert hits[0].geoname_id == first


def test_search_finds_old_and_foreign_names_by_population(gazetteer):
    # "Lem" hits Lviv through "Lemberg"; Lviv outranks small towns whose main name starts with it.
    assert gazetteer.search("Lem")[0].geoname_id == LVIV
    assert KRAKOW in {h.geoname_id for h in gazetteer.search("Krakau")}


def test_search_within_a_country(gazetteer):
    hits = gazetteer.search("fra", country="DE", limit=5)
    assert len(hits) == 5 and {h.country for h in hits} == {"DE"}
    assert hits[0].geoname_id == FRANKFURT_MAIN
    assert all(h.population >= 1000 for h in hits)


def test_search_edge_cases(gazetteer):
    assert gazetteer.search("") == []
    assert gazetteer.search("krak", limit=0) == []
    assert gazetteer.search("qqqqqq") == []


# --- reverse ----------------------------------------------------------------------------------------------------


def test_nearest_city(gazetteer):
    place = gazetteer.nearest_city(50.0620, 19.9370)
    assert (place.geoname_id, place.name) == (KRAKOW, "Kraków")


def test_nearest_city_respects_population_and_distance(gazetteer):
    village = gazetteer.nearest_city(50.2, 19.5)
    town = gazetteer.nearest_city(50.2, 19.5, min_population=15_000)
    assert village.population < 15_000 <= town.population
    assert gazetteer.nearest_city(54.5, 5.0, max_km=50) is None  # the North Sea


def test_nearest_city_ids_vectorised(gazetteer):
    lats, lons = [50.062, 49.84, 48.85], [19.937, 24.03, 2.35]
    ids = gazetteer.nearest_city_ids(lats, lons, min_population=100_000)
    assert list(ids) == [KRAKOW, LVIV, PARIS]


def test_distance_to_town(gazetteer):
    assert gazetteer.distance_to_town_km(50.0620, 19.9370) < 2
    assert gazetteer.distance_to_town_km(68.5, 27.0) > 40  # Finnish Lapland


# --- factory, countries -------------------------------------------------------------------------------------


def test_european_countries():
    countries = european_countries()
    assert {"PL", "UA", "DE", "GB", "CH", "NO", "MD", "TR", "RU", "XK"} <= countries
    assert not {"US", "CN", "CS"} & countries


def test_country_name_is_localised():
    assert country_name("PL", "uk") == "Польща"
    assert country_name("de") == "Germany"
    assert country_name("PL", "not-a-locale") == "PL"


def test_the_index_is_loaded_once():
    assert geocoding.load_gazetteer() is geocoding.load_gazetteer()
    assert GazetteerGeocoder()._g is GazetteerGeocoder()._g


def test_get_geocoder():
    assert isinstance(get_geocoder(), GazetteerGeocoder)
    assert isinstance(get_geocoder("nominatim", client=FakeNominatim()), NominatimGeocoder)
    with pytest.raises(ValueError, match="nominatim"):
        get_geocoder("google")


def test_real_nominatim_is_configured_politely():
    geocoder = get_geocoder(" Nominatim ", user_agent="matcher-test/1", timeout=2.5)
    assert geocoder._client.headers["User-Agent"] == "matcher-test/1"
    assert geocoder._client.timeout == 2.5
    assert geocoder._rate_limited.min_delay_seconds == 1.0


# --- Nominatim with a fake client ----------------------------------------------------------------------------


class FakeNominatim:
    """Stands in for geopy's Nominatim: returns canned hits or raises, and records its calls."""

    def __init__(self, hits=(), error: Exception | None = None):
        self.hits, self.error, self.calls = list(hits), error, []

    def geocode(self, query, **kwargs):
        self.calls.append((query, kwargs))
        if self.error is not None:
            raise self.error
        return self.hits


def lviv_hit() -> Location:
    raw = {"address": {"city": "Lviv", "state": "Lviv Oblast", "country_code": "ua"}}
    return Location("Lviv, Lviv Oblast, Ukraine", (49.8419, 24.0315), raw)


@pytest.mark.parametrize("error", [GeocoderUnavailable("offline"), GeocoderTimedOut("slow")])
def test_nominatim_failure_falls_back_to_gazetteer(gazetteer, caplog, error):
    fake = FakeNominatim(error=error)
    geocoder = NominatimGeocoder(fake, min_delay_s=0, fallback=gazetteer)
    with caplog.at_level(logging.WARNING, logger="matcher.geocoding"):
        result = geocoder.geocode("Львів")
    assert result == gazetteer.geocode("Львів")
    assert len(fake.calls) == 1  # no retries: a user is waiting
    [record] = [r for r in caplog.records if r.name == "matcher.geocoding"]
    assert record.levelno == logging.WARNING and "gazetteer" in record.getMessage()
    assert "Львів" not in record.getMessage()  # queries may be private addresses


def test_nominatim_without_hits_falls_back(gazetteer):
    geocoder = NominatimGeocoder(FakeNominatim(hits=[]), min_delay_s=0, fallback=gazetteer)
    assert found_id(geocoder.geocode("Krakau")) == KRAKOW


def test_nominatim_success(gazetteer):
    fake = FakeNominatim(hits=[lviv_hit()])
    geocoder = NominatimGeocoder(fake, min_delay_s=0, fallback=gazetteer)
    result = geocoder.geocode("Lviv", "UA")
    assert result.status == "found"
    place = result.place
    assert (place.geoname_id, place.name, place.country, place.region) == (None, "Lviv", "UA", "Lviv Oblast")
    assert (place.lat, place.lon) == (49.8419, 24.0315)
    [(query, kwargs)] = fake.calls
    assert query == "Lviv" and kwargs["country_codes"] == ["ua"]


def test_nominatim_is_scoped_to_europe_without_a_country(gazetteer):
    fake = FakeNominatim(hits=[lviv_hit()])
    NominatimGeocoder(fake, min_delay_s=0, fallback=gazetteer).geocode("Lviv")
    assert set(fake.calls[0][1]["country_codes"]) == {c.lower() for c in european_countries()}


def test_nominatim_is_rate_limited(gazetteer, monkeypatch):
    now, waits = [100.0], []

    def fake_sleep(limiter, seconds):
        waits.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(RateLimiter, "_clock", lambda limiter: now[0])
    monkeypatch.setattr(RateLimiter, "_sleep", fake_sleep)
    geocoder = NominatimGeocoder(FakeNominatim(hits=[lviv_hit()]), fallback=gazetteer)
    geocoder.geocode("Lviv")
    geocoder.geocode("Lviv")  # at the same instant: must wait the policy's 1 s
    assert waits == [1.0]


def test_nominatim_delegates_offline_helpers(gazetteer):
    geocoder = NominatimGeocoder(FakeNominatim(), min_delay_s=0, fallback=gazetteer)
    assert geocoder.search("krak")[0].geoname_id == KRAKOW
    assert geocoder.place_by_id(LVIV).name == "Львів"
    assert geocoder.ids_named("Lviv") == gazetteer.ids_named("Lviv")
    assert geocoder.nearest_city(50.062, 19.937).geoname_id == KRAKOW
    assert geocoder.distance_to_town_km(50.062, 19.937) < 2
    assert list(geocoder.nearest_city_ids([50.062], [19.937])) == [KRAKOW]
