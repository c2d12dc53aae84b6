"""Paged reads of offers, requests, matches and batches for the JSON API, with the UI's visibility rules.

Hosts see their own offers, refugees their own requests, coordinators and admins everything; anyone else's
record is NotFound, so ids reveal nothing. Exact addresses and contact details are the owner's; a coordinator
gets them only by giving a reason, and each such reveal is audited like the UI's (offer.address_viewed,
contact.revealed).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.extensions import db
from matcher.models import BatchRun, HousingRequest, Match, Offer, Role, User
from matcher.services import audit, cases
from matcher.services.errors import NotFound, ServiceError

REVEAL_REASON_MIN, REVEAL_REASON_MAX = 3, 500


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def _paged(stmt, order, page: int, per_page: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = db.session.scalars(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), int(total), page, per_page)


def offers_page(viewer: User, *, status: str | None, page: int, per_page: int) -> Page:
    """A host's own offers, or every offer for staff; newest first."""
    stmt = select(Offer).options(selectinload(Offer.matches))
    if not viewer.is_staff:
        stmt = stmt.where(Offer.host_id == viewer.id)
    if status:
        stmt = stmt.where(Offer.status == OfferStatus(status))
    return _paged(stmt, (Offer.id.desc(),), page, per_page)


def requests_page(viewer: User, *, status: str | None, page: int, per_page: int) -> Page:
    """A refugee's own requests, or every request for staff; newest first."""
    stmt = select(HousingRequest)
    if not viewer.is_staff:
        stmt = stmt.where(HousingRequest.refugee_id == viewer.id)
    if status:
        stmt = stmt.where(HousingRequest.status == RequestStatus(status))
    return _paged(stmt, (HousingRequest.id.desc(),), page, per_page)


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not REVEAL_REASON_MIN <= len(reason) <= REVEAL_REASON_MAX:
        raise ServiceError(_l("Say why you need the contact details (3 to 500 characters)."), "reveal")
    return reason


def get_offer(viewer: User, offer_id: int, *, reveal: str | None = None) -> tuple[Offer, bool]:
    """The offer and whether its private fields may be shown: always to its host, to staff with a reason."""
    offer = db.session.scalar(select(Offer).where(Offer.id == offer_id).options(selectinload(Offer.matches)))
    if offer is None or (not viewer.is_staff and offer.host_id != viewer.id):
        raise NotFound(_l("There is no such offer."))
    if offer.host_id == viewer.id:
        return offer, True
    if reveal is None:
        return offer, False
    reason = _reason(reveal)
    audit.record(
        "offer.address_viewed", "offer", offer.id, actor=viewer, reason=reason, host_id=offer.host_id, via="api"
    )
    db.session.commit()
    return offer, True


def get_request(viewer: User, request_id: int, *, reveal: str | None = None) -> tuple[HousingRequest, bool]:
    """The request and whether its contact details may be shown: always to its person, to staff with a reason."""
    found = db.session.get(HousingRequest, request_id)
    if found is None or (not viewer.is_staff and found.refugee_id != viewer.id):
        raise NotFound(_l("There is no such request."))
    if found.refugee_id == viewer.id:
        return found, True
    if reveal is None:
        return found, False
    cases.reveal_contact(viewer, request_id, _reason(reveal))
    return db.session.get(HousingRequest, request_id), True


def get_match(viewer: User, match_id: int) -> Match:
    """The match for its host, its guest or staff; NotFound for anyone else."""
    from matcher.services.matches import party_of

    match = db.session.get(Match, match_id)
    if match is None or party_of(viewer, match) is None:
        raise NotFound(_l("There is no such match."))
    return match


def get_batch(batch_id: int) -> BatchRun:
    """A stored batch (staff only; the caller checks the role)."""
    run = db.session.get(BatchRun, batch_id)
    if run is None:
        raise NotFound(_l("There is no such batch."))
    return run


def is_staff_role(user: User) -> bool:
    """Coordinators and admins."""
    return user.role in (Role.COORDINATOR, Role.ADMIN)
