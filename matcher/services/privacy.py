"""Privacy rights: a person downloads their data, or deletes their account; old closed cases are anonymised.

Deleting an account erases or blanks everything that identifies the person (name, email, phone, password,
addresses, exact points, free text, messages, links) and deactivates the user row, which stays as an anonymous
stub so that placements keep their counts and dates for the statistics. A person with a proposal or a stay in
progress is asked to finish it first (decline it, or ask the coordinator to end it): a live placement is never
left without its counterpart. The audit trail is kept as it is: it records what staff did, and why.

The retention job anonymises each closed case RETENTION_MONTHS after its last change, the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from werkzeug.security import check_password_hash

from matcher.domain.lifecycle_states import HOLDING_STATES
from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.extensions import db
from matcher.models import (
    CheckIn,
    Concern,
    HostCheck,
    HousingRequest,
    Match,
    Note,
    Notification,
    Offer,
    Role,
    SignedLink,
    User,
    utcnow,
)
from matcher.services import audit, claims
from matcher.services.errors import Conflict, ServiceError

DAYS_PER_MONTH = 30.44


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _row(obj, columns: tuple[str, ...]) -> dict:
    return {name: _value(getattr(obj, name)) for name in columns}


PROFILE = ("id", "name", "email", "phone", "role", "locale", "created_at", "last_login_at")
OFFER = (
    "id", "title", "description", "address", "place_name", "country", "lat", "lon", "approx_lat", "approx_lon",
    "beds", "shareable", "kind", "available_from", "available_until", "pets_ok", "children_ok", "step_free",
    "smoking_ok", "languages", "notes", "status", "last_confirmed_at", "created_at", "updated_at",
)  # fmt: skip
REQUEST = (
    "id", "contact_name", "phone", "email", "adults", "children", "child_ages", "pets", "step_free_needed",
    "other_needs", "languages", "place_name", "country", "lat", "lon", "max_distance_km", "needed_from",
    "duration_days", "vulnerabilities", "women_only", "status", "created_at", "updated_at",
)  # fmt: skip
# The free-text reason on a match is left out: a coordinator may have written it about the other side.
MATCH = (
    "id", "request_id", "offer_id", "status", "beds_held", "host_accepted_at", "guest_accepted_at", "confirmed_at",
    "moved_in_at", "ended_at", "decline_reason", "created_at", "updated_at",
)  # fmt: skip
MESSAGE = ("id", "kind", "subject", "body", "link", "created_at", "sent_at", "read_at")
CHECKIN = ("id", "match_id", "kind", "sent_at", "answered_at", "ok")
CONCERN = ("id", "match_id", "body", "status", "created_at", "resolved_at")
CHECK = ("id", "kind", "done_on", "expires_on", "unavailable", "created_at")


def _matches_of(user: User) -> list[Match]:
    stmt = (
        select(Match)
        .join(Offer, Offer.id == Match.offer_id)
        .join(HousingRequest, HousingRequest.id == Match.request_id)
        .where((Offer.host_id == user.id) | (HousingRequest.refugee_id == user.id))
        .order_by(Match.id)
    )
    return list(db.session.scalars(stmt))


def export_data(user: User, *, now: datetime | None = None) -> dict:
    """Everything held about this person, as JSON-ready data: profile, offers or requests, matches, messages sent to
    them, check-ins, concerns they reported and (for hosts) the checks recorded about them. Audited; one commit."""
    now = now or utcnow()
    offers = db.session.scalars(select(Offer).where(Offer.host_id == user.id).order_by(Offer.id)).all()
    requests = db.session.scalars(
        select(HousingRequest).where(HousingRequest.refugee_id == user.id).order_by(HousingRequest.id)
    ).all()
    matches = _matches_of(user)
    messages = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()
    checkins = db.session.scalars(select(CheckIn).where(CheckIn.user_id == user.id).order_by(CheckIn.id)).all()
    concerns = db.session.scalars(select(Concern).where(Concern.reporter_id == user.id).order_by(Concern.id)).all()
    checks = db.session.scalars(select(HostCheck).where(HostCheck.host_id == user.id).order_by(HostCheck.id)).all()
    data = {
        "exported_at": now.isoformat(),
        "profile": _row(user, PROFILE),
        "offers": [_row(o, OFFER) for o in offers],
        "housing_requests": [_row(r, REQUEST) for r in requests],
        "matches": [
            {**_row(m, MATCH), "your_part": "host" if m.offer.host_id == user.id else "guest"} for m in matches
        ],
        "messages": [_row(n, MESSAGE) for n in messages],
        "checkins": [_row(c, CHECKIN) for c in checkins],
        "concerns_reported": [_row(c, CONCERN) for c in concerns],
        "safeguarding_checks": [_row(c, CHECK) for c in checks],
    }
    audit.record("user.data_exported", "user", user.id, actor=user)
    db.session.commit()
    return data


# --- anonymising -------------------------------------------------------------------------------------------------


def anonymise_request(request: HousingRequest, now: datetime) -> None:
    """Blank a request's contact details and free text, and drop its notes; counts, places and dates stay."""
    request.contact_name = ""
    request.phone = None
    request.email = None
    request.other_needs = ""
    request.notes = ""
    request.external_id = None
    request.anonymised_at = now
    db.session.execute(delete(Note).where(Note.request_id == request.id))
    db.session.execute(
        update(Match)
        .where(Match.request_id == request.id)
        .values(decline_text=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Concern)
        .where(Concern.request_id == request.id)
        .values(body="", resolution="")
        .execution_options(synchronize_session=False)
    )


def _anonymise_offer(offer: Offer) -> None:
    offer.title = ""
    offer.description = ""
    offer.address = ""
    offer.notes = ""
    offer.external_id = None
    offer.lat, offer.lon = offer.approx_lat, offer.approx_lon  # the exact point goes; the public one stays
    offer.household_adults = None
    offer.household_gender = None
    if offer.status is not OfferStatus.WITHDRAWN:
        offer.status = OfferStatus.WITHDRAWN


def _in_progress(user: User) -> int:
    return db.session.scalar(
        select(func.count(Match.id))
        .join(Offer, Offer.id == Match.offer_id)
        .join(HousingRequest, HousingRequest.id == Match.request_id)
        .where(Match.status.in_(HOLDING_STATES), or_(Offer.host_id == user.id, HousingRequest.refugee_id == user.id))
    )


def delete_account(user: User, password: str, *, now: datetime | None = None) -> None:
    """Erase a person's account after checking their password. One commit.

    Raises ServiceError on the password field for a wrong password, and Conflict while a proposal or stay is in
    progress, or for the last active admin.
    """
    now = now or utcnow()
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise ServiceError(_l("The password is not right."), "password")
    try:
        if _in_progress(user):
            raise Conflict(
                _l(
                    "You have a proposal or a stay in progress. Decline the proposal, or ask your coordinator to "
                    "end the stay, before you delete your account."
                )
            )
        if user.role is Role.ADMIN:
            admins = db.session.scalar(
                select(func.count(User.id)).where(User.role == Role.ADMIN, User.active, User.id != user.id)
            )
            if not admins:
                raise Conflict(_l("You are the last admin. Make someone else an admin first."))
        for offer in db.session.scalars(select(Offer).where(Offer.host_id == user.id)):
            _anonymise_offer(offer)
        for request in db.session.scalars(select(HousingRequest).where(HousingRequest.refugee_id == user.id)):
            if request.status in (RequestStatus.OPEN, RequestStatus.MATCHED):
                audit.record(
                    "request.status_changed", "request", request.id, actor=user, reason="account deleted",
                    from_status=request.status.value, to_status=RequestStatus.CLOSED.value,
                )  # fmt: skip
                request.status = RequestStatus.CLOSED
            anonymise_request(request, now)
        owned = db.session.scalars(select(HousingRequest.id).where(HousingRequest.owner_id == user.id)).all()
        if owned:  # a leaving coordinator's cases go back to the queue, unassigned
            db.session.execute(
                update(HousingRequest).where(HousingRequest.id.in_(owned)).values(owner_id=None)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            audit.record("case.unassigned", "user", user.id, actor=user, reason="account deleted", cases=list(owned))
        db.session.execute(update(HostCheck).where(HostCheck.host_id == user.id).values(note=""))
        db.session.execute(update(Concern).where(Concern.reporter_id == user.id).values(body=""))
        db.session.execute(delete(Notification).where(Notification.user_id == user.id))
        db.session.execute(delete(SignedLink).where(SignedLink.user_id == user.id))
        for match in _matches_of(user):
            match.decline_text = None
        user.name = ""
        user.email = None
        user.phone = None
        user.password_hash = None
        claims.forget_claim_code(user)
        user.active = False
        user.deleted_at = now
        user.last_login_at = None
        user.session_version += 1
        audit.record("user.deleted", "user", user.id, actor=user, role=user.role.value)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


# --- retention ---------------------------------------------------------------------------------------------------


def retention_cutoff(now: datetime) -> datetime | None:
    """Closed cases last changed before this are anonymised; None when RETENTION_MONTHS is 0 (keep forever)."""
    months = int(current_app.config.get("RETENTION_MONTHS", 24))
    if months <= 0:
        return None
    return now - timedelta(days=round(months * DAYS_PER_MONTH))


def expired_case_ids(now: datetime) -> list[int]:
    """Closed, not yet anonymised cases past the retention period."""
    cutoff = retention_cutoff(now)
    if cutoff is None:
        return []
    stmt = select(HousingRequest.id).where(
        HousingRequest.status == RequestStatus.CLOSED,
        HousingRequest.anonymised_at.is_(None),
        HousingRequest.updated_at <= cutoff,
    )
    return list(db.session.scalars(stmt.order_by(HousingRequest.id)))


def anonymise_case(request_id: int, now: datetime) -> bool:
    """Anonymise one closed case past retention (re-checked; caller commits); True if it did."""
    from matcher.services.locking import lock_request_for_update

    cutoff = retention_cutoff(now)
    request = lock_request_for_update(request_id)
    if cutoff is None or request is None or request.anonymised_at is not None:
        return False
    if request.status is not RequestStatus.CLOSED or request.updated_at > cutoff:
        return False
    held = db.session.scalar(
        select(func.count(Match.id)).where(Match.request_id == request.id, Match.status.in_(HOLDING_STATES))
    )
    if held:
        return False
    anonymise_request(request, now)
    audit.record("request.anonymised", "request", request.id, reason="retention period passed")
    return True
