"""A person's privacy rights: download their data as JSON, and delete their account (confirmed with the password)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length

from matcher.services import privacy
from matcher.services.accounts import PASSWORD_MAX_LENGTH
from matcher.services.errors import ServiceError
from matcher.web.formtools import apply_service_error

bp = Blueprint("privacy", __name__, url_prefix="/account")


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password, to confirm"),
        validators=[InputRequired(message=_l("Enter your password.")), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


@bp.get("/privacy")
@login_required
def index():
    return render_template("privacy/index.html", form=DeleteAccountForm(formdata=None))


@bp.get("/export")
@login_required
def export():
    g.private_page = True
    data = privacy.export_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    filename = f"matcher-data-{current_user.id}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/delete")
@login_required
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            privacy.delete_account(current_user, form.password.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            logout_user()
            session.clear()
            flash(_("Your account is deleted. Thank you for being part of matcher."), "info")
            return redirect(url_for("main.index"))
    return render_template("privacy/index.html", form=form), 422
