"""Forms for a host's offers."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from matcher.domain.vocabulary import PLACE_KIND_LABELS, PlaceKind
from matcher.models import ADDRESS_MAX, TEXT_MAX, TITLE_MAX
from matcher.services.inputs import today
from matcher.services.offers import BEDS_MAX, BEDS_MIN, STATUS_ACTIONS, OfferInput
from matcher.web.forms import STRIP, PlainText, choices
from matcher.web.place_forms import (
    DateWindow,
    Finite,
    MultiCheckboxField,
    chosen_place_id,
    country_field,
    language_choices,
    nonce_field,
    place_choice_field,
    place_field,
)

LAT_MESSAGE = _l("Latitude is a number from -90 to 90.")
LON_MESSAGE = _l("Longitude is a number from -180 to 180.")
BEDS_MESSAGE = _l("Give between 1 and 50 beds.")


def _kind_choices():
    return choices((kind.value, _(PLACE_KIND_LABELS[kind])) for kind in PlaceKind)


def _text(label, max_len, *, required=False, rows=None, **kwargs):
    validators = [DataRequired()] if required else [Optional()]
    validators += [Length(max=max_len), PlainText()]
    field = TextAreaField if rows else StringField
    render_kw = {"rows": rows} if rows else {}
    return field(label, validators=validators, filters=STRIP, render_kw=render_kw, **kwargs)


class OfferForm(FlaskForm):
    nonce = nonce_field()
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=TITLE_MAX), PlainText()],
        filters=STRIP,
        description=_l("For example: Quiet room near the tram stop."),
    )
    kind = RadioField(
        _l("Kind of place"),
        choices=_kind_choices,
        default=PlaceKind.ROOM.value,
        validators=[InputRequired(message=_l("Choose room, flat or house."))],
        invalid_choice_message=_l("Choose room, flat or house."),
    )
    beds = IntegerField(
        _l("Beds"),
        validators=[InputRequired(message=BEDS_MESSAGE), NumberRange(min=BEDS_MIN, max=BEDS_MAX, message=BEDS_MESSAGE)],
        render_kw={"inputmode": "numeric", "min": BEDS_MIN, "max": BEDS_MAX},
    )
    shareable = BooleanField(_l("More than one household may stay at the same time"))
    description = _text(_l("Description"), TEXT_MAX, rows=4)
    place = place_field()
    country = country_field()
    place_choice = place_choice_field()
    lat = FloatField(
        _l("Latitude"),
        validators=[Optional(), Finite(LAT_MESSAGE), NumberRange(min=-90, max=90, message=LAT_MESSAGE)],
        render_kw={"inputmode": "decimal", "placeholder": "50.06143"},
    )
    lon = FloatField(
        _l("Longitude"),
        validators=[Optional(), Finite(LON_MESSAGE), NumberRange(min=-180, max=180, message=LON_MESSAGE)],
        render_kw={"inputmode": "decimal", "placeholder": "19.93658"},
    )
    address = StringField(
        _l("Exact address"),
        validators=[DataRequired(), Length(max=ADDRESS_MAX), PlainText()],
        filters=STRIP,
        description=_l("Private: only you and the coordinators see it, and a guest once you have both agreed."),
        render_kw={"autocomplete": "street-address"},
    )
    available_from = DateField(
        _l("Available from"), validators=[InputRequired(message=_l("Enter a date.")), DateWindow()], default=today
    )
    available_until = DateField(
        _l("Available until"),
        validators=[Optional(), DateWindow()],
        description=_l("Leave it empty if there is no end date."),
    )
    pets_ok = BooleanField(_l("Pets are welcome"))
    children_ok = BooleanField(_l("Children are welcome"), default=True)
    step_free = BooleanField(_l("Step-free access (no stairs to the entrance and the rooms)"))
    smoking_ok = BooleanField(_l("Smoking is allowed"))
    languages = MultiCheckboxField(
        _l("Languages spoken in the home"),
        choices=language_choices,
        invalid_choice_message=_l("Choose languages from the list."),
    )
    notes = _text(_l("Notes for the coordinators"), TEXT_MAX, rows=3, description=_l("Anything else we should know."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        start, until = self.available_from.data, self.available_until.data
        if start and until and until < start and not self.available_until.errors:
            self.available_until.errors.append(_("“Until” cannot be before “from”."))
            valid = False
        lat_given, lon_given = self.lat.raw_data not in (None, [], [""]), self.lon.raw_data not in (None, [], [""])
        if lat_given and not lon_given:
            self.lon.errors.append(_("Give the longitude too, or clear the latitude."))
            valid = False
        elif lon_given and not lat_given:
            self.lat.errors.append(_("Give the latitude too, or clear the longitude."))
            valid = False
        if not self.place.data and not (lat_given or lon_given) and not self.place.errors:
            self.place.errors.append(_("Enter a city or town, or give an exact pin."))
            valid = False
        return valid

    @property
    def has_pin(self) -> bool:
        return self.lat.data is not None or self.lon.data is not None or bool(self.lat.errors or self.lon.errors)

    def to_input(self) -> OfferInput:
        """The submitted values for the offers service."""
        return OfferInput(
            title=self.title.data,
            address=self.address.data,
            country=self.country.data,
            beds=self.beds.data,
            kind=self.kind.data,
            available_from=self.available_from.data,
            place=self.place.data or "",
            place_choice=chosen_place_id(self),
            lat=self.lat.data,
            lon=self.lon.data,
            description=self.description.data or "",
            shareable=self.shareable.data,
            available_until=self.available_until.data,
            pets_ok=self.pets_ok.data,
            children_ok=self.children_ok.data,
            step_free=self.step_free.data,
            smoking_ok=self.smoking_ok.data,
            languages=list(self.languages.data or []),
            notes=self.notes.data or "",
        )


class OfferStatusForm(FlaskForm):
    """Pause, resume or withdraw: the pressed button's value is the action."""

    action = RadioField(choices=lambda: choices((action, action) for action in STATUS_ACTIONS))
    next = HiddenField()


class ConfirmOfferForm(FlaskForm):
    """ "Still available": nothing but the CSRF token and where to go back to."""

    next = HiddenField()
