"""Accounts: sign-up, log-in, passwords, staff creation."""

from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from config import SUPPORTED_LOCALES
from matcher.extensions import db
from matcher.models import Role, User, utcnow
from matcher.services import audit
from matcher.services.errors import Conflict, ServiceError

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200  # hashing a megabyte of password is a cheap denial of service

# A real hash, so that a log-in with an unknown name costs the same time as one with a wrong password.
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")


class UnclaimedAccount(Conflict):
    """The phone belongs to an account registered at a help desk and not yet claimed with its code."""


def normalise_email(raw: str | None) -> str | None:
    """Case-fold and trim an email, so that lookups and uniqueness ignore case."""
    value = (raw or "").strip()
    return value.lower() or None


def normalise_phone(raw: str | None) -> str | None:
    """Parse an international phone number to E.164, or raise ServiceError on the phone field."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise ServiceError(_l("Enter the number with its country code, for example +48 601 234 567."), "phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=PASSWORD_MAX_LENGTH)
    from matcher.services.common_passwords import is_common

    if is_common(password):
        return _l("This password is too common. Choose one that is harder to guess.")
    return None


def find_by_login(login: str) -> User | None:
    """The user whose email or phone is this log-in name."""
    login = (login or "").strip()
    if "@" in login:
        return db.session.scalar(select(User).where(User.email == normalise_email(login)))
    try:
        phone = normalise_phone(login)
    except ServiceError:
        return None
    return db.session.scalar(select(User).where(User.phone == phone)) if phone else None


def _ensure_unique(email: str | None, phone: str | None) -> None:
    if email and db.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(_l("An account with this email already exists. Log in instead."), "email")
    if phone:
        holder = db.session.execute(select(User.id, User.password_hash).where(User.phone == phone)).first()
        if holder is not None and holder.password_hash is None:
            raise UnclaimedAccount(
                _l("This number was registered at a help desk. Use the claim code you were given."), "phone"
            )
        if holder is not None:
            raise Conflict(_l("An account with this phone number already exists. Log in instead."), "phone")


def create_account(
    *,
    name: str,
    role: Role,
    password: str | None,
    email: str | None = None,
    phone: str | None = None,
    locale: str = "en",
    actor: User | None = None,
) -> User:
    """Create a user of any role and commit; raises ServiceError/Conflict on bad or duplicate data."""
    email = normalise_email(email)
    phone = normalise_phone(phone)
    if not email and not phone:
        raise ServiceError(_l("Give an email address or a phone number."), "email")
    if password is not None:
        problem = password_problem(password)
        if problem:
            raise ServiceError(problem, "password")
    _ensure_unique(email, phone)
    user = User(
        name=name.strip(),
        email=email,
        phone=phone,
        role=Role(role),
        locale=locale if locale in SUPPORTED_LOCALES else "en",
        password_hash=generate_password_hash(password) if password else None,
    )
    db.session.add(user)
    try:
        db.session.flush()
        audit.record("user.created", "user", user.id, actor=actor or user, role=user.role.value)
        db.session.commit()
    except IntegrityError:
        # A concurrent sign-up took the same email or phone between our check and our insert.
        db.session.rollback()
        raise Conflict(_l("An account with these details already exists. Log in instead."), "email") from None
    return user


def authenticate(login: str, password: str) -> User | None:
    """The active user with this log-in name and password, stamped as logged in; None otherwise."""
    user = find_by_login(login)
    if user is None or not user.password_hash or len(password) > PASSWORD_MAX_LENGTH:
        check_password_hash(_DUMMY_HASH, password[:PASSWORD_MAX_LENGTH])
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; other sessions are signed out."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise ServiceError(_l("The current password is not right."), "current_password")
    problem = password_problem(new)
    if problem:
        raise ServiceError(problem, "new_password")
    user.password_hash = generate_password_hash(new)
    user.session_version += 1
    audit.record("user.password_changed", "user", user.id, actor=user)
    db.session.commit()


def load_user_by_session_id(session_id: str) -> User | None:
    """Flask-Login's loader: the id is "user:version", so a bumped version ends old sessions."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def set_locale(user: User, locale: str) -> None:
    """Save the user's preferred language."""
    if locale in SUPPORTED_LOCALES and user.locale != locale:
        user.locale = locale
        db.session.commit()
