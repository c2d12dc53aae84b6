"""Requests as the matcher sees them: one household's profile, or many as columns for the batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from matcher.domain.matching.columns import codes_of, column, days_column

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


def priority_weight(flags: Iterable[str]) -> float:
    """Batch priority weight of a household with these vulnerability flags (no flags gives 1)."""
    weight = 1.0 + sum(VULNERABILITY_PRIORITY.get(flag, 0.0) for flag in set(flags))
    return min(weight, MAX_PRIORITY)


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
        adults = column(adults, n, "adults", np.int64, 1)
        children = column(children, n, "children", np.int64, 0)
        people = adults + children
        if np.any(adults < 0) or np.any(children < 0) or np.any(people < 1):
            raise ValueError("a household has at least one person")
        prio = column(priority, n, "priority", np.float64, 1.0)
        if np.any(prio < 1.0) or np.any(prio > MAX_PRIORITY):
            raise ValueError(f"priority must be between 1 and {MAX_PRIORITY}")
        langs = tuple(codes_of(e) for e in languages) if languages is not None else ((),) * n
        return cls(
            ids=ids,
            lat=column(lat, n, "lat", np.float64, 0.0),
            lon=column(lon, n, "lon", np.float64, 0.0),
            people=people,
            children=children,
            pets=column(pets, n, "pets", bool, False),
            step_free_needed=column(step_free_needed, n, "step_free_needed", bool, False),
            languages=langs,
            max_distance_km=column(max_distance_km, n, "max_distance_km", np.float64, 0.0),
            needed_from=days_column(needed_from, n, "needed_from"),
            duration_days=column(duration_days, n, "duration_days", np.int64, 0),
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
