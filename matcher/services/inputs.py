"""Domain rules on plain input values, shared by the offer and request use cases and by their forms.

Each `*_problem` function returns the message for a person, or None when the value is acceptable; the `check_*`
functions raise ServiceError on the named field instead. Forms call the first kind to show every error at once;
services call the second kind, so the API added later gets the same rules.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from matcher.services.errors import ServiceError

# Availability and needed-from dates must lie in this window around today.
DATE_PAST_DAYS = 365
DATE_FUTURE_DAYS = 730

_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def today() -> date:
    """Today's date in UTC, the calendar every stored date is checked against."""
    return datetime.now(UTC).date()


def date_window(on: date | None = None) -> tuple[date, date]:
    """The earliest and latest acceptable availability or needed-from date."""
    on = on or today()
    return on - timedelta(days=DATE_PAST_DAYS), on + timedelta(days=DATE_FUTURE_DAYS)


def date_problem(value: date | None) -> str | None:
    """Why a date is outside the window of a year ago to two years ahead, or None."""
    if value is None:
        return None
    earliest, latest = date_window()
    if value < earliest:
        return _l("This date is more than a year ago. Choose %(earliest)s or later.", earliest=format_date(earliest))
    if value > latest:
        return _l("This date is more than two years ahead. Choose %(latest)s or earlier.", latest=format_date(latest))
    return None


def has_hidden_characters(value: str) -> bool:
    """True when the text holds control or formatting characters (newlines and tabs aside)."""
    return any(unicodedata.category(ch) in _HIDDEN_CATEGORIES and ch not in "\n\r\t" for ch in value)


def check_text(value: str | None, field: str, max_len: int, *, required: bool = False) -> str:
    """NFC-normalised, trimmed text within `max_len` characters, without hidden characters."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if required and not text:
        raise ServiceError(_l("This field is required."), field)
    if len(text) > max_len:
        raise ServiceError(_l("Use at most %(n)d characters.", n=max_len), field)
    if has_hidden_characters(text):
        raise ServiceError(_l("Remove invisible control characters from this text."), field)
    return text


def check_int(value, field: str, low: int, high: int, message) -> int:
    """An integer between `low` and `high` inclusive; booleans and floats with a fraction are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or not low <= value <= high:
        raise ServiceError(message, field)
    return int(value)


def check_date(value, field: str, *, required: bool = True) -> date | None:
    """A date within the accepted window (see date_problem)."""
    if value is None:
        if required:
            raise ServiceError(_l("Enter a date."), field)
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ServiceError(_l("Enter a date."), field)
    problem = date_problem(value)
    if problem:
        raise ServiceError(problem, field)
    return value


def check_codes(values: Iterable[str] | None, allowed: Iterable[str], field: str, message) -> list[str]:
    """Known codes only, each once, in the order given."""
    allowed = set(allowed)
    out: list[str] = []
    for code in values or ():
        if code not in allowed:
            raise ServiceError(message, field)
        if code not in out:
            out.append(code)
    return out


def point_problems(lat: float | None, lon: float | None) -> dict[str, str]:
    """Per-field problems of an optional exact pin: both or neither, finite, within ±90 and ±180 degrees."""
    problems: dict[str, str] = {}
    if lat is None and lon is None:
        return problems
    if lat is None:
        problems["lat"] = _l("Give the latitude too, or clear the longitude.")
    elif not math.isfinite(lat) or not -90 <= lat <= 90:
        problems["lat"] = _l("Latitude is a number from -90 to 90.")
    if lon is None:
        problems["lon"] = _l("Give the longitude too, or clear the latitude.")
    elif not math.isfinite(lon) or not -180 <= lon <= 180:
        problems["lon"] = _l("Longitude is a number from -180 to 180.")
    return problems
