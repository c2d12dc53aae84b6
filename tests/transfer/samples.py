"""CSV files for the import tests, built in memory."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta

from matcher.services.transfer.formats import OFFER_COLUMNS, REQUEST_COLUMNS

CITIES = (  # (name, country, lat, lon): gazetteer city centres
    ("Kraków", "PL", 50.06143, 19.93658),
    ("Warsaw", "PL", 52.22977, 21.01178),
    ("Berlin", "DE", 52.52437, 13.41053),
    ("Prague", "CZ", 50.08804, 14.42076),
    ("Vienna", "AT", 48.20849, 16.37208),
)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def csv_bytes(header, rows, *, bom: bool = False) -> bytes:
    """A CSV file from a header and rows of cells (dicts keyed by column, or lists)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header] if isinstance(row, dict) else row)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def offer_row(i: int, *, rng: random.Random | None = None, **cells) -> dict:
    """One valid offer row with coordinates near a big city; cells override."""
    rng = rng or random.Random(i)
    city, country, lat, lon = CITIES[i % len(CITIES)]
    row = {
        "external_id": f"ngo-offer-{i}",
        "host_email": f"host{i}@hosts.example",
        "host_name": f"Host {i}",
        "host_phone": "",
        "title": f"Room {i}",
        "address": f"Street {i}, {city}",
        "city": city,
        "country": country,
        "lat": f"{lat + rng.uniform(-0.05, 0.05):.5f}",
        "lon": f"{lon + rng.uniform(-0.05, 0.05):.5f}",
        "beds": str(1 + i % 4),
        "shareable": "no",
        "kind": ("room", "flat", "house")[i % 3],
        "available_from": today(),
        "available_until": "",
        "pets_ok": "yes" if i % 2 else "no",
        "children_ok": "true",
        "step_free": "0",
        "smoking_ok": "",
        "languages": "pl;en",
        "notes": "",
    }
    row.update(cells)
    return row


def offers_csv(n: int, *, start: int = 0, **cells) -> bytes:
    rng = random.Random(n)
    return csv_bytes(OFFER_COLUMNS, (offer_row(i, rng=rng, **cells) for i in range(start, start + n)))


def request_row(i: int, **cells) -> dict:
    """One valid request row for a city; cells override."""
    city, country, _, _ = CITIES[i % len(CITIES)]
    row = {
        "external_id": f"ngo-request-{i}",
        "contact_name": f"Olena Test{i}",
        "phone": f"+48601{i:06d}",
        "email": "",
        "adults": "2",
        "children": "1",
        "child_ages": "7",
        "pets": "no",
        "step_free_needed": "no",
        "languages": "uk;ru",
        "city": city,
        "country": country,
        "lat": "",
        "lon": "",
        "max_distance_km": "100",
        "needed_from": today(),
        "duration_days": "90",
        "vulnerable": "",
        "notes": "",
    }
    row.update(cells)
    return row


def requests_csv(n: int, *, start: int = 0, **cells) -> bytes:
    return csv_bytes(REQUEST_COLUMNS, (request_row(i, **cells) for i in range(start, start + n)))
