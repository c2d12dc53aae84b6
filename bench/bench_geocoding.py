"""Gazetteer load time, memory and lookup latency: `python bench/bench_geocoding.py [--tracemalloc]`."""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matcher import geocoding  # noqa: E402
from matcher.domain.location import approximate_point, sparsity_factor  # noqa: E402

GEOCODE_QUERIES = [
    ("Kraków", "PL"),
    ("Krakow", None),
    ("Львів", None),
    ("Lemberg", None),
    ("Frankfurt", "DE"),
    ("Paris", None),
    ("Saint-Martin", None),
    ("Xyzzyville", None),
]
SEARCH_PREFIXES = [("k", None), ("Kra", None), ("Льв", None), ("fra", "DE"), ("Neu", "DE"), ("Lem", None)]
POINTS = [(50.06, 19.94), (49.84, 24.03), (48.85, 2.35), (68.5, 27.0), (41.0, 29.0)]


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def timed_ms(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure Python memory held by the index")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()

    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    before = rss_mb()
    start = time.perf_counter()
    g = geocoding.load_gazetteer()
    load_s = time.perf_counter() - start
    gc.collect()
    geocoder = geocoding.GazetteerGeocoder()
    print(
        f"gazetteer: {len(g.names):,} cities >= {geocoding.GAZETTEER_MIN_POPULATION:,} people in "
        f"{len(geocoding.EUROPEAN_COUNTRIES)} countries, {len(g.keys):,} distinct name keys, {len(g.flat):,} entries"
    )
    print(f"load: {load_s:.2f} s   RSS {before:.0f} -> {rss_mb():.0f} MB")
    if args.tracemalloc:
        import tracemalloc

        current, peak = tracemalloc.get_traced_memory()
        print(f"python objects held: {current / 1e6:.0f} MB (peak while loading {peak / 1e6:.0f} MB)")

    start = time.perf_counter()
    geocoder.nearest_city(50.0, 20.0)
    print(f"first nearest_city (builds the KD-tree): {(time.perf_counter() - start) * 1e3:.0f} ms")

    print(f"\n{'operation':44} {'p50 ms':>8} {'p99 ms':>8}")
    for query, country in GEOCODE_QUERIES:
        status = geocoder.geocode(query, country).status
        p50, p99 = timed_ms(lambda q=query, c=country: geocoder.geocode(q, c), args.repeat)
        print(f"{f'geocode({query!r}, {country}) -> {status}':44} {p50:8.3f} {p99:8.3f}")
    for prefix, country in SEARCH_PREFIXES:
        p50, p99 = timed_ms(lambda p=prefix, c=country: geocoder.search(p, c), args.repeat)
        print(f"{f'search({prefix!r}, {country})':44} {p50:8.3f} {p99:8.3f}")
    for lat, lon in POINTS:
        p50, p99 = timed_ms(lambda la=lat, lo=lon: geocoder.nearest_city(la, lo), args.repeat)
        print(f"{f'nearest_city({lat}, {lon})':44} {p50:8.3f} {p99:8.3f}")
    p50, p99 = timed_ms(lambda: geocoder.place_by_id(3094802), args.repeat)
    print(f"{'place_by_id(3094802)':44} {p50:8.3f} {p99:8.3f}")

    def public_point():
        factor = sparsity_factor(geocoder.distance_to_town_km(50.06, 19.94))
        approximate_point(50.06, 19.94, secret=b"bench", salt="42", sparsity=factor)

    p50, p99 = timed_ms(public_point, args.repeat)
    print(f"{'distance_to_town_km + approximate_point':44} {p50:8.3f} {p99:8.3f}")


if __name__ == "__main__":
    main()
