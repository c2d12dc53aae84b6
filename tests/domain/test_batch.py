"""Batch proposals: hard rules and capacities hold, the objective beats greedy and matches brute force."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from matcher.domain.batch import BatchResult, greedy_batch, propose_batch, run_batch
from matcher.domain.matching import (
    MatchingSettings,
    OfferPool,
    OfferSnapshot,
    RequestBatch,
    RequestProfile,
    packing,
    rank,
)
from matcher.domain.matching.candidates import candidate_pairs
from matcher.domain.matching.packing import PackingProblem, constraints

TODAY = date(2024, 5, 1)
SUMMARY_KEYS = {
    "households_open",
    "households_placed",
    "people_open",
    "people_placed",
    "objective",
    "bound",
    "gap",
    "optimal",
    "seconds",
}


def random_instance(seed: int, n_requests: int, n_offers: int):
    """Offers and requests around one city, with enough conflicts to make the choice matter."""
    rng = np.random.default_rng(seed)
    offers = []
    for i in range(n_offers):
        beds = int(rng.integers(1, 8))
        held = int(rng.integers(0, 3)) if rng.random() < 0.2 else 0
        offers.append(
            OfferSnapshot(
                id=10 + 7 * i,
                lat=50.0 + float(rng.normal(0, 0.2)),
                lon=20.0 + float(rng.normal(0, 0.3)),
                beds=beds,
                held_beds=min(held, beds),
                open_matches=int(held > 0),
                shareable=bool(rng.random() < 0.5),
                status="active" if rng.random() < 0.9 else "paused",
                last_confirmed=TODAY,
                available_from=TODAY + timedelta(days=int(rng.integers(0, 10))),
                pets_ok=bool(rng.random() < 0.7),
                children_ok=bool(rng.random() < 0.9),
                step_free=bool(rng.random() < 0.5),
                languages=("uk",) if rng.random() < 0.4 else ("pl",),
            )
        )
    requests = [
        RequestProfile(
            id=1000 + 3 * i,
            lat=50.0 + float(rng.normal(0, 0.2)),
            lon=20.0 + float(rng.normal(0, 0.3)),
            adults=int(rng.integers(1, 4)),
            children=int(rng.integers(0, 3)) if rng.random() < 0.4 else 0,
            pets=bool(rng.random() < 0.15),
            step_free_needed=bool(rng.random() < 0.1),
            languages=("uk", "ru") if rng.random() < 0.7 else ("ru",),
            max_distance_km=float(rng.choice([20.0, 50.0, 100.0])),
            needed_from=TODAY + timedelta(days=int(rng.integers(0, 5))),
            duration_days=30,
            priority=float(rng.choice([1.0, 1.0, 1.25, 2.0])),
        )
        for i in range(n_requests)
    ]
    return offers, requests


def solve(offers, requests, settings_=None, excluded=()):
    """(pool, graph, batch result, greedy result) for an instance."""
    pool = OfferPool.from_snapshots(offers)
    graph = candidate_pairs(RequestBatch.from_profiles(requests), pool, today=TODAY, excluded_pairs=excluded)
    return pool, graph, propose_batch(graph, settings=settings_), greedy_batch(graph)


def units(result: BatchResult, requests) -> tuple[int, int]:
    """The lexicographic objective in exact integer units: (priority-weighted people x 100, score x 100)."""
    by_id = {r.id: r for r in requests}
    people = sum(round(by_id[r].priority * 100) * by_id[r].people for r, _, _ in result.pairs)
    return people, sum(round(score * 100) for _, _, score in result.pairs)


def assert_valid(result: BatchResult, offers, requests, pool, excluded=()):
    """Every pair passes every hard rule, no request twice, no offer over its beds or households."""
    by_req = {r.id: r for r in requests}
    by_off = {o.id: o for o in offers}
    placed = [r for r, _, _ in result.pairs]
    assert len(placed) == len(set(placed))
    for request_id, offer_id, score in result.pairs:
        refused = {o for r, o in excluded if r == request_id}
        ranking = rank(by_req[request_id], pool, today=TODAY, excluded_offer_ids=refused, limit=None)
        assert (offer_id, score) in {(c.offer_id, c.score) for c in ranking.candidates}
    for offer_id in {o for _, o, _ in result.pairs}:
        offer = by_off[offer_id]
        guests = [by_req[r] for r, o, _ in result.pairs if o == offer_id]
        assert sum(g.people for g in guests) <= offer.beds - offer.held_beds
        if not offer.shareable:
            assert len(guests) == 1 and offer.open_matches == 0
    assert result.households_placed == len(result.pairs)
    assert result.people_placed == sum(by_req[r].people for r in placed)


def brute_force_best(graph, requests) -> tuple[int, int]:
    """Lexicographic optimum by depth-first enumeration of every request's choice (or none)."""
    by_id = {r.id: r for r in requests}
    options: list[list[tuple[int, int, int]]] = [[] for _ in range(graph.request_ids.shape[0])]
    for i, o, s in zip(graph.req.tolist(), graph.off.tolist(), graph.score.tolist(), strict=True):
        options[i].append((o, round(s * 100), int(graph.people[i])))
    weights = [round(by_id[int(rid)].priority * 100) * by_id[int(rid)].people for rid in graph.request_ids]
    left = {o: int(graph.capacity[o]) for o in set(graph.off.tolist())}
    taken: set[int] = set()
    best = (0, 0)

    def walk(i: int, people: int, score: int) -> None:
        nonlocal best
        if i == len(options):
            best = max(best, (people, score))
            return
        walk(i + 1, people, score)
        for o, s, size in options[i]:
            if size <= left[o] and o not in taken:
                left[o] -= size
                if not graph.shareable[o]:
                    taken.add(o)
                walk(i + 1, people + weights[i], score + s)
                left[o] += size
                taken.discard(o)

    walk(0, 0, 0)
    return best


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_requests=st.integers(1, 6), n_offers=st.integers(1, 4))
def test_batch_equals_brute_force_on_small_instances(seed, n_requests, n_offers):
    offers, requests = random_instance(seed, n_requests, n_offers)
    pool, graph, result, greedy = solve(offers, requests)
    assert_valid(result, offers, requests, pool)
    assert units(result, requests) == brute_force_best(graph, requests)
    assert result.optimal
    assert result.bound == pytest.approx(result.objective)
    assert units(result, requests) >= units(greedy, requests)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_requests=st.integers(1, 40),
    n_offers=st.integers(1, 25),
    path=st.sampled_from(["default", "lp"]),
)
def test_batch_is_valid_and_never_worse_than_greedy(seed, n_requests, n_offers, path):
    offers, requests = random_instance(seed, n_requests, n_offers)
    rng = np.random.default_rng(seed)
    excluded = [(r.id, o.id) for r in requests for o in offers if rng.random() < 0.05]
    # exact_milp_max_pairs=0 sends every shared component down the LP-rounding path.
    options = MatchingSettings(exact_milp_max_pairs=0) if path == "lp" else None
    pool, graph, result, greedy = solve(offers, requests, options, excluded)
    assert_valid(result, offers, requests, pool, excluded)
    assert_valid(greedy, offers, requests, pool, excluded)
    assert result.objective >= greedy.objective - 1e-9
    assert result.bound is not None and result.bound >= result.objective - 1e-9
    assert 0.0 <= result.gap <= 1.0
    if result.optimal:
        assert result.gap == pytest.approx(0.0)


def test_same_input_gives_the_same_result():
    offers, requests = random_instance(7, 60, 30)
    first = solve(offers, requests)[2]
    again = solve(list(reversed(offers)), list(reversed(requests)))[2]
    strip = {"seconds": 0.0, "stats": {}}
    assert dataclasses.replace(first, **strip) == dataclasses.replace(again, **strip)
    lp_path = MatchingSettings(exact_milp_max_pairs=0)
    assert dataclasses.replace(solve(offers, requests, lp_path)[2], **strip) == dataclasses.replace(
        solve(offers, requests, lp_path)[2], **strip
    )


def test_summary_has_exactly_the_documented_keys():
    offers, requests = random_instance(3, 10, 6)
    summary = solve(offers, requests)[2].summary()
    assert set(summary) == SUMMARY_KEYS
    assert isinstance(summary["optimal"], bool)


def offer(i, beds, shareable=False, **kw):
    """An always-suitable offer at the city centre."""
    return OfferSnapshot(
        id=i, lat=50.0, lon=20.0, beds=beds, shareable=shareable, last_confirmed=TODAY, available_from=TODAY, **kw
    )


def household(i, people, priority=1.0):
    """A household of adults at the city centre."""
    return RequestProfile(
        id=i, lat=50.0, lon=20.0, adults=people, max_distance_km=10, needed_from=TODAY, duration_days=10,
        priority=priority,
    )  # fmt: skip


def test_people_first_then_score():
    # One 4-bed flat: the family of 4 beats two couples' better fit only if it houses more people.
    result = solve([offer(1, 4)], [household(10, 2), household(11, 4), household(12, 3)])[2]
    assert [(r, o) for r, o, _ in result.pairs] == [(11, 1)]
    assert result.people_placed == 4 and result.optimal


def test_priority_weighs_people():
    result = solve([offer(1, 4)], [household(10, 3, priority=2.0), household(11, 4)])[2]
    assert [r for r, _, _ in result.pairs] == [10]
    assert result.objective == 6.0


def test_shareable_offer_packs_several_households():
    result = solve([offer(1, 7, shareable=True)], [household(10, 3), household(11, 4), household(12, 5)])[2]
    assert sorted(r for r, _, _ in result.pairs) == [10, 11]
    assert result.people_placed == 7 and result.optimal


def test_greedy_is_worse_when_the_best_score_blocks_others():
    # Greedy gives the small flat's best-scoring guest the only place the big family fits.
    offers = [offer(1, 2), offer(2, 6)]
    requests = [household(10, 2), household(11, 6)]
    pool, graph, result, greedy = solve(offers, requests)
    assert result.people_placed == 8
    assert greedy.people_placed <= result.people_placed


def test_greedy_has_no_bound():
    offers, requests = random_instance(5, 12, 6)
    greedy = solve(offers, requests)[3]
    assert greedy.bound is None and greedy.gap is None and not greedy.optimal


def test_run_batch_builds_the_graph_and_times_it_all():
    offers, requests = random_instance(11, 25, 12)
    result = run_batch(RequestBatch.from_profiles(requests), OfferPool.from_snapshots(offers), today=TODAY)
    assert result.seconds >= result.stats["graph_seconds"] >= 0.0
    assert result.households_open == 25


def test_nothing_to_place():
    result = solve([offer(1, 1)], [household(10, 3)])[2]
    assert result.pairs == () and result.optimal and result.summary()["bound"] == 0.0


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("first_columns", [(3, 10), (1, 1)])
def test_column_generation_reaches_the_whole_lps_optimum(seed, first_columns):
    # Few first columns force several pricing rounds; the result must be the optimum of the LP over every edge.
    offers, requests = random_instance(seed, 70, 30)
    graph = candidate_pairs(RequestBatch.from_profiles(requests), OfferPool.from_snapshots(offers), today=TODAY)
    problem = PackingProblem.build(graph)
    edges = np.arange(problem.edge_req.shape[0])
    matrix, rhs = constraints(problem, edges)
    w = problem.weight[problem.edge_req].astype(np.float64)
    whole = linprog(-w, A_ub=matrix, b_ub=rhs, bounds=(0, 1), method="highs-ds")
    with (
        mock.patch.object(packing, "SIFT_REQUEST_COLUMNS", first_columns[0]),
        mock.patch.object(packing, "SIFT_OFFER_COLUMNS", first_columns[1]),
    ):
        x, bound = packing.people_lp(problem, edges, w, matrix, rhs, {})
        with mock.patch.object(packing, "SIFT_MAX_ROUNDS", 1):
            _, early_bound = packing.people_lp(problem, edges, w, matrix, rhs, {})
    assert bound == pytest.approx(-whole.fun, rel=1e-9)
    assert w @ x == pytest.approx(-whole.fun, rel=1e-9)
    assert np.all(matrix @ x <= rhs + 1e-7) and np.all((x >= 0) & (x <= 1))
    # Stopped before the last round, the bound from the duals is still an upper bound.
    assert early_bound >= -whole.fun - 1e-6
