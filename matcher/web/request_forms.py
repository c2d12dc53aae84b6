"""Forms for housing requests: the household's own form and the short reception-desk form."""

from __future__ import annotations

from dataclasses import asdict

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from matcher.domain.vocabulary import VULNERABILITY_FLAGS
from matcher.models import EMAIL_MAX, NAME_MAX, PHONE_MAX, TEXT_MAX
from matcher.services.errors import ServiceError
from matcher.services.housing_requests import (
    ADULTS_MAX,
    ADULTS_MIN,
    CHILDREN_MAX,
    CHILDREN_MIN,
    DEFAULT_MAX_DISTANCE_KM,
    DURATION_DAYS_MAX,
    DURATION_DAYS_MIN,
    DURATION_PRESETS_DAYS,
    MAX_DISTANCE_KM_MAX,
    MAX_DISTANCE_KM_MIN,
    DeskInput,
    RequestInput,
    parse_child_ages,
)
from matcher.services.inputs import today
from matcher.web.forms import STRIP, PersonName, PlainText, choices
from matcher.web.place_forms import (
    DateWindow,
    MultiCheckboxField,
    chosen_place_id,
    country_field,
    language_choices,
    nonce_field,
    place_choice_field,
    place_field,
)

ADULTS_MESSAGE = _l("Give between 1 and 20 adults.")
CHILDREN_MESSAGE = _l("Give between 0 and 20 children.")
DISTANCE_MESSAGE = _l("Give a distance from 1 to 3,000 km.")
DAYS_MESSAGE = _l("Give a number of days from 1 to 730.")
OTHER_DURATION = "other"
DEFAULT_DURATION_DAYS = 90


def duration_labels() -> dict[int, str]:
    """The preset lengths of stay, in days, with their names in the reader's language."""
    return {7: _("1 week"), 30: _("1 month"), 90: _("3 months"), 180: _("6 months"), 365: _("1 year")}


def _duration_choices():
    labels = duration_labels()
    return choices(
        [*((str(days), labels[days]) for days in DURATION_PRESETS_DAYS), (OTHER_DURATION, _("Another number of days"))]
    )


def _vulnerability_choices():
    return choices((code, _(label)) for code, label in VULNERABILITY_FLAGS.items())


def _adults():
    return IntegerField(
        _l("Adults"),
        validators=[
            InputRequired(message=ADULTS_MESSAGE),
            NumberRange(min=ADULTS_MIN, max=ADULTS_MAX, message=ADULTS_MESSAGE),
        ],
        default=1,
        render_kw={"inputmode": "numeric", "min": ADULTS_MIN, "max": ADULTS_MAX},
    )


def _children():
    return IntegerField(
        _l("Children"),
        validators=[
            InputRequired(message=CHILDREN_MESSAGE),
            NumberRange(min=CHILDREN_MIN, max=CHILDREN_MAX, message=CHILDREN_MESSAGE),
        ],
        default=0,
        description=_l("Under 18."),
        render_kw={"inputmode": "numeric", "min": CHILDREN_MIN, "max": CHILDREN_MAX},
    )


def _needed_from():
    return DateField(
        _l("Needed from"), validators=[InputRequired(message=_l("Enter a date.")), DateWindow()], default=today
    )


class RequestForm(FlaskForm):
    nonce = nonce_field()
    contact_name = StringField(
        _l("Name of the contact person"),
        validators=[DataRequired(), Length(max=NAME_MAX), PersonName()],
        filters=STRIP,
        render_kw={"autocomplete": "name"},
    )
    phone = TelField(
        _l("Phone"),
        validators=[Optional(), Length(max=PHONE_MAX + 10)],
        filters=STRIP,
        description=_l("With the country code, for example +380 67 123 4567."),
        render_kw={"autocomplete": "tel"},
    )
    email = EmailField(
        _l("Email"),
        validators=[Optional(), Length(max=EMAIL_MAX), Email(message=_l("Enter a valid email address."))],
        filters=STRIP,
        render_kw={"autocomplete": "email"},
    )
    adults = _adults()
    children = _children()
    child_ages = StringField(
        _l("Children's ages"),
        validators=[Length(max=80)],
        filters=STRIP,
        description=_l("In years, separated by commas, for example: 4, 9"),
        render_kw={"inputmode": "numeric"},
    )
    pets = BooleanField(_l("We have a pet"))
    step_free_needed = BooleanField(_l("We need step-free access (no stairs)"))
    other_needs = TextAreaField(
        _l("Other needs"),
        validators=[Optional(), Length(max=TEXT_MAX), PlainText()],
        filters=STRIP,
        description=_l("Anything a host should know: health, work or school nearby, diet…"),
        render_kw={"rows": 3},
    )
    languages = MultiCheckboxField(
        _l("Languages you speak"),
        choices=language_choices,
        invalid_choice_message=_l("Choose languages from the list."),
    )
    place = place_field(_l("Where would you like to stay? City or town"))
    country = country_field()
    place_choice = place_choice_field()
    max_distance_km = IntegerField(
        _l("How far from there could you go? (km)"),
        validators=[
            InputRequired(message=DISTANCE_MESSAGE),
            NumberRange(min=MAX_DISTANCE_KM_MIN, max=MAX_DISTANCE_KM_MAX, message=DISTANCE_MESSAGE),
        ],
        default=DEFAULT_MAX_DISTANCE_KM,
        render_kw={"inputmode": "numeric", "min": MAX_DISTANCE_KM_MIN, "max": MAX_DISTANCE_KM_MAX},
    )
    needed_from = _needed_from()
    duration = SelectField(
        _l("For how long?"),
        choices=_duration_choices,
        default=str(DEFAULT_DURATION_DAYS),
        invalid_choice_message=_l("Choose how long from the list."),
        render_kw={"data-other-target": "duration-days-group"},
    )
    duration_days = IntegerField(
        _l("Number of days"),
        validators=[Optional(), NumberRange(min=DURATION_DAYS_MIN, max=DURATION_DAYS_MAX, message=DAYS_MESSAGE)],
        render_kw={"inputmode": "numeric", "min": DURATION_DAYS_MIN, "max": DURATION_DAYS_MAX},
    )
    vulnerabilities = MultiCheckboxField(
        _l("Does any of this apply to your household?"),
        choices=_vulnerability_choices,
        invalid_choice_message=_l("Choose from the list."),
        description=_l("This helps coordinators help the most vulnerable first. Only they see it."),
    )

    parsed_ages: list[int]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.parsed_ages = []
        if not self.children.errors and self.children.data is not None and not self.child_ages.errors:
            try:
                self.parsed_ages = parse_child_ages(self.child_ages.data, self.children.data)
            except ServiceError as error:
                self.child_ages.errors.append(str(error.message))
                valid = False
        if not self.phone.data and not self.email.data and not self.email.errors:
            self.phone.errors.append(_("Give a phone number or an email address, so that we can reach you."))
            valid = False
        if self.duration.data == OTHER_DURATION and self.duration_days.data is None and not self.duration_days.errors:
            self.duration_days.errors.append(DAYS_MESSAGE)
            valid = False
        if not self.place.data and not self.place.errors:
            self.place.errors.append(_("Enter a city or town."))
            valid = False
        return valid

    @classmethod
    def from_input(cls, data: RequestInput) -> RequestForm:
        """A form filled with a stored request's values (for editing)."""
        values = asdict(data)
        values["child_ages"] = ", ".join(str(age) for age in data.child_ages)
        presets = {str(days) for days in DURATION_PRESETS_DAYS}
        if str(data.duration_days) in presets:
            values["duration"], values["duration_days"] = str(data.duration_days), None
        else:
            values["duration"] = OTHER_DURATION
        values["place_choice"] = str(data.place_choice) if data.place_choice else ""
        return cls(data=values)

    def to_input(self) -> RequestInput:
        """The submitted values for the requests service."""
        if self.duration.data == OTHER_DURATION:
            days = self.duration_days.data
        else:
            days = int(self.duration.data)
        return RequestInput(
            contact_name=self.contact_name.data,
            phone=self.phone.data or None,
            email=self.email.data or None,
            adults=self.adults.data,
            children=self.children.data,
            child_ages=list(self.parsed_ages),
            pets=self.pets.data,
            step_free_needed=self.step_free_needed.data,
            other_needs=self.other_needs.data or "",
            languages=list(self.languages.data or []),
            place=self.place.data,
            country=self.country.data,
            place_choice=chosen_place_id(self),
            max_distance_km=self.max_distance_km.data,
            needed_from=self.needed_from.data,
            duration_days=days,
            vulnerabilities=list(self.vulnerabilities.data or []),
        )


class DeskRequestForm(FlaskForm):
    """Kept short on purpose: a queue is waiting at the desk."""

    nonce = nonce_field()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX), PersonName()], filters=STRIP)
    phone = TelField(
        _l("Phone"),
        validators=[DataRequired(message=_l("Enter the person's phone number.")), Length(max=PHONE_MAX + 10)],
        filters=STRIP,
        description=_l("With the country code. The person uses it to claim their account later."),
    )
    language = SelectField(
        _l("Language"),
        choices=language_choices,
        default="uk",
        invalid_choice_message=_l("Choose a language from the list."),
    )
    adults = _adults()
    children = _children()
    place = place_field(_l("Desired city or town"))
    country = country_field()
    place_choice = place_choice_field()
    needed_from = _needed_from()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.place.data and not self.place.errors:
            self.place.errors.append(_("Enter a city or town."))
            valid = False
        return valid

    def to_input(self) -> DeskInput:
        """The submitted values for the desk registration."""
        return DeskInput(
            name=self.name.data,
            phone=self.phone.data,
            language=self.language.data,
            adults=self.adults.data,
            children=self.children.data,
            place=self.place.data,
            country=self.country.data,
            place_choice=chosen_place_id(self),
            needed_from=self.needed_from.data,
        )


class WithdrawRequestForm(FlaskForm):
    """Only the CSRF token: the request and the person come from the URL and the session."""
