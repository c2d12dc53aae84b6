"""Packing households into offers: the solver pieces behind the batch proposal.

The problem: each request is placed at most once; a shareable offer takes households up to its free beds, any
other offer at most one household. Objective, lexicographic: priority-weighted people, then total score.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matcher.domain.matching.candidates import CandidateGraph
from matcher.domain.matching.requests import PRIORITY_QUANTUM
from matcher.domain.matching.scoring import SCORE_SCALE
from matcher.domain.matching.settings import MatchingSettings

try:  # HiGHS's own bindings, which scipy ships for linprog: they can warm-start a model, which linprog cannot.
    from scipy.optimize._highspy import _core as highs_core
except ImportError:  # pragma: no cover - another scipy layout: the LP is then solved whole, by linprog
    highs_core = None

# In the LP, one score unit (0.01 point) is worth this many priority units (0.01 priority-weighted person): small
# enough that no realistic score gain outweighs a person, large enough for HiGHS's 1e-7 tolerances to see it.
LP_SCORE_WEIGHT = 1e-5
# LP values within this of 1 count as integral.
INTEGRAL_TOL = 1e-6
# Dense assignment up to this many (request, offer) cells, sparse Jonker-Volgenant above.
DENSE_ASSIGNMENT_MAX_CELLS = 4_000_000
# A knapsack's items are worth priority-people first, then score (at most 10,000 score units per household).
_KNAPSACK_SCORE_SPAN = 10_000 * 64
_KNAPSACK_MAX_ITEMS = 64
# Rounding assigns one-household offers exactly over at most this many edges; above, it keeps the LP's choices.
ASSIGNMENT_MAX_EDGES = 600_000
# Greedy decides edges in chunks of this many (see greedy).
GREEDY_CHUNK = 16_384
# Largest integer weight the float64 assignment solvers handle exactly.
_EXACT_FLOAT_INT = 2**52
# Column generation for the LP (see people_lp): the first columns are each request's best few and each offer's
# heaviest few candidates; a column enters when its reduced cost is below -SIFT_TOLERANCE (costs are >= 100).
SIFT_REQUEST_COLUMNS = 3
SIFT_OFFER_COLUMNS = 10
SIFT_TOLERANCE = 1e-6
SIFT_MAX_ROUNDS = 50


@dataclass
class PackingProblem:
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
    def build(cls, graph: CandidateGraph) -> PackingProblem:
        """The packing problem of a candidate graph."""
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


def greedy(problem: PackingProblem, edges: np.ndarray, *, state=None) -> np.ndarray:
    """Best score first (ties: request id, offer id) over ``edges``, continuing from ``state`` if given.

    ``state`` is (placed requests, free beds left per offer, offers taken), as boolean and integer arrays.
    """
    if state is None:
        n_req, n_off = problem.size.shape[0], problem.capacity.shape[0]
        placed, left, taken = np.zeros(n_req, dtype=bool), problem.capacity.copy(), np.zeros(n_off, dtype=bool)
    else:
        placed, left, taken = (column.copy() for column in state)
    order = edges[_greedy_order(problem, edges)]
    req, off = problem.edge_req[order], problem.edge_off[order]
    size, unit = problem.size[req], problem.unit[off]
    chosen = []
    # Most edges meet a request already placed or an offer already full: each chunk drops those in bulk first,
    # then decides the rest one by one, in order.
    for start in range(0, order.shape[0], GREEDY_CHUNK):
        part = slice(start, start + GREEDY_CHUNK)
        live = start + np.flatnonzero(~placed[req[part]] & ~taken[off[part]] & (size[part] <= left[off[part]]))
        for i, r, o, people, alone in zip(
            live.tolist(), req[live].tolist(), off[live].tolist(), size[live].tolist(), unit[live].tolist(), strict=True
        ):
            if placed[r] or taken[o] or people > left[o]:
                continue
            placed[r] = True
            left[o] -= people
            taken[o] = alone
            chosen.append(i)
    return np.sort(order[np.asarray(chosen, dtype=np.int64)])


def _greedy_order(problem: PackingProblem, edges: np.ndarray) -> np.ndarray:
    """Positions of ``edges`` best score first, ties by request id, then offer id: one sort of packed int64 keys."""
    graph = problem.graph
    request_rank = _dense_rank(graph.request_ids)[problem.edge_req[edges]]
    offer_rank = _dense_rank(graph.offer_ids)[graph.off[edges]]
    score = problem.edge_score[edges]
    request_bits = max(int(graph.request_ids.shape[0]).bit_length(), 1)
    offer_bits = max(int(graph.offer_ids.shape[0]).bit_length(), 1)
    top = int(score.max(initial=0))
    if (top + 1).bit_length() + request_bits + offer_bits > 62 or int(score.min(initial=0)) < 0:  # pragma: no cover
        return np.lexsort((offer_rank, request_rank, -score))
    key = (top - score) << (request_bits + offer_bits)
    key |= request_rank << offer_bits
    key |= offer_rank
    return np.argsort(key)


def _dense_rank(ids: np.ndarray) -> np.ndarray:
    """Rank of each id among all of them (ids are unique)."""
    rank = np.empty(ids.shape[0], dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(ids.shape[0])
    return rank


def local_indices(problem: PackingProblem, edges: np.ndarray):
    """The requests and offers of some edges, and each edge's index among them."""
    reqs, r_loc = np.unique(problem.edge_req[edges], return_inverse=True)
    offs, o_loc = np.unique(problem.edge_off[edges], return_inverse=True)
    return reqs, r_loc, offs, o_loc


def assignment(problem: PackingProblem, edges: np.ndarray, *, exact: bool = True) -> np.ndarray | None:
    """Best assignment when every offer takes at most one household (``exact``: None if weights would overflow)."""
    reqs, r_loc, offs, o_loc = local_indices(problem, edges)
    n_r, n_o = reqs.shape[0], offs.shape[0]
    w, s = problem.weight[problem.edge_req[edges]], problem.edge_score[edges]
    best_score = np.zeros(n_r, dtype=np.int64)
    np.maximum.at(best_score, r_loc, s)
    # Any person outweighs all the score the component could ever add: exact lexicographic weights.
    multiplier = int(best_score.sum()) + 1
    if int(w.max()) * multiplier * n_r >= _EXACT_FLOAT_INT:
        if exact:
            return None
        # One household's score never outweighs a person: lexicographic in all but contrived cases.
        multiplier = int(best_score.max()) + 1
    combined = w * multiplier + s
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
    keys = r_loc.astype(np.int64) * n_o + o_loc
    order = np.argsort(keys)
    at = np.searchsorted(keys[order], row_ind[real].astype(np.int64) * n_o + col_ind[real])
    return np.sort(edges[order[at]])


def constraints(problem: PackingProblem, edges: np.ndarray, capacity: np.ndarray | None = None):
    """Sparse rows and right-hand sides of a component's packing problem (``capacity`` overrides free beds).

    One row per request (placed at most once), one per offer (beds, or one household), and one per shareable
    offer with several "big" candidates, more than half its beds each: at most one of them fits. That valid cut
    tightens the LP bound and its guidance where household sizes do not add up to the beds.
    """
    reqs, r_loc, offs, o_loc = local_indices(problem, edges)
    n_r, n_o, n_e = reqs.shape[0], offs.shape[0], edges.shape[0]
    beds = (problem.capacity if capacity is None else capacity)[offs]
    unit = problem.unit[offs]
    size = problem.size[problem.edge_req[edges]]
    big = ~unit[o_loc] & (2 * size > beds[o_loc])
    cliques = np.flatnonzero(np.bincount(o_loc[big], minlength=n_o) >= 2)
    clique_row = np.full(n_o, -1)
    clique_row[cliques] = n_r + n_o + np.arange(cliques.shape[0])
    in_clique = np.flatnonzero(big & (clique_row[o_loc] >= 0))
    rows = np.concatenate([r_loc, n_r + o_loc, clique_row[o_loc[in_clique]]])
    cols = np.concatenate([np.arange(n_e), np.arange(n_e), in_clique])
    coef = np.concatenate([np.ones(n_e), np.where(unit[o_loc], 1, size), np.ones(in_clique.shape[0])])
    matrix = sp.csr_matrix((coef.astype(np.float64), (rows, cols)), shape=(n_r + n_o + cliques.shape[0], n_e))
    rhs = np.concatenate([np.ones(n_r), np.where(unit, 1, beds), np.ones(cliques.shape[0])]).astype(np.float64)
    return matrix, rhs


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send C-level stdout to stderr meanwhile: HiGHS's MIP sometimes prints debug lines, which would corrupt
    machine-readable output such as ``flask match-batch --json``."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no usable stdout at all
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def solve_milp(c, matrix, rhs, settings: MatchingSettings, stats: dict, extra=None):
    """Minimise c.x over binary x with matrix.x <= rhs (and ``extra``), under the node and time limits."""
    rows = [LinearConstraint(matrix, -np.inf, rhs)] + ([extra] if extra is not None else [])
    started = time.perf_counter()
    with _stdout_to_stderr():
        res = milp(
            c,
            constraints=rows,
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


def exact_milp(problem: PackingProblem, edges: np.ndarray, settings: MatchingSettings, stats: dict):
    """Two-phase MILP: most priority-weighted people, then the best score among those."""
    matrix, rhs = constraints(problem, edges)
    w = problem.weight[problem.edge_req[edges]].astype(np.float64)
    s = problem.edge_score[edges].astype(np.float64)
    first = solve_milp(-w, matrix, rhs, settings, stats)
    if first.x is None:
        return lp_round(problem, edges, settings, stats)
    people = int(round(-first.fun))
    bound = people if first.status == 0 else int(np.floor(-first.mip_dual_bound + 1e-6))
    second = solve_milp(-s, matrix, rhs, settings, stats, LinearConstraint(w[np.newaxis, :], people - 0.5, np.inf))
    best = second if second.x is not None else first
    chosen = edges[best.x > 0.5]
    if not problem.feasible(chosen):  # pragma: no cover - tolerance trouble: fall back to the LP path
        return lp_round(problem, edges, settings, stats)
    optimal = first.status == 0 and second.status == 0
    score_bound = problem.value(chosen)[1] if optimal else int(np.floor(-second.mip_dual_bound + 1e-6))
    return chosen, bound, score_bound, optimal


def people_lp(problem: PackingProblem, edges: np.ndarray, w: np.ndarray, matrix, rhs, stats: dict):
    """Solve max w.x, matrix.x <= rhs, 0 <= x <= 1: (x, upper bound on the optimum), by column generation.

    Most of a big component's edges are never needed: at 100k x 100k the optimum needs 0.7M of 3.9M. So HiGHS
    solves the LP over a few promising columns; the duals then price every other column, and those that would
    improve the objective join, nonbasic at their upper bound so that dual simplex resumes from the last basis.
    No improving column left proves the restricted optimum optimal for the whole LP: six rounds and 25 s at
    100k, where the whole LP took 90 s. Any duals give a valid bound (Lagrangian), reported if rounds run out.
    """
    if highs_core is None:  # pragma: no cover - depends on scipy's layout
        return _full_lp(w, matrix, rhs)
    columns = matrix.tocsc()
    active = _initial_columns(problem, edges)
    highs = highs_core._Highs()
    for option, value in (("output_flag", False), ("presolve", "off"), ("simplex_strategy", 1)):
        highs.setOptionValue(option, value)
    highs.passModel(_highs_lp(-w[active], columns[:, active], rhs))
    in_lp = np.zeros(edges.shape[0], dtype=bool)
    in_lp[active] = True
    rounds = 0
    while True:
        highs.run()
        rounds += 1
        if highs.getModelStatus() != highs_core.HighsModelStatus.kOptimal:  # pragma: no cover - numerical trouble
            return _full_lp(w, matrix, rhs)
        y = np.minimum(np.asarray(highs.getSolution().row_dual), 0.0)
        reduced = -w - matrix.T @ y
        # Weak duality with the bounds 0 <= x <= 1: a valid bound whatever y is (>= 0 rows are dropped).
        bound = -float(rhs @ y + np.minimum(reduced, 0.0).sum())
        entering = np.flatnonzero((reduced < -SIFT_TOLERANCE) & ~in_lp)
        if entering.shape[0] == 0:  # optimal for the whole LP; the bound is its optimum, up to rounding
            bound = max(bound, -float(highs.getInfo().objective_function_value))
            break
        if rounds == SIFT_MAX_ROUNDS:  # out of rounds: the duals' bound stands, the last x is feasible
            break
        _add_columns_at_upper(highs, -w[entering], columns[:, entering])
        active = np.concatenate([active, entering])
        in_lp[entering] = True
    stats["lp_columns"] = int(stats.get("lp_columns", 0)) + int(active.shape[0])
    stats["lp_rounds"] = int(stats.get("lp_rounds", 0)) + rounds
    x = np.zeros(edges.shape[0])
    x[active] = np.clip(np.asarray(highs.getSolution().col_value), 0.0, 1.0)
    return x, bound


def _full_lp(w: np.ndarray, matrix, rhs):
    """The whole LP in one linprog call: (x, optimum)."""
    lp = linprog(-w, A_ub=matrix, b_ub=rhs, bounds=(0, 1), method="highs-ds", options={"presolve": False})
    if lp.x is None:  # pragma: no cover - the packing LP is always feasible (x = 0)
        raise RuntimeError(f"LP failed: {lp.message}")
    return lp.x, -float(lp.fun)


def _initial_columns(problem: PackingProblem, edges: np.ndarray) -> np.ndarray:
    """Positions in ``edges`` of the first LP columns: each request's best few, and each offer's heaviest few."""
    req, off = problem.edge_req[edges], problem.edge_off[edges]
    # The graph lists each request's edges best first; rank them in that order.
    by_request = np.argsort(req, kind="stable")
    rank = np.empty(edges.shape[0], dtype=np.int64)
    rank[by_request] = _rank_in_runs(req[by_request])
    # An offer is filled by its heaviest households first (by score rank among equals): one sort of packed keys.
    weight = problem.weight[req]
    rank_bits = max(int(rank.max(initial=0)).bit_length(), 1)
    weight_bits = max(int(weight.max(initial=0)).bit_length(), 1)
    if int(off.max(initial=0)).bit_length() + weight_bits + rank_bits <= 62:
        key = (off << weight_bits | (weight.max(initial=0) - weight)) << rank_bits | rank
        by_offer = np.argsort(key, kind="stable")
    else:  # pragma: no cover - beyond any real batch
        by_offer = np.lexsort((rank, -weight, off))
    heavy = np.empty(edges.shape[0], dtype=np.int64)
    heavy[by_offer] = _rank_in_runs(off[by_offer])
    return np.flatnonzero((rank < SIFT_REQUEST_COLUMNS) | (heavy < SIFT_OFFER_COLUMNS))


def _rank_in_runs(keys: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal keys (keys sorted)."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.shape[0] else np.empty(0, np.int64)
    return np.arange(keys.shape[0]) - np.repeat(starts, np.diff(np.r_[starts, keys.shape[0]]))


def _highs_lp(cost: np.ndarray, columns, rhs: np.ndarray):
    """A HiGHS model: minimise cost.x, columns.x <= rhs, 0 <= x <= 1 (columns: sparse CSC)."""
    lp = highs_core.HighsLp()
    n_rows, n_cols = columns.shape
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(n_cols), np.ones(n_cols)
    lp.row_lower_, lp.row_upper_ = np.full(n_rows, -np.inf), rhs
    lp.a_matrix_.format_ = highs_core.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, n_rows
    lp.a_matrix_.start_ = columns.indptr.astype(np.int32)
    lp.a_matrix_.index_ = columns.indices.astype(np.int32)
    lp.a_matrix_.value_ = columns.data.astype(np.float64)
    return lp


def _add_columns_at_upper(highs, cost: np.ndarray, columns) -> None:
    """Append columns, nonbasic at x = 1: dual feasible, as each improves the objective, so dual simplex resumes."""
    n = cost.shape[0]
    highs.addCols(
        n,
        cost,
        np.zeros(n),
        np.ones(n),
        columns.nnz,
        columns.indptr[:-1].astype(np.int32),
        columns.indices.astype(np.int32),
        columns.data.astype(np.float64),
    )
    basis = highs.getBasis()
    basis.col_status = basis.col_status[:-n] + [highs_core.HighsBasisStatus.kUpper] * n
    highs.setBasis(basis)


def lp_round(problem: PackingProblem, edges: np.ndarray, settings: MatchingSettings, stats: dict):
    """LP relaxation for the people bound, then LP-guided rounding, a MILP polish and a greedy fill."""
    matrix, rhs = constraints(problem, edges)
    w = problem.weight[problem.edge_req[edges]].astype(np.float64)
    started = time.perf_counter()
    # People only: a score term in the LP objective made HiGHS 4x slower (near-ties); rounding handles the score.
    x, bound = people_lp(problem, edges, w, matrix, rhs, stats)
    stats["lp_seconds"] = float(stats["lp_seconds"]) + time.perf_counter() - started
    rounded = round_lp(problem, edges, x, settings, stats)
    baseline = greedy(problem, edges)
    chosen = max((rounded, baseline), key=problem.value)
    people, _ = problem.value(chosen)
    # Priority-people come in whole units, so reaching the LP bound's floor proves the people part optimal.
    if people >= np.floor(bound + 1e-6):
        stats["people_optimal_components"] = int(stats.get("people_optimal_components", 0)) + 1
        bound = people
    return chosen, bound, None, False


def round_lp(problem: PackingProblem, edges: np.ndarray, x: np.ndarray, settings: MatchingSettings, stats: dict):
    """Round an LP solution: shareable offers by knapsack, the rest by exact assignment, then fill and polish."""
    req, off = problem.edge_req[edges], problem.edge_off[edges]
    unit = problem.unit[off]
    n_req = problem.size.shape[0]
    placed = np.full(n_req, -1, dtype=np.int64)  # chosen edge per request
    left = problem.capacity.copy()
    row_sum = np.bincount(req, weights=x, minlength=n_req)
    # Households the LP puts wholly into a one-household offer stay for the exact assignment below.
    for_assignment = np.zeros(n_req, dtype=bool)
    for_assignment[req[(x >= 1 - INTEGRAL_TOL) & unit]] = True
    repack(problem, edges, x, row_sum, for_assignment, placed, left)
    # One-household offers: an exact assignment over all their edges if small enough; if not, the LP's whole
    # placements stay and only the rest is assigned (the full sparse assignment took 80 s at 100k).
    whole = np.flatnonzero(unit & (x >= 1 - INTEGRAL_TOL))
    if np.count_nonzero(unit & (placed[req] < 0)) <= ASSIGNMENT_MAX_EDGES:
        whole = whole[:0]
    placed[req[whole]] = edges[whole]
    taken = np.zeros(problem.capacity.shape[0], dtype=bool)
    taken[off[whole]] = True
    solo = np.flatnonzero(unit & (placed[req] < 0) & ~taken[off])
    if solo.shape[0]:
        assigned = assignment(problem, edges[solo], exact=False)
        placed[problem.edge_req[assigned]] = assigned
    chosen = placed[placed >= 0]
    left = problem.capacity - load(problem, chosen)
    taken = problem.edge_off[chosen][problem.unit[problem.edge_off[chosen]]]
    placed = np.zeros(problem.size.shape[0], dtype=bool)
    placed[problem.edge_req[chosen]] = True
    full = np.zeros(problem.capacity.shape[0], dtype=bool)
    full[taken] = True
    filled = greedy(problem, edges, state=(placed, left, full))
    return polish(problem, edges, np.concatenate([chosen, filled]), settings, stats)


def repack(problem: PackingProblem, edges, x, row_sum, for_assignment, placed, left) -> None:
    """Fill shareable offers one by one (heaviest LP load first) with their best knapsack of households."""
    req, off = problem.edge_req[edges], problem.edge_off[edges]
    # Candidates: households the LP puts (partly) here, or leaves (partly) unplaced; a household the LP puts
    # wholly into one offer is that offer's candidate only.
    whole = np.zeros(problem.size.shape[0], dtype=bool)
    whole[req[x >= 1 - INTEGRAL_TOL]] = True
    wanted = (x >= 1 - INTEGRAL_TOL) | (~whole[req] & ((x > INTEGRAL_TOL) | (row_sum[req] < 1 - INTEGRAL_TOL)))
    pick = np.flatnonzero(~problem.unit[off] & ~for_assignment[req] & wanted)
    if pick.shape[0] == 0:
        return
    value = problem.weight[req[pick]] * _KNAPSACK_SCORE_SPAN + problem.edge_score[edges[pick]]
    load = np.bincount(off[pick], weights=x[pick] * problem.size[req[pick]], minlength=problem.capacity.shape[0])
    order = pick[np.lexsort((-value, problem.offer_ids[off[pick]], -load[off[pick]]))]
    value = problem.weight[req[order]] * _KNAPSACK_SCORE_SPAN + problem.edge_score[edges[order]]
    starts = np.flatnonzero(np.r_[True, off[order][1:] != off[order][:-1]])
    for begin, end in zip(starts, np.r_[starts[1:], order.shape[0]], strict=True):
        group = order[begin:end]
        free = placed[req[group]] < 0
        group, group_value = group[free][:_KNAPSACK_MAX_ITEMS], value[begin:end][free][:_KNAPSACK_MAX_ITEMS]
        o = int(off[group[0]]) if group.shape[0] else -1
        if o < 0:
            continue
        for k in knapsack(problem.size[req[group]], group_value, int(left[o])):
            placed[req[group[k]]] = edges[group[k]]
            left[o] -= problem.size[req[group[k]]]


def knapsack(sizes: np.ndarray, values: np.ndarray, capacity: int) -> list[int]:
    """Indices of the most valuable subset of items whose sizes fit in capacity (0/1 knapsack, exact)."""
    if capacity <= 0 or sizes.shape[0] == 0:
        return []
    best = np.zeros(capacity + 1, dtype=np.int64)
    took = np.zeros((sizes.shape[0], capacity + 1), dtype=bool)
    for i, (size, value) in enumerate(zip(sizes.tolist(), values.tolist(), strict=True)):
        if size > capacity:
            continue
        candidate = best[: capacity + 1 - size] + value
        better = candidate > best[size:]
        took[i, size:] = better
        best[size:] = np.where(better, candidate, best[size:])
    chosen, room = [], capacity
    for i in range(sizes.shape[0] - 1, -1, -1):
        if took[i, room]:
            chosen.append(i)
            room -= int(sizes[i])
    return chosen


def polish(problem: PackingProblem, edges: np.ndarray, chosen: np.ndarray, settings: MatchingSettings, stats: dict):
    """Node-limited MILP that re-packs the shareable offers left with empty beds, together with their candidates."""
    req, off = problem.edge_req[edges], problem.edge_off[edges]
    left = problem.capacity.copy()
    np.subtract.at(left, problem.edge_off[chosen], problem.size[problem.edge_req[chosen]])
    spare = np.zeros(problem.capacity.shape[0], dtype=bool)
    spare[off[~problem.unit[off]]] = True
    spare &= left > 0
    on_spare = chosen[spare[problem.edge_off[chosen]]]
    movable = np.zeros(problem.size.shape[0], dtype=bool)
    movable[req] = True
    movable[problem.edge_req[chosen]] = False
    movable[problem.edge_req[on_spare]] = True
    region = np.flatnonzero(spare[off] & movable[req])
    if region.shape[0] == 0 or region.shape[0] > settings.polish_max_pairs:
        return chosen
    sub = edges[region]
    matrix, rhs = constraints(problem, sub, capacity=left + load(problem, on_spare))
    w = problem.weight[problem.edge_req[sub]].astype(np.float64)
    c = w + LP_SCORE_WEIGHT * problem.edge_score[sub]
    res = solve_milp(-c, matrix, rhs, settings, stats)
    if res.x is None:
        return chosen
    kept = chosen[~np.isin(chosen, on_spare)]
    polished = np.concatenate([kept, sub[res.x > 0.5]])
    if problem.feasible(polished) and problem.value(polished) > problem.value(chosen):
        stats["polish_gain"] = (
            float(stats.get("polish_gain", 0.0))
            + (problem.value(polished)[0] - problem.value(chosen)[0]) * PRIORITY_QUANTUM
        )
        return polished
    return chosen


def load(problem: PackingProblem, chosen: np.ndarray) -> np.ndarray:
    """Beds the chosen edges take in each offer."""
    beds = np.bincount(
        problem.edge_off[chosen], weights=problem.size[problem.edge_req[chosen]], minlength=problem.capacity.shape[0]
    )
    return beds.astype(np.int64)
