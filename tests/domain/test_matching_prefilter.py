"""The fast paths (prefilter, dense candidate scan) against a plain per-pair evaluation, on random pools."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.domain.geo import haversine_km
from matcher.domain.matching import (
    MatchingSettings,
    OfferPool,
    OfferSnapshot,
    RequestBatch,
    RequestProfile,
    ScoringWeights,
    rank,
)
from matcher.domain.matching.candidates import candidate_pairs

TODAY = date(2024, 5, 1)
LANGS = ("uk", "ru", "pl", "en", "de")


def random_offers(rng: np.random.Generator, n: int, *, spread: str) -> list[OfferSnapshot]:
    """Offers clustered near Kraków, spread over Europe, or anywhere on the globe (poles and antimeridian too)."""
    if spread == "city":
        lat, lon = 50.06 + rng.normal(0, 0.3, n), 19.94 + rng.normal(0, 0.5, n)
    elif spread == "europe":
        lat, lon = rng.uniform(36, 70, n), rng.uniform(-10, 40, n)
    else:
        lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
        lon = rng.choice([rng.uniform(-180, 180), 179.9, -179.9], n) + rng.normal(0, 0.5, n)
        lon = (lon + 180) % 360 - 180
    offers = []
    for i in range(n):
        beds = int(rng.integers(1, 7))
        held = int(rng.integers(0, beds + 1)) if rng.random() < 0.2 else 0
        start = TODAY + timedelta(days=int(rng.integers(-20, 25)))
        offers.append(
            OfferSnapshot(
                id=int(rng.integers(1, 10**9)) * 8 + i % 8 if rng.random() < 0.9 else 10**10 + i,
                lat=float(np.clip(lat[i], -90, 90)),
                lon=float(lon[i]),
                beds=beds,
                held_beds=held,
                open_matches=int(held > 0),
                shareable=bool(rng.random() < 0.3),
                status=str(rng.choice(["active"] * 8 + ["paused", "withdrawn"])),
                last_confirmed=TODAY - timedelta(days=int(rng.integers(0, 45))),
                available_from=start,
                available_until=None if rng.random() < 0.5 else start + timedelta(days=int(rng.integers(10, 200))),
                pets_ok=bool(rng.random() < 0.5),
                children_ok=bool(rng.random() < 0.8),
                step_free=bool(rng.random() < 0.3),
                languages=tuple(rng.choice(LANGS, int(rng.integers(0, 3)), replace=False).tolist()),
                verified=bool(rng.random() < 0.5),
            )
        )
    # Ids must be unique: the random ids above almost surely are; make sure.
    seen: set[int] = set()
    unique = []
    for offer in offers:
        if offer.id not in seen:
            seen.add(offer.id)
            unique.append(offer)
    return unique


def random_request(rng: np.random.Generator, offers: list[OfferSnapshot], request_id: int) -> RequestProfile:
    """A request near a random offer (or anywhere), with random needs and limits."""
    anchor = offers[int(rng.integers(0, len(offers)))]
    near = rng.random() < 0.8
    adults = int(rng.integers(1, 4))
    return RequestProfile(
        id=request_id,
        lat=float(np.clip(anchor.lat + rng.normal(0, 0.5), -90, 90)) if near else float(rng.uniform(-90, 90)),
        lon=float((anchor.lon + rng.normal(0, 0.5) + 180) % 360 - 180) if near else float(rng.uniform(-180, 180)),
        adults=adults,
        children=int(rng.integers(0, 4)) if rng.random() < 0.5 else 0,
        pets=bool(rng.random() < 0.2),
        step_free_needed=bool(rng.random() < 0.1),
        languages=tuple(rng.choice(LANGS, int(rng.integers(0, 3)), replace=False).tolist()),
        max_distance_km=float(rng.choice([0.0, 10.0, 50.0, 150.0, 400.0, 3000.0])),
        needed_from=TODAY + timedelta(days=int(rng.integers(0, 20))),
        duration_days=int(rng.integers(0, 120)),
        place_name="Somewhere",
        priority=float(rng.choice([1.0, 1.25, 2.0])),
    )


def brute_force(offers, request, *, settings, weights, excluded=frozenset()):
    """Per-pair evaluation in plain Python: (candidates, near-misses) as lists of (offer id, score[, rule])."""
    points = weights.points()
    band = min(request.max_distance_km * settings.near_miss_distance_factor,
               request.max_distance_km + settings.near_miss_extra_km)  # fmt: skip
    candidates, near = [], []
    for o in offers:
        d = float(haversine_km(request.lat, request.lon, o.lat, o.lon))
        free = max(o.beds - o.held_beds, 0)
        need_until = request.needed_from + timedelta(days=request.duration_days)
        failed = [
            rule
            for rule, ok in [
                ("status", o.status == "active" and (TODAY - o.last_confirmed).days <= settings.freshness_days),
                ("beds", free >= request.people and (o.shareable or o.open_matches == 0)),
                (
                    "dates",
                    o.available_from <= request.needed_from + timedelta(days=settings.date_slack_days)
                    and (o.available_until is None or o.available_until >= need_until),
                ),
                ("pets", o.pets_ok or not request.pets),
                ("children", o.children_ok or request.children == 0),
                ("step_free", o.step_free or not request.step_free_needed),
                ("distance", d <= request.max_distance_km),
                ("refused", o.id not in excluded),
            ]
            if not ok
        ]
        if d > band or len(failed) > 1:
            continue
        proximity = 1.0 - d / request.max_distance_km if request.max_distance_km > 0 else float(d == 0)
        late = max((o.available_from - request.needed_from).days, 0)
        spoken = set(o.languages)
        language = 0.0
        if request.languages and request.languages[0] in spoken:
            language = 1.0
        elif spoken & set(request.languages):
            language = 0.7
        fits = {
            "proximity": min(max(proximity, 0.0), 1.0),
            "capacity": min(request.people / free, 1.0) if free > 0 else 0.0,
            "language": language,
            "dates": min(max(1.0 - late / (settings.date_slack_days + 1), 0.0), 1.0),
        }
        score = sum(points[k] * fits[k] for k in points)
        (candidates if not failed else near).append((o.id, score, failed[0] if failed else None))
    return candidates, near


def assert_same_as_brute_force(ranking, candidates, near):
    """Ids agree exactly; scores to float noise (rounding to 0.01 may differ by one unit at a half)."""
    assert {c.offer_id for c in ranking.candidates} == {c[0] for c in candidates}
    assert {(m.offer_id, m.rule) for m in ranking.near_misses} == {(m[0], m[2]) for m in near}
    expected = {c[0]: c[1] for c in candidates + near}
    for item in ranking.candidates + ranking.near_misses:
        assert item.score == pytest.approx(expected[item.offer_id], abs=0.0051 + 1e-9)
    scores = [c.score for c in ranking.candidates]
    assert scores == sorted(scores, reverse=True)
    for a, b in zip(ranking.candidates, ranking.candidates[1:], strict=False):
        assert a.score > b.score or a.offer_id < b.offer_id


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), spread=st.sampled_from(["city", "europe", "globe"]))
def test_prefilter_changes_nothing(seed, spread):
    rng = np.random.default_rng(seed)
    offers = random_offers(rng, int(rng.integers(1, 120)), spread=spread)
    pool = OfferPool.from_snapshots(offers)
    options = dict(settings=MatchingSettings(freshness_days=int(rng.integers(0, 40))), weights=ScoringWeights())
    for request_id in range(3):
        request = random_request(rng, offers, request_id)
        excluded = {o.id for o in offers if rng.random() < 0.05}
        kwargs = dict(today=TODAY, excluded_offer_ids=excluded, limit=None, near_miss_limit=None, **options)
        fast = rank(request, pool, **kwargs)
        slow = rank(request, pool, prefilter=False, **kwargs)
        assert fast == slow
        assert_same_as_brute_force(fast, *brute_force(offers, request, excluded=excluded, **options))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    spread=st.sampled_from(["city", "europe", "globe"]),
    limit=st.integers(0, 6),
    near_miss_limit=st.integers(0, 6),
)
def test_limits_keep_the_head_of_the_full_ranking(seed, spread, limit, near_miss_limit):
    # With a limit only the best few are scored exactly (the rest by bounds): the head must not change.
    rng = np.random.default_rng(seed)
    offers = random_offers(rng, int(rng.integers(1, 400)), spread=spread)
    pool = OfferPool.from_snapshots(offers)
    weights = ScoringWeights(*rng.uniform(0, 1, 4).tolist()) if rng.random() < 0.3 else ScoringWeights()
    for request_id in range(3):
        request = random_request(rng, offers, request_id)
        kwargs = dict(today=TODAY, weights=weights)
        full = rank(request, pool, limit=None, near_miss_limit=None, **kwargs)
        head = rank(request, pool, limit=limit, near_miss_limit=near_miss_limit, **kwargs)
        assert head.candidates == full.candidates[:limit]
        assert head.near_misses == full.near_misses[:near_miss_limit]
        assert (head.candidate_count, head.near_miss_count) == (full.candidate_count, full.near_miss_count)


def test_limit_breaks_ties_by_offer_id():
    offers = [
        OfferSnapshot(id=900 - i, lat=50.0, lon=20.0, beds=2, last_confirmed=TODAY, available_from=TODAY)
        for i in range(300)
    ]
    request = RequestProfile(
        id=1, lat=50.0, lon=20.001, adults=2, max_distance_km=5.0, needed_from=TODAY, duration_days=10
    )
    ranking = rank(request, OfferPool.from_snapshots(offers), today=TODAY, limit=5)
    assert [c.offer_id for c in ranking.candidates] == [601, 602, 603, 604, 605]
    assert ranking.candidate_count == 300


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), spread=st.sampled_from(["city", "europe", "globe"]), top_k=st.integers(1, 12))
def test_candidate_graph_is_each_requests_top_k(seed, spread, top_k):
    rng = np.random.default_rng(seed)
    offers = random_offers(rng, int(rng.integers(1, 150)), spread=spread)
    pool = OfferPool.from_snapshots(offers)
    requests = [random_request(rng, offers, 1000 + i) for i in range(int(rng.integers(1, 30)))]
    excluded = [(r.id, o.id) for r in requests for o in offers if rng.random() < 0.03]
    weights = ScoringWeights(*rng.uniform(0, 1, 4).tolist()) if rng.random() < 0.3 else ScoringWeights()
    graph = candidate_pairs(
        RequestBatch.from_profiles(requests), pool, today=TODAY, weights=weights, excluded_pairs=excluded, top_k=top_k
    )
    for i, request in enumerate(requests):
        mine = graph.req == i
        got = list(zip(graph.offer_ids[graph.off[mine]].tolist(), graph.score[mine].tolist(), strict=True))
        refused = {o for r, o in excluded if r == request.id}
        expected = rank(request, pool, today=TODAY, weights=weights, excluded_offer_ids=refused, limit=top_k)
        assert got == [(c.offer_id, c.score) for c in expected.candidates]


def test_candidate_graph_handles_dense_clusters_and_ties():
    # Many identical offers at one point: scores tie, so ids decide, across the dense scan's blocks.
    offers = [
        OfferSnapshot(id=5000 - i, lat=50.0, lon=20.0, beds=2, last_confirmed=TODAY, available_from=TODAY)
        for i in range(3000)
    ]
    pool = OfferPool.from_snapshots(offers)
    requests = [
        RequestProfile(
            id=i, lat=50.0, lon=20.0 + i * 1e-4, adults=2, max_distance_km=5.0, needed_from=TODAY, duration_days=10
        )  # fmt: skip
        for i in range(300)
    ]
    graph = candidate_pairs(RequestBatch.from_profiles(requests), pool, today=TODAY, top_k=3)
    assert graph.edges == 900
    assert graph.offer_ids[graph.off[:3]].tolist() == [2001, 2002, 2003]


def test_empty_inputs():
    pool = OfferPool.from_snapshots([])
    request = RequestProfile(id=1, lat=0, lon=0, adults=1, max_distance_km=10, needed_from=TODAY, duration_days=1)
    ranking = rank(request, pool, today=TODAY)
    assert ranking.candidates == () and ranking.near_misses == ()
    assert candidate_pairs(RequestBatch.from_profiles([request]), pool, today=TODAY).edges == 0
    assert candidate_pairs(RequestBatch.from_profiles([]), pool, today=TODAY).edges == 0


def test_haversine_agrees_with_geodesic_scale():
    # Kraków to Warsaw: about 252 km on the sphere the matcher uses.
    assert math.isclose(float(haversine_km(50.0614, 19.9366, 52.2297, 21.0122)), 252.0, rel_tol=0.01)


def test_domain_imports_no_web_or_database_modules():
    code = (
        "import sys, matcher.domain.matching, matcher.domain.batch\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0].startswith(('flask', 'sqlalchemy')))\n"
        "print(','.join(bad))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == ""
