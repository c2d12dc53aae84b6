"""Batch proposal: choose request-offer pairs across the whole pool.

Lexicographic objective: first the people housed, each household weighted by its priority; then the total score.
Each request is placed at most once; a shareable offer holds households up to its free beds, any other offer
at most one household. The candidate graph splits into connected components, each solved on its own:
- one request: its best candidate (exact);
- every offer takes at most one household: Jonker-Volgenant assignment on exact lexicographic integer weights;
- small components with a shareable offer: two-phase MILP (people, then score) under a node limit;
- large components: HiGHS LP relaxation of the people objective (with "at most one big household" cuts) for
  the bound, solved by column generation over the component's edges (packing.people_lp), then rounding guided
  by it: shareable offers filled by knapsack, one-household offers by exact assignment, a greedy fill and a
  node-limited MILP polish of the shareable offers left with empty beds; the better of that and plain greedy
  is kept.
Solver internals live in matcher.domain.matching.packing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from matcher.domain.matching.candidates import CandidateGraph, candidate_pairs
from matcher.domain.matching.packing import PackingProblem, assignment, exact_milp, greedy, lp_round
from matcher.domain.matching.pool import OfferPool
from matcher.domain.matching.requests import PRIORITY_QUANTUM, RequestBatch
from matcher.domain.matching.scoring import SCORE_SCALE
from matcher.domain.matching.settings import MatchingSettings, ScoringWeights


@dataclass(frozen=True)
class BatchResult:
    """A proposed set of placements, with its objective, its LP bound and how it was obtained."""

    pairs: tuple[tuple[int, int, float], ...]  # (request_id, offer_id, score), by request id
    households_open: int
    households_placed: int
    people_open: int
    people_placed: int
    objective: float  # priority-weighted people placed
    bound: float | None  # upper bound on objective (LP relaxation over the candidate graph); None for greedy
    gap: float | None  # (bound - objective) / bound
    optimal: bool  # proven optimal for the lexicographic objective over the candidate graph
    seconds: float
    total_score: float
    score_bound: float | None  # the LP's score at its people optimum (a guide, not a proven bound)
    stats: Mapping[str, object] = field(default_factory=dict, hash=False)

    def summary(self) -> dict[str, object]:
        """The headline figures, as printed by ``flask match-batch --json``."""
        return {
            "households_open": self.households_open,
            "households_placed": self.households_placed,
            "people_open": self.people_open,
            "people_placed": self.people_placed,
            "objective": round(self.objective, 2),
            "bound": None if self.bound is None else round(self.bound, 2),
            "gap": None if self.gap is None else round(self.gap, 6),
            "optimal": self.optimal,
            "seconds": round(self.seconds, 3),
        }


def _result(problem: PackingProblem, chosen: np.ndarray, *, bound, score_bound, optimal, seconds, stats) -> BatchResult:
    graph = problem.graph
    chosen = np.sort(chosen)
    reqs = problem.edge_req[chosen]
    order = np.argsort(graph.request_ids[reqs], kind="stable")
    chosen, reqs = chosen[order], reqs[order]
    people_weight, score = problem.value(chosen)
    objective = people_weight * PRIORITY_QUANTUM
    bound_people = None if bound is None else max(bound * PRIORITY_QUANTUM, objective)
    gap = None if bound_people is None else (bound_people - objective) / bound_people if bound_people > 0 else 0.0
    return BatchResult(
        pairs=tuple(
            (int(graph.request_ids[r]), int(problem.offer_ids[o]), float(s))
            for r, o, s in zip(reqs, problem.edge_off[chosen], graph.score[chosen], strict=True)
        ),
        households_open=int(graph.request_ids.shape[0]),
        households_placed=int(chosen.shape[0]),
        people_open=int(problem.size.sum()),
        people_placed=int(problem.size[reqs].sum()),
        objective=float(objective),
        bound=bound_people,
        gap=gap,
        optimal=optimal,
        seconds=seconds,
        total_score=score / SCORE_SCALE,
        score_bound=None if score_bound is None else score_bound / SCORE_SCALE,
        stats=stats,
    )


def greedy_batch(graph: CandidateGraph) -> BatchResult:
    """Baseline: take pairs best score first (ties by request, then offer id) whenever both sides still fit."""
    started = time.perf_counter()
    problem = PackingProblem.build(graph)
    chosen = greedy(problem, np.arange(problem.edge_req.shape[0]))
    return _result(
        problem, chosen, bound=None, score_bound=None, optimal=False, seconds=time.perf_counter() - started, stats={}
    )


def propose_batch(graph: CandidateGraph, *, settings: MatchingSettings | None = None) -> BatchResult:
    """Optimal (or bounded) batch proposal over a candidate graph; the same graph always gives the same result."""
    settings = settings or MatchingSettings()
    started = time.perf_counter()
    problem = PackingProblem.build(graph)
    n_req, n_off = graph.request_ids.shape[0], problem.capacity.shape[0]
    stats: dict[str, object] = {"edges": int(problem.edge_req.shape[0]), "components": 0, "lp_seconds": 0.0}
    stats |= {"by_method": {}, "deterministic": True}
    if problem.edge_req.shape[0] == 0:
        return _result(problem, np.empty(0, np.int64), bound=0, score_bound=0, optimal=True, seconds=0.0, stats=stats)
    adjacency = sp.coo_matrix(
        (np.ones(problem.edge_req.shape[0]), (problem.edge_req, n_req + problem.edge_off)),
        shape=(n_req + n_off, n_req + n_off),
    )
    _, labels = connected_components(adjacency, directed=False)
    edge_comp = labels[problem.edge_req]
    order = np.argsort(edge_comp, kind="stable")
    splits = np.flatnonzero(np.diff(edge_comp[order])) + 1
    chosen_parts, bound, optimal = [], 0.0, True
    score_bound: float | None = 0.0
    for edges in np.split(order, splits):
        method, chosen, comp_bound, comp_score_bound, comp_optimal = _solve_component(problem, edges, settings, stats)
        by_method = stats["by_method"]
        assert isinstance(by_method, dict)
        by_method[method] = by_method.get(method, 0) + 1
        chosen_parts.append(chosen)
        bound += comp_bound
        score_bound = None if score_bound is None or comp_score_bound is None else score_bound + comp_score_bound
        optimal &= comp_optimal
    stats["components"] = len(chosen_parts)
    chosen = np.concatenate(chosen_parts)
    if not problem.feasible(chosen):  # pragma: no cover - a solver bug must never reach coordinators
        raise AssertionError("batch solution violates a capacity or places a request twice")
    return _result(
        problem,
        chosen,
        bound=bound,
        score_bound=score_bound,
        optimal=optimal,
        seconds=time.perf_counter() - started,
        stats=stats,
    )


def run_batch(
    requests: RequestBatch,
    pool: OfferPool,
    *,
    today: date,
    weights: ScoringWeights | None = None,
    settings: MatchingSettings | None = None,
    excluded_pairs: Iterable[tuple[int, int]] = (),
) -> BatchResult:
    """Build the candidate graph and propose a batch; ``seconds`` covers both."""
    started = time.perf_counter()
    graph = candidate_pairs(
        requests, pool, today=today, weights=weights, settings=settings, excluded_pairs=excluded_pairs
    )
    graph_seconds = time.perf_counter() - started
    result = propose_batch(graph, settings=settings)
    stats = dict(result.stats) | {"graph_seconds": graph_seconds}
    return dataclasses.replace(result, seconds=time.perf_counter() - started, stats=stats)


def _solve_component(problem: PackingProblem, edges: np.ndarray, settings: MatchingSettings, stats: dict):
    """(method, chosen edges, bound, score bound, proven optimal) for one connected component."""
    reqs = np.unique(problem.edge_req[edges])
    if reqs.shape[0] == 1:
        # The graph lists each request's edges best first.
        best = edges[:1]
        return "single", best, int(problem.weight[reqs[0]]), int(problem.edge_score[best[0]]), True
    if problem.unit[np.unique(problem.edge_off[edges])].all():
        solved = assignment(problem, edges)
        if solved is not None:
            chosen = solved
            people, score = problem.value(chosen)
            return "assignment", chosen, people, score, True
    if edges.shape[0] <= settings.exact_milp_max_pairs:
        return ("milp", *exact_milp(problem, edges, settings, stats))
    return ("lp", *lp_round(problem, edges, settings, stats))
