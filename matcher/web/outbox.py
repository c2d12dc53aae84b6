"""The outbox page: every queued message and its delivery state, for admins (a development aid)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from matcher.models import Role
from matcher.services import notifications
from matcher.web.access import roles_required

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


@bp.get("")
@roles_required(Role.ADMIN)
def index():
    if not current_app.config.get("OUTBOX_PAGE_ENABLED"):
        abort(404)
    return render_template("outbox/index.html", messages=notifications.outbox())
