"""Personal API tokens: created by their user (or the CLI), shown once, stored as a SHA-256, revocable.

A token is "mt_" plus 43 URL-safe characters from secrets.token_urlsafe(32): 256 bits, so a plain SHA-256 is a
safe way to store it (no slow hash needed; a slow one would make every API call slow). A lookup compares
hashes through the unique index, so nothing depends on comparing secrets character by character.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import ApiToken, User, utcnow
from matcher.services import audit
from matcher.services.errors import Conflict, NotFound
from matcher.services.inputs import check_text

TOKEN_PREFIX = "mt_"
TOKEN_BYTES = 32  # of randomness: 256 bits
TOKEN_MAX = 100  # characters; anything longer is not one of ours
LABEL_MAX = 80
SHOWN_PREFIX_CHARS = 10  # "mt_" and 7 more, to tell tokens apart in the list
MAX_ACTIVE_TOKENS = 20  # per user
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most this often


def token_hash(token: str) -> str:
    """The hex SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def create_token(user: User, label: str, *, actor: User | None = None) -> tuple[ApiToken, str]:
    """Add a token for the user; returns the row and the token itself, which is never shown again. One commit."""
    label = check_text(label, "label", LABEL_MAX, required=True)
    active = db.session.scalar(
        select(func.count(ApiToken.id)).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE_TOKENS:
        raise Conflict(_l("You have %(n)d active tokens. Revoke one first.", n=MAX_ACTIVE_TOKENS), "label")
    token = new_token()
    row = ApiToken(user_id=user.id, label=label, token_hash=token_hash(token), prefix=token[:SHOWN_PREFIX_CHARS])
    db.session.add(row)
    db.session.flush()
    audit.record("token.created", "user", user.id, actor=actor or user, token_id=row.id, label=label)
    db.session.commit()
    return row, token


def tokens_for(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (for the record)."""
    stmt = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(db.session.scalars(stmt))


def revoke(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens; NotFound for anyone else's. One commit."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if row is None:
        raise NotFound(_l("There is no such token."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("token.revoked", "user", user.id, actor=user, token_id=row.id)
        db.session.commit()
    return row


def user_for_token(token: str | None, *, now: datetime | None = None) -> tuple[User, ApiToken] | None:
    """The active user and live token behind a bearer token, or None; stamps last_used_at (its own commit)."""
    token = (token or "").strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > TOKEN_MAX:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    return row.user, row
