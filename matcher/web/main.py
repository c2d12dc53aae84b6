"""The landing page, each role's dashboard, and the language switcher."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from matcher.models import Role
from matcher.services import accounts, housing_requests, matches, notifications, offers
from matcher.web.access import is_safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/dashboard")
@login_required
def dashboard():
    if current_user.role is Role.COORDINATOR:
        return redirect(url_for("coordinator.outcomes"))
    return render_template(f"main/dashboard_{current_user.role.value}.html", **_dashboard_data())


def _dashboard_data() -> dict:
    """What a self-service role's dashboard lists: a host's offers, a refugee's requests."""
    shared = {
        "placements": matches.matches_for(current_user, limit=20),
        "messages": notifications.notifications_for(current_user, limit=10),
    }
    if current_user.role is Role.HOST:
        return {"offers": offers.host_offers(current_user), **shared}
    if current_user.role is Role.REFUGEE:
        return {"housing_requests": housing_requests.refugee_requests(current_user), **shared}
    return {}


@bp.post("/language")
def set_language():
    code = request.form.get("locale", "")
    if code in current_app.config["SUPPORTED_LOCALES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            accounts.set_locale(current_user, code)
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("main.index"))
