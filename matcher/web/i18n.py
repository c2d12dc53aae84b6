"""Language choice and locale-aware display helpers for templates."""

from __future__ import annotations

from babel import Locale
from flask import current_app
from flask_babel import get_locale

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


def template_globals() -> dict:
    """Helpers every template may call."""
    from matcher.web.navigation import nav_links

    return {
        "nav_links": nav_links,
        "supported_locales": [(code, language_self_name(code)) for code in current_app.config["SUPPORTED_LOCALES"]],
        "current_locale": str(get_locale() or "en"),
        "language_name": language_name,
        "country_name": country_name,
    }
