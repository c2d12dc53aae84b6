"""The coordinator's work on cases: the queue, ownership, notes, and audited reveals of contact details."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, case, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from matcher.domain.vocabulary import RequestStatus
from matcher.extensions import db
from matcher.models import (
    STAFF_ROLES,
    TEXT_MAX,
    AuditEvent,
    Concern,
    ConcernStatus,
    HousingRequest,
    Note,
    Offer,
    Role,
    User,
)
from matcher.services import audit, places
from matcher.services.errors import NotFound, ServiceError

QUEUE_PAGE_SIZE = 50
ID_MAX = 2**31 - 1  # the largest id an INTEGER primary key holds
QUEUE_SORTS = ("default", "waiting", "priority", "household", "place")


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"
    owner: str = "any"  # any, mine, unassigned
    query: str = ""
    vulnerable_only: bool = False
    sort: str = "default"
    page: int = 1


def _vulnerable():
    return HousingRequest.vulnerabilities != ""


def _flagged():
    """The case has an open concern (reported by its host or guest). An IN over the few open concerns, which the
    database hashes once, not an EXISTS it would probe again for each of 20k open cases to sort the queue."""
    return HousingRequest.id.in_(select(Concern.request_id).where(Concern.status == ConcernStatus.OPEN))


def queue(coordinator: User, flt: QueueFilter) -> tuple[list[HousingRequest], int]:
    """One page of cases and the total: flagged (an open concern), unassigned and vulnerable first, then the
    longest waiting. The default "open" view also lists flagged cases whatever their status."""
    stmt = select(HousingRequest)
    if flt.status == RequestStatus.OPEN.value:
        stmt = stmt.where(or_(HousingRequest.status == RequestStatus.OPEN, _flagged()))
    elif flt.status in {s.value for s in RequestStatus}:
        stmt = stmt.where(HousingRequest.status == RequestStatus(flt.status))
    if flt.owner == "mine":
        stmt = stmt.where(HousingRequest.owner_id == coordinator.id)
    elif flt.owner == "unassigned":
        stmt = stmt.where(HousingRequest.owner_id.is_(None))
    if flt.vulnerable_only:
        stmt = stmt.where(_vulnerable())
    if flt.query:
        like = f"%{flt.query.strip().lower()[:100]}%"
        matches = [func.lower(HousingRequest.place_name).like(like), func.lower(HousingRequest.contact_name).like(like)]
        # A city's name in any script or spelling finds its cases, whatever name a row was stored under.
        named = places.ids_named(flt.query)
        if named:
            matches.append(HousingRequest.geoname_id.in_(named))
        stmt = stmt.where(or_(*matches))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    unassigned_first = case((HousingRequest.owner_id.is_(None), 0), else_=1)
    vulnerable_first = case((_vulnerable(), 0), else_=1)
    flagged_first = case((_flagged(), 0), else_=1)
    orders = {
        "default": (flagged_first, unassigned_first, vulnerable_first, HousingRequest.created_at, HousingRequest.id),
        "waiting": (HousingRequest.created_at, HousingRequest.id),
        "priority": (vulnerable_first, HousingRequest.created_at, HousingRequest.id),
        "household": ((HousingRequest.adults + HousingRequest.children).desc(), HousingRequest.id),
        "place": (HousingRequest.place_name, HousingRequest.id),
    }
    stmt = stmt.order_by(*orders.get(flt.sort, orders["default"]))
    stmt = stmt.options(selectinload(HousingRequest.owner), selectinload(HousingRequest.open_concerns))
    page = max(flt.page, 1)
    rows = db.session.scalars(stmt.limit(QUEUE_PAGE_SIZE).offset((page - 1) * QUEUE_PAGE_SIZE)).all()
    return list(rows), int(total or 0)


def get_case(request_id: int) -> HousingRequest:
    """The request, or NotFound."""
    request = db.session.get(HousingRequest, request_id)
    if request is None:
        raise NotFound(_l("There is no such case."))
    return request


def coordinators() -> list[User]:
    """Everyone who can own a case."""
    return list(db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES), User.active).order_by(User.name)))


def assign(actor: User, request_ids: list[int], owner_id: int | None) -> int:
    """Give cases to a coordinator (or take them back to nobody); returns how many changed. One commit."""
    if any(not 0 < i <= ID_MAX for i in request_ids):
        raise NotFound(_l("There is no such case."))  # PostgreSQL refuses ids beyond its integer range outright
    if owner_id is not None and not 0 < owner_id <= ID_MAX:
        raise ServiceError(_l("Choose a coordinator."), "owner")
    owner = db.session.get(User, owner_id) if owner_id is not None else None
    if owner_id is not None and (owner is None or owner.role not in (Role.COORDINATOR, Role.ADMIN)):
        raise ServiceError(_l("Choose a coordinator."), "owner")
    requests = db.session.scalars(select(HousingRequest).where(HousingRequest.id.in_(request_ids))).all()
    if len(requests) != len(set(request_ids)):
        raise NotFound(_l("There is no such case."))
    changed = 0
    for request in requests:
        if request.owner_id != owner_id:
            audit.record(
                "case.assigned", "request", request.id, actor=actor, from_owner=request.owner_id, to_owner=owner_id
            )
            request.owner_id = owner_id
            changed += 1
    db.session.commit()
    return changed


def add_note(author: User, request_id: int, body: str) -> Note:
    """Add a note to a case."""
    body = (body or "").strip()
    if not body:
        raise ServiceError(_l("Write something first."), "body")
    if len(body) > TEXT_MAX:
        raise ServiceError(_l("Keep notes under %(n)d characters.", n=TEXT_MAX), "body")
    get_case(request_id)
    note = Note(request_id=request_id, author_id=author.id, body=body)
    db.session.add(note)
    db.session.flush()
    audit.record("case.note_added", "request", request_id, actor=author, note_id=note.id)
    db.session.commit()
    return note


def load_match_offers(case: HousingRequest) -> None:
    """Give each of a case's matches its offer from one query, so that a page showing them asks no more."""
    offer_ids = {match.offer_id for match in case.matches}
    if not offer_ids:
        return
    offers = {offer.id: offer for offer in db.session.scalars(select(Offer).where(Offer.id.in_(offer_ids)))}
    for match in case.matches:
        set_committed_value(match, "offer", offers[match.offer_id])


def offer_summaries(offer_ids: list[int]) -> dict[int, Row]:
    """What a case page shows of each ranked offer (its title, city, host and public point), by id: plain rows,
    since a page lists 30 of them and whole Offer objects cost twice as much to load."""
    columns = (
        Offer.id,
        Offer.title,
        Offer.place_name,
        Offer.geoname_id,
        Offer.host_id,
        Offer.approx_lat,
        Offer.approx_lon,
    )
    return {row.id: row for row in db.session.execute(select(*columns).where(Offer.id.in_(offer_ids)))}


def notes(request_id: int) -> list[Note]:
    """A case's notes, newest first."""
    stmt = select(Note).where(Note.request_id == request_id).order_by(Note.created_at.desc(), Note.id.desc())
    return list(db.session.scalars(stmt.options(selectinload(Note.author))))


def history(request_id: int) -> list[AuditEvent]:
    """Every audited event on the case and its matches, oldest first."""
    from matcher.models import Match

    match_ids = select(Match.id).where(Match.request_id == request_id)
    stmt = (
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.subject_type == "request") & (AuditEvent.subject_id == request_id),
                (AuditEvent.subject_type == "match") & AuditEvent.subject_id.in_(match_ids),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
        .options(selectinload(AuditEvent.actor))
    )
    return list(db.session.scalars(stmt))


def reveal_contact(coordinator: User, request_id: int, reason: str) -> HousingRequest:
    """Record that a coordinator looked at a household's contact details, and why. One commit."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ServiceError(_l("Say why you need the contact details."), "reason")
    request = get_case(request_id)
    audit.record("contact.revealed", "request", request.id, actor=coordinator, reason=reason[:500], whose="guest")
    db.session.commit()
    return request
