"""The offers as the matcher sees them: one snapshot each, or all of them as columns in a pool."""

from __future__ import annotations

import dataclasses
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

# The prefilter widens its search by these margins so float rounding can never drop a point the exact
# haversine test would keep: an angle in radians (about 6 micrometres) and a cosine.
PREFILTER_ANGLE_MARGIN_RAD = 1e-9
PREFILTER_COS_MARGIN = 1e-12


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

    def shared_languages(self, positions: np.ndarray, codes: tuple[str, ...]) -> list[tuple[str, ...]]:
        """For each offer position, the given codes (in their order) that the offer speaks."""
        spoken = []
        for code in codes:
            bit = self.languages._bit.get(code)
            if bit is None:
                spoken.append(np.zeros(positions.shape[0], dtype=bool))
            else:
                word = self.lang[positions, bit // 64]
                spoken.append(((word >> np.uint64(bit % 64)) & np.uint64(1)).astype(bool))
        if not spoken:
            return [()] * positions.shape[0]
        rows = np.stack(spoken, axis=1).tolist()
        return [tuple(code for code, hit in zip(codes, row, strict=True) if hit) for row in rows]
