"""Concerns: a host or guest reports a worry about their match; coordinators look into it and resolve it.

Reporting flags the case (it goes to the top of the coordinator queue) and pauses the match while it is still a
pending proposal: nobody can accept it and its hold does not run out while paused. Resolving the last open
concern on a match lifts the pause and gives the hold back the time it was paused, or, when the coordinator
says so, cancels the proposal (or records a breakdown after a move-in) for safeguarding. Only coordinators read a
concern, and creating, viewing and resolving one are each audited. Every function here is one transaction.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from matcher.domain.lifecycle import Actor
from matcher.domain.lifecycle_states import PENDING_STATES
from matcher.extensions import db
from matcher.models import TEXT_MAX, Concern, ConcernStatus, User, utcnow
from matcher.services import audit, matches, notifications
from matcher.services.errors import Conflict, NotFound, ServiceError
from matcher.services.locking import in_one_transaction, lock_match_for_update

REPORTED = "concern.reported"
CONCERN_MAX = 2000  # characters a person may write in a concern


def _text(value: str | None, field: str, limit: int, empty_message) -> str:
    text = (value or "").strip()
    if not text:
        raise ServiceError(empty_message, field)
    if len(text) > limit:
        raise ServiceError(_l("Keep it under %(n)d characters.", n=limit), field)
    return text


def report(user: User, match_id: int, body: str, *, now: datetime | None = None) -> Concern:
    """The host or guest of a match reports a concern; the case is flagged and a pending proposal paused."""
    now = now or utcnow()
    text = _text(body, "body", CONCERN_MAX, _l("Tell us what worries you."))

    def work() -> Concern:
        match = lock_match_for_update(match_id)
        party = matches.party_of(user, match) if match is not None else None
        if party not in (Actor.HOST, Actor.GUEST):
            raise NotFound(_l("There is no such proposal for you."))
        concern = Concern(
            match_id=match.id,
            request_id=match.request_id,
            reporter_id=user.id,
            reporter_role=party.value,
            body=text,
            created_at=now,
        )
        db.session.add(concern)
        db.session.flush()
        audit.record(
            "concern.created", "concern", concern.id, actor=user, match_id=match.id, request_id=match.request_id,
            reporter_role=party.value,
        )  # fmt: skip
        if match.status in PENDING_STATES and match.paused_at is None:
            match.paused_at = now
            audit.record("match.paused", "match", match.id, actor=user, concern_id=concern.id)
        coordinator = notifications.coordinator_of(match)
        if coordinator is not None and coordinator.active:
            notifications.queue(
                coordinator,
                REPORTED,
                party=Actor.COORDINATOR,
                link=notifications.site_path("safeguarding.concern_page", concern_id=concern.id),
                match=match,
                request=match.request,
                now=now,
                subject_params={"id": match.request_id},
                party_reported=party.value,
            )
        return concern

    return in_one_transaction(work)


def view(coordinator: User, concern_id: int) -> Concern:
    """A coordinator opens a concern: audited. One commit."""
    concern = db.session.get(Concern, concern_id)
    if concern is None:
        raise NotFound(_l("There is no such concern."))
    audit.record("concern.viewed", "concern", concern.id, actor=coordinator, request_id=concern.request_id)
    db.session.commit()
    return concern


def resolve(
    coordinator: User, concern_id: int, resolution: str, *, close_match: bool = False, now: datetime | None = None
) -> Concern:
    """Resolve a concern with what was done; lifts the pause (the hold gets its paused time back) once no open
    concern is left on the match, or closes the match for safeguarding when asked. One commit."""
    now = now or utcnow()
    text = _text(resolution, "resolution", TEXT_MAX, _l("Say what was done."))

    def work() -> Concern:
        match_id = db.session.scalar(select(Concern.match_id).where(Concern.id == concern_id))
        if match_id is None:
            raise NotFound(_l("There is no such concern."))
        match = lock_match_for_update(match_id)
        concern = db.session.scalar(
            select(Concern).where(Concern.id == concern_id).with_for_update().execution_options(populate_existing=True)
        )
        if concern.status is not ConcernStatus.OPEN:
            raise Conflict(_l("This concern is already resolved."))
        concern.status = ConcernStatus.RESOLVED
        concern.resolved_at = max(now, concern.created_at)
        concern.resolved_by_id = coordinator.id
        concern.resolution = text
        audit.record(
            "concern.resolved", "concern", concern.id, actor=coordinator, request_id=concern.request_id,
            match_id=match.id, closed_match=bool(close_match),
        )  # fmt: skip
        if close_match:
            matches.close_in_transaction(coordinator, match, "safeguarding", now=now, via="concern")
            match.paused_at = None
            return concern
        others = db.session.scalar(
            select(func.count(Concern.id)).where(
                Concern.match_id == match.id, Concern.status == ConcernStatus.OPEN, Concern.id != concern.id
            )
        )
        if match.paused_at is not None and not others:
            paused_for = now - match.paused_at
            if match.hold_expires_at is not None and paused_for.total_seconds() > 0:
                match.hold_expires_at = match.hold_expires_at + paused_for
            match.paused_at = None
            audit.record(
                "match.resumed", "match", match.id, actor=coordinator, concern_id=concern.id,
                hold_expires_at=match.hold_expires_at.isoformat() if match.hold_expires_at else None,
            )  # fmt: skip
        return concern

    return in_one_transaction(work)


def get(concern_id: int) -> Concern:
    concern = db.session.get(Concern, concern_id)
    if concern is None:
        raise NotFound(_l("There is no such concern."))
    return concern
