"""Realistic synthetic hosts, offers and requests across Europe, for demos and benchmarks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from flask import current_app
from sqlalchemy import func, insert, select

from matcher.domain.location import approximate_point
from matcher.domain.vocabulary import OfferStatus, PlaceKind, RequestStatus
from matcher.extensions import db
from matcher.geocoding import load_gazetteer
from matcher.models import HousingRequest, Offer, Role, User

INSERT_CHUNK_ROWS = 5_000
CITY_JITTER_KM = 6.0  # homes are scattered around their city's centre point
MIN_CITY_POPULATION = 5_000

# Countries that received most people in 2022, and so hold most demand near the Ukrainian border.
DEMAND_BOOST = {"PL": 6.0, "SK": 3.0, "HU": 2.5, "RO": 3.0, "MD": 4.0, "CZ": 3.0, "DE": 2.0, "LT": 1.5, "UA": 3.0}
HOUSEHOLD_SIZE_P = (0.30, 0.28, 0.20, 0.12, 0.06, 0.04)  # 1..6 people, mostly small
NATIONAL_LANGUAGE = {
    "PL": "pl", "DE": "de", "AT": "de", "CH": "de", "CZ": "cs", "SK": "sk", "HU": "hu", "RO": "ro", "MD": "ro",
    "UA": "uk", "LT": "lt", "LV": "lv", "EE": "et", "FR": "fr", "IT": "it", "ES": "es", "PT": "pt", "NL": "nl",
    "BE": "nl", "DK": "da", "SE": "sv", "NO": "no", "FI": "fi", "GR": "el", "BG": "bg", "HR": "hr", "SI": "sl",
    "RS": "sr", "IE": "en", "GB": "en", "TR": "tr",
}  # fmt: skip
FIRST_NAMES = (
    "Olena", "Iryna", "Oksana", "Natalia", "Tetiana", "Andrii", "Oleksandr", "Dmytro", "Maria", "Yulia",
    "Serhii", "Kateryna", "Viktoriia", "Mykola", "Anastasiia", "Ivan", "Svitlana", "Yurii", "Halyna", "Taras",
)  # fmt: skip
LAST_NAMES = ("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Boiko", "Oliinyk",
              "Lysenko", "Moroz", "Petrenko", "Savchenko", "Rudenko", "Marchenko", "Ponomarenko")  # fmt: skip
HOST_TITLES = {
    PlaceKind.ROOM: "Spare room",
    PlaceKind.FLAT: "Flat",
    PlaceKind.HOUSE: "House",
}
VULNERABILITY_CODES = ("pregnancy", "disability", "elderly", "single_parent", "medical", "infant")


@dataclass(frozen=True)
class DemoSummary:
    hosts: int
    offers: int
    refugees: int
    requests: int
    seconds: float


def _cities():
    gaz = load_gazetteer()
    keep = np.flatnonzero(gaz.population >= MIN_CITY_POPULATION)
    return gaz, keep


def _jitter(rng, lat, lon, km):
    """Points within about km of (lat, lon), uniformly over the disc."""
    radius = km * np.sqrt(rng.random(lat.shape[0]))
    angle = rng.random(lat.shape[0]) * 2 * np.pi
    dlat = radius * np.cos(angle) / 111.2
    dlon = radius * np.sin(angle) / (111.2 * np.maximum(np.cos(np.radians(lat)), 0.2))
    return np.clip(lat + dlat, -89.9, 89.9), np.clip(lon + dlon, -179.9, 179.9)


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), INSERT_CHUNK_ROWS):
        chunk = rows[start : start + INSERT_CHUNK_ROWS]
        result = db.session.execute(insert(model).returning(model.id, sort_by_parameter_order=True), chunk)
        ids.extend(result.scalars().all())
    return ids


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK_ROWS):
        db.session.execute(insert(model), rows[start : start + INSERT_CHUNK_ROWS])


def _languages(rng, countries, extra_codes, extra_p) -> list[list[str]]:
    out = []
    extras = rng.random((len(countries), len(extra_codes))) < np.asarray(extra_p)
    for i, country in enumerate(countries):
        codes = [NATIONAL_LANGUAGE.get(country, "en")]
        codes += [c for c, on in zip(extra_codes, extras[i], strict=True) if on and c not in codes]
        out.append(codes)
    return out


def create_demo_data(*, offers: int, requests: int, seed: int = 1, today: date | None = None) -> DemoSummary:
    """Insert hosts with offers and refugees with requests; the same seed gives the same data. One commit."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    today = today or date.today()
    now = datetime.now(UTC)
    gaz, keep = _cities()
    secret = current_app.config["SECRET_KEY"].encode()
    run = int(db.session.scalar(select(func.coalesce(func.max(User.id), 0)))) + 1

    # Hosts live where people live: cities drawn by population.
    pop = gaz.population[keep].astype(np.float64)
    city = keep[rng.choice(keep.shape[0], size=offers, p=pop / pop.sum())]
    o_lat, o_lon = _jitter(rng, gaz.lat[city], gaz.lon[city], CITY_JITTER_KM)
    beds = np.minimum(rng.geometric(0.38, size=offers), 12)
    kinds = np.where(beds <= 2, PlaceKind.ROOM, np.where(beds <= 4, PlaceKind.FLAT, PlaceKind.HOUSE))
    shareable = rng.random(offers) < 0.25
    start = today + np.asarray(rng.integers(-30, 31, size=offers), dtype=object) * timedelta(days=1)
    open_ended = rng.random(offers) < 0.5
    until_days = rng.integers(30, 366, size=offers)
    confirmed_days_ago = rng.integers(0, 26, size=offers)
    status = np.where(rng.random(offers) < 0.9, OfferStatus.ACTIVE, OfferStatus.PAUSED)
    o_langs = _languages(rng, gaz.countries[city], ("en", "uk", "ru", "de", "pl"), (0.5, 0.12, 0.15, 0.1, 0.05))
    flags = rng.random((offers, 4)) < np.array([0.4, 0.8, 0.2, 0.15])

    host_rows = [
        {
            "email": f"host{run + i}@demo.matcher.invalid",
            "name": f"Host {run + i}",
            "role": Role.HOST,
            "locale": "en",
            "password_hash": None,
            "created_at": now,
            "session_version": 1,
            "active": True,
        }
        for i in range(offers)
    ]
    host_ids = _insert_returning_ids(User, host_rows)
    offer_rows = []
    for i in range(offers):
        lat, lon = float(o_lat[i]), float(o_lon[i])
        approx_lat, approx_lon = approximate_point(lat, lon, secret=secret, salt=f"demo-{run + i}")
        offer_rows.append(
            {
                "host_id": host_ids[i],
                "title": f"{HOST_TITLES[PlaceKind(kinds[i])]} in {gaz.names[city[i]]}",
                "description": "",
                "address": f"{int(rng.integers(1, 200))} Demo Street, {gaz.names[city[i]]}",
                "place_name": gaz.names[city[i]],
                "country": str(gaz.countries[city[i]]),
                "geoname_id": int(gaz.ids[city[i]]),
                "lat": lat,
                "lon": lon,
                "approx_lat": approx_lat,
                "approx_lon": approx_lon,
                "beds": int(beds[i]),
                "shareable": bool(shareable[i]),
                "kind": PlaceKind(kinds[i]),
                "available_from": start[i],
                "available_until": None if open_ended[i] else start[i] + timedelta(days=int(until_days[i])),
                "pets_ok": bool(flags[i, 0]),
                "children_ok": bool(flags[i, 1]),
                "step_free": bool(flags[i, 2]),
                "smoking_ok": bool(flags[i, 3]),
                "languages": o_langs[i],
                "notes": "",
                "status": OfferStatus(status[i]),
                "last_confirmed_at": now - timedelta(days=int(confirmed_days_ago[i])),
                "created_at": now,
                "updated_at": now,
            }
        )
    _insert(Offer, offer_rows)

    # Demand: big cities, and far more near the Ukrainian border.
    boost = np.array([DEMAND_BOOST.get(str(c), 1.0) for c in gaz.countries[keep]])
    weight = pop * boost
    r_city = keep[rng.choice(keep.shape[0], size=requests, p=weight / weight.sum())]
    size = rng.choice(np.arange(1, 7), size=requests, p=HOUSEHOLD_SIZE_P)
    has_children = (size >= 2) & (rng.random(requests) < 0.55)
    children = np.where(has_children, rng.integers(1, np.maximum(size, 2)), 0)
    children = np.minimum(children, size - 1)
    adults = size - children
    r_langs = _languages(rng, np.array(["UA"] * requests), ("ru", "en", "pl", "de"), (0.3, 0.2, 0.05, 0.05))
    r_flags = rng.random((requests, 2)) < np.array([0.15, 0.07])
    vulnerable = rng.random(requests) < 0.2
    refugee_rows = []
    request_rows = []
    for i in range(requests):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7 + seed) % len(LAST_NAMES)]}"
        refugee_rows.append(
            {
                "email": f"guest{run + i}@demo.matcher.invalid",
                "name": name,
                "role": Role.REFUGEE,
                "locale": "uk",
                "password_hash": None,
                "created_at": now,
                "session_version": 1,
                "active": True,
            }
        )
    refugee_ids = _insert_returning_ids(User, refugee_rows)
    needed = today + np.asarray(rng.integers(-10, 31, size=requests), dtype=object) * timedelta(days=1)
    for i in range(requests):
        n_children = int(children[i])
        request_rows.append(
            {
                "refugee_id": refugee_ids[i],
                "contact_name": refugee_rows[i]["name"],
                "email": refugee_rows[i]["email"],
                "phone": None,
                "adults": int(adults[i]),
                "children": n_children,
                "child_ages": [str(a) for a in rng.integers(0, 18, size=n_children)],
                "pets": bool(r_flags[i, 0]),
                "step_free_needed": bool(r_flags[i, 1]),
                "other_needs": "",
                "languages": r_langs[i],
                "place_name": gaz.names[r_city[i]],
                "country": str(gaz.countries[r_city[i]]),
                "geoname_id": int(gaz.ids[r_city[i]]),
                "lat": float(gaz.lat[r_city[i]]),
                "lon": float(gaz.lon[r_city[i]]),
                "max_distance_km": int(rng.choice([50, 100, 150, 200, 300])),
                "needed_from": needed[i],
                "duration_days": int(rng.choice([30, 90, 180, 365])),
                "vulnerabilities": list(rng.choice(VULNERABILITY_CODES, size=1)) if vulnerable[i] else [],
                "notes": "",
                "status": RequestStatus.OPEN,
                "created_at": now - timedelta(hours=int(rng.integers(1, 24 * 30))),
                "updated_at": now,
            }
        )
    _insert(HousingRequest, request_rows)
    db.session.commit()
    return DemoSummary(
        hosts=offers, offers=offers, refugees=requests, requests=requests, seconds=time.perf_counter() - started
    )
