"""The batch's candidate graph: every request's top-K offers by score, all hard rules applied, vectorised."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np

from matcher.domain.geo import EARTH_RADIUS_KM, haversine_from_radians, unit_vectors
from matcher.domain.matching.pool import OfferPool, RequestBatch
from matcher.domain.matching.rules import RULES, RULES_BY_ID, PairView
from matcher.domain.matching.scoring import SCORE_DECIMALS, component_fits, language_hits, score_keys, score_total
from matcher.domain.matching.settings import MatchingSettings, ScoringWeights

# Requests are processed in spatial chunks: one grid cell (in degrees), at most this many requests at a time.
CHUNK_CELL_DEG = 0.5
CHUNK_MAX_REQUESTS = 256
# Offers are scanned outward from the chunk's centre in blocks of about this many (request, offer) cells; the scan
# stops once no unseen offer can beat a request's K-th best, so dense areas never scan their whole radius.
BLOCK_CELLS = 131_072
# Cosine and angle slack (radians) that keeps every dense test a superset of the exact one despite rounding.
_ANGLE_SLACK_RAD = 1e-9
# One score rounding unit, in points: every bound comparison leaves this much room for rounding.
_SCORE_UNIT = 10.0**-SCORE_DECIMALS
# Row and score key share one int64 sort key; the key (score units x offers) fits in this many bits.
_KEY_BITS = 40
# Threads for the candidate scan (the target machines have two cores).
SCAN_THREADS = 2


@dataclass(frozen=True, eq=False)
class CandidateGraph:
    """Feasible (request, offer) pairs, each request's best ``top_k`` only, sorted by request then best first."""

    request_ids: np.ndarray  # (R,)
    people: np.ndarray  # (R,) household sizes
    priority: np.ndarray  # (R,) priority weights
    offer_ids: np.ndarray  # (O,) in pool order
    capacity: np.ndarray  # (O,) free beds
    shareable: np.ndarray  # (O,)
    req: np.ndarray  # (E,) request index
    off: np.ndarray  # (E,) offer index (pool position)
    score: np.ndarray  # (E,) 0..100, rounded to 0.01
    top_k: int

    @property
    def edges(self) -> int:
        """Number of candidate pairs."""
        return int(self.req.shape[0])


def _chunks(requests: RequestBatch) -> list[np.ndarray]:
    cell_lat = np.floor(requests.lat / CHUNK_CELL_DEG)
    cell_lon = np.floor(requests.lon / CHUNK_CELL_DEG)
    # Similar limits and sizes share a chunk, so its search radius and offer prefilter stay tight.
    order = np.lexsort((requests.ids, requests.people, requests.max_distance_km, cell_lon, cell_lat))
    cells = np.stack([cell_lat[order], cell_lon[order]])
    breaks = np.flatnonzero(np.any(cells[:, 1:] != cells[:, :-1], axis=0)) + 1
    out = []
    for group in np.split(order, breaks):
        out.extend(np.array_split(group, -(-group.shape[0] // CHUNK_MAX_REQUESTS)))
    return out


class _Requests:
    """Per-request arrays the scan needs, computed once."""

    def __init__(self, requests: RequestBatch, pool: OfferPool, excluded_pairs, weights: ScoringWeights) -> None:
        self.batch = requests
        self.xyz = unit_vectors(requests.lat, requests.lon)
        self.latr = np.radians(requests.lat)
        self.coslat = np.cos(self.latr)
        self.lonr = np.radians(requests.lon)
        self.theta = requests.max_distance_km / EARTH_RADIUS_KM
        # Largest amount by which the chord underestimates a distance inside the limit, plus rounding, in km.
        theta = np.minimum(self.theta, np.pi)
        self.chord_slack_km = EARTH_RADIUS_KM * (theta - 2.0 * np.sin(theta / 2.0)) + 1e-6
        proximity = weights.points()["proximity"]
        max_km = requests.max_distance_km
        self.lb_margin = (
            np.divide(proximity * self.chord_slack_km, max_km, out=np.full_like(max_km, proximity), where=max_km > 0)
            + _SCORE_UNIT
        )
        self.primary = pool.languages.encode([c[:1] for c in requests.languages])
        self.spoken = pool.languages.encode(requests.languages)
        self.excluded_keys = _excluded_keys(requests, pool, excluded_pairs)
        n = max(len(pool), 1)
        self.excluded_by_row: dict[int, np.ndarray] = {}
        for key in self.excluded_keys.tolist():
            self.excluded_by_row.setdefault(key // n, []).append(key % n)  # type: ignore[arg-type]
        self.excluded_by_row = {row: np.asarray(at) for row, at in self.excluded_by_row.items()}


def candidate_pairs(
    requests: RequestBatch,
    pool: OfferPool,
    *,
    today: date,
    weights: ScoringWeights | None = None,
    settings: MatchingSettings | None = None,
    excluded_pairs: Iterable[tuple[int, int]] = (),
    top_k: int | None = None,
) -> CandidateGraph:
    """Each request's best ``top_k`` feasible offers (default settings.batch_top_k), as a sparse graph."""
    weights = weights or ScoringWeights()
    settings = settings or MatchingSettings()
    k = settings.batch_top_k if top_k is None else int(top_k)
    ctx = _Requests(requests, pool, excluded_pairs, weights)
    chunks = _chunks(requests) if len(requests) and len(pool) else []

    def scan(chunk: np.ndarray):
        """The exact top-k pairs of one chunk."""
        return _chunk_pairs(ctx, pool, chunk, k, today=today.toordinal(), weights=weights, settings=settings)

    # numpy releases the GIL inside its array loops, so threads share the dense work; chunk order is kept.
    with ThreadPoolExecutor(max_workers=SCAN_THREADS) as executor:
        parts = list(executor.map(scan, chunks))
    if parts:
        req, off, score, keys = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    else:
        req, off, score, keys = (np.empty(0, dtype=t) for t in (np.int64, np.int64, np.float64, np.int64))
    order = np.lexsort((-keys, req))
    return CandidateGraph(
        request_ids=requests.ids,
        people=requests.people,
        priority=requests.priority,
        offer_ids=pool.ids,
        capacity=pool.free_beds,
        shareable=pool.shareable,
        req=req[order],
        off=off[order],
        score=score[order],
        top_k=k,
    )


def _excluded_keys(requests: RequestBatch, pool: OfferPool, excluded_pairs) -> np.ndarray:
    pairs = np.asarray(list(excluded_pairs), dtype=np.int64).reshape(-1, 2)
    if pairs.shape[0] == 0 or len(requests) == 0:
        return np.empty(0, dtype=np.int64)
    req_sorted = np.argsort(requests.ids)
    r_at = np.minimum(np.searchsorted(requests.ids[req_sorted], pairs[:, 0]), len(requests) - 1)
    keep = (requests.ids[req_sorted][r_at] == pairs[:, 0]) & np.isin(pairs[:, 1], pool.ids)
    return np.unique(req_sorted[r_at[keep]] * max(len(pool), 1) + pool.positions(pairs[keep, 1]))


def _view(ctx: _Requests, r, pool: OfferPool, o, distance_km, excluded, *, today, settings) -> PairView:
    """Pairs of requests ``r`` and offers ``o``; both may be index arrays shaped to broadcast (dense blocks)."""
    batch = ctx.batch
    return PairView.gather(
        pool,
        o,
        distance_km,
        people=batch.people[r],
        children=batch.children[r],
        pets=batch.pets[r],
        step_free_needed=batch.step_free_needed[r],
        needed_from=batch.needed_from[r],
        needed_until=batch.needed_from[r] + batch.duration_days[r],
        max_km=batch.max_distance_km[r],
        excluded=excluded,
        today=today,
        freshness_days=settings.freshness_days,
        slack_days=settings.date_slack_days,
    )


def _no_pairs():
    return tuple(np.empty(0, dtype=t) for t in (np.int64, np.int64, np.float64, np.int64))


def _angle(chord):
    return 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))


def _chunk_pairs(ctx: _Requests, pool: OfferPool, chunk: np.ndarray, k: int, *, today, weights, settings):
    """Exact top-k pairs of one chunk of nearby requests."""
    center = ctx.xyz[chunk].sum(axis=0)
    center /= max(float(np.linalg.norm(center)), 1e-300)
    # Angles from the chunk's centre bound every pair's distance by the triangle inequality.
    row_angle = _angle(np.linalg.norm(ctx.xyz[chunk] - center, axis=1))
    reach = float((row_angle + ctx.theta[chunk]).max()) + _ANGLE_SLACK_RAD
    clat = float(np.degrees(np.arcsin(np.clip(center[2], -1.0, 1.0))))
    clon = float(np.degrees(np.arctan2(center[1], center[0])))
    local = pool.within(clat, clon, reach * EARTH_RADIUS_KM)
    # Necessary conditions of the status and beds rules for every request of the chunk.
    probe = _view(ctx, chunk[:1], pool, local, None, False, today=today, settings=settings)
    probe.people = ctx.batch.people[chunk].min()
    local = local[RULES_BY_ID["status"].passes(probe) & RULES_BY_ID["beds"].passes(probe)]
    if local.shape[0] == 0:
        return _no_pairs()
    offer_angle = _angle(np.linalg.norm(pool.xyz[local] - center, axis=1))
    by_angle = np.argsort(offer_angle, kind="stable")
    local, offer_angle = local[by_angle], offer_angle[by_angle]

    n_rows = chunk.shape[0]
    best_lb = np.full((n_rows, k), -np.inf)  # each row's k best lower bounds so far
    proximity = weights.points()["proximity"]
    max_km = ctx.batch.max_distance_km[chunk]
    kept_rows, kept_cols, kept_ub = [], [], []
    width = max(k, BLOCK_CELLS // n_rows)
    for start in range(0, local.shape[0], width):
        threshold = best_lb.min(axis=1)
        gap_km = np.maximum(offer_angle[start] - row_angle - _ANGLE_SLACK_RAD, 0.0) * EARTH_RADIUS_KM
        rest_ub = 100.0 - proximity * np.divide(gap_km, max_km, out=np.ones_like(gap_km), where=max_km > 0)
        active = np.flatnonzero((gap_km <= max_km) & (rest_ub + _SCORE_UNIT >= threshold))
        if active.shape[0] == 0:
            break
        cols = slice(start, start + width)
        rows = chunk[active]
        ub, feasible, sure = _dense_bounds(
            ctx, pool, rows, local[cols], today=today, weights=weights, settings=settings
        )
        lb = np.where(sure, ub - ctx.lb_margin[rows, np.newaxis], -np.inf)
        merged = np.concatenate([best_lb[active], lb], axis=1)
        best_lb[active] = -np.partition(-merged, k - 1, axis=1)[:, :k]
        keep = feasible & (ub >= best_lb[active].min(axis=1)[:, np.newaxis])
        r_at, c_at = np.nonzero(keep)
        kept_rows.append(active[r_at])
        kept_cols.append(start + c_at)
        kept_ub.append(ub[r_at, c_at])
    if not kept_rows:
        return _no_pairs()
    rows_at, cols_at, ub = np.concatenate(kept_rows), np.concatenate(kept_cols), np.concatenate(kept_ub)
    keep = ub >= best_lb.min(axis=1)[rows_at]
    return _exact_top(ctx, pool, chunk, rows_at[keep], local[cols_at[keep]], k, today=today, weights=weights,
                      settings=settings)  # fmt: skip


def _dense_bounds(ctx: _Requests, pool: OfferPool, rows, offers, *, today, weights, settings):
    """Score upper bounds of a dense block of pairs, a superset of its feasible pairs and a subset (``sure``)."""
    xr, xo = ctx.xyz[rows], pool.xyz_t[:, offers]
    dot = xr[:, 0:1] * xo[0]
    dot += xr[:, 1:2] * xo[1]
    dot += xr[:, 2:3] * xo[2]
    # The chord never exceeds the arc, so these distances are lower bounds and every test below a superset.
    np.multiply(dot, -2.0, out=dot)
    dot += 2.0
    np.maximum(dot, 0.0, out=dot)
    chord_km = np.sqrt(dot, out=dot)
    chord_km *= EARTH_RADIUS_KM
    col = rows[:, np.newaxis]
    view = _view(ctx, col, pool, offers, chord_km, False, today=today, settings=settings)
    feasible = np.ones(chord_km.shape, dtype=bool)
    for rule in RULES:
        feasible &= rule.passes(view)
    primary_hit, any_hit = language_hits(pool.lang[offers], ctx.primary[col], ctx.spoken[col])
    ub = score_total(component_fits(view, primary_hit, any_hit), weights)
    # Only pairs certainly feasible may raise a request's K-th best lower bound.
    sure = feasible & (chord_km <= (ctx.batch.max_distance_km[rows] - ctx.chord_slack_km[rows])[:, np.newaxis])
    for i, row in enumerate(rows.tolist()):
        if row in ctx.excluded_by_row:
            sure[i, np.isin(offers, ctx.excluded_by_row[row])] = False
    return ub, feasible, sure


def _exact_top(ctx: _Requests, pool: OfferPool, chunk, rows_at, o, k, *, today, weights, settings):
    """Exact rules and scores on the kept pairs, then each request's k best."""
    r = chunk[rows_at]
    d = haversine_from_radians(ctx.latr[r], ctx.coslat[r], ctx.lonr[r], pool.latr[o], pool.coslat[o], pool.lonr[o])
    n = max(len(pool), 1)
    excluded = np.isin(r * n + o, ctx.excluded_keys) if ctx.excluded_keys.shape[0] else np.zeros(r.shape, bool)
    view = _view(ctx, r, pool, o, d, excluded, today=today, settings=settings)
    ok = np.ones(r.shape[0], dtype=bool)
    for rule in RULES:
        ok &= rule.passes(view)
    keep = np.flatnonzero(ok)
    view, rows_at, r, o = view.take(keep), rows_at[keep], r[keep], o[keep]
    primary_hit, any_hit = language_hits(pool.lang[o], ctx.primary[r], ctx.spoken[r])
    score = score_total(component_fits(view, primary_hit, any_hit), weights)
    keys = score_keys(score, pool.id_rank[o], len(pool))
    # Best k per request: one sort of (row, best key first), then the first k entries of each row.
    order = np.argsort((rows_at.astype(np.int64) << _KEY_BITS) | ((1 << _KEY_BITS) - 1 - keys))
    rows_sorted = rows_at[order]
    starts = np.searchsorted(rows_sorted, rows_sorted, side="left")
    top = order[np.arange(order.shape[0]) - starts < k]
    return r[top], o[top], score[top], keys[top]
