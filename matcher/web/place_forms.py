"""Form pieces shared by offers and requests: the place picker, checkbox lists, date and range rules."""

from __future__ import annotations

import math
import secrets
import unicodedata

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length, ValidationError

from matcher.domain.vocabulary import LANGUAGE_CODES
from matcher.models import PLACE_MAX
from matcher.services import places
from matcher.services.errors import ServiceError
from matcher.services.inputs import date_problem
from matcher.web.forms import STRIP, PlainText, choices
from matcher.web.formtools import apply_service_error
from matcher.web.i18n import country_name, language_name


def _sort_key(label: str) -> str:
    # Accents folded, so that "Österreich" sorts with the O's and "Łotwa" with the L's.
    folded = unicodedata.normalize("NFKD", str(label).casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).replace("ł", "l")


def country_choices():
    """The countries a place may be in, named and sorted in the reader's language, after an empty prompt."""
    named = sorted(((code, country_name(code)) for code in places.country_codes()), key=lambda p: _sort_key(p[1]))
    return choices([("", _("Choose a country")), *named])


def language_choices():
    """Every language in the vocabulary, named (by Babel) and sorted in the reader's language."""
    named = sorted(((code, language_name(code)) for code in LANGUAGE_CODES), key=lambda p: _sort_key(p[1]))
    return choices(named)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes; an unknown (forged) value gets `invalid_choice_message`."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DateWindow:
    """A date from a year ago to two years ahead (matcher.services.inputs.date_problem)."""

    def __call__(self, form, field):
        problem = date_problem(field.data)
        if problem:
            raise ValidationError(problem)


class Finite:
    """Refuses "nan" and "inf", which FloatField parses and NumberRange lets through."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data is not None and not math.isfinite(field.data):
            raise ValidationError(self.message)


class ServiceRule:
    """Runs a service's parser as a field validator, turning its ServiceError into the field's error."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form, field):
        try:
            self.check(form, field)
        except ServiceError as error:
            raise ValidationError(str(error.message)) from None


def place_field(label=None, required: bool = True):
    """The free-text city or town of a place picker."""
    return StringField(
        label or _l("City or town"),
        validators=[Length(max=PLACE_MAX), PlainText()],
        filters=STRIP,
        description=_l("Any spelling or alphabet: Kraków, Krakow or Краків."),
        render_kw={"autocomplete": "off", "autocapitalize": "words"},
    )


def country_field(label=None):
    """The country of a place picker: a select of the European countries."""
    return SelectField(
        label or _l("Country"),
        choices=country_choices,
        validators=[InputRequired(message=_l("Choose a country."))],
        invalid_choice_message=_l("Choose a country from the list."),
    )


def place_choice_field():
    """The options of an ambiguous place name; its choices are only set when the service asked."""
    return RadioField(_l("Which one do you mean?"), choices=None, validate_choice=False, coerce=str)


def nonce_field():
    """The one-time token of a create form: the same token twice creates one record."""
    # Not validated here: a missing or malformed nonce (a forged form) only means no de-duplication.
    return HiddenField(default=lambda: secrets.token_urlsafe(16))


def chosen_place_id(form) -> int | None:
    """The GeoNames id picked among the options, or None."""
    raw = (form.place_choice.data or "").strip()
    return int(raw) if raw.isdecimal() and len(raw) < 12 else None


def place_option_label(place) -> str:
    """How one option of an ambiguous name reads: name, then region or nearest big city, then country."""
    country = country_name(place.country)
    name = places.display_name(place.name, place.geoname_id)
    if place.region:
        return _("%(name)s — %(region)s, %(country)s", name=name, region=place.region, country=country)
    if place.near:
        return _(
            "%(name)s — %(km)s km from %(near)s, %(country)s",
            name=name,
            km=format_decimal(round(place.near_km)),
            near=places.display_name(place.near, place.near_id),
            country=country,
        )
    if place.population:
        return _(
            "%(name)s — %(country)s, %(people)s inhabitants",
            name=name,
            country=country,
            people=format_decimal(place.population),
        )
    return _("%(name)s — %(country)s", name=name, country=country)


def apply_place_error(form, error: ServiceError) -> None:
    """Like apply_service_error; an ambiguous place also turns the hidden choice into a list of options."""
    options = getattr(error, "options", None)
    if options:
        form.place_choice.choices = choices((str(p.geoname_id), place_option_label(p)) for p in options)
        form.place_choice.data = None
    apply_service_error(form, error)
