"""Rank every offer for one request: candidates with explained scores, and near-misses with the rule they fail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from matcher.domain.geo import haversine_from_radians
from matcher.domain.matching.pool import OfferPool, RequestProfile
from matcher.domain.matching.reasons import Reason
from matcher.domain.matching.rules import RULES, PairView, rule_passes
from matcher.domain.matching.scoring import (
    component_fits,
    explain_components,
    language_hits,
    score_keys,
    score_points,
)
from matcher.domain.matching.settings import (
    COMPONENTS,
    DEFAULT_NEAR_MISS_LIMIT,
    DEFAULT_RANK_LIMIT,
    MatchingSettings,
    ScoringWeights,
)

DEFAULT_WEIGHTS = ScoringWeights()
DEFAULT_SETTINGS = MatchingSettings()


@dataclass(frozen=True)
class Candidate:
    """An offer that passes every hard rule, with its score explained component by component."""

    offer_id: int
    score: float  # 0..100, rounded to 0.01
    distance_km: float
    components: Mapping[str, float] = field(hash=False)  # points per component, in COMPONENTS order
    reasons: tuple[Reason, ...]  # one per component, in COMPONENTS order
    verified: bool
    free_beds: int


@dataclass(frozen=True)
class NearMiss:
    """An offer that fails exactly one hard rule, with that rule's reason and amount."""

    offer_id: int
    rule: str
    reason: Reason
    distance_km: float
    score: float  # what it would score, components clipped into [0, 1]
    verified: bool


@dataclass(frozen=True)
class Ranking:
    """Candidates (best first, ties by offer id) and near-misses (same order) for one request."""

    request_id: int
    candidates: tuple[Candidate, ...]
    near_misses: tuple[NearMiss, ...]
    candidate_count: int  # before the limit
    near_miss_count: int  # before the limit


def request_view(
    request: RequestProfile,
    pool: OfferPool,
    at: np.ndarray,
    distance_km: np.ndarray,
    *,
    today: date,
    settings: MatchingSettings,
    excluded: np.ndarray,
) -> PairView:
    """Pairs of one request with the offers at pool positions ``at``."""
    return PairView.gather(
        pool,
        at,
        distance_km,
        people=request.people,
        children=request.children,
        pets=request.pets,
        step_free_needed=request.step_free_needed,
        needed_from=request.needed_from.toordinal(),
        needed_until=request.needed_from.toordinal() + request.duration_days,
        max_km=float(request.max_distance_km),
        excluded=excluded,
        today=today.toordinal(),
        freshness_days=settings.freshness_days,
        slack_days=settings.date_slack_days,
    )


def _best_first(keys: np.ndarray, limit: int | None) -> np.ndarray:
    if limit is not None and keys.shape[0] > 4 * limit:
        top = np.argpartition(-keys, limit - 1)[:limit] if limit > 0 else np.empty(0, dtype=np.int64)
        return top[np.argsort(-keys[top])]
    order = np.argsort(-keys)
    return order if limit is None else order[:limit]


def rank(
    request: RequestProfile,
    pool: OfferPool,
    *,
    today: date,
    weights: ScoringWeights = DEFAULT_WEIGHTS,
    settings: MatchingSettings = DEFAULT_SETTINGS,
    excluded_offer_ids: Iterable[int] = (),
    limit: int | None = DEFAULT_RANK_LIMIT,
    near_miss_limit: int | None = DEFAULT_NEAR_MISS_LIMIT,
    prefilter: bool = True,
) -> Ranking:
    """Rank the pool's offers for one request (``prefilter=False`` scans every offer, for tests)."""
    near_km = float(settings.near_miss_limit_km(request.max_distance_km))
    # Every candidate and near-miss lies within near_km, so the prefilter cannot change the result.
    at = pool.within(request.lat, request.lon, near_km) if prefilter else np.arange(len(pool))
    latr = np.radians(request.lat)
    d = haversine_from_radians(
        latr, np.cos(latr), np.radians(request.lon), pool.latr[at], pool.coslat[at], pool.lonr[at]
    )
    inside = d <= near_km
    at, d = at[inside], d[inside]
    excluded = np.asarray(list(excluded_offer_ids), dtype=np.int64)
    view = request_view(request, pool, at, d, today=today, settings=settings, excluded=np.isin(pool.ids[at], excluded))
    passes = rule_passes(view)
    failures = passes.shape[0] - passes.sum(axis=0)
    shown = np.flatnonzero(failures <= 1)
    view = view.take(shown)
    passes, failures, at = passes[:, shown], failures[shown], at[shown]
    primary_hit, any_hit = language_hits(
        pool.lang[at], pool.languages.mask(request.languages[:1]), pool.languages.mask(request.languages)
    )
    points, score = score_points(component_fits(view, primary_hit, any_hit), weights)
    keys = score_keys(score, pool.id_rank[at], len(pool))
    cand, near = np.flatnonzero(failures == 0), np.flatnonzero(failures == 1)

    candidates = []
    for k in cand[_best_first(keys[cand], limit)]:
        offer_langs = set(pool.offer_languages(at[k]))
        shared = tuple(code for code in request.languages if code in offer_langs)
        candidates.append(
            Candidate(
                offer_id=int(pool.ids[at[k]]),
                score=float(score[k]),
                distance_km=float(view.distance_km[k]),
                components={name: round(float(points[name][k]), 2) for name in COMPONENTS},
                reasons=tuple(
                    explain_components(
                        view,
                        int(k),
                        place_name=request.place_name,
                        shared_languages=shared,
                        has_languages=bool(request.languages),
                    )
                ),
                verified=bool(pool.verified[at[k]]),
                free_beds=int(pool.free_beds[at[k]]),
            )
        )
    near_misses = []
    for k in near[_best_first(keys[near], near_miss_limit)]:
        rule = RULES[int(np.argmin(passes[:, k]))]
        near_misses.append(
            NearMiss(
                offer_id=int(pool.ids[at[k]]),
                rule=rule.id,
                reason=rule.explain(view, int(k)),
                distance_km=float(view.distance_km[k]),
                score=float(score[k]),
                verified=bool(pool.verified[at[k]]),
            )
        )
    return Ranking(
        request_id=request.id,
        candidates=tuple(candidates),
        near_misses=tuple(near_misses),
        candidate_count=int(cand.shape[0]),
        near_miss_count=int(near.shape[0]),
    )
