"""Value objects the matcher works on: a columnar pool of offers, and requests one by one or in a batch."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np

from matcher.domain.geo import EARTH_RADIUS_KM, unit_vectors

# Day numbers are date.toordinal(); an open-ended "available until" is stored as the last representable day.
OPEN_ENDED_DAY = date.max.toordinal()

STATUS_ACTIVE = 0
STATUS_PAUSED = 1
STATUS_WITHDRAWN = 2
STATUS_CODES: Mapping[str, int] = {"active": STATUS_ACTIVE, "paused": STATUS_PAUSED, "withdrawn": STATUS_WITHDRAWN}

# The prefilter widens its search by these margins so float rounding can never drop a point the exact
# haversine test would keep: an angle in radians (about 6 micrometres) and a cosine.
PREFILTER_ANGLE_MARGIN_RAD = 1e-9
PREFILTER_COS_MARGIN = 1e-12

# Priority is quantised so the batch can weigh people with exact integers.
PRIORITY_QUANTUM = 0.01
MAX_PRIORITY = 5.0
# How much each vulnerability flag raises a household's priority weight (1 = no flags); capped at MAX_PRIORITY.
VULNERABILITY_PRIORITY: Mapping[str, float] = {
    "medical": 0.5,
    "disability": 0.5,
    "pregnancy": 0.5,
    "infant": 0.25,
    "elderly": 0.25,
    "single_parent": 0.25,
    "unaccompanied_minor": 1.0,
}


def day_number(day: date | None) -> int:
    """Day number of a date (``date.toordinal()``); ``None`` means open-ended."""
    return OPEN_ENDED_DAY if day is None else day.toordinal()


def priority_weight(flags: Iterable[str]) -> float:
    """Batch priority weight of a household with these vulnerability flags (no flags gives 1)."""
    weight = 1.0 + sum(VULNERABILITY_PRIORITY.get(flag, 0.0) for flag in set(flags))
    return min(weight, MAX_PRIORITY)


def _days(values, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.full(n, OPEN_ENDED_DAY, dtype=np.int64)
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        out = arr.astype(np.int64)
    else:
        out = np.fromiter((day_number(v) for v in values), dtype=np.int64, count=n)
    if out.shape != (n,):
        raise ValueError(f"{name} must have one value per row")
    return out


def _column(values, n: int, name: str, dtype, default) -> np.ndarray:
    if values is None:
        return np.full(n, default, dtype=dtype)
    arr = np.asarray(values, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one value per row")
    return arr


def _codes(entry) -> tuple[str, ...]:
    if entry is None:
        return ()
    if isinstance(entry, str):
        return tuple(c.strip() for c in entry.split(",") if c.strip())
    return tuple(entry)


@dataclass(frozen=True)
class LanguageTable:
    """Maps ISO 639-1 codes to bits of a multi-word uint64 mask (one bit per code the pool's offers speak)."""

    codes: tuple[str, ...]

    @property
    def words(self) -> int:
        """Number of uint64 words per mask."""
        return max(1, (len(self.codes) + 63) // 64)

    @cached_property
    def _bit(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    def mask(self, codes: Iterable[str]) -> np.ndarray:
        """Mask of the given codes; codes no offer speaks are dropped."""
        out = np.zeros(self.words, dtype=np.uint64)
        for code in codes:
            i = self._bit.get(code)
            if i is not None:
                out[i // 64] |= np.uint64(1) << np.uint64(i % 64)
        return out

    def decode(self, mask: np.ndarray) -> tuple[str, ...]:
        """Codes present in a mask, in table order."""
        return tuple(c for i, c in enumerate(self.codes) if int(mask[i // 64]) >> (i % 64) & 1)

    def encode(self, entries: Sequence) -> np.ndarray:
        """Masks, shape (n, words), of one code list per row."""
        # Few distinct code lists repeat across many rows: build each mask once.
        distinct: dict[tuple[str, ...], int] = {}
        inverse = np.fromiter(
            (distinct.setdefault(_codes(e), len(distinct)) for e in entries), dtype=np.int64, count=len(entries)
        )
        table = np.zeros((max(len(distinct), 1), self.words), dtype=np.uint64)
        for key, row in distinct.items():
            table[row] = self.mask(key)
        return table[inverse]


@dataclass(frozen=True)
class OfferSnapshot:
    """One offer as the matcher sees it (the service layer maps a row to this)."""

    id: int
    lat: float
    lon: float
    beds: int
    last_confirmed: date
    available_from: date
    available_until: date | None = None
    held_beds: int = 0
    open_matches: int = 0
    shareable: bool = False
    status: str = "active"
    pets_ok: bool = False
    children_ok: bool = True
    step_free: bool = False
    languages: tuple[str, ...] = ()
    verified: bool = False


@dataclass(frozen=True, eq=False)
class OfferPool:
    """All offers as columns, sorted by latitude for the spatial prefilter; build with ``from_columns``."""

    ids: np.ndarray  # int64 offer ids
    lat: np.ndarray  # degrees
    lon: np.ndarray  # degrees
    latr: np.ndarray  # radians
    lonr: np.ndarray  # radians
    coslat: np.ndarray
    xyz: np.ndarray  # (n, 3) unit vectors
    xyz_t: np.ndarray  # (3, n) the same, one contiguous row per axis
    beds: np.ndarray
    held_beds: np.ndarray  # beds held by the offer's open matches
    open_matches: np.ndarray
    free_beds: np.ndarray  # max(beds - held_beds, 0)
    shareable: np.ndarray
    status: np.ndarray  # STATUS_* codes
    last_confirmed: np.ndarray  # day numbers
    available_from: np.ndarray  # day numbers
    available_until: np.ndarray  # day numbers, OPEN_ENDED_DAY when open-ended
    pets_ok: np.ndarray
    children_ok: np.ndarray
    step_free: np.ndarray
    lang: np.ndarray  # (n, words) uint64 language masks
    verified: np.ndarray
    languages: LanguageTable
    id_rank: np.ndarray  # rank of each offer's id among all ids, for deterministic tie-breaks
    by_id: np.ndarray  # positions sorted by id, for id lookups

    @classmethod
    def from_columns(
        cls,
        *,
        ids,
        lat,
        lon,
        beds,
        last_confirmed,
        available_from,
        available_until=None,
        held_beds=None,
        open_matches=None,
        shareable=None,
        status=None,
        pets_ok=None,
        children_ok=None,
        step_free=None,
        languages: Sequence | None = None,
        verified=None,
    ) -> OfferPool:
        """Build a pool from one value per offer in each column (arrays or sequences; dates or day numbers)."""
        ids = np.asarray(ids, dtype=np.int64)
        n = ids.shape[0]
        if ids.ndim != 1 or np.unique(ids).shape[0] != n:
            raise ValueError("offer ids must be unique")
        lat = _column(lat, n, "lat", np.float64, 0.0)
        lon = _column(lon, n, "lon", np.float64, 0.0)
        if np.any(~np.isfinite(lat) | (np.abs(lat) > 90)) or np.any(~np.isfinite(lon) | (np.abs(lon) > 180)):
            raise ValueError("coordinates out of range")
        if status is None:
            status_arr = np.zeros(n, dtype=np.int8)
        else:
            raw = np.asarray(status)
            if raw.dtype.kind in "iu":
                status_arr = raw.astype(np.int8)
            else:
                status_arr = np.fromiter((STATUS_CODES[str(s)] for s in status), dtype=np.int8, count=n)
        codes = sorted({c for entry in (languages or ()) for c in _codes(entry)})
        table = LanguageTable(tuple(codes))
        lang = table.encode(languages) if languages is not None else np.zeros((n, 1), dtype=np.uint64)
        if lang.shape[0] != n:
            raise ValueError("languages must have one value per row")
        columns = {
            "ids": ids,
            "lat": lat,
            "lon": lon,
            "beds": _column(beds, n, "beds", np.int64, 0),
            "held_beds": _column(held_beds, n, "held_beds", np.int64, 0),
            "open_matches": _column(open_matches, n, "open_matches", np.int64, 0),
            "shareable": _column(shareable, n, "shareable", bool, False),
            "status": status_arr,
            "last_confirmed": _days(last_confirmed, n, "last_confirmed"),
            "available_from": _days(available_from, n, "available_from"),
            "available_until": _days(available_until, n, "available_until"),
            "pets_ok": _column(pets_ok, n, "pets_ok", bool, False),
            "children_ok": _column(children_ok, n, "children_ok", bool, True),
            "step_free": _column(step_free, n, "step_free", bool, False),
            "lang": lang,
            "verified": _column(verified, n, "verified", bool, False),
        }
        if np.any(columns["beds"] < 0) or np.any(columns["held_beds"] < 0):
            raise ValueError("beds must be non-negative")
        # Latitude order makes the prefilter's band a contiguous slice; ties by id keep the order deterministic.
        order = np.lexsort((ids, lat))
        columns = {k: v[order] for k, v in columns.items()}
        latr = np.radians(columns["lat"])
        xyz = unit_vectors(columns["lat"], columns["lon"])
        by_id = np.argsort(columns["ids"], kind="stable")
        id_rank = np.empty(n, dtype=np.int64)
        id_rank[by_id] = np.arange(n)
        return cls(
            latr=latr,
            lonr=np.radians(columns["lon"]),
            coslat=np.cos(latr),
            xyz=xyz,
            xyz_t=np.ascontiguousarray(xyz.T),
            free_beds=np.maximum(columns["beds"] - columns["held_beds"], 0),
            languages=table,
            id_rank=id_rank,
            by_id=by_id,
            **columns,
        )

    @classmethod
    def from_snapshots(cls, offers: Iterable[OfferSnapshot]) -> OfferPool:
        """Build a pool from offer snapshots."""
        offers = list(offers)
        columns = {f.name: [getattr(o, f.name) for o in offers] for f in dataclasses.fields(OfferSnapshot)}
        columns["ids"] = columns.pop("id")
        return cls.from_columns(**columns)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def positions(self, offer_ids) -> np.ndarray:
        """Pool positions of the given offer ids; raises KeyError for an unknown id."""
        wanted = np.asarray(offer_ids, dtype=np.int64).reshape(-1)
        sorted_ids = self.ids[self.by_id]
        at = np.searchsorted(sorted_ids, wanted)
        at_clipped = np.minimum(at, max(len(self) - 1, 0))
        if len(self) == 0 or np.any(sorted_ids[at_clipped] != wanted):
            missing = wanted[(at >= len(self)) | (sorted_ids[at_clipped] != wanted)] if len(self) else wanted
            raise KeyError(f"unknown offer ids: {missing[:5].tolist()}")
        return self.by_id[at_clipped]

    def with_holds(self, offer_ids, held_beds, open_matches) -> OfferPool:
        """A new pool with the holds of some offers replaced; geometry and everything else is shared."""
        at = self.positions(offer_ids)
        held = self.held_beds.copy()
        count = self.open_matches.copy()
        held[at] = np.asarray(held_beds, dtype=np.int64)
        count[at] = np.asarray(open_matches, dtype=np.int64)
        return dataclasses.replace(self, held_beds=held, open_matches=count, free_beds=np.maximum(self.beds - held, 0))

    def within(self, lat: float, lon: float, radius_km: float) -> np.ndarray:
        """Positions of offers that may lie within radius_km (a superset; callers apply the exact haversine)."""
        theta = float(radius_km) / EARTH_RADIUS_KM + PREFILTER_ANGLE_MARGIN_RAD
        if theta >= np.pi:
            return np.arange(len(self))
        band = np.degrees(theta)
        lo = int(np.searchsorted(self.lat, lat - band, side="left"))
        hi = int(np.searchsorted(self.lat, lat + band, side="right"))
        dots = self.xyz[lo:hi] @ unit_vectors(lat, lon)[0]
        return lo + np.flatnonzero(dots >= np.cos(theta) - PREFILTER_COS_MARGIN)

    def offer_languages(self, position: int) -> tuple[str, ...]:
        """ISO codes spoken at the offer in this pool position."""
        return self.languages.decode(self.lang[position])


@dataclass(frozen=True)
class RequestProfile:
    """One household's request as the matcher sees it."""

    id: int
    lat: float
    lon: float
    adults: int
    max_distance_km: float
    needed_from: date
    duration_days: int
    children: int = 0
    pets: bool = False
    step_free_needed: bool = False
    languages: tuple[str, ...] = ()  # ISO 639-1 codes, the preferred one first
    place_name: str = ""
    priority: float = 1.0

    def __post_init__(self) -> None:
        if self.adults < 0 or self.children < 0 or self.adults + self.children < 1:
            raise ValueError("a household has at least one person")
        if not (abs(self.lat) <= 90 and abs(self.lon) <= 180):
            raise ValueError("coordinates out of range")
        if self.max_distance_km < 0 or self.duration_days < 0:
            raise ValueError("distance and duration must be non-negative")
        if not 1.0 <= self.priority <= MAX_PRIORITY:
            raise ValueError(f"priority must be between 1 and {MAX_PRIORITY}")

    @property
    def people(self) -> int:
        """Household size."""
        return self.adults + self.children


@dataclass(frozen=True, eq=False)
class RequestBatch:
    """Many requests as columns, for the batch; build with ``from_columns`` or ``from_profiles``."""

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    people: np.ndarray
    children: np.ndarray
    pets: np.ndarray
    step_free_needed: np.ndarray
    languages: tuple[tuple[str, ...], ...]
    max_distance_km: np.ndarray
    needed_from: np.ndarray  # day numbers
    duration_days: np.ndarray
    priority: np.ndarray  # quantised to PRIORITY_QUANTUM

    @classmethod
    def from_columns(
        cls,
        *,
        ids,
        lat,
        lon,
        adults,
        max_distance_km,
        needed_from,
        duration_days,
        children=None,
        pets=None,
        step_free_needed=None,
        languages: Sequence | None = None,
        priority=None,
    ) -> RequestBatch:
        """Build a batch from one value per request in each column."""
        ids = np.asarray(ids, dtype=np.int64)
        n = ids.shape[0]
        if np.unique(ids).shape[0] != n:
            raise ValueError("request ids must be unique")
        adults = _column(adults, n, "adults", np.int64, 1)
        children = _column(children, n, "children", np.int64, 0)
        people = adults + children
        if np.any(adults < 0) or np.any(children < 0) or np.any(people < 1):
            raise ValueError("a household has at least one person")
        prio = _column(priority, n, "priority", np.float64, 1.0)
        if np.any(prio < 1.0) or np.any(prio > MAX_PRIORITY):
            raise ValueError(f"priority must be between 1 and {MAX_PRIORITY}")
        langs = tuple(_codes(e) for e in languages) if languages is not None else ((),) * n
        return cls(
            ids=ids,
            lat=_column(lat, n, "lat", np.float64, 0.0),
            lon=_column(lon, n, "lon", np.float64, 0.0),
            people=people,
            children=children,
            pets=_column(pets, n, "pets", bool, False),
            step_free_needed=_column(step_free_needed, n, "step_free_needed", bool, False),
            languages=langs,
            max_distance_km=_column(max_distance_km, n, "max_distance_km", np.float64, 0.0),
            needed_from=_days(needed_from, n, "needed_from"),
            duration_days=_column(duration_days, n, "duration_days", np.int64, 0),
            priority=np.round(prio / PRIORITY_QUANTUM) * PRIORITY_QUANTUM,
        )

    @classmethod
    def from_profiles(cls, requests: Iterable[RequestProfile]) -> RequestBatch:
        """Build a batch from request profiles."""
        rs = list(requests)
        return cls.from_columns(
            ids=[r.id for r in rs],
            lat=[r.lat for r in rs],
            lon=[r.lon for r in rs],
            adults=[r.adults for r in rs],
            children=[r.children for r in rs],
            pets=[r.pets for r in rs],
            step_free_needed=[r.step_free_needed for r in rs],
            languages=[r.languages for r in rs],
            max_distance_km=[r.max_distance_km for r in rs],
            needed_from=[r.needed_from for r in rs],
            duration_days=[r.duration_days for r in rs],
            priority=[r.priority for r in rs],
        )

    def __len__(self) -> int:
        return int(self.ids.shape[0])
