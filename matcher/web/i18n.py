"""Language choice and locale-aware display helpers for templates."""

from __future__ import annotations

from datetime import UTC, datetime

from babel import Locale
from flask import current_app
from flask_babel import format_date, format_datetime, format_decimal, format_percent, format_timedelta, get_locale
from flask_babel import lazy_gettext as _l

from matcher.services.places import display_name

LANGUAGE_SELF_NAMES = {}


def language_self_name(code: str) -> str:
    """A language's name in that language, for the switcher (Babel's CLDR data)."""
    if code not in LANGUAGE_SELF_NAMES:
        LANGUAGE_SELF_NAMES[code] = Locale.parse(code).get_display_name(code).capitalize()
    return LANGUAGE_SELF_NAMES[code]


def language_name(code: str) -> str:
    """A language's name in the current user's language."""
    locale = get_locale() or Locale("en")
    return (locale.languages.get(code) or code).capitalize() if code else ""


def country_name(code: str) -> str:
    """A country's name in the current user's language."""
    locale = get_locale() or Locale("en")
    return locale.territories.get((code or "").upper(), code or "")


def place_label(name: str, geoname_id: int | None = None) -> str:
    """A city in its local form, with the Latin name for readers of another script: "Київ (Kyiv)" in English."""
    return display_name(name, geoname_id)


STATUS_LABELS = {
    "open": _l("Open"),
    "matched": _l("Matched"),
    "housed": _l("Housed"),
    "closed": _l("Closed"),
    "active": _l("Active"),
    "paused": _l("Paused"),
    "withdrawn": _l("Withdrawn"),
    "proposed": _l("Proposed"),
    "host_accepted": _l("Host accepted"),
    "guest_accepted": _l("Guest accepted"),
    "confirmed": _l("Confirmed"),
    "moved_in": _l("Moved in"),
    "ended": _l("Ended"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
    "broken_down": _l("Broken down"),
}


def status_label(status) -> str:
    """A request's, offer's or match's status in the reader's language."""
    value = getattr(status, "value", status)
    return str(STATUS_LABELS.get(value, value))


def vulnerability_label(code: str) -> str:
    """A vulnerability flag's label in the reader's language."""
    from flask_babel import gettext

    from matcher.domain.vocabulary import VULNERABILITY_FLAGS

    return gettext(VULNERABILITY_FLAGS[code]) if code in VULNERABILITY_FLAGS else code


def decline_reason_label(code: str) -> str:
    """A decline reason code's label in the reader's language."""
    from flask_babel import gettext

    from matcher.domain import lifecycle

    for table in (lifecycle.HOST_DECLINE_REASONS, lifecycle.GUEST_DECLINE_REASONS):
        if code in table:
            return gettext(table[code])
    return code


def now_utc() -> datetime:
    return datetime.now(UTC)


def template_globals() -> dict:
    """Helpers every template may call."""
    from matcher.web.navigation import nav_links

    return {
        "nav_links": nav_links,
        "supported_locales": [(code, language_self_name(code)) for code in current_app.config["SUPPORTED_LOCALES"]],
        "current_locale": str(get_locale() or "en"),
        "language_name": language_name,
        "country_name": country_name,
        "place_label": place_label,
        "status_label": status_label,
        "vulnerability_label": vulnerability_label,
        "decline_reason_label": decline_reason_label,
        "now_utc": now_utc,
        "format_timedelta": format_timedelta,
        "format_date": format_date,
        "format_datetime": format_datetime,
        "format_decimal": format_decimal,
        "format_percent": format_percent,
    }
