"""Error pages (HTML, or JSON under /api/), and a rollback after any server error."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from matcher.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, title: str, message: str, code: str):
    if _wants_json():
        return jsonify(error=code, message=message, fields={}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register(app) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(
            400, _("Form expired"), _("The form expired or was sent from elsewhere. Please try again."), "csrf"
        )

    @app.errorhandler(401)
    def unauthorized(error):
        return _render(401, _("Log in first"), _("Log in to use this."), "unauthorized")

    @app.errorhandler(403)
    def forbidden(error):
        return _render(403, _("Not allowed"), _("Your account cannot open this page."), "forbidden")

    @app.errorhandler(404)
    def not_found(error):
        return _render(404, _("Not found"), _("There is nothing at this address."), "not_found")

    @app.errorhandler(429)
    def too_many(error):
        message = _("Too many attempts. Please wait a minute and try again.")
        if request.endpoint == "auth.login_post":
            from matcher.web.auth_forms import LoginForm

            form = LoginForm()
            form.password.errors = [message]
            return render_template("auth/login.html", form=form, next=""), 429
        return _render(429, _("Too many attempts"), message, "rate_limited")

    @app.errorhandler(HTTPException)
    def other_http_error(error):
        return _render(error.code or 500, error.name, error.description or "", error.name.lower().replace(" ", "_"))

    @app.errorhandler(500)
    def server_error(error):
        # The failed request may have left a half-done transaction; never let it leak into the next one.
        db.session.rollback()
        return _render(
            500, _("Something went wrong"), _("We could not finish this. Nothing was saved."), "server_error"
        )
