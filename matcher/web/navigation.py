"""Navigation links by role: each area adds its own entries here."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from matcher.models import Role

ROLE_LINKS: dict[Role, list[tuple[str, object]]] = {
    Role.HOST: [],
    Role.REFUGEE: [],
    Role.COORDINATOR: [],
    Role.ADMIN: [("admin.users", _l("Staff accounts"))],
}


def nav_links() -> list[tuple[str, object]]:
    """The (endpoint, label) pairs the current user's navigation shows."""
    if not current_user.is_authenticated:
        return []
    return ROLE_LINKS.get(current_user.role, [])
