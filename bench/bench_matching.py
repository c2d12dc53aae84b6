"""Benchmark the matching engine on seeded synthetic data and print a table.

Run: .venv/bin/python bench/bench_matching.py [--big] [--size N] [--seed S]
The default run ranks one request against 100,000 offers and batches 10,000 x 10,000; --big adds 100,000 x 100,000.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


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
HOSTING = {"PL": 4.0, "CZ": 2.5, "SK": 2.0, "DE": 1.5, "MD": 2.0, "RO": 1.5, "HU": 1.0, "LT": 2.0, "AT": 1.2}
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
    start = TODAY.toordinal() + rng.integers(-30, 45, n)
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
        pets_ok=rng.random(n) < 0.35,
        children_ok=rng.random(n) < 0.85,
        step_free=rng.random(n) < 0.15,
        languages=languages,
        verified=rng.random(n) < 0.6,
    )


def make_requests(n: int, seed: int) -> dict:
    """Columns of n synthetic requests, mostly registered near the Ukrainian border and in the hubs."""
    rng = np.random.default_rng(seed + 1)
    names = [c[0] for c in CITIES]
    w = np.array([ARRIVALS.get(name, 0.05) for name in names], dtype=float)
    city = rng.choice(len(CITIES), n, p=w / w.sum())
    lat, lon = _scatter(rng, np.array([CITIES[c][1] for c in city]), np.array([CITIES[c][2] for c in city]), 15)
    size = rng.choice(np.arange(1, 7), n, p=[0.28, 0.3, 0.2, 0.12, 0.06, 0.04])
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
