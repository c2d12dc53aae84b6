"""The offers as the matcher sees them: one snapshot each, or all of them as columns in a pool."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from matcher.domain.geo import EARTH_RADIUS_KM, unit_vectors
from matcher.domain.matching.columns import (  # noqa: F401 (re-exported for callers of this module)
    OPEN_ENDED_DAY,
    LanguageTable,
    codes_of,
    column,
    day_number,
    days_column,
    distinct_rows,
)
from matcher.domain.matching.requests import (  # noqa: F401 (re-exported for callers of this module)
    MAX_PRIORITY,
    PRIORITY_QUANTUM,
    RequestBatch,
    RequestProfile,
    priority_weight,
)

STATUS_ACTIVE = 0
STATUS_PAUSED = 1
STATUS_WITHDRAWN = 2
STATUS_CODES: Mapping[str, int] = {"active": STATUS_ACTIVE, "paused": STATUS_PAUSED, "withdrawn": STATUS_WITHDRAWN}

# The prefilter widens its search by this angle, in radians (about 6 micrometres), so float rounding can never
# drop a point the exact haversine test would keep.
PREFILTER_ANGLE_MARGIN_RAD = 1e-9
# The spatial index: offers sorted by latitude row, then longitude, so a query reads one longitude slice per row.
GRID_ROW_DEG = 0.5
GRID_ROWS = int(round(180 / GRID_ROW_DEG))
# Grid keys are row * _ROW_KEY_SPAN + (lon + 180); the span exceeds any longitude offset (0..360).
_ROW_KEY_SPAN = 1000.0
# The index's longitude bounds widen the search angle by this much (radians, about 0.6 m) before the trigonometry,
# so rounding near a cap's northern or southern tip can never narrow a slice below the exact cap.
GRID_ANGLE_MARGIN_RAD = 1e-7
# The rule columns are gathered for every pair a request meets, so they are kept narrow: a gather of int8 costs a
# third of one of int64. Day numbers fit int32 (date.max is day 3,652,059); values beyond are clipped, which
# changes no comparison with a real date. Free beds are clipped at ROOM_MAX (exact for smaller households).
_DAY_MIN, _DAY_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max
ROOM_MAX = np.iinfo(np.int8).max


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


def _grid_row(lat: float) -> int:
    """grid_rows for one latitude, in plain floats (the same arithmetic)."""
    return min(max(math.floor((lat + 90.0) / GRID_ROW_DEG), 0), GRID_ROWS - 1)


def grid_rows(lat) -> np.ndarray:
    """Latitude row of the spatial index for each latitude (degrees)."""
    rows = np.floor((np.asarray(lat, dtype=np.float64) + 90.0) / GRID_ROW_DEG).astype(np.int64)
    return np.clip(rows, 0, GRID_ROWS - 1)


def grid_keys(rows, lon) -> np.ndarray:
    """Sort keys of the spatial index: by row, then longitude (both sides of a search must use this)."""
    return np.asarray(rows, dtype=np.float64) * _ROW_KEY_SPAN + (np.asarray(lon, dtype=np.float64) + 180.0)


@dataclass(frozen=True, eq=False)
class OfferPool:
    """All offers as columns, sorted by latitude row then longitude for the spatial prefilter.

    Build with ``from_columns``; ``dataclasses.replace`` keeps the derived rule columns in step.
    """

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
    grid_key: np.ndarray  # ascending spatial index keys (see grid_keys)
    # Rule columns, derived in __post_init__ so that a pool with new holds can never carry stale ones; the status
    # and beds rules are one comparison each against them.
    active_since: np.ndarray = dataclasses.field(init=False, repr=False)  # int32 last_confirmed if active, else min
    room: np.ndarray = dataclasses.field(init=False, repr=False)  # int8 free beds (<= ROOM_MAX), -1 if taken
    from_day: np.ndarray = dataclasses.field(init=False, repr=False)  # int32 available_from
    until_day: np.ndarray = dataclasses.field(init=False, repr=False)  # int32 available_until
    per_bed: np.ndarray = dataclasses.field(init=False, repr=False)  # 1 / free beds, 0 without any (capacity fit)

    def __post_init__(self) -> None:
        def days(values: np.ndarray) -> np.ndarray:
            return np.clip(values, _DAY_MIN, _DAY_MAX).astype(np.int32)

        active = self.status == STATUS_ACTIVE
        room = np.where(self.shareable | (self.open_matches == 0), np.minimum(self.free_beds, ROOM_MAX), -1)
        object.__setattr__(self, "active_since", np.where(active, days(self.last_confirmed), _DAY_MIN))
        object.__setattr__(self, "room", room.astype(np.int8))
        object.__setattr__(self, "from_day", days(self.available_from))
        object.__setattr__(self, "until_day", days(self.available_until))
        free = self.free_beds.astype(np.float64)
        object.__setattr__(self, "per_bed", np.divide(1.0, free, out=np.zeros_like(free), where=free > 0))

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
        sorted_ids = np.sort(ids) if ids.ndim == 1 else ids
        if ids.ndim != 1 or np.any(sorted_ids[1:] == sorted_ids[:-1]):
            raise ValueError("offer ids must be unique")
        lat = column(lat, n, "lat", np.float64, 0.0)
        lon = column(lon, n, "lon", np.float64, 0.0)
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
        if languages is None:
            lang, table = np.zeros((n, 1), dtype=np.uint64), LanguageTable(())
        else:
            try:
                distinct, inverse = distinct_rows(languages)
            except TypeError:  # lists are not hashable
                distinct, inverse = distinct_rows([tuple(e) if isinstance(e, list) else e for e in languages])
            table = LanguageTable(tuple(sorted({c for entry in distinct for c in codes_of(entry)})))
            lang = table.encode(distinct)[inverse] if distinct else np.zeros((0, 1), dtype=np.uint64)
            if lang.shape[0] != n:
                raise ValueError("languages must have one value per row")
        columns = {
            "ids": ids,
            "lat": lat,
            "lon": lon,
            "beds": column(beds, n, "beds", np.int64, 0),
            "held_beds": column(held_beds, n, "held_beds", np.int64, 0),
            "open_matches": column(open_matches, n, "open_matches", np.int64, 0),
            "shareable": column(shareable, n, "shareable", bool, False),
            "status": status_arr,
            "last_confirmed": days_column(last_confirmed, n, "last_confirmed"),
            "available_from": days_column(available_from, n, "available_from"),
            "available_until": days_column(available_until, n, "available_until"),
            "pets_ok": column(pets_ok, n, "pets_ok", bool, False),
            "children_ok": column(children_ok, n, "children_ok", bool, True),
            "step_free": column(step_free, n, "step_free", bool, False),
            "lang": lang,
            "verified": column(verified, n, "verified", bool, False),
        }
        if np.any(columns["beds"] < 0) or np.any(columns["held_beds"] < 0):
            raise ValueError("beds must be non-negative")
        # Row-then-longitude order makes each row of the prefilter's box a contiguous slice; ties by id keep the
        # order deterministic.
        rows = grid_rows(lat)
        order = np.lexsort((ids, lon, rows))
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
            grid_key=grid_keys(rows[order], columns["lon"]),
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
        return self.box(lat, lon, theta)

    def box(self, lat: float, lon: float, theta: float) -> np.ndarray:
        """Positions of the index's slices covering the spherical cap of angle theta (radians) around a point.

        Each latitude row is cut to the cap's widest longitude span within the row, so the slices hug the cap
        (about 10% more offers than the cap itself). A few dozen rows at most: plain floats beat numpy here.
        """
        t = theta + GRID_ANGLE_MARGIN_RAD
        band = math.degrees(t)
        first, last = _grid_row(lat - band), _grid_row(lat + band)
        # A cap is widest in longitude at the latitude where meridians touch it; within a row, at the row's
        # latitude nearest to that one (clamped to the cap's band; row edges widened by a hair for rounding).
        phi0 = math.radians(lat)
        sin0, cos0, cos_t = math.sin(phi0), math.cos(phi0), math.cos(t)
        widest = math.asin(min(max(sin0 / cos_t, -1.0), 1.0)) if cos_t > 0 else 0.0
        lows, highs = [], []
        for row in range(first, last + 1):
            half = 360.0  # half-width in longitude, degrees; 180 or more is the whole row
            if cos_t > 0:
                row_lo = math.radians(max(row * GRID_ROW_DEG - 90.0, lat - band) - 1e-9)
                row_hi = math.radians(min((row + 1) * GRID_ROW_DEG - 90.0, lat + band) + 1e-9)
                phi = min(max(widest, row_lo), row_hi)
                across = cos0 * math.cos(phi)
                # Near a pole (or when the cap contains it) the row may lie wholly inside: keep it whole.
                if across > 1e-12:
                    cos_half = (cos_t - sin0 * math.sin(phi)) / across
                    if cos_half > -1.0:
                        half = math.degrees(math.acos(min(cos_half, 1.0))) + 1e-9
            base = row * _ROW_KEY_SPAN + 180.0
            if half >= 180.0:
                lows.append(base - 180.0)
                highs.append(base + 180.0)
                continue
            west, east = lon - half, lon + half
            # A span that crosses the antimeridian continues at the other end of the row.
            if west < -180.0:
                lows += [row * _ROW_KEY_SPAN + (-180.0 + 180.0), row * _ROW_KEY_SPAN + (west + 360.0 + 180.0)]
                highs += [row * _ROW_KEY_SPAN + (east + 180.0), base + 180.0]
            elif east > 180.0:
                lows += [row * _ROW_KEY_SPAN + (west + 180.0), base - 180.0]
                highs += [base + 180.0, row * _ROW_KEY_SPAN + (east - 360.0 + 180.0)]
            else:
                lows.append(row * _ROW_KEY_SPAN + (west + 180.0))
                highs.append(row * _ROW_KEY_SPAN + (east + 180.0))
        starts = np.searchsorted(self.grid_key, lows, side="left")
        lengths = np.searchsorted(self.grid_key, highs, side="right")
        lengths -= starts
        np.maximum(lengths, 0, out=lengths)
        # Concatenated ranges starts[i] .. starts[i] + lengths[i], without a Python loop.
        ends = np.cumsum(lengths)
        shift = np.repeat(starts - ends + lengths, lengths)
        shift += np.arange(int(ends[-1]) if ends.shape[0] else 0)
        return shift

    def offer_languages(self, position: int) -> tuple[str, ...]:
        """ISO codes spoken at the offer in this pool position."""
        return self.languages.decode(self.lang[position])

    def shared_languages(self, positions: np.ndarray, codes: tuple[str, ...]) -> list[tuple[str, ...]]:
        """For each offer position, the given codes (in their order) that the offer speaks."""
        bits = [(code, bit) for code, bit in ((c, self.languages._bit.get(c)) for c in codes) if bit is not None]
        if not bits:
            return [()] * positions.shape[0]
        # A handful of offers, few distinct masks: plain ints, one tuple per distinct mask.
        shared: dict[tuple[int, ...], tuple[str, ...]] = {}
        out = []
        for words in map(tuple, self.lang[positions].tolist()):
            found = shared.get(words)
            if found is None:
                found = shared[words] = tuple(code for code, bit in bits if words[bit // 64] >> (bit % 64) & 1)
            out.append(found)
        return out


def haversine_pairs_km(lat1r, coslat1, lon1r, lat2r, coslat2, lon2r) -> np.ndarray:
    """Great-circle distance in km: ``geo.haversine_from_radians`` bit for bit, with fewer temporaries."""
    a = np.subtract(lat2r, lat1r)
    a /= 2.0
    np.sin(a, out=a)
    np.square(a, out=a)
    b = np.subtract(lon2r, lon1r)
    b /= 2.0
    np.sin(b, out=b)
    np.square(b, out=b)
    b *= coslat1 * coslat2
    a += b
    np.maximum(a, 0.0, out=a)
    np.minimum(a, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2.0 * EARTH_RADIUS_KM
    return a


def pair_distances_km(pool: OfferPool, at: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """Great-circle distance, in km, from one point to the offers at pool positions ``at``."""
    latr = np.radians(lat)
    return haversine_pairs_km(latr, np.cos(latr), np.radians(lon), pool.latr[at], pool.coslat[at], pool.lonr[at])
