"""End-to-end candidates JSON: HTTP through the app and the database, with 100,000 active offers.

Builds a SQLite database with `demo-data` (or reuses --db), serves the app on a free loopback port,
logs in as a coordinator, and times GET /api/v1/requests/<id>/candidates over real HTTP.
Run: .venv/bin/python bench/bench_candidates_api.py [--offers 100000] [--requests 20000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestConfig  # noqa: E402
from matcher.app import create_app  # noqa: E402
from matcher.extensions import db  # noqa: E402
from matcher.services.demo import create_demo_data  # noqa: E402
from tests.conftest import serving  # noqa: E402
from tests.factories import TEST_PASSWORD, make_user  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--db", help="reuse this SQLite file if it exists")
    args = parser.parse_args()

    path = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "bench.sqlite"
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": False, "RATELIMIT_ENABLED": False}
    app = create_app(type("BenchConfig", (TestConfig,), settings))
    with app.app_context():
        if not path.exists() or path.stat().st_size == 0:
            db.create_all()
            started = time.perf_counter()
            create_demo_data(offers=args.offers, requests=args.requests, seed=1)
            print(f"demo data: {args.offers} offers, {args.requests} requests in {time.perf_counter() - started:.1f} s")
        make_user(role="coordinator", email=f"bench{random.randrange(10**9)}@example.org")
        email = db.session.scalar(db.text("SELECT email FROM users WHERE role='coordinator' ORDER BY id DESC LIMIT 1"))
        request_ids = [r for (r,) in db.session.execute(db.text("SELECT id FROM housing_requests"))]

    with serving(app) as base:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = urllib.parse.urlencode({"login": email, "password": TEST_PASSWORD}).encode()
        opener.open(f"{base}/auth/login", data=form).read()
        rng = random.Random(7)
        opener.open(f"{base}/api/v1/requests/{request_ids[0]}/candidates?limit=20").read()  # loads the pool once
        timings, counts = [], []
        for _ in range(args.rounds):
            request_id = rng.choice(request_ids)
            started = time.perf_counter()
            body = opener.open(f"{base}/api/v1/requests/{request_id}/candidates?limit=20").read()
            timings.append((time.perf_counter() - started) * 1000)
            counts.append(json.loads(body)["candidate_count"])
    timings.sort()
    print(f"{'endpoint':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'median candidates':>18}")
    print(
        f"{'GET /api/v1/requests/<id>/candidates':<40} {statistics.median(timings):8.1f} "
        f"{timings[int(0.95 * len(timings)) - 1]:8.1f} {timings[-1]:8.1f} {statistics.median(counts):18.0f}"
    )


if __name__ == "__main__":
    main()
