"""The audit trail: every state change and every reveal of contact data."""

from __future__ import annotations

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
