"""Invitations: an account created on someone's behalf (a CSV import) gets a signed, single-use link to set its
first password, queued in the outbox in the same transaction as the account.

Imports create thousands of accounts at once, so `invite_many` writes the link rows and messages with Core
inserts, and renders each language's message once, filling in the name and the link per person.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert
from werkzeug.security import generate_password_hash

from matcher.extensions import db
from matcher.models import Notification, SignedLink, User, utcnow
from matcher.services import accounts, audit, claims, links, notifications
from matcher.services.errors import ServiceError
from matcher.services.locking import begin_write

KIND = "account.invited"
_NAME_SLOT = "\x00name\x00"
_LINK_SLOT = "\x00link\x00"


@dataclass(frozen=True)
class Invitee:
    """A new account to invite: only people with an email address can receive the link."""

    user_id: int
    name: str
    email: str
    locale: str


def _render(stand_in: User) -> tuple[str, str]:
    note = notifications.queue(
        stand_in, KIND, link=_LINK_SLOT, valid_days=max(1, int(links.max_age().total_seconds() // 86400))
    )
    db.session.expunge(note)  # only its rendered text is wanted
    return note.subject, note.body


def invite_many(invitees: list[Invitee], *, now: datetime | None = None) -> int:
    """Queue an invitation with a fresh set-password link for each invitee, in the caller's transaction."""
    if not invitees:
        return 0
    now = now or utcnow()
    expires = now + links.max_age()
    rendered: dict[str, tuple[str, str]] = {}
    nonces = [secrets.token_urlsafe(24) for _ in invitees]
    slot = "TOKEN-SLOT"
    path_template = notifications.site_path("account.set_password", token=slot)
    url_template = notifications.absolute_url(path_template)
    link_rows, message_rows = [], []
    for person, nonce, token in zip(invitees, nonces, links.sign_many(nonces), strict=True):
        if person.locale not in rendered:
            rendered[person.locale] = _render(User(id=0, name=_NAME_SLOT, locale=person.locale))
        subject, body = rendered[person.locale]
        path = path_template.replace(slot, token)
        link_rows.append(
            {
                "nonce": nonce,
                "purpose": links.PURPOSE_SET_PASSWORD,
                "user_id": person.user_id,
                "created_at": now,
                "expires_at": expires,
            }
        )
        message_rows.append(
            {
                "user_id": person.user_id,
                "kind": KIND,
                "subject": subject,
                "body": body.replace(_NAME_SLOT, person.name).replace(_LINK_SLOT, url_template.replace(slot, token)),
                "link": path,
                "created_at": now,
                "attempts": 0,
            }
        )
    db.session.execute(insert(SignedLink), link_rows)
    db.session.execute(insert(Notification), message_rows)
    return len(invitees)


def set_password(token: str, password: str, *, now: datetime | None = None) -> User:
    """An invited person sets their first password through their link; the link is used up. One commit."""
    now = now or utcnow()
    try:
        begin_write()
        link = links.resolve(token, now=now)
        if link.purpose != links.PURPOSE_SET_PASSWORD:
            raise links.LinkInvalid(links.invalid_message())
        user = link.user
        if user.password_hash is not None or not user.active:
            raise links.LinkUsed(_l("This account already has a password. Log in instead."), link)
        problem = accounts.password_problem(password)
        if problem:
            raise ServiceError(problem, "password")
        links.consume(link, now=now)
        user.password_hash = generate_password_hash(password)
        claims.forget_claim_code(user)
        user.session_version += 1
        user.last_login_at = now
        audit.record("user.invitation_accepted", "user", user.id, actor=user)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user


def check_link(token: str) -> User:
    """The invited user behind a usable set-password link; LinkProblem otherwise. Changes nothing."""
    link = links.resolve(token)
    if link.purpose != links.PURPOSE_SET_PASSWORD:
        raise links.LinkInvalid(links.invalid_message())
    if link.user.password_hash is not None:
        raise links.LinkUsed(_l("This account already has a password. Log in instead."), link)
    return link.user
