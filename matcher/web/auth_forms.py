"""Forms for accounts: sign-up, log-in, password change, staff creation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional

from config import SUPPORTED_LOCALES
from matcher.models import EMAIL_MAX, NAME_MAX, PHONE_MAX, Role
from matcher.services.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from matcher.web.forms import STRIP, PersonName, choices


def _locale_choices():
    from matcher.web.i18n import language_self_name

    return choices((code, language_self_name(code)) for code in SUPPORTED_LOCALES)


def _new_password(label):
    return PasswordField(
        label,
        validators=[InputRequired(), Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN_LENGTH),
    )


def _confirm(other: str):
    return PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo(other, message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class SignupForm(FlaskForm):
    role = RadioField(
        _l("I want to"),
        choices=choices(
            [(Role.HOST.value, _l("Offer a place to stay")), (Role.REFUGEE.value, _l("Find a place to stay"))]
        ),
        validators=[InputRequired(message=_l("Choose one."))],
    )
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=NAME_MAX), PersonName()],
        filters=STRIP,
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Email"),
        validators=[Optional(), Length(max=EMAIL_MAX), Email(message=_l("Enter a valid email address."))],
        filters=STRIP,
        render_kw={"autocomplete": "email"},
    )
    phone = TelField(
        _l("Phone"),
        validators=[Optional(), Length(max=PHONE_MAX + 10)],
        filters=STRIP,
        description=_l("With the country code, for example +380 67 123 4567. Needed if you give no email."),
        render_kw={"autocomplete": "tel"},
    )
    password = _new_password(_l("Password"))
    confirm = _confirm("password")
    locale = SelectField(_l("Language"), choices=_locale_choices, default="en")

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends the email field's own validation when it is empty, so this cross-field rule lives here.
        valid = super().validate(extra_validators)
        if not self.email.data and not self.email.errors:
            if not self.phone.data:
                self.email.errors.append(_l("Give an email address or a phone number."))
                valid = False
            elif self.role.data == Role.HOST.value:
                self.email.errors.append(_l("Hosts need an email address."))
                valid = False
        return valid


class LoginForm(FlaskForm):
    login = StringField(
        _l("Email or phone"),
        validators=[DataRequired(), Length(max=EMAIL_MAX)],
        filters=STRIP,
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password(_l("New password"))
    confirm = _confirm("new_password")


class StaffUserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX), PersonName()], filters=STRIP)
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=EMAIL_MAX), Email(message=_l("Enter a valid email address."))],
        filters=STRIP,
    )
    role = SelectField(
        _l("Role"),
        choices=choices([(Role.COORDINATOR.value, _l("Coordinator")), (Role.ADMIN.value, _l("Admin"))]),
        validators=[InputRequired()],
    )
    password = _new_password(_l("Initial password"))


class MatchingSettingsForm(FlaskForm):
    proximity = DecimalField(_l("Proximity weight"), validators=[InputRequired(), NumberRange(0, 100)], places=None)
    capacity = DecimalField(_l("Capacity fit weight"), validators=[InputRequired(), NumberRange(0, 100)], places=None)
    language = DecimalField(
        _l("Shared language weight"), validators=[InputRequired(), NumberRange(0, 100)], places=None
    )
    dates = DecimalField(_l("Date fit weight"), validators=[InputRequired(), NumberRange(0, 100)], places=None)
    date_slack_days = IntegerField(
        _l("Days an offer may start after the needed date"), validators=[InputRequired(), NumberRange(0, 60)]
    )
    batch_top_k = IntegerField(
        _l("Candidates per request considered by a batch"), validators=[InputRequired(), NumberRange(1, 200)]
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and sum(f.data for f in (self.proximity, self.capacity, self.language, self.dates)) <= 0:
            self.proximity.errors.append(_l("At least one weight must be above zero."))
            valid = False
        return valid


class ClaimForm(FlaskForm):
    """A desk-registered person sets their password with the phone (or email) and the code they were handed."""

    login = StringField(
        _l("Phone or email"),
        validators=[DataRequired(), Length(max=EMAIL_MAX)],
        filters=STRIP,
        description=_l("The phone number given at the help desk, with the country code."),
        render_kw={"autocomplete": "username"},
    )
    code = StringField(
        _l("Claim code"),
        validators=[DataRequired(), Length(max=20)],
        filters=STRIP,
        description=_l("The 8 characters on the paper from the help desk, for example ABCD-EFGH."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"},
    )
    password = _new_password(_l("New password"))
    confirm = _confirm("password")
