"""Benchmark the map API at 100,000 offers and print p50/p95 latency and features per response.

Run: .venv/bin/python bench/bench_map.py [--offers N] [--requests M] [--rounds R] [--seed S]
It creates the demo data in a temporary SQLite database (about 25 s for 100k offers), logs a coordinator in
through the Flask test client, warms the caches with one request, then times R requests of each endpoint over
a mix of zooms and viewports, from all of Europe down to a neighbourhood, with and without filters.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# (label, bbox west,south,east,north, zoom, extra query)
VIEWS = [
    ("Europe", "-25,34,45,71", 4, ""),
    ("Europe, step-free", "-25,34,45,71", 4, "&step_free=1"),
    ("Central Europe", "5,45,30,56", 5, ""),
    ("Poland", "14,49,24.2,55", 6, ""),
    ("Poland, 3+ beds, Ukrainian", "14,49,24.2,55", 6, "&min_free_beds=3&language=uk"),
    ("Germany", "5.8,47.2,15.1,55.1", 6, "&status=any"),
    ("Mazovia", "19.5,51.5,22.5,53", 8, ""),
    ("Warsaw", "20.85,52.1,21.25,52.37", 11, ""),
    ("Warsaw, pets", "20.85,52.1,21.25,52.37", 11, "&pets=1"),
    ("Berlin", "13.1,52.35,13.75,52.68", 11, ""),
    ("London", "-0.5,51.3,0.3,51.7", 11, ""),
    ("Paris", "2.1,48.75,2.6,48.97", 12, ""),
    ("Kraków centre", "19.88,50.03,20.0,50.09", 14, ""),
    ("Desktop, all Europe at once", "-30,30,60,72", 3, "&status=any"),
    ("Whole world at zoom 19", "-180,-90,180,90", 19, ""),
]


HEADER = f"{'endpoint':18} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'features: median':>17} {'max':>6} {'KB':>7}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def time_requests(client, urls: list[str], rounds: int) -> tuple[list[float], list[int], list[int]]:
    times, features, sizes = [], [], []
    for i in range(rounds):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:200])
        body = response.get_json()
        times.append(elapsed * 1000)
        features.append(len(body["features"]))
        sizes.append(len(response.data))
    return times, features, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from werkzeug.security import generate_password_hash

    from config import TestConfig
    from matcher.app import create_app
    from matcher.extensions import db
    from matcher.models import Role, User
    from matcher.services import maps
    from matcher.services.demo import create_demo_data

    with tempfile.TemporaryDirectory() as tmp:
        settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite", "RATELIMIT_ENABLED": False}
        app = create_app(type("BenchConfig", (TestConfig,), settings))
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            create_demo_data(offers=args.offers, requests=args.requests, seed=args.seed)
            seconds = time.perf_counter() - started
            print(f"demo data: {args.offers:,} offers, {args.requests:,} requests in {seconds:.1f} s")
            password = "a long bench passphrase"
            db.session.add(
                User(email="bench@example.org", name="Bench", role=Role.COORDINATOR,
                     password_hash=generate_password_hash(password))
            )  # fmt: skip
            db.session.commit()

        client = app.test_client()
        response = client.post("/auth/login", data={"login": "bench@example.org", "password": password})
        assert response.status_code == 302, response.status_code

        endpoints = {
            "offers (staff)": [f"/api/v1/map/offers?bbox={b}&zoom={z}{q}" for _, b, z, q in VIEWS],
            "requests (staff)": [f"/api/v1/map/requests?bbox={b}&zoom={z}" for _, b, z, q in VIEWS],
            "cities (public)": [f"/api/v1/map/cities?bbox={b}&zoom={z}" for _, b, z, q in VIEWS],
        }
        for name, urls in endpoints.items():
            started = time.perf_counter()
            client.get(urls[0])
            print(f"{name}: first request (builds the cached columns) {1000 * (time.perf_counter() - started):.0f} ms")

        default_recheck = maps.RECHECK_S
        for recheck in (default_recheck, 0.0):
            maps.RECHECK_S = recheck
            print(
                f"\n{args.rounds} requests per endpoint, change check at most every {recheck:g} s"
                + (" (the default)" if recheck == default_recheck else " (asks the database every time)")
            )
            print(HEADER)
            for name, urls in endpoints.items():
                times, features, sizes = time_requests(client, urls, args.rounds)
                print(
                    f"{name:18} {statistics.median(times):7.1f} {percentile(times, 0.95):7.1f} {max(times):7.1f} "
                    f"{statistics.median(features):17.0f} {max(features):6d} {max(sizes) / 1024:7.0f}"
                )
        maps.RECHECK_S = default_recheck

        print("\nper view (offers endpoint): ms, mode, features, offers in view")
        for label, bbox, zoom, query in VIEWS:
            url = f"/api/v1/map/offers?bbox={bbox}&zoom={zoom}{query}"
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                body = client.get(url).get_json()
                runs.append(1000 * (time.perf_counter() - started))
            print(
                f"  {label:30} z{zoom:<2} {statistics.median(runs):6.1f} ms  {body['mode']:6} "
                f"{len(body['features']):5d} features  {body['totals']['offers']:6d} offers"
            )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
