"""Readable, translatable reasons: an English msgid template plus raw parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# English names for the codes the CLI and tests are likely to meet; the web layer uses Babel's names instead.
LANGUAGE_NAMES_EN: Mapping[str, str] = {
    "ar": "Arabic",
    "be": "Belarusian",
    "bg": "Bulgarian",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "hu": "Hungarian",
    "it": "Italian",
    "ka": "Georgian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sv": "Swedish",
    "tr": "Turkish",
    "uk": "Ukrainian",
}


@dataclass(frozen=True)
class Reason:
    """One readable reason.

    ``message`` is an English msgid whose placeholders are all ``%(name)s``; ``params`` holds raw values
    (int, float, ``datetime.date``, tuples of ISO 639-1 codes, str). The web layer formats each param for the
    user's locale, translates the template (``ngettext(message, plural, count)`` when ``plural`` is set) and
    substitutes.
    """

    code: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)
    plural: str | None = None
    count: int | None = None

    def template_en(self) -> str:
        """The English template that applies to ``count``."""
        if self.plural is not None and self.count != 1:
            return self.plural
        return self.message

    def render_en(self) -> str:
        """English text with simple formatting, for tests, logs and the CLI."""
        return self.template_en() % {name: format_param_en(value) for name, value in self.params.items()}


def format_param_en(value: object) -> str:
    """Format one reason parameter the simple English way."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return f"{value.day} {_MONTHS[value.month - 1]}"
    if isinstance(value, float):
        if abs(value) >= 10:
            return f"{value:.0f}"
        return f"{value:.1f}".rstrip("0").rstrip(".")
    if isinstance(value, tuple | list):
        names = [LANGUAGE_NAMES_EN.get(str(v), str(v)) for v in value]
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]
    return str(value)


def reason(code: str, message: str, **params: object) -> Reason:
    """Build a reason without plural forms."""
    return Reason(code=code, message=message, params=params)


def plural_reason(code: str, forms: tuple[str, str], count: int, **params: object) -> Reason:
    """Build a reason whose wording depends on ``count`` (``forms`` comes from ``Nn_``)."""
    return Reason(code=code, message=forms[0], params=params, plural=forms[1], count=int(count))
