"""Factory functions with full defaults and keyword overrides; they write straight to the database."""

from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from matcher.extensions import db
from matcher.models import Role, User

TEST_PASSWORD = "a long test passphrase"
_sequence = itertools.count(1)
# Hashing is deliberately slow; one hash serves every factory user.
_TEST_HASH = generate_password_hash(TEST_PASSWORD)


def make_user(role: str | Role = Role.HOST, **fields) -> User:
    """A committed user; unique email by default, password TEST_PASSWORD."""
    n = next(_sequence)
    role = Role(role)
    defaults = {
        "name": f"{role.value.title()} {n}",
        "email": f"{role.value}{n}@example.org",
        "password_hash": _TEST_HASH,
        "role": role,
        "locale": "en",
    }
    defaults.update(fields)
    user = User(**defaults)
    db.session.add(user)
    db.session.commit()
    return user
