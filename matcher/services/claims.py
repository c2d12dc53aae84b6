"""Claim codes: a person registered at a help desk sets a password with the one-time code they were handed."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from matcher.extensions import db
from matcher.models import User, utcnow
from matcher.services import accounts, audit
from matcher.services.errors import ServiceError

# No 0/O, 1/I/L: a code read aloud or copied from paper is typed right. 8 characters: 40 bits.
CLAIM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLAIM_CODE_LENGTH = 8
CLAIM_CODE_INPUT_MAX = 20  # characters, with spaces and hyphens

_DUMMY_HASH = generate_password_hash("claim-timing-equaliser")


def new_claim_code() -> str:
    """A fresh random code from the unambiguous alphabet."""
    return "".join(secrets.choice(CLAIM_ALPHABET) for _ in range(CLAIM_CODE_LENGTH))


def format_claim_code(code: str) -> str:
    """The code as shown and read aloud: two groups of four ("ABCD-EFGH")."""
    return f"{code[:4]}-{code[4:]}"


def normalise_claim_code(raw: str | None) -> str:
    """What the person typed, without spaces or hyphens, upper-case."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())[:CLAIM_CODE_INPUT_MAX]


def issue_claim_code(user: User, *, now: datetime | None = None) -> str:
    """Give an unclaimed account a new code, stored hashed, valid for CLAIM_CODE_DAYS; the caller commits. Returns
    the code to hand out."""
    code = new_claim_code()
    user.claim_code_hash = generate_password_hash(code)
    user.claim_code_expires_at = (now or utcnow()) + timedelta(days=current_app.config["CLAIM_CODE_DAYS"])
    return code


def forget_claim_code(user: User) -> None:
    """The code is used up, or the account is gone: it can never be used again."""
    user.claim_code_hash = None
    user.claim_code_expires_at = None


def claim_account(login: str, code: str, password: str, *, now: datetime | None = None) -> User:
    """Set the password of the desk-registered account with this phone or email, if the code matches and has not
    expired; commit."""
    now = now or utcnow()
    user = accounts.find_by_login(login)
    typed = normalise_claim_code(code)
    unclaimed = user is not None and user.password_hash is None and user.claim_code_hash and user.active
    if not unclaimed:
        check_password_hash(_DUMMY_HASH, typed)  # the same cost whether or not the account exists
        raise ServiceError(_l("This code does not match. Check it, or ask the help desk for a new one."), "code")
    if not check_password_hash(user.claim_code_hash, typed):
        audit.record("user.claim_failed", "user", user.id)
        db.session.commit()
        raise ServiceError(_l("This code does not match. Check it, or ask the help desk for a new one."), "code")
    if user.claim_code_expires_at is not None and user.claim_code_expires_at <= now:
        audit.record("user.claim_expired", "user", user.id)
        db.session.commit()
        raise ServiceError(_l("This code has expired. Ask the help desk for a new one."), "code")
    problem = accounts.password_problem(password)
    if problem:
        raise ServiceError(problem, "password")
    user.password_hash = generate_password_hash(password)
    forget_claim_code(user)
    user.session_version += 1
    user.last_login_at = utcnow()
    audit.record("user.claimed", "user", user.id, actor=user)
    db.session.commit()
    return user
