"""Offers: a host adds, edits, pauses, resumes, withdraws and confirms places; coordinators may look (audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from matcher.domain.lifecycle_states import HOLDING_STATES, PENDING_STATES, MatchStatus
from matcher.domain.vocabulary import LANGUAGE_CODES, OfferStatus, PlaceKind
from matcher.extensions import db
from matcher.models import ADDRESS_MAX, TEXT_MAX, TITLE_MAX, Match, Offer, User, utcnow
from matcher.services import audit, places, submissions
from matcher.services.errors import Conflict, NotFound, ServiceError
from matcher.services.inputs import check_codes, check_date, check_int, check_text
from matcher.services.locking import lock_offer_for_update

# A withdrawn offer must not leave a household waiting on it; a stay already under way goes on (the coordinator
# records its end), so only these block a withdrawal.
AWAITING_MOVE_IN = PENDING_STATES | {MatchStatus.CONFIRMED}
BEDS_MIN = 1
BEDS_MAX = 50

# action -> (statuses it may start from, status it leads to, audit action)
STATUS_ACTIONS: dict[str, tuple[frozenset[OfferStatus], OfferStatus, str]] = {
    "pause": (frozenset({OfferStatus.ACTIVE}), OfferStatus.PAUSED, "offer.paused"),
    "resume": (frozenset({OfferStatus.PAUSED}), OfferStatus.ACTIVE, "offer.resumed"),
    "withdraw": (frozenset({OfferStatus.ACTIVE, OfferStatus.PAUSED}), OfferStatus.WITHDRAWN, "offer.withdrawn"),
}


@dataclass
class OfferInput:
    """What a host states about an offer, as plain values (from a form, the API or an import)."""

    title: str
    address: str
    country: str
    beds: int
    kind: str
    available_from: date | None
    place: str = ""
    place_choice: int | None = None  # GeoNames id picked after an ambiguous place name
    lat: float | None = None  # an exact pin wins over the place name
    lon: float | None = None
    description: str = ""
    shareable: bool = False
    available_until: date | None = None  # None: open-ended
    pets_ok: bool = False
    children_ok: bool = True
    step_free: bool = False
    smoking_ok: bool = False
    languages: list[str] = field(default_factory=list)
    notes: str = ""


def _validated(data: OfferInput) -> dict:
    """Column values for everything but the place, after the domain rules; ServiceError on the first problem."""
    values = {
        "title": check_text(data.title, "title", TITLE_MAX, required=True),
        "description": check_text(data.description, "description", TEXT_MAX),
        "address": check_text(data.address, "address", ADDRESS_MAX, required=True),
        "beds": check_int(data.beds, "beds", BEDS_MIN, BEDS_MAX, _l("Give between 1 and 50 beds.")),
        "shareable": bool(data.shareable),
        "available_from": check_date(data.available_from, "available_from"),
        "available_until": check_date(data.available_until, "available_until", required=False),
        "pets_ok": bool(data.pets_ok),
        "children_ok": bool(data.children_ok),
        "step_free": bool(data.step_free),
        "smoking_ok": bool(data.smoking_ok),
        "languages": check_codes(data.languages, LANGUAGE_CODES, "languages", _l("Choose languages from the list.")),
        "notes": check_text(data.notes, "notes", TEXT_MAX),
    }
    try:
        values["kind"] = PlaceKind(data.kind)
    except ValueError:
        raise ServiceError(_l("Choose room, flat or house."), "kind") from None
    until = values["available_until"]
    if until is not None and until < values["available_from"]:
        raise ServiceError(_l("“Until” cannot be before “from”."), "available_until")
    return values


def _place_values(resolved: places.ResolvedPlace) -> dict:
    return {
        "place_name": resolved.place_name,
        "country": resolved.country,
        "geoname_id": resolved.geoname_id,
        "lat": resolved.lat,
        "lon": resolved.lon,
    }


def _with_matches():
    return selectinload(Offer.matches).selectinload(Match.request)


def host_offers(host: User) -> list[Offer]:
    """The host's offers, newest first, with their matches loaded (free beds and proposals, no N+1)."""
    return list(
        db.session.scalars(
            select(Offer).where(Offer.host_id == host.id).options(_with_matches()).order_by(Offer.id.desc())
        )
    )


def owned_offer(user: User, offer_id: int) -> Offer:
    """The user's own offer; NotFound for anyone else's, so that ids reveal nothing."""
    offer = db.session.scalar(
        select(Offer).where(Offer.id == offer_id, Offer.host_id == user.id).options(_with_matches())
    )
    if offer is None:
        raise NotFound(_l("There is no such offer."))
    return offer


def view_offer(viewer: User, offer_id: int) -> Offer:
    """An offer with its private address for its host or for staff; each staff view is audited and committed."""
    if not viewer.is_staff:
        return owned_offer(viewer, offer_id)
    offer = db.session.scalar(select(Offer).where(Offer.id == offer_id).options(_with_matches()))
    if offer is None:
        raise NotFound(_l("There is no such offer."))
    audit.record("offer.address_viewed", "offer", offer.id, actor=viewer, host_id=offer.host_id)
    db.session.commit()
    return offer


def open_matches(offer: Offer) -> list[Match]:
    """The offer's matches that hold beds now (proposed to moved in)."""
    return [m for m in offer.matches if m.status in HOLDING_STATES]


def create_offer(host: User, data: OfferInput, *, nonce: str | None = None) -> Offer:
    """Add an offer for this host; the same nonce twice returns the first offer instead of a copy."""
    values = _validated(data)
    resolved = places.resolve_offer_place(
        data.place, data.country, choice=data.place_choice, lat=data.lat, lon=data.lon
    )
    approx_lat, approx_lon = places.public_point(resolved.lat, resolved.lon, salt=str(host.id))
    nonce = submissions.clean_nonce(nonce)
    host_id = host.id
    submissions.lock_actor(host_id)
    earlier = submissions.earlier_subject(host_id, "offer.created", nonce)
    if earlier is not None and (existing := db.session.get(Offer, earlier)) is not None:
        db.session.rollback()  # a repeated submission: nothing to write, release the lock
        return existing
    offer = Offer(
        host_id=host_id,
        **values,
        **_place_values(resolved),
        approx_lat=approx_lat,
        approx_lon=approx_lon,
        status=OfferStatus.ACTIVE,
        last_confirmed_at=utcnow(),
    )
    db.session.add(offer)
    db.session.flush()
    audit.record("offer.created", "offer", offer.id, actor=host, nonce=nonce, beds=offer.beds)
    db.session.commit()
    return offer


def update_offer(actor: User, offer_id: int, data: OfferInput) -> Offer:
    """Edit the actor's own offer; the public point moves only when the exact point moves."""
    offer = owned_offer(actor, offer_id)
    if offer.status is OfferStatus.WITHDRAWN:
        raise Conflict(_l("This offer is withdrawn and can no longer be changed."))
    values = _validated(data)
    held = offer.beds_held
    if values["beds"] < held:
        raise ServiceError(_l("%(n)d beds are held by open proposals; keep at least that many.", n=held), "beds")
    pin = places.check_pin(data.lat, data.lon)
    unchanged_place = (
        pin is None
        and (data.place or "").strip() == offer.place_name
        and (data.country or "").strip().upper() == offer.country
        and not places.is_pinned(offer.geoname_id, offer.lat, offer.lon)
    )
    if pin is not None and places.same_point(pin, (offer.lat, offer.lon)):
        unchanged_place = True  # the same pin, re-saved: keep its label
    if not unchanged_place:
        resolved = places.resolve_offer_place(
            data.place, data.country, choice=data.place_choice, lat=data.lat, lon=data.lon
        )
        values.update(_place_values(resolved))
        if not places.same_point((resolved.lat, resolved.lon), (offer.lat, offer.lon)):
            values["approx_lat"], values["approx_lon"] = places.public_point(
                resolved.lat, resolved.lon, salt=str(offer.host_id)
            )
    changed = sorted(name for name, value in values.items() if getattr(offer, name) != value)
    for name in changed:
        setattr(offer, name, values[name])
    # The private address and point are never copied into the audit log, only the names of what changed.
    audit.record("offer.updated", "offer", offer.id, actor=actor, changed=changed)
    db.session.commit()
    return offer


def change_status(actor: User, offer_id: int, action: str) -> Offer:
    """Pause, resume or withdraw the actor's offer; resuming also confirms it is still available."""
    offer = owned_offer(actor, offer_id)
    if action not in STATUS_ACTIONS:
        raise ServiceError(_l("Unknown action."), "action")
    sources, target, event = STATUS_ACTIONS[action]
    if target is OfferStatus.WITHDRAWN:
        # Locked like a proposal locks it, so that a proposal cannot slip in between this check and the commit.
        offer = lock_offer_for_update(offer.id)
        waiting = select(Match.id).where(Match.offer_id == offer.id, Match.status.in_(AWAITING_MOVE_IN))
        if db.session.scalar(waiting.limit(1)) is not None:
            db.session.rollback()
            raise Conflict(
                _l(
                    "A household has been proposed or is due to move in here. Decline the proposal, or ask your "
                    "coordinator to cancel the stay, before you withdraw this offer."
                ),
                "action",
            )
    if offer.status not in sources:
        raise Conflict(_l("This offer cannot be changed that way now."), "action")
    previous = offer.status
    offer.status = target
    if target is OfferStatus.ACTIVE:
        offer.last_confirmed_at = utcnow()
    audit.record(event, "offer", offer.id, actor=actor, previous=previous.value)
    db.session.commit()
    return offer


def confirm_offer(actor: User, offer_id: int) -> Offer:
    """Stamp "still available" now; a paused offer becomes active again (freshness pauses stale offers)."""
    offer = owned_offer(actor, offer_id)
    if offer.status is OfferStatus.WITHDRAWN:
        raise Conflict(_l("This offer is withdrawn. Add a new offer instead."))
    resumed = offer.status is OfferStatus.PAUSED
    offer.status = OfferStatus.ACTIVE
    offer.last_confirmed_at = utcnow()
    audit.record("offer.confirmed", "offer", offer.id, actor=actor, resumed=resumed)
    db.session.commit()
    return offer


def as_input(offer: Offer) -> OfferInput:
    """The offer's current values, to fill an edit form; the pin is given only when the offer has one."""
    pinned = places.is_pinned(offer.geoname_id, offer.lat, offer.lon)
    return OfferInput(
        title=offer.title,
        address=offer.address,
        country=offer.country,
        beds=offer.beds,
        kind=offer.kind.value,
        available_from=offer.available_from,
        place=offer.place_name,
        place_choice=offer.geoname_id,
        lat=offer.lat if pinned else None,
        lon=offer.lon if pinned else None,
        description=offer.description,
        shareable=offer.shareable,
        available_until=offer.available_until,
        pets_ok=offer.pets_ok,
        children_ok=offer.children_ok,
        step_free=offer.step_free,
        smoking_ok=offer.smoking_ok,
        languages=list(offer.languages),
        notes=offer.notes,
    )
