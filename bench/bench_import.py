"""Benchmark the CSV import: 100,000 offer rows with coordinates through `flask --app wsgi import-offers`.

Run: .venv/bin/python bench/bench_import.py [--rows N] [--offers-per-host K] [--keep]
It writes an offers CSV with coordinates scattered around 40 European cities (K offers per host, so N/K new
hosts, each invited), creates the schema in a fresh SQLite file, then times the import command in a child
process and prints the seconds and the child's peak resident memory (resource.getrusage). The target is
100,000 rows in at most 120 s, with memory that does not grow with the file.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matcher.services.transfer.formats import OFFER_COLUMNS  # noqa: E402

CITIES = [  # (city, country, lat, lon)
    ("Kraków", "PL", 50.06143, 19.93658), ("Warsaw", "PL", 52.22977, 21.01178), ("Wrocław", "PL", 51.1, 17.03333),
    ("Gdańsk", "PL", 54.35205, 18.64637), ("Poznań", "PL", 52.40692, 16.92993), ("Łódź", "PL", 51.75, 19.46667),
    ("Lublin", "PL", 51.25, 22.56667), ("Rzeszów", "PL", 50.04132, 21.99901), ("Berlin", "DE", 52.52437, 13.41053),
    ("Hamburg", "DE", 53.57532, 10.01534), ("Munich", "DE", 48.13743, 11.57549), ("Cologne", "DE", 50.93333, 6.95),
    ("Leipzig", "DE", 51.33962, 12.37129), ("Dresden", "DE", 51.05089, 13.73832), ("Prague", "CZ", 50.08804, 14.42076),
    ("Brno", "CZ", 49.19522, 16.60796), ("Vienna", "AT", 48.20849, 16.37208), ("Bratislava", "SK", 48.14816, 17.10674),
    ("Košice", "SK", 48.71395, 21.25808), ("Budapest", "HU", 47.49835, 19.04045), ("Bucharest", "RO", 44.432, 26.106),
    ("Cluj-Napoca", "RO", 46.76667, 23.6), ("Chisinau", "MD", 47.00556, 28.8575), ("Vilnius", "LT", 54.68916, 25.2798),
    ("Riga", "LV", 56.946, 24.10589), ("Tallinn", "EE", 59.43696, 24.75353), ("Copenhagen", "DK", 55.67594, 12.56553),
    ("Stockholm", "SE", 59.33258, 18.0649), ("Oslo", "NO", 59.91273, 10.74609), ("Helsinki", "FI", 60.16952, 24.93545),
    ("Amsterdam", "NL", 52.37403, 4.88969), ("Brussels", "BE", 50.85045, 4.34878), ("Paris", "FR", 48.85341, 2.3488),
    ("Lyon", "FR", 45.74846, 4.84671), ("Milan", "IT", 45.46427, 9.18951), ("Rome", "IT", 41.89193, 12.51133),
    ("Madrid", "ES", 40.4165, -3.70256), ("Barcelona", "ES", 41.38879, 2.15899), ("Lisbon", "PT", 38.71667, -9.13333),
    ("Dublin", "IE", 53.33306, -6.24889),
]  # fmt: skip


def write_csv(path: Path, rows: int, per_host: int, seed: int = 1) -> None:
    """A realistic offers file: hosts with 1..K places around big cities, all with coordinates."""
    rng = random.Random(seed)
    today = datetime.now(UTC).date().isoformat()
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(OFFER_COLUMNS)
        for i in range(rows):
            city, country, lat, lon = CITIES[rng.randrange(len(CITIES))]
            host = i // per_host
            beds = rng.choice((1, 1, 2, 2, 2, 3, 4, 5, 6))
            writer.writerow(
                [
                    f"bench-{i}", f"host{host}@bench.example", f"Host {host}", "", f"Place {i}",
                    f"Street {rng.randrange(1, 300)}, {city}", city, country,
                    f"{lat + rng.uniform(-0.08, 0.08):.5f}", f"{lon + rng.uniform(-0.12, 0.12):.5f}",
                    beds, rng.choice(("yes", "no")), ("room", "flat", "house")[min(beds // 2, 2)], today, "",
                    rng.choice(("yes", "no")), "yes", rng.choice(("0", "1")), "", rng.choice(("pl;en", "de;en", "uk")),
                    "",
                ]
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--offers-per-host", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder and print its path.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="matcher-bench-import-"))
    csv_path, db_path = folder / "offers.csv", folder / "bench.db"
    started = time.perf_counter()
    write_csv(csv_path, args.rows, args.offers_per_host)
    size_mb = csv_path.stat().st_size / 1e6
    print(f"wrote {args.rows} rows ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "MATCHER_ENV": "development"}
    env["SECRET_KEY"] = env.get("SECRET_KEY") or "bench-secret"
    create = "from matcher.app import create_app; from matcher.extensions import db; a = create_app(); a.app_context().push(); db.create_all()"  # noqa: E501
    subprocess.run([sys.executable, "-c", create], cwd=ROOT, env=env, check=True)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "import-offers", str(csv_path)]
    started = time.perf_counter()
    result = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports KiB
    print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:])
    print(f"import-offers: {args.rows} rows in {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s); "
          f"peak RSS {peak_mb:.0f} MB; exit {result.returncode}")  # fmt: skip
    if args.keep:
        print(f"kept {folder}")
    else:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    if result.returncode != 0:
        raise SystemExit(result.returncode)


if __name__ == "__main__":
    main()
