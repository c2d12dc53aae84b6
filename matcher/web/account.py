"""The account's own settings: API tokens; and the page where an invited person sets their first password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from matcher.services import invitations, links, tokens
from matcher.services.accounts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from matcher.services.errors import NotFound, ServiceError
from matcher.web.forms import STRIP, PlainText
from matcher.web.formtools import apply_service_error

bp = Blueprint("account", __name__, url_prefix="/account")


class TokenForm(FlaskForm):
    label = StringField(
        _l("What is this token for?"),
        validators=[InputRequired(), Length(max=tokens.LABEL_MAX), PlainText()],
        filters=STRIP,
        description=_l("For example “intake spreadsheet script”."),
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


def _tokens_page(form: TokenForm, new_token: str | None = None, status: int = 200):
    g.private_page = True  # a new token is on this page: never cache it
    rows = tokens.tokens_for(current_user)
    return render_template(
        "account/tokens.html", form=form, rows=rows, new_token=new_token, revoke_form=FlaskForm()
    ), status


@bp.get("/tokens")
@login_required
def token_list():
    return _tokens_page(TokenForm())


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _, token = tokens.create_token(current_user, form.label.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            return _tokens_page(TokenForm(formdata=None), new_token=token, status=201)
    return _tokens_page(form, status=422)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        tokens.revoke(current_user, token_id)
    except NotFound:
        abort(404)
    flash(_("The token is revoked. Scripts that use it can no longer log in."), "success")
    return redirect(url_for("account.token_list"))


def _link_problem(problem: links.LinkProblem):
    status = {"invalid": 400, "expired": 410, "used": 410}.get(problem.kind, 409)
    return render_template("account/set_password_problem.html", message=str(problem)), status


@bp.get("/set-password/<token>")
def set_password(token: str):
    g.private_page = True
    try:
        user = invitations.check_link(token)
    except links.LinkProblem as problem:
        return _link_problem(problem)
    return render_template("account/set_password.html", form=SetPasswordForm(), token=token, person=user)


@bp.post("/set-password/<token>")
def set_password_post(token: str):
    g.private_page = True
    form = SetPasswordForm()
    try:
        person = invitations.check_link(token)
    except links.LinkProblem as problem:
        return _link_problem(problem)
    if form.validate_on_submit():
        try:
            user = invitations.set_password(token, form.password.data)
        except links.LinkProblem as problem:
            return _link_problem(problem)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            session.clear()  # a fresh session, as at log-in
            login_user(user)
            flash(_("Welcome, %(name)s. Your password is set.", name=user.name), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("account/set_password.html", form=form, token=token, person=person), 422
