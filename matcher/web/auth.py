"""Sign-up, log-in, log-out and password change."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from matcher.extensions import limiter
from matcher.services import accounts, claims
from matcher.services.accounts import UnclaimedAccount
from matcher.services.errors import ServiceError
from matcher.web.access import is_safe_next
from matcher.web.auth_forms import ChangePasswordForm, ClaimForm, LoginForm, SignupForm
from matcher.web.formtools import apply_service_error

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_key() -> str:
    """Rate-limit key for one account, whatever spelling of its email or phone is typed."""
    return "login:" + (request.form.get("login") or "").strip().casefold()[:254]


def _start_session(user, remember: bool = False) -> None:
    # A fresh session at log-in, so that nothing planted in the old cookie carries over (session fixation).
    session.clear()
    login_user(user, remember=remember)


@bp.get("/signup")
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignupForm(
        locale=session.get("locale") or request.accept_languages.best_match(current_app.config["SUPPORTED_LOCALES"]),
        role=request.args.get("role"),
    )
    return render_template("auth/signup.html", form=form)


@bp.post("/signup")
def signup_post():
    form = SignupForm()
    unclaimed = False
    if form.validate_on_submit():
        try:
            user = accounts.create_account(
                name=form.name.data,
                role=form.role.data,
                email=form.email.data,
                phone=form.phone.data,
                password=form.password.data,
                locale=form.locale.data,
            )
        except ServiceError as error:
            apply_service_error(form, error)
            unclaimed = isinstance(error, UnclaimedAccount)
        else:
            _start_session(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
            return redirect(url_for("main.dashboard"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/signup.html", form=form, claim_hint=unclaimed), status


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("auth/login.html", form=LoginForm(), next=request.args.get("next", ""))


@bp.post("/login")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_login_key)
def login_post():
    form = LoginForm()
    next_url = request.args.get("next") or request.form.get("next") or ""
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(next_url if is_safe_next(next_url) else url_for("main.dashboard"))
        form.password.errors.append(_("Wrong email, phone or password."))
    return render_template("auth/login.html", form=form, next=next_url), 422


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"))


@bp.get("/password")
@login_required
def change_password():
    return render_template("auth/password.html", form=ChangePasswordForm())


@bp.post("/password")
@login_required
def change_password_post():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            login_user(
                current_user._get_current_object()
            )  # the session id carries the new version, so this session stays valid
            flash(_("Your password is changed. Other devices are logged out."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/password.html", form=form), 422


@bp.get("/claim")
def claim():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("auth/claim.html", form=ClaimForm())


@bp.post("/claim")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_login_key)
def claim_post():
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            user = claims.claim_account(form.login.data, form.code.data, form.password.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            _start_session(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/claim.html", form=form), 422
