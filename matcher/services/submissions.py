"""Server-side idempotency for create forms: a double-clicked "Add offer" creates one offer.

Each create form carries a one-time nonce. The use case locks the actor's user row for the rest of its
transaction (an UPDATE: a row lock on PostgreSQL, the database write lock on SQLite), then looks for an earlier
audit event of the same action with the same nonce. Two clicks that arrive together are thereby serialised:
the second waits for the first to commit, finds its event, and returns the same record instead of a copy.
The nonce is kept in the audit event's details, so no table needs a column for it.
"""

from __future__ import annotations

from sqlalchemy import select, update

from matcher.extensions import db
from matcher.models import AuditEvent, User

NONCE_MAX = 64  # characters
# Only the actor's most recent events of that action are searched: a nonce is reused seconds later, not months.
LOOKBACK_EVENTS = 50


def clean_nonce(nonce: str | None) -> str | None:
    """A usable nonce or None (then the submission is simply not deduplicated)."""
    nonce = (nonce or "").strip()
    return nonce if 8 <= len(nonce) <= NONCE_MAX and nonce.isprintable() else None


def lock_actor(actor_id: int) -> None:
    """Serialise this actor's submissions until the current transaction ends."""
    users = User.__table__
    db.session.execute(update(users).where(users.c.id == actor_id).values(session_version=users.c.session_version))


def earlier_subject(actor_id: int, action: str, nonce: str | None) -> int | None:
    """The subject id of the actor's earlier `action` made with this nonce, or None."""
    if not nonce:
        return None
    rows = db.session.execute(
        select(AuditEvent.subject_id, AuditEvent.details)
        .where(AuditEvent.actor_id == actor_id, AuditEvent.action == action)
        .order_by(AuditEvent.id.desc())
        .limit(LOOKBACK_EVENTS)
    )
    return next((subject for subject, details in rows if (details or {}).get("nonce") == nonce), None)
