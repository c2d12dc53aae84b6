"""Factory functions with full defaults and keyword overrides; they write straight to the database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from werkzeug.security import generate_password_hash

from matcher.domain.vocabulary import OfferStatus, PlaceKind, RequestStatus
from matcher.extensions import db
from matcher.models import HousingRequest, Offer, Role, User

TEST_PASSWORD = "a long test passphrase"
_sequence = itertools.count(1)
# Hashing is deliberately slow; one hash serves every factory user.
_TEST_HASH = generate_password_hash(TEST_PASSWORD)


def make_user(role: str | Role = Role.HOST, **fields) -> User:
    """A committed user; unique email by default, password TEST_PASSWORD."""
    n = next(_sequence)
    role = Role(role)
    defaults = {
        "name": f"{role.value.title()} {n}",
        "email": f"{role.value}{n}@example.org",
        "password_hash": _TEST_HASH,
        "role": role,
        "locale": "en",
    }
    defaults.update(fields)
    user = User(**defaults)
    db.session.add(user)
    db.session.commit()
    return user


# Gazetteer points (GeoNames ids and city centres), so factory records look like geocoded ones.
KRAKOW = {"place_name": "Kraków", "country": "PL", "geoname_id": 3094802, "lat": 50.06143, "lon": 19.93658}
LVIV = {"place_name": "Львів", "country": "UA", "geoname_id": 702550, "lat": 49.83826, "lon": 24.02324}


def _today():
    return datetime.now(UTC).date()


def make_offer(host: User | None = None, **fields) -> Offer:
    """A committed active offer of 2 beds in Kraków's centre, available from today, confirmed now."""
    n = next(_sequence)
    host = host or make_user(role=Role.HOST)
    defaults = {
        "host_id": host.id,
        "title": f"Room {n}",
        "description": "A quiet room.",
        "address": f"ul. Floriańska {n}, Kraków",
        **KRAKOW,
        "approx_lat": 50.07,
        "approx_lon": 19.95,
        "beds": 2,
        "shareable": False,
        "kind": PlaceKind.ROOM,
        "available_from": _today(),
        "available_until": None,
        "pets_ok": False,
        "children_ok": True,
        "step_free": False,
        "smoking_ok": False,
        "languages": ["pl", "en"],
        "notes": "",
        "status": OfferStatus.ACTIVE,
        "last_confirmed_at": datetime.now(UTC),
    }
    defaults.update(fields)
    offer = Offer(**defaults)
    db.session.add(offer)
    db.session.commit()
    return offer


def make_request(refugee: User | None = None, **fields) -> HousingRequest:
    """A committed open request: 2 adults near Lviv, within 150 km, from today for 90 days."""
    refugee = refugee or make_user(role=Role.REFUGEE)
    defaults = {
        "refugee_id": refugee.id,
        "created_by_id": refugee.id,
        "contact_name": refugee.name,
        "phone": refugee.phone,
        "email": refugee.email,
        "adults": 2,
        "children": 0,
        "child_ages": [],
        "pets": False,
        "step_free_needed": False,
        "other_needs": "",
        "languages": ["uk"],
        **LVIV,
        "max_distance_km": 150,
        "needed_from": _today(),
        "duration_days": 90,
        "vulnerabilities": [],
        "status": RequestStatus.OPEN,
    }
    defaults.update(fields)
    found = HousingRequest(**defaults)
    db.session.add(found)
    db.session.commit()
    return found


def make_match(request: HousingRequest | None = None, offer: Offer | None = None, **fields):
    """A committed match written straight to the table (no lifecycle checks, no audit), for reading tests.

    Defaults: a proposed match of a new Kraków request in a new Kraków offer, holding 72 h from now.
    Use matcher.services.matches.propose for the real thing.
    """
    from datetime import timedelta

    from matcher.domain.lifecycle_states import MatchStatus
    from matcher.models import Match

    offer = offer or make_offer()
    request = request or make_request(**KRAKOW)
    now = datetime.now(UTC)
    defaults = {
        "request_id": request.id,
        "offer_id": offer.id,
        "status": MatchStatus.PROPOSED,
        "beds_held": request.adults + request.children,
        "hold_expires_at": now + timedelta(hours=72),
        "created_at": now,
        "updated_at": now,
    }
    defaults.update(fields)
    match = Match(**defaults)
    db.session.add(match)
    db.session.commit()
    return match


class Case:
    """A coordinator who owns a Kraków request, and a host whose Kraków offer fits it (see make_case)."""

    def __init__(self, coordinator: User, host: User, refugee: User, offer: Offer, request: HousingRequest):
        self.coordinator, self.host, self.refugee, self.offer, self.request = coordinator, host, refugee, offer, request


def verify_host(host: User, *, done_by: User | None = None, kinds=None, **fields) -> list:
    """Record every safeguarding check (or ``kinds``) for a host, done today, so that the host is verified."""
    from matcher.domain.safeguarding import CheckKind
    from matcher.models import HostCheck

    rows = [
        HostCheck(
            host_id=host.id,
            kind=kind,
            done_on=_today(),
            done_by_id=done_by.id if done_by else None,
            **fields,
        )
        for kind in (kinds or CheckKind)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def make_case(
    *,
    offer: dict | None = None,
    request: dict | None = None,
    coordinator: User | None = None,
    verified: bool = True,
) -> Case:
    """A fitting pair for proposals: 2 beds for 2 adults, both in Kraków; override with ``offer=``/``request=``.

    The host is verified (every safeguarding check done today) unless ``verified=False``.
    """
    coordinator = coordinator or make_user(Role.COORDINATOR)
    host = make_user(Role.HOST)
    if verified:
        verify_host(host, done_by=coordinator)
    refugee = make_user(Role.REFUGEE, name="Olena Kovalenko")
    the_offer = make_offer(host, **(offer or {}))
    the_request = make_request(refugee, **{**KRAKOW, "owner_id": coordinator.id, **(request or {})})
    return Case(coordinator, host, refugee, the_offer, the_request)
