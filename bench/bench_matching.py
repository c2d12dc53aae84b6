"""Benchmark the matching engine on seeded synthetic data and print a table.

Run: .venv/bin/python bench/bench_matching.py [--big] [--size N] [--seed S]
The default run ranks one request against 100,000 offers and batches 10,000 x 10,000; --big adds 100,000 x 100,000.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scipy.optimize import linprog  # noqa: E402

from matcher.domain.batch import BatchResult, greedy_batch, propose_batch  # noqa: E402
from matcher.domain.matching import OfferPool, RequestBatch, RequestProfile, rank  # noqa: E402
from matcher.domain.matching.candidates import candidate_pairs  # noqa: E402
from matcher.domain.matching.packing import PackingProblem, constraints  # noqa: E402

TODAY = date(2024, 5, 1)

# name, lat, lon, population in thousands, country
CITIES = [
    ("Warsaw", 52.23, 21.01, 1790, "PL"),
    ("Kraków", 50.06, 19.94, 780, "PL"),
    ("Łódź", 51.76, 19.46, 670, "PL"),
    ("Wrocław", 51.11, 17.03, 640, "PL"),
    ("Poznań", 52.41, 16.93, 530, "PL"),
    ("Gdańsk", 54.35, 18.65, 470, "PL"),
    ("Szczecin", 53.43, 14.55, 400, "PL"),
    ("Lublin", 51.25, 22.57, 340, "PL"),
    ("Rzeszów", 50.04, 22.00, 195, "PL"),
    ("Przemyśl", 49.78, 22.77, 60, "PL"),
    ("Katowice", 50.26, 19.02, 290, "PL"),
    ("Białystok", 53.13, 23.16, 300, "PL"),
    ("Berlin", 52.52, 13.40, 3650, "DE"),
    ("Hamburg", 53.55, 9.99, 1850, "DE"),
    ("Munich", 48.14, 11.58, 1490, "DE"),
    ("Cologne", 50.94, 6.96, 1090, "DE"),
    ("Frankfurt", 50.11, 8.68, 760, "DE"),
    ("Stuttgart", 48.78, 9.18, 630, "DE"),
    ("Leipzig", 51.34, 12.37, 600, "DE"),
    ("Dresden", 51.05, 13.74, 560, "DE"),
    ("Hanover", 52.37, 9.73, 540, "DE"),
    ("Nuremberg", 49.45, 11.08, 520, "DE"),
    ("Prague", 50.08, 14.44, 1310, "CZ"),
    ("Brno", 49.20, 16.61, 380, "CZ"),
    ("Ostrava", 49.82, 18.26, 285, "CZ"),
    ("Bratislava", 48.15, 17.11, 475, "SK"),
    ("Košice", 48.72, 21.26, 240, "SK"),
    ("Budapest", 47.50, 19.04, 1750, "HU"),
    ("Debrecen", 47.53, 21.63, 200, "HU"),
    ("Bucharest", 44.43, 26.10, 1830, "RO"),
    ("Cluj-Napoca", 46.77, 23.60, 320, "RO"),
    ("Iași", 47.16, 27.59, 290, "RO"),
    ("Suceava", 47.65, 26.26, 90, "RO"),
    ("Timișoara", 45.75, 21.23, 320, "RO"),
    ("Chișinău", 47.01, 28.86, 640, "MD"),
    ("Vienna", 48.21, 16.37, 1900, "AT"),
    ("Graz", 47.07, 15.44, 290, "AT"),
    ("Vilnius", 54.69, 25.28, 580, "LT"),
    ("Riga", 56.95, 24.11, 630, "LV"),
    ("Tallinn", 59.44, 24.75, 440, "EE"),
    ("Amsterdam", 52.37, 4.90, 870, "NL"),
    ("Rotterdam", 51.92, 4.48, 650, "NL"),
    ("Brussels", 50.85, 4.35, 1200, "BE"),
    ("Paris", 48.86, 2.35, 2160, "FR"),
    ("Lyon", 45.76, 4.84, 520, "FR"),
    ("Strasbourg", 48.57, 7.75, 280, "FR"),
    ("Rome", 41.90, 12.50, 2870, "IT"),
    ("Milan", 45.46, 9.19, 1390, "IT"),
    ("Madrid", 40.42, -3.70, 3220, "ES"),
    ("Barcelona", 41.39, 2.17, 1620, "ES"),
    ("Lisbon", 38.72, -9.14, 545, "PT"),
    ("London", 51.51, -0.13, 8980, "GB"),
    ("Dublin", 53.35, -6.26, 550, "IE"),
    ("Copenhagen", 55.68, 12.57, 640, "DK"),
    ("Stockholm", 59.33, 18.07, 980, "SE"),
    ("Oslo", 59.91, 10.75, 700, "NO"),
    ("Helsinki", 60.17, 24.94, 660, "FI"),
    ("Sofia", 42.70, 23.32, 1240, "BG"),
    ("Athens", 37.98, 23.73, 660, "GR"),
    ("Zurich", 47.38, 8.54, 420, "CH"),
]
# How much more often than its population suggests a country's people host (2022: Poland, Czechia, Germany).
HOSTING = {"PL": 8.0, "CZ": 4.0, "SK": 4.0, "DE": 2.0, "MD": 4.0, "RO": 3.0, "HU": 2.5, "LT": 3.0, "AT": 1.5}
# Where households register: mostly at or near the border, then the big hubs.
ARRIVALS = {"Przemyśl": 8, "Rzeszów": 6, "Lublin": 5, "Kraków": 6, "Warsaw": 8, "Suceava": 3, "Iași": 3}
ARRIVALS |= {"Chișinău": 5, "Košice": 3, "Debrecen": 2, "Budapest": 3, "Bucharest": 3, "Prague": 5, "Berlin": 6}
ARRIVALS |= {"Vienna": 3, "Wrocław": 3, "Katowice": 2, "Bratislava": 2, "Vilnius": 2, "Łódź": 2, "Białystok": 2}
LOCAL = {"PL": "pl", "DE": "de", "CZ": "cs", "SK": "sk", "HU": "hu", "RO": "ro", "MD": "ro", "AT": "de", "LT": "lt"}
LOCAL |= {"LV": "lv", "EE": "et", "NL": "nl", "BE": "fr", "FR": "fr", "IT": "it", "ES": "es", "PT": "pt", "GB": "en"}
LOCAL |= {"IE": "en", "DK": "da", "SE": "sv", "NO": "no", "FI": "fi", "BG": "bg", "GR": "el", "CH": "de"}
KM_PER_DEG = 111.2


def _scatter(rng, lat, lon, spread_km):
    """Jitter points around their city: most close in, a tail out into the region."""
    n = lat.shape[0]
    r = np.where(rng.random(n) < 0.8, rng.exponential(spread_km / 3, n), rng.uniform(0, spread_km * 4, n))
    a = rng.uniform(0, 2 * np.pi, n)
    lat2 = lat + r * np.cos(a) / KM_PER_DEG
    lon2 = lon + r * np.sin(a) / (KM_PER_DEG * np.cos(np.radians(lat)))
    return np.clip(lat2, -89.9, 89.9), (lon2 + 180) % 360 - 180


def make_offers(n: int, seed: int) -> dict:
    """Columns of n synthetic offers across Europe, weighted by population and hosting culture."""
    rng = np.random.default_rng(seed)
    w = np.array([pop * HOSTING.get(cc, 0.6) for _, _, _, pop, cc in CITIES], dtype=float)
    city = rng.choice(len(CITIES), n, p=w / w.sum())
    lat, lon = _scatter(rng, np.array([CITIES[c][1] for c in city]), np.array([CITIES[c][2] for c in city]), 25)
    kind = rng.choice(3, n, p=[0.45, 0.4, 0.15])  # room, flat, house
    beds = np.select([kind == 0, kind == 1], [rng.integers(1, 3, n), rng.integers(2, 5, n)], rng.integers(3, 9, n))
    held = np.where(rng.random(n) < 0.08, rng.integers(1, 3, n), 0).clip(0, beds)
    languages = []
    for c in city:
        codes = [LOCAL[CITIES[c][4]]]
        roll = rng.random(3)
        codes += ["en"] * bool(roll[0] < 0.5) + ["ru"] * bool(roll[1] < 0.15) + ["uk"] * bool(roll[2] < 0.08)
        languages.append(tuple(dict.fromkeys(codes)))
    start = TODAY.toordinal() + rng.integers(-45, 30, n)
    until = np.where(rng.random(n) < 0.5, start + rng.integers(60, 400, n), -1)
    return dict(
        ids=np.arange(1, n + 1) * 7 + 3,
        lat=lat,
        lon=lon,
        beds=beds,
        held_beds=held,
        open_matches=(held > 0).astype(int),
        shareable=rng.random(n) < 0.25,
        status=rng.choice(3, n, p=[0.9, 0.07, 0.03]),
        last_confirmed=TODAY.toordinal() - rng.exponential(12, n).astype(int),
        available_from=start,
        available_until=np.where(until < 0, date.max.toordinal(), until),
        pets_ok=rng.random(n) < 0.25,
        children_ok=rng.random(n) < 0.85,
        step_free=rng.random(n) < 0.12,
        languages=languages,
        verified=rng.random(n) < 0.6,
    )


def make_requests(n: int, seed: int) -> tuple[dict, list[str]]:
    """Columns of n synthetic requests (near the Ukrainian border and in the hubs), and each one's city name."""
    rng = np.random.default_rng(seed + 1)
    names = [c[0] for c in CITIES]
    w = np.array([ARRIVALS.get(name, 0.05) for name in names], dtype=float)
    city = rng.choice(len(CITIES), n, p=w / w.sum())
    lat, lon = _scatter(rng, np.array([CITIES[c][1] for c in city]), np.array([CITIES[c][2] for c in city]), 15)
    size = rng.choice(np.arange(1, 7), n, p=[0.34, 0.3, 0.17, 0.1, 0.06, 0.03])
    adults = np.minimum(size, rng.choice([1, 2], n, p=[0.55, 0.45]))
    languages = []
    for roll in rng.random((n, 3)):
        first = "uk" if roll[0] < 0.72 else "ru"
        codes = [first] + ["ru" if first == "uk" else "uk"] * bool(roll[1] < 0.45) + ["en"] * bool(roll[2] < 0.3)
        languages.append(tuple(codes))
    flagged = rng.random(n) < 0.15
    return dict(
        ids=np.arange(1, n + 1) * 11 + 5,
        lat=lat,
        lon=lon,
        adults=adults,
        children=size - adults,
        pets=rng.random(n) < 0.15,
        step_free_needed=rng.random(n) < 0.07,
        languages=languages,
        max_distance_km=rng.choice([50, 100, 150, 200, 300], n, p=[0.15, 0.25, 0.25, 0.2, 0.15]).astype(float),
        needed_from=TODAY.toordinal() + rng.integers(0, 30, n),
        duration_days=rng.integers(30, 240, n),
        priority=np.where(flagged, rng.choice([1.25, 1.5, 2.0], n), 1.0),
    ), [names[c] for c in city]


def profile(columns: dict, places: list[str], i: int) -> RequestProfile:
    """Request i of a column set, as the profile the web layer would build."""
    return RequestProfile(
        id=int(columns["ids"][i]),
        lat=float(columns["lat"][i]),
        lon=float(columns["lon"][i]),
        adults=int(columns["adults"][i]),
        children=int(columns["children"][i]),
        pets=bool(columns["pets"][i]),
        step_free_needed=bool(columns["step_free_needed"][i]),
        languages=columns["languages"][i],
        max_distance_km=float(columns["max_distance_km"][i]),
        needed_from=date.fromordinal(int(columns["needed_from"][i])),
        duration_days=int(columns["duration_days"][i]),
        place_name=places[i],
        priority=float(columns["priority"][i]),
    )


def geopy_loop_seconds(offers: dict, request: RequestProfile, pairs: int) -> float:
    """Seconds for the naive baseline: geopy's geodesic and the rules in Python, one pair at a time."""
    from geopy.distance import geodesic

    started = time.perf_counter()
    kept = 0
    for j in range(pairs):
        km = geodesic((request.lat, request.lon), (offers["lat"][j], offers["lon"][j])).km
        ok = km <= request.max_distance_km and offers["beds"][j] - offers["held_beds"][j] >= request.people
        ok = ok and (offers["pets_ok"][j] or not request.pets) and offers["status"][j] == 0
        kept += bool(ok)
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values."""
    return float(np.percentile(np.asarray(values), q))


WARM_UP_QUERIES = 100


def bench_rank(n_offers: int, queries: int, seed: int, rows: list) -> None:
    """Pool build, then rank one request at a time against the whole pool."""
    offers = make_offers(n_offers, seed)
    builds = []
    for _ in range(3):
        started = time.perf_counter()
        pool = OfferPool.from_columns(**offers)
        builds.append(time.perf_counter() - started)
    started = time.perf_counter()
    pool.with_holds(pool.ids[:1000], np.ones(1000, dtype=int), np.ones(1000, dtype=int))
    patch = time.perf_counter() - started
    columns, places = make_requests(queries, seed + 100)
    requests = [profile(columns, places, i) for i in range(queries)]
    # A server ranks request after request: warm up on other requests (the interpreter specialises the hot code
    # over the first hundred calls or so), then measure the steady state.
    warm_columns, warm_places = make_requests(WARM_UP_QUERIES, seed + 200)
    for i in range(WARM_UP_QUERIES):
        rank(profile(warm_columns, warm_places, i), pool, today=TODAY)
    times, candidates, near = [], [], []
    for request in requests:
        started = time.perf_counter()
        ranking = rank(request, pool, today=TODAY)
        times.append(time.perf_counter() - started)
        candidates.append(ranking.candidate_count)
        near.append(ranking.near_miss_count)
    scan = []
    for request in requests[:50]:
        started = time.perf_counter()
        rank(request, pool, today=TODAY, prefilter=False)
        scan.append(time.perf_counter() - started)
    sample = 2000
    geopy_s = geopy_loop_seconds(offers, requests[0], sample) * n_offers / sample
    p50 = statistics.median(times)
    rows.append((f"pool build, {n_offers} offers (median of 3)", f"{statistics.median(builds) * 1e3:.1f} ms"))
    rows.append(("pool patch: holds of 1,000 offers", f"{patch * 1e3:.2f} ms"))
    rows.append((f"rank 1 request x {n_offers} offers, p50", f"{p50 * 1e3:.2f} ms"))
    rows.append(("  p95 / max", f"{percentile(times, 95) * 1e3:.2f} / {max(times) * 1e3:.2f} ms"))
    rows.append(("  candidates / near-misses per request, median", f"{statistics.median(candidates):.0f} / "
                 f"{statistics.median(near):.0f}"))  # fmt: skip
    rows.append(("  without the prefilter (full scan), p50", f"{statistics.median(scan) * 1e3:.2f} ms"))
    rows.append((f"geopy geodesic loop, {sample} pairs -> {n_offers}", f"{geopy_s * 1e3:.0f} ms per request"))
    rows.append(("  speed-up of rank p50 over geopy", f"{geopy_s / p50:,.0f}x"))


def score_bound(graph) -> float:
    """Upper bound on any proposal's total score: the score-only LP relaxation over the same graph."""
    problem = PackingProblem.build(graph)
    edges = np.arange(problem.edge_req.shape[0])
    matrix, rhs = constraints(problem, edges)
    lp = linprog(-graph.score, A_ub=matrix, b_ub=rhs, bounds=(0, 1), method="highs-ds", options={"presolve": False})
    return -float(lp.fun)


def bench_batch(n: int, seed: int, rows: list, *, with_score_bound: bool) -> None:
    """Candidate graph, batch proposal and greedy baseline on n requests x n offers."""
    pool = OfferPool.from_columns(**make_offers(n, seed))
    requests = RequestBatch.from_columns(**make_requests(n, seed)[0])
    started = time.perf_counter()
    graph = candidate_pairs(requests, pool, today=TODAY)
    graph_s = time.perf_counter() - started
    result = propose_batch(graph)
    greedy = greedy_batch(graph)
    total = graph_s + result.seconds
    label = f"batch {n:,} x {n:,}"
    rows.append((f"{label}: free beds / people waiting", f"{int(pool.free_beds.sum()):,} / {result.people_open:,}"))
    rows.append((f"  candidate graph (top-{graph.top_k}), edges", f"{graph_s:.2f} s, {graph.edges:,}"))
    rows.append((f"  solve (LP {result.stats.get('lp_seconds', 0.0):.2f} s), total", f"{result.seconds:.2f} s, "
                 f"{total:.2f} s"))  # fmt: skip
    rows.append(("  components by method", str(result.stats.get("by_method"))))
    columns, rounds = result.stats.get("lp_columns", 0), result.stats.get("lp_rounds", 0)
    rows.append(("  LP columns generated / pricing rounds", f"{columns:,} of {graph.edges:,} / {rounds}"))
    for name, r in (("batch", result), ("greedy", greedy)):
        rows.append(_result_row(name, r, result.bound))
    rows.append(("  batch / LP bound (priority-weighted people)", f"{result.objective / result.bound:.4%}"))
    rows.append(("  batch - greedy households", f"{(result.households_placed - greedy.households_placed) / n:+.1%} "
                 "points"))  # fmt: skip
    if with_score_bound:
        bound = score_bound(graph)
        rows.append(("  score: batch / greedy / score-LP bound", f"{result.total_score:,.0f} / "
                     f"{greedy.total_score:,.0f} / {bound:,.0f}"))  # fmt: skip
    rows.append(("  optimal / gap / deterministic", f"{result.optimal} / {result.gap:.4%} / "
                 f"{result.stats.get('deterministic')}"))  # fmt: skip


def _result_row(name: str, r: BatchResult, bound: float | None) -> tuple[str, str]:
    share = r.households_placed / max(r.households_open, 1)
    return (
        f"  {name}: households / people / objective",
        f"{r.households_placed:,} ({share:.1%}) / {r.people_placed:,} / {r.objective:,.1f}"
        + (f" ({r.objective / bound:.2%} of bound)" if bound else ""),
    )


def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also batch 100,000 x 100,000")
    parser.add_argument("--size", type=int, default=10_000, help="batch size (requests = offers)")
    parser.add_argument("--rank-offers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-rank", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("error")
    rows: list[tuple[str, str]] = []
    if not args.skip_rank:
        bench_rank(args.rank_offers, args.queries, args.seed, rows)
    if not args.skip_batch:
        bench_batch(args.size, args.seed, rows, with_score_bound=True)
    if args.big:
        bench_batch(100_000, args.seed, rows, with_score_bound=False)
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
