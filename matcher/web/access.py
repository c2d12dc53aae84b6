"""Role gates and safe redirects shared by every blueprint."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user, login_required
from werkzeug.routing import IntegerConverter

from matcher.models import Role


def roles_required(*roles: Role):
    """Log-in required, then 403 unless the user has one of these roles."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


MAX_ID = 2**31 - 1  # the database's integer range; a larger "id" cannot exist, and would fail the query


def parse_id(raw: str | None) -> int | None:
    """A positive database id typed or posted by someone, or None when it cannot be one."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def parse_ids(values) -> list[int] | None:
    """Posted ids, or None when any of them cannot be an id (a forged form)."""
    ids = [parse_id(v) for v in values]
    return None if any(i is None for i in ids) else ids


class DatabaseIdConverter(IntegerConverter):
    """Flask's <int:...> with the database's range, so /offers/99999999999 is a 404, not a failed query."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
