"""The audit trail: every state change and every reveal of contact data; admins search it."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from matcher.extensions import db
from matcher.models import AuditEvent, User


def record(
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    actor: User | None = None,
    reason: str | None = None,
    **details,
) -> AuditEvent:
    """Add an audit event to the current transaction; the calling use case commits it."""
    event = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_id=actor.id if actor is not None and actor.id is not None else None,
        reason=reason,
        details=details,
    )
    db.session.add(event)
    return event


AUDIT_PAGE_SIZE = 50


def search(*, action: str = "", actor: str = "", page: int = 1) -> tuple[list[AuditEvent], int]:
    """One page of the audit log, newest first, and the total; ``action`` matches a prefix ("contact." finds
    every reveal), ``actor`` an email, a phone or a user id."""
    stmt = select(AuditEvent)
    action = (action or "").strip()[:60]
    if action:
        escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(AuditEvent.action.like(escaped + "%", escape="\\"))
    actor = (actor or "").strip()[:254]
    if actor:
        if actor.isdigit() and len(actor) < 12:
            stmt = stmt.where(AuditEvent.actor_id == int(actor))
        else:
            ids = select(User.id).where(or_(User.email == actor.lower(), User.phone == actor))
            stmt = stmt.where(AuditEvent.actor_id.in_(ids))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(int(page), 1)
    rows = db.session.scalars(
        stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .options(selectinload(AuditEvent.actor))
    ).all()
    return list(rows), int(total)


def actions() -> list[str]:
    """Every action that occurs in the log, for the filter's choices."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
