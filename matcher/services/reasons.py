"""Turning the matcher's reasons into text in the reader's language."""

from __future__ import annotations

from datetime import date

from babel.lists import format_list
from babel.numbers import parse_pattern
from flask_babel import format_date, format_decimal, get_locale, gettext, ngettext

from matcher.domain.matching import Reason

# Parsed once: Babel would parse a pattern string again on every call (a case page formats ~80 numbers).
WHOLE = parse_pattern("#,##0")
ONE_DECIMAL = parse_pattern("#,##0.#")


def _language_name(code: str) -> str:
    locale = get_locale()
    return ((locale.languages.get(code) if locale else None) or code).capitalize()


def _format_param(value: object) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, date):
        return format_date(value, "d MMMM")
    if isinstance(value, float):
        return format_decimal(value, WHOLE if abs(value) >= 10 else ONE_DECIMAL)
    if isinstance(value, int):
        return format_decimal(value)
    if isinstance(value, tuple | list):
        names = [_language_name(str(code)) for code in value]
        return format_list(names, locale=get_locale()) if names else ""
    return str(value)


def render_reason(reason: Reason) -> str:
    """The reason as a sentence in the current locale, numbers, dates and language names included."""
    params = {name: _format_param(value) for name, value in reason.params.items()}
    if reason.plural is not None:
        return ngettext(reason.message, reason.plural, reason.count or 0, **params)
    return gettext(reason.message, **params)
