"""Navigation links by role: each area adds its own entries here."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from matcher.models import Role

ROLE_LINKS: dict[Role, list[tuple[str, object]]] = {
    Role.HOST: [
        ("offers.index", _l("Your offers")),
        ("offers.new", _l("Add an offer")),
        ("maps.public_map", _l("Map")),
        ("account.token_list", _l("API tokens")),
        ("privacy.index", _l("Your data")),
    ],
    Role.REFUGEE: [("maps.public_map", _l("Map")), ("privacy.index", _l("Your data"))],
    Role.COORDINATOR: [
        ("coordinator.queue", _l("Open requests")),
        ("coordinator.batches_list", _l("Batches")),
        ("desk.new_request", _l("Register at the desk")),
        ("maps.coordinator_map", _l("Map")),
        ("csv.index", _l("Import and export")),
        ("account.token_list", _l("API tokens")),
    ],
    Role.ADMIN: [
        ("coordinator.queue", _l("Open requests")),
        ("coordinator.batches_list", _l("Batches")),
        ("admin.users", _l("Staff accounts")),
        ("admin.matching_settings", _l("Matching settings")),
        ("admin.safeguarding_settings", _l("Safeguarding")),
        ("admin.audit_log", _l("Audit log")),
        ("maps.coordinator_map", _l("Map")),
        ("csv.index", _l("Import and export")),
        ("account.token_list", _l("API tokens")),
    ],
}


def nav_links() -> list[tuple[str, object]]:
    """The (endpoint, label) pairs the current user's navigation shows."""
    if not current_user.is_authenticated:
        return []
    return ROLE_LINKS.get(current_user.role, [])
