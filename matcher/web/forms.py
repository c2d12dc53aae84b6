"""Form building blocks shared by every area: text hygiene and common validators."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.validators import ValidationError

# Characters that reorder or hide text (bidi overrides, zero-width joiners, controls) let one name pose as another.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_NAME_PUNCTUATION = set("-'’.,() ")


def clean_text(value: str | None) -> str | None:
    """NFC-normalise and trim a text input, so that equal-looking strings are equal."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).strip()


def has_hidden_characters(value: str) -> bool:
    """True when the text holds control or formatting characters (newlines and tabs aside)."""
    return any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES and ch not in "\n\r\t" for ch in value)


class PersonName:
    """A person's name: letters of any script, spaces and name punctuation; no emoji or hidden characters."""

    def __call__(self, form, field):
        value = field.data or ""
        for ch in value:
            category = unicodedata.category(ch)
            if category[0] in "LM" or ch in _NAME_PUNCTUATION or category == "Zs":
                continue
            raise ValidationError(_l("Use letters, spaces, hyphens and apostrophes only."))
        if not any(unicodedata.category(ch)[0] == "L" for ch in value):
            raise ValidationError(_l("Enter a name."))


class PlainText:
    """Free text without hidden control or direction-override characters."""

    def __call__(self, form, field):
        if field.data and has_hidden_characters(field.data):
            raise ValidationError(_l("Remove invisible control characters from this text."))


STRIP = [clean_text]


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 SelectChoice objects, for SelectField and RadioField."""
    return [SelectChoice(value, label) for value, label in pairs]
