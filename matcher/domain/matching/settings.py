"""Tunable matching settings and scoring weights, as named constants with units."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

# An offer may start this many days after the needed date and still be a candidate.
DEFAULT_DATE_SLACK_DAYS = 7
# An offer whose host has not confirmed it for more than this many days is stale, not a candidate.
DEFAULT_FRESHNESS_DAYS = 30
# The batch only considers each request's best K candidates (MACHINE-NOTES: top-50 loses 0.6%, top-25 2%).
DEFAULT_BATCH_TOP_K = 40
# An offer failing only on distance is still shown as a near-miss up to min(max * factor, max + extra km).
DEFAULT_NEAR_MISS_DISTANCE_FACTOR = 1.5
DEFAULT_NEAR_MISS_EXTRA_KM = 100.0
DEFAULT_RANK_LIMIT = 20
DEFAULT_NEAR_MISS_LIMIT = 10
# Components with at most this many candidate pairs (and a shareable offer) are solved exactly by MILP.
DEFAULT_EXACT_MILP_MAX_PAIRS = 4_000
# Work limit of a MILP, in branch-and-bound nodes: a work limit, unlike a time limit, keeps results deterministic.
DEFAULT_MILP_NODE_LIMIT = 2_000
# Safety net in seconds for one MILP; hitting it is reported (deterministic=False in the stats).
DEFAULT_MILP_TIME_LIMIT_S = 10.0
# The LP-rounding polish only runs a MILP on residual problems up to this many candidate pairs.
DEFAULT_POLISH_MAX_PAIRS = 10_000

# Default score weights, in points out of 100.
DEFAULT_PROXIMITY_POINTS = 40.0
DEFAULT_CAPACITY_POINTS = 25.0
DEFAULT_LANGUAGE_POINTS = 20.0
DEFAULT_DATES_POINTS = 15.0

COMPONENTS = ("proximity", "capacity", "language", "dates")


@dataclass(frozen=True)
class ScoringWeights:
    """Relative weight of each score component; they are scaled so a perfect candidate scores 100."""

    proximity: float = DEFAULT_PROXIMITY_POINTS
    capacity: float = DEFAULT_CAPACITY_POINTS
    language: float = DEFAULT_LANGUAGE_POINTS
    dates: float = DEFAULT_DATES_POINTS

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if any(not np.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("scoring weights must be finite, non-negative and not all zero")

    def points(self) -> dict[str, float]:
        """Maximum points of each component, summing to 100."""
        total = self.proximity + self.capacity + self.language + self.dates
        return {name: 100.0 * getattr(self, name) / total for name in COMPONENTS}


@dataclass(frozen=True)
class MatchingSettings:
    """Rule and solver settings an admin or the CLI may override."""

    date_slack_days: int = DEFAULT_DATE_SLACK_DAYS
    freshness_days: int = DEFAULT_FRESHNESS_DAYS
    batch_top_k: int = DEFAULT_BATCH_TOP_K
    near_miss_distance_factor: float = DEFAULT_NEAR_MISS_DISTANCE_FACTOR
    near_miss_extra_km: float = DEFAULT_NEAR_MISS_EXTRA_KM
    exact_milp_max_pairs: int = DEFAULT_EXACT_MILP_MAX_PAIRS
    milp_node_limit: int = DEFAULT_MILP_NODE_LIMIT
    milp_time_limit_s: float = DEFAULT_MILP_TIME_LIMIT_S
    polish_max_pairs: int = DEFAULT_POLISH_MAX_PAIRS

    def __post_init__(self) -> None:
        if self.date_slack_days < 0 or self.freshness_days < 0:
            raise ValueError("date slack and freshness window must be non-negative")
        if self.batch_top_k < 1:
            raise ValueError("batch_top_k must be at least 1")
        if self.near_miss_distance_factor < 1 or self.near_miss_extra_km < 0:
            raise ValueError("the near-miss distance band must not be narrower than the limit")

    def near_miss_limit_km(self, max_distance_km):
        """Farthest distance, in km, at which an offer failing only on distance is still a near-miss."""
        max_km = np.asarray(max_distance_km, dtype=np.float64)
        return np.minimum(max_km * self.near_miss_distance_factor, max_km + self.near_miss_extra_km)
