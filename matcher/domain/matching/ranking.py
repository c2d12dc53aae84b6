"""Rank every offer for one request: candidates with explained scores, and near-misses with the rule they fail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from matcher.domain.matching.pool import OfferPool, RequestProfile, pair_distances_km
from matcher.domain.matching.reasons import Reason
from matcher.domain.matching.rules import RULE_IDS, RULES, PairView
from matcher.domain.matching.scoring import (
    component_fits,
    explain_components,
    language_hits,
    score_keys,
    score_total,
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


def _candidates(request, pool, view, at, top, score, fits, weights) -> list[Candidate]:
    """Candidate objects, with their reasons, for the pairs ``top`` of the view (pool positions ``at``)."""
    positions = at[top]
    scale = weights.points()
    points = np.array([fits[name][top] for name in COMPONENTS]).reshape(len(COMPONENTS), -1)
    points *= np.array([[scale[name]] for name in COMPONENTS])
    columns = zip(
        pool.ids[positions].tolist(),
        score[top].tolist(),
        view.distance_km[top].tolist(),
        np.round(points, 2).T.tolist(),
        pool.verified[positions].tolist(),
        pool.free_beds[positions].tolist(),
        pool.available_from[positions].tolist(),
        pool.available_until[positions].tolist(),
        pool.shared_languages(positions, request.languages),
        strict=True,
    )
    need, people, place = request.needed_from.toordinal(), request.people, request.place_name
    has_languages = bool(request.languages)
    return [
        Candidate(
            offer_id=offer_id,
            score=total,
            distance_km=km,
            components=dict(zip(COMPONENTS, component_points, strict=True)),
            reasons=explain_components(
                km=km,
                place_name=place,
                free_beds=free,
                people=people,
                shared_languages=shared,
                has_languages=has_languages,
                start=start,
                need=need,
                until=until,
            ),
            verified=verified,
            free_beds=free,
        )
        for offer_id, total, km, component_points, verified, free, start, until, shared in columns
    ]


def _near_misses(pool, view, at, picked, score, failed) -> list[NearMiss]:
    """Near-miss objects for the pairs ``picked`` of the view, failing the rules ``failed`` (RULES indices)."""
    few = view.take(picked)
    positions = at[picked]
    columns = zip(
        pool.ids[positions].tolist(),
        failed.tolist(),
        few.distance_km.tolist(),
        score[picked].tolist(),
        pool.verified[positions].tolist(),
        strict=True,
    )
    return [
        NearMiss(
            offer_id=offer_id,
            rule=RULES[rule].id,
            reason=RULES[rule].explain(few, k),
            distance_km=km,
            score=total,
            verified=verified,
        )
        for k, (offer_id, rule, km, total, verified) in enumerate(columns)
    ]


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
    excluded = np.fromiter(excluded_offer_ids, dtype=np.int64)
    refused = np.isin(pool.ids[at], excluded) if excluded.shape[0] else False
    view = request_view(request, pool, at, None, today=today, settings=settings, excluded=refused)
    # Distance is the dearest rule, so it is computed only for offers failing at most one of the others.
    # Each rule reads only the offer columns it needs; a need the household does not have passes as a scalar.
    passes = np.zeros(at.shape[0], dtype=np.uint8)
    outcomes: list[np.ndarray | bool] = []  # per rule (distance aside): pass array over ``at``, or one bool
    for i, rule in enumerate(RULES):
        if i != _DISTANCE:
            ok = rule.passes(view)
            if isinstance(ok, np.ndarray) and ok.ndim:
                passes += ok.view(np.uint8)
                outcomes.append(ok)
            else:
                outcomes.append(bool(ok))
    checked = sum(1 for ok in outcomes if ok is not True)
    maybe = np.flatnonzero(passes >= checked - 1)
    failures = checked - passes[maybe]
    distance_km = pair_distances_km(pool, at[maybe], request.lat, request.lon)
    view = request_view(
        request, pool, at[maybe], distance_km, today=today, settings=settings, excluded=_taken(refused, maybe)
    )
    within_limit = RULES[_DISTANCE].passes(view)
    failures += ~within_limit
    shown = np.flatnonzero((failures <= 1) & (distance_km <= near_km))
    first = maybe[shown]  # each shown pair's place in ``at``
    view, failures, at = view.take(shown), failures[shown], at[first]
    primary_hit, any_hit = language_hits(
        pool.lang[at], pool.languages.mask(request.languages[:1]), pool.languages.mask(request.languages)
    )
    fits = component_fits(view, primary_hit, any_hit)
    score = score_total(fits, weights)
    keys = score_keys(score, pool.id_rank[at], len(pool))
    cand, near = np.flatnonzero(failures == 0), np.flatnonzero(failures == 1)
    top = cand[_best_first(keys[cand], limit)]
    picked = near[_best_first(keys[near], near_miss_limit)]
    # Which rule each near-miss fails: the first failing one in RULES order (it fails only one).
    table = [ok[first[picked]] if isinstance(ok, np.ndarray) else np.full(picked.shape[0], ok) for ok in outcomes]
    table.insert(_DISTANCE, within_limit[shown[picked]])
    failed = np.argmin(np.array(table, dtype=bool).reshape(len(RULES), -1), axis=0)
    return Ranking(
        request_id=request.id,
        candidates=tuple(_candidates(request, pool, view, at, top, score, fits, weights)),
        near_misses=tuple(_near_misses(pool, view, at, picked, score, failed)),
        candidate_count=int(cand.shape[0]),
        near_miss_count=int(near.shape[0]),
    )


def _taken(values, index):
    """Array values at index; a scalar stays as it is."""
    return values[index] if np.ndim(values) else values
