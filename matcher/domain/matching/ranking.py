"""Rank every offer for one request: candidates with explained scores, and near-misses with the rule they fail."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from matcher.domain.geo import haversine_from_radians
from matcher.domain.matching.pool import OfferPool, RequestProfile
from matcher.domain.matching.reasons import Reason
from matcher.domain.matching.rules import RULE_IDS, RULES, PairView
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
_DISTANCE = RULE_IDS.index("distance")
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


def _candidates(request, pool, view, positions, top, score, points) -> list[Candidate]:
    """Candidate objects, with their reasons, for the pairs ``top`` of the view (pool positions given)."""
    columns = zip(
        pool.ids[positions].tolist(),
        score[top].tolist(),
        view.distance_km[top].tolist(),
        zip(*(np.round(points[name][top], 2).tolist() for name in COMPONENTS), strict=True),
        pool.verified[positions].tolist(),
        pool.free_beds[positions].tolist(),
        view.available_from[top].tolist(),
        view.available_until[top].tolist(),
        pool.shared_languages(positions, request.languages),
        strict=True,
    )
    need = request.needed_from.toordinal()
    out = []
    for offer_id, total, km, component_points, verified, free, start, until, shared in columns:
        reasons = explain_components(
            km=km,
            place_name=request.place_name,
            free_beds=free,
            people=request.people,
            shared_languages=shared,
            has_languages=bool(request.languages),
            start=start,
            need=need,
            until=until,
        )
        out.append(
            Candidate(
                offer_id=offer_id,
                score=total,
                distance_km=km,
                components=dict(zip(COMPONENTS, component_points, strict=True)),
                reasons=tuple(reasons),
                verified=verified,
                free_beds=free,
            )
        )
    return out


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
    excluded = np.asarray(list(excluded_offer_ids), dtype=np.int64)
    refused = np.isin(pool.ids[at], excluded) if excluded.shape[0] else np.zeros(at.shape[0], dtype=bool)
    view = request_view(request, pool, at, None, today=today, settings=settings, excluded=refused)
    # Distance is the dearest rule, so it is computed only for offers failing at most one of the others.
    passed: dict[int, np.ndarray] = {}
    failures = np.zeros(at.shape[0], dtype=np.uint8)
    for i, rule in enumerate(RULES):
        if i != _DISTANCE:
            passed[i] = np.asarray(rule.passes(view))
            failures += ~passed[i]
    maybe = np.flatnonzero(failures <= 1)
    latr = np.radians(request.lat)
    at_maybe = at[maybe]
    distance_km = haversine_from_radians(
        latr, np.cos(latr), np.radians(request.lon), pool.latr[at_maybe], pool.coslat[at_maybe], pool.lonr[at_maybe]
    )
    passed[_DISTANCE] = np.asarray(RULES[_DISTANCE].passes(dataclasses.replace(view, distance_km=distance_km)))
    failures = failures[maybe] + ~passed[_DISTANCE]
    shown = np.flatnonzero((failures <= 1) & (distance_km <= near_km))
    # Where each shown pair sits in the first-pass arrays, to look up which rule it fails.
    first_pass = maybe[shown]
    passed[_DISTANCE] = passed[_DISTANCE][shown]
    view, failures, at = view.take(first_pass), failures[shown], at[first_pass]
    view.distance_km = distance_km[shown]
    primary_hit, any_hit = language_hits(
        pool.lang[at], pool.languages.mask(request.languages[:1]), pool.languages.mask(request.languages)
    )
    points, score = score_points(component_fits(view, primary_hit, any_hit), weights)
    keys = score_keys(score, pool.id_rank[at], len(pool))
    cand, near = np.flatnonzero(failures == 0), np.flatnonzero(failures == 1)

    top = cand[_best_first(keys[cand], limit)]
    candidates = _candidates(request, pool, view, at[top], top, score, points)
    near_misses = []
    for k in near[_best_first(keys[near], near_miss_limit)]:
        rule = next(RULES[i] for i in range(len(RULES)) if not passed[i][k if i == _DISTANCE else first_pass[k]])
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
