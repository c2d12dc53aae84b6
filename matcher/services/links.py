"""Signed links that let a host or guest act without logging in: signed, expiring, single use.

The token is an itsdangerous URLSafeTimedSerializer signature (SECRET_KEY + LINK_SALT) over a random nonce. The
nonce names a SignedLink row that binds the link to one person, one purpose and one match or offer, and records
its expiry and its use. A tampered token fails the signature; an old one fails both the signature's max age
and the row's expires_at; a used one has used_at set. Using a link is a conditional UPDATE inside the use case's
transaction, so two clicks at once cannot both use it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from matcher.extensions import db
from matcher.models import Match, Offer, SignedLink, User, utcnow
from matcher.services import audit
from matcher.services.errors import ServiceError
from matcher.services.locking import begin_write, lock_offer_for_update

LINK_SALT = "matcher.signed-link.v1"
PURPOSE_ANSWER = "match.answer"  # accept or decline a proposal
PURPOSE_CONFIRM_OFFER = "offer.confirm"  # confirm an offer is still available
PURPOSE_SET_PASSWORD = "account.set_password"  # an invited account (CSV import) sets its first password
PURPOSE_CHECKIN = "checkin.answer"  # answer a check-in after a move-in: are you safe, and is this working?
PURPOSES = (PURPOSE_ANSWER, PURPOSE_CONFIRM_OFFER, PURPOSE_SET_PASSWORD, PURPOSE_CHECKIN)
TOKEN_MAX = 200  # characters; anything longer is not one of ours


class LinkProblem(ServiceError):
    """The link cannot be used; ``kind`` is invalid, expired or used, and ``link`` the row when one was found."""

    kind = "invalid"

    def __init__(self, message, link: SignedLink | None = None):
        super().__init__(message)
        self.link = link


class LinkInvalid(LinkProblem):
    kind = "invalid"


class LinkExpired(LinkProblem):
    kind = "expired"


class LinkUsed(LinkProblem):
    kind = "used"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def sign_many(nonces: list[str]) -> list[str]:
    """Signed tokens for link rows' nonces, for bulk writers (the CSV import) that insert the rows themselves."""
    serializer = _serializer()
    return [serializer.dumps(nonce) for nonce in nonces]


def max_age() -> timedelta:
    """How long a new link stays valid."""
    return timedelta(hours=int(current_app.config.get("SIGNED_LINK_MAX_AGE_HOURS", 168)))


def issue(
    user: User,
    purpose: str,
    *,
    match: Match | None = None,
    offer: Offer | None = None,
    checkin=None,
    now: datetime | None = None,
) -> str:
    """Add a link row to the current transaction and return its signed token (the caller commits)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    now = now or utcnow()
    nonce = secrets.token_urlsafe(24)
    db.session.add(
        SignedLink(
            nonce=nonce,
            purpose=purpose,
            user_id=user.id,
            match_id=match.id if match is not None else None,
            offer_id=offer.id if offer is not None else None,
            checkin_id=checkin.id if checkin is not None else None,
            created_at=now,
            expires_at=now + max_age(),
        )
    )
    return _serializer().dumps(nonce)


def _row(nonce) -> SignedLink | None:
    if not isinstance(nonce, str) or len(nonce) > 64:
        return None
    return db.session.scalar(select(SignedLink).where(SignedLink.nonce == nonce))


def invalid_message():
    """What a tampered, truncated or unknown link says."""
    return _l("This link is not valid. Check that it was copied whole, or log in instead.")


def _expired_message():
    return _l("This link has expired. Log in to see where things stand.")


def resolve(token: str, *, now: datetime | None = None) -> SignedLink:
    """The link row behind a token, or LinkInvalid (tampered/unknown), LinkExpired or LinkUsed."""
    now = now or utcnow()
    if not token or len(token) > TOKEN_MAX:
        raise LinkInvalid(invalid_message())
    serializer = _serializer()
    try:
        nonce = serializer.loads(token, max_age=int(max_age().total_seconds()))
    except SignatureExpired:
        _, nonce = serializer.loads_unsafe(token)
        raise LinkExpired(_expired_message(), _row(nonce)) from None
    except BadSignature:
        raise LinkInvalid(invalid_message()) from None
    link = _row(nonce)
    if link is None:
        raise LinkInvalid(invalid_message())
    if link.used_at is not None:
        raise LinkUsed(_l("This link has already been used. Log in to see where things stand."), link)
    if link.expires_at <= now:
        raise LinkExpired(_expired_message(), link)
    return link


def consume(link: SignedLink, *, now: datetime | None = None) -> None:
    """Mark the link used in the current transaction; LinkUsed if someone used it first."""
    now = now or utcnow()
    result = db.session.execute(
        update(SignedLink)
        .where(SignedLink.id == link.id, SignedLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise LinkUsed(_l("This link has already been used. Log in to see where things stand."), link)
    link.used_at = now


def confirm_offer(token: str, *, now: datetime | None = None) -> Offer:
    """A host confirms through a signed link that their offer is still available. One commit."""
    now = now or utcnow()
    try:
        begin_write()
        link = resolve(token, now=now)
        if link.purpose != PURPOSE_CONFIRM_OFFER or link.offer_id is None:
            raise LinkInvalid(invalid_message())
        offer = lock_offer_for_update(link.offer_id)
        if offer is None or offer.host_id != link.user_id:
            raise LinkInvalid(_l("This offer no longer exists."))
        consume(link, now=now)
        offer.last_confirmed_at = now
        audit.record("offer.confirmed_available", "offer", offer.id, actor=link.user, via="signed_link")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return offer
