"""Forms of the safeguarding pages: host checks, household, reveals, concerns, check-ins and the admin's rules."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from matcher.domain import safeguarding as rules
from matcher.models import TEXT_MAX
from matcher.services.concerns import CONCERN_MAX
from matcher.services.safeguarding import CHECK_NOTE_MAX, REVEAL_REASON_MAX
from matcher.web.forms import STRIP, PlainText, choices
from matcher.web.place_forms import MultiCheckboxField


class CheckForm(FlaskForm):
    kind = SelectField(_l("Check"), validators=[InputRequired(message=_l("Choose a check."))])
    done_on = DateField(_l("Done on"), validators=[InputRequired(message=_l("Say when the check was done."))])
    expires_on = DateField(
        _l("Counts until (optional)"),
        validators=[Optional()],
        description=_l("The last day this check still counts. Leave empty if it does not expire."),
    )
    unavailable = BooleanField(
        _l("No such check exists in the host's country"), description=_l("Criminal-record check only.")
    )
    note = TextAreaField(
        _l("Note (coordinators only)"), validators=[Optional(), Length(max=CHECK_NOTE_MAX), PlainText()], filters=STRIP
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices((kind.value, _(label)) for kind, label in rules.CHECK_LABELS.items())


class HouseholdForm(FlaskForm):
    adults = IntegerField(
        _l("Adults living at the place"),
        validators=[Optional(), NumberRange(0, rules.HOUSEHOLD_ADULTS_MAX)],
        description=_l("0 if the guests have the place to themselves; empty if not known."),
    )
    gender = SelectField(_l("They are"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.gender.choices = choices(
            [("", _("Not recorded"))] + [(g.value, _(label)) for g, label in rules.HOUSEHOLD_GENDER_LABELS.items()]
        )


class RevealForm(FlaskForm):
    reason = StringField(
        _l("Why do you need the contact details?"),
        validators=[InputRequired(), Length(min=3, max=REVEAL_REASON_MAX), PlainText()],
        filters=STRIP,
    )


class ResolveForm(FlaskForm):
    resolution = TextAreaField(
        _l("What was done"),
        validators=[InputRequired(message=_l("Say what was done.")), Length(max=TEXT_MAX), PlainText()],
        filters=STRIP,
    )
    close_match = BooleanField(
        _l("Stop this placement for safeguarding"),
        description=_l("Cancels the proposal, or records a breakdown if the household has moved in."),
    )


class ConcernForm(FlaskForm):
    body = TextAreaField(
        _l("What worries you?"),
        validators=[InputRequired(message=_l("Tell us what worries you.")), Length(max=CONCERN_MAX), PlainText()],
        filters=STRIP,
        description=_l("Only the coordinators read this. The other side is not told."),
    )


class SafeguardingSettingsForm(FlaskForm):
    required = MultiCheckboxField(_l("Checks a host needs to be verified"), validators=[Optional()])
    guest = MultiCheckboxField(_l("The household is…"), validators=[Optional()])
    host = MultiCheckboxField(_l("…and the host household is…"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.required.choices = choices((k.value, _(label)) for k, label in rules.CHECK_LABELS.items())
        self.guest.choices = choices((code, _(label)) for code, label in rules.GUEST_CONDITIONS.items())
        self.host.choices = choices((code, _(label)) for code, label in rules.HOST_CONDITIONS.items())
