"""Batch proposal: choose request-offer pairs across the whole pool.

Lexicographic objective: first the people housed, each household weighted by its priority; then the total score.
Each request is placed at most once; a shareable offer holds households up to its free beds, any other offer
at most one household. The graph splits into connected components, each solved on its own:
- one request: its best candidate;
- every offer takes at most one household: exact assignment (Jonker-Volgenant) on integer weights;
- small components: exact two-phase MILP (people, then score), under a node limit;
- large components: HiGHS LP relaxation, LP-guided rounding, a node-limited MILP polish of what the LP left
  fractional, then a greedy fill; the better of that and greedy is kept.
The LP relaxation gives every component an upper bound, so the result states its gap.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from matcher.domain.matching.candidates import CandidateGraph, candidate_pairs
from matcher.domain.matching.pool import PRIORITY_QUANTUM, OfferPool, RequestBatch
from matcher.domain.matching.scoring import SCORE_SCALE
from matcher.domain.matching.settings import MatchingSettings, ScoringWeights

# In the LP, one score unit (0.01 point) is worth this many priority units (0.01 priority-weighted person): small
# enough that no realistic score gain outweighs a person, large enough for HiGHS's 1e-7 tolerances to see it.
LP_SCORE_WEIGHT = 1e-5
# LP values within this of 1 count as integral.
INTEGRAL_TOL = 1e-6
# Dense assignment up to this many (request, offer) cells, sparse Jonker-Volgenant above.
DENSE_ASSIGNMENT_MAX_CELLS = 4_000_000
# Largest integer weight the float64 assignment solvers handle exactly.
_EXACT_FLOAT_INT = 2**52


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


@dataclass
class _Problem:
    """The candidate graph in solver units: integer priority-people per request, integer score per edge."""

    graph: CandidateGraph
    weight: np.ndarray  # (R,) int64 priority-weighted people, in PRIORITY_QUANTUM units
    size: np.ndarray  # (R,) int64 people
    edge_req: np.ndarray  # (E,)
    edge_off: np.ndarray  # (E,) compact offer index
    edge_score: np.ndarray  # (E,) int64 score in 1/SCORE_SCALE points
    capacity: np.ndarray  # (O,) free beds of the compact offers
    unit: np.ndarray  # (O,) at most one household fits (not shareable, or no two candidates fit together)
    offer_ids: np.ndarray  # (O,)

    @classmethod
    def build(cls, graph: CandidateGraph) -> _Problem:
        used, edge_off = np.unique(graph.off, return_inverse=True)
        size = graph.people.astype(np.int64)
        weight = np.rint(graph.priority / PRIORITY_QUANTUM).astype(np.int64) * size
        capacity = graph.capacity[used].astype(np.int64)
        # Two smallest candidate households per offer: if even they do not fit together, the offer is unit.
        order = np.lexsort((size[graph.req], edge_off))
        sizes_sorted, offs_sorted = size[graph.req][order], edge_off[order]
        first = np.flatnonzero(np.r_[True, offs_sorted[1:] != offs_sorted[:-1]]) if order.size else order
        smallest = sizes_sorted[first]
        has_second = np.r_[first[1:], offs_sorted.shape[0]] - first >= 2
        second = np.where(has_second, sizes_sorted[np.minimum(first + 1, max(order.size - 1, 0))], capacity + 1)
        unit = ~graph.shareable[used] | (smallest + second > capacity)
        return cls(
            graph=graph,
            weight=weight,
            size=size,
            edge_req=graph.req.astype(np.int64),
            edge_off=edge_off.astype(np.int64),
            edge_score=np.rint(graph.score * SCORE_SCALE).astype(np.int64),
            capacity=capacity,
            unit=unit,
            offer_ids=graph.offer_ids[used],
        )

    def feasible(self, chosen: np.ndarray) -> bool:
        """Whether chosen edges place each request at most once and respect every offer's capacity."""
        reqs, offs = self.edge_req[chosen], self.edge_off[chosen]
        if np.unique(reqs).shape[0] != reqs.shape[0]:
            return False
        load = np.bincount(offs, weights=self.size[reqs], minlength=self.capacity.shape[0])
        count = np.bincount(offs, minlength=self.capacity.shape[0])
        return bool(np.all(load <= self.capacity) and np.all(count[self.unit] <= 1))

    def value(self, chosen: np.ndarray) -> tuple[int, int]:
        """Lexicographic objective of chosen edges: (priority-weighted people, score), in integer units."""
        return int(self.weight[self.edge_req[chosen]].sum()), int(self.edge_score[chosen].sum())


def _result(problem: _Problem, chosen: np.ndarray, *, bound, score_bound, optimal, seconds, stats) -> BatchResult:
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
    problem = _Problem.build(graph)
    chosen = _greedy(problem, np.arange(problem.edge_req.shape[0]))
    return _result(
        problem, chosen, bound=None, score_bound=None, optimal=False, seconds=time.perf_counter() - started, stats={}
    )


def _greedy(problem: _Problem, edges: np.ndarray, *, by_lp: np.ndarray | None = None, state=None) -> np.ndarray:
    """Greedy over ``edges``: best score first (or by LP value, then priority-people, then score)."""
    graph = problem.graph
    keys = [problem.graph.offer_ids[graph.off[edges]], graph.request_ids[problem.edge_req[edges]]]
    keys.append(-problem.edge_score[edges])
    if by_lp is not None:
        keys += [-problem.weight[problem.edge_req[edges]], -by_lp]
    order = edges[np.lexsort(keys)]
    placed, left, taken = state if state is not None else (set(), problem.capacity.copy(), set())
    size, unit = problem.size, problem.unit
    chosen = []
    for e, r, o in zip(order.tolist(), problem.edge_req[order].tolist(), problem.edge_off[order].tolist(), strict=True):
        if r in placed or o in taken or size[r] > left[o]:
            continue
        placed.add(r)
        left[o] -= size[r]
        if unit[o]:
            taken.add(o)
        chosen.append(e)
    return np.asarray(chosen, dtype=np.int64)


def propose_batch(graph: CandidateGraph, *, settings: MatchingSettings | None = None) -> BatchResult:
    """Optimal (or bounded) batch proposal over a candidate graph; the same graph always gives the same result."""
    settings = settings or MatchingSettings()
    started = time.perf_counter()
    problem = _Problem.build(graph)
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
    chosen_parts, bound, score_bound, optimal = [], 0.0, 0.0, True
    for edges in np.split(order, splits):
        method, chosen, comp_bound, comp_score_bound, comp_optimal = _solve_component(problem, edges, settings, stats)
        by_method = stats["by_method"]
        assert isinstance(by_method, dict)
        by_method[method] = by_method.get(method, 0) + 1
        chosen_parts.append(chosen)
        bound += comp_bound
        score_bound += comp_score_bound
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


def _solve_component(problem: _Problem, edges: np.ndarray, settings: MatchingSettings, stats: dict):
    """(method, chosen edges, bound, score bound, proven optimal) for one connected component."""
    reqs = np.unique(problem.edge_req[edges])
    if reqs.shape[0] == 1:
        # The graph lists each request's edges best first.
        best = edges[:1]
        return "single", best, int(problem.weight[reqs[0]]), int(problem.edge_score[best[0]]), True
    if problem.unit[np.unique(problem.edge_off[edges])].all():
        solved = _assignment(problem, edges)
        if solved is not None:
            chosen = solved
            people, score = problem.value(chosen)
            return "assignment", chosen, people, score, True
    if edges.shape[0] <= settings.exact_milp_max_pairs:
        return ("milp", *_exact_milp(problem, edges, settings, stats))
    return ("lp", *_lp_round(problem, edges, settings, stats))


def _local(problem: _Problem, edges: np.ndarray):
    reqs, r_loc = np.unique(problem.edge_req[edges], return_inverse=True)
    offs, o_loc = np.unique(problem.edge_off[edges], return_inverse=True)
    return reqs, r_loc, offs, o_loc


def _assignment(problem: _Problem, edges: np.ndarray) -> np.ndarray | None:
    """Exact lexicographic assignment when every offer takes at most one household; None if weights overflow."""
    reqs, r_loc, offs, o_loc = _local(problem, edges)
    n_r, n_o = reqs.shape[0], offs.shape[0]
    w, s = problem.weight[problem.edge_req[edges]], problem.edge_score[edges]
    best_score = np.zeros(n_r, dtype=np.int64)
    np.maximum.at(best_score, r_loc, s)
    # Any person outweighs all the score the component could ever add: exact lexicographic weights.
    multiplier = int(best_score.sum()) + 1
    combined = w * multiplier + s
    if int(combined.max()) * n_r >= _EXACT_FLOAT_INT:
        return None
    if n_r * n_o <= DENSE_ASSIGNMENT_MAX_CELLS:
        matrix = np.zeros((n_r, n_o))
        matrix[r_loc, o_loc] = combined
        edge_at = np.full((n_r, n_o), -1, dtype=np.int64)
        edge_at[r_loc, o_loc] = edges
        rows, cols = linear_sum_assignment(matrix, maximize=True)
        picked = edge_at[rows, cols]
        return np.sort(picked[picked >= 0])
    # Sparse: one private "stay unplaced" column per request makes a full matching always exist.
    data = np.concatenate([combined + 1.0, np.ones(n_r)])
    rows = np.concatenate([r_loc, np.arange(n_r)])
    cols = np.concatenate([o_loc, n_o + np.arange(n_r)])
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(n_r, n_o + n_r))
    row_ind, col_ind = min_weight_full_bipartite_matching(matrix, maximize=True)
    real = col_ind < n_o
    lookup = {(int(r), int(o)): int(e) for r, o, e in zip(r_loc, o_loc, edges, strict=True)}
    return np.sort(np.asarray([lookup[(int(r), int(o))] for r, o in zip(row_ind[real], col_ind[real], strict=True)]))


def _constraints(problem: _Problem, edges: np.ndarray):
    """Sparse rows (one per request, then one per offer) and right-hand sides of a component's packing LP."""
    reqs, r_loc, offs, o_loc = _local(problem, edges)
    n_r, n_e = reqs.shape[0], edges.shape[0]
    unit = problem.unit[offs]
    size = problem.size[problem.edge_req[edges]]
    coef = np.where(unit[o_loc], 1, size).astype(np.float64)
    matrix = sp.csr_matrix(
        (np.concatenate([np.ones(n_e), coef]), (np.concatenate([r_loc, n_r + o_loc]), np.tile(np.arange(n_e), 2))),
        shape=(n_r + offs.shape[0], n_e),
    )
    rhs = np.concatenate([np.ones(n_r), np.where(unit, 1, problem.capacity[offs]).astype(np.float64)])
    return matrix, rhs


def _milp(c, matrix, rhs, settings: MatchingSettings, stats: dict, extra=None):
    constraints = [LinearConstraint(matrix, -np.inf, rhs)] + ([extra] if extra is not None else [])
    started = time.perf_counter()
    res = milp(
        c,
        constraints=constraints,
        integrality=np.ones(c.shape[0]),
        bounds=Bounds(0, 1),
        options={
            "node_limit": settings.milp_node_limit,
            "time_limit": settings.milp_time_limit_s,
            "mip_rel_gap": 0.0,
        },
    )
    if time.perf_counter() - started >= settings.milp_time_limit_s:
        stats["deterministic"] = False
    return res


def _exact_milp(problem: _Problem, edges: np.ndarray, settings: MatchingSettings, stats: dict):
    """Two-phase MILP: most priority-weighted people, then the best score among those."""
    matrix, rhs = _constraints(problem, edges)
    w = problem.weight[problem.edge_req[edges]].astype(np.float64)
    s = problem.edge_score[edges].astype(np.float64)
    first = _milp(-w, matrix, rhs, settings, stats)
    if first.x is None:
        return _lp_round(problem, edges, settings, stats)
    people = int(round(-first.fun))
    bound = people if first.status == 0 else int(np.floor(-first.mip_dual_bound + 1e-6))
    second = _milp(-s, matrix, rhs, settings, stats, LinearConstraint(w[np.newaxis, :], people - 0.5, np.inf))
    best = second if second.x is not None else first
    chosen = edges[best.x > 0.5]
    if not problem.feasible(chosen):  # pragma: no cover - tolerance trouble: fall back to the LP path
        return _lp_round(problem, edges, settings, stats)
    optimal = first.status == 0 and second.status == 0
    score_bound = problem.value(chosen)[1] if optimal else int(np.floor(-second.mip_dual_bound + 1e-6))
    return chosen, bound, score_bound, optimal


def _lp_round(problem: _Problem, edges: np.ndarray, settings: MatchingSettings, stats: dict):
    """LP relaxation for the bound, then LP-guided rounding, a MILP polish and a greedy fill."""
    matrix, rhs = _constraints(problem, edges)
    w = problem.weight[problem.edge_req[edges]].astype(np.float64)
    s = problem.edge_score[edges].astype(np.float64)
    c = w + LP_SCORE_WEIGHT * s
    started = time.perf_counter()
    lp = linprog(-c, A_ub=matrix, b_ub=rhs, bounds=(0, 1), method="highs")
    stats["lp_seconds"] = float(stats["lp_seconds"]) + time.perf_counter() - started
    if lp.x is None:  # pragma: no cover - the packing LP is always feasible (x = 0)
        raise RuntimeError(f"LP failed: {lp.message}")
    x, lp_value = lp.x, -lp.fun
    fixed = edges[x >= 1 - INTEGRAL_TOL]
    if not problem.feasible(fixed):  # pragma: no cover - tolerance trouble: let the polish decide everything
        fixed = fixed[:0]
    placed = set(problem.edge_req[fixed].tolist())
    left = problem.capacity.copy()
    np.subtract.at(left, problem.edge_off[fixed], problem.size[problem.edge_req[fixed]])
    taken = set(problem.edge_off[fixed][problem.unit[problem.edge_off[fixed]]].tolist())
    open_req = ~np.isin(problem.edge_req[edges], list(placed))
    open_off = ~np.isin(problem.edge_off[edges], list(taken))
    fits = problem.size[problem.edge_req[edges]] <= left[problem.edge_off[edges]]
    residual = np.flatnonzero(open_req & open_off & fits)
    polished = np.empty(0, dtype=np.int64)
    if 0 < residual.shape[0] <= settings.polish_max_pairs:
        sub = edges[residual]
        sub_matrix, _ = _constraints(problem, sub)
        _, _, offs, _ = _local(problem, sub)
        n_r = sub_matrix.shape[0] - offs.shape[0]
        sub_rhs = np.concatenate([np.ones(n_r), np.where(problem.unit[offs], 1, left[offs]).astype(np.float64)])
        res = _milp(-c[residual], sub_matrix, sub_rhs, settings, stats)
        if res.x is not None:
            polished = sub[res.x > 0.5]
            if not problem.feasible(np.concatenate([fixed, polished])):  # pragma: no cover
                polished = polished[:0]
    state = (placed, left, taken)
    for e in polished.tolist():
        r, o = int(problem.edge_req[e]), int(problem.edge_off[e])
        placed.add(r)
        left[o] -= problem.size[r]
        if problem.unit[o]:
            taken.add(o)
    filled = _greedy(problem, edges, by_lp=x, state=state)
    rounded = np.concatenate([fixed, polished, filled])
    greedy = _greedy(problem, edges)
    chosen = max((rounded, greedy), key=problem.value)
    people, score = problem.value(chosen)
    optimal = people + LP_SCORE_WEIGHT * score >= lp_value - 1e-9 * max(1.0, lp_value)
    return chosen, (people if optimal else lp_value), float(s @ x), optimal
