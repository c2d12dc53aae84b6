"""Turning the matcher's reasons into text in the reader's language."""

from __future__ import annotations

from datetime import date

from babel.lists import format_list
from babel.numbers import parse_pattern
from flask_babel import format_date, format_decimal, get_locale, gettext, ngettext

from matcher.domain.matching import Candidate, Reason

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


# Rendered reasons by (locale, reason): a case page renders ~100 and most recur ("speaks Ukrainian", "4 beds for 4
# people"); the text depends on nothing else. Emptied when full.
_RENDERED: dict[tuple, str] = {}
RENDERED_MAX = 50_000


def render_reason(reason: Reason, locale: str | None = None) -> str:
    """The reason as a sentence in the current locale (which a caller rendering many may pass, as a string),
    numbers, dates and language names included."""
    try:
        key = (
            locale or str(get_locale()),
            reason.message,
            reason.plural,
            reason.count,
            tuple(sorted(reason.params.items())),
        )
        return _RENDERED[key]
    except KeyError:
        pass
    except TypeError:  # a parameter that cannot be a key: render it every time
        key = None
    params = {name: _format_param(value) for name, value in reason.params.items()}
    if reason.plural is not None:
        text = ngettext(reason.message, reason.plural, reason.count or 0, **params)
    else:
        text = gettext(reason.message, **params)
    if key is not None:
        if len(_RENDERED) >= RENDERED_MAX:
            _RENDERED.clear()
        _RENDERED[key] = text
    return text


def explained(candidate: Candidate) -> list[tuple[str, str | None]]:
    """Each of a candidate's reasons as text, with the points of the score component it explains ("+18"), or
    None for a reason that is not a component's."""
    locale = str(get_locale())
    chips = []
    for reason in candidate.reasons:
        points = candidate.components.get(reason.code.split(".", 1)[0])
        chips.append((render_reason(reason, locale), None if points is None else f"+{points:.0f}"))
    return chips
