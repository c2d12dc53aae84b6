"""Admin area: staff accounts, matching and safeguarding settings, and the audit log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from matcher.domain.matching import COMPONENTS
from matcher.extensions import db
from matcher.models import STAFF_ROLES, Role, User
from matcher.services import accounts, audit, matching, safeguarding
from matcher.services.errors import ServiceError
from matcher.web.access import roles_required
from matcher.web.auth_forms import MatchingSettingsForm, StaffUserForm
from matcher.web.formtools import apply_service_error
from matcher.web.safeguarding_forms import SafeguardingSettingsForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _staff():
    return db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.name)).all()


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    return render_template("admin/users.html", form=StaffUserForm(), staff=_staff())


@bp.post("/users")
@roles_required(Role.ADMIN)
def users_post():
    form = StaffUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_account(
                name=form.name.data,
                email=form.email.data,
                role=Role(form.role.data),
                password=form.password.data,
                actor=current_user,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Account created for %(name)s.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/users.html", form=form, staff=_staff()), 422


@bp.get("/matching")
@roles_required(Role.ADMIN)
def matching_settings():
    weights, rules = matching.scoring_weights(), matching.matching_settings()
    form = MatchingSettingsForm(
        data={**{name: getattr(weights, name) for name in COMPONENTS}, "date_slack_days": rules.date_slack_days,
              "batch_top_k": rules.batch_top_k}
    )  # fmt: skip
    return render_template("admin/matching.html", form=form, points=weights.points())


@bp.post("/matching")
@roles_required(Role.ADMIN)
def matching_settings_post():
    form = MatchingSettingsForm()
    if form.validate_on_submit():
        try:
            matching.save_matching_settings(
                current_user,
                weights={name: float(getattr(form, name).data) for name in COMPONENTS},
                date_slack_days=form.date_slack_days.data,
                batch_top_k=form.batch_top_k.data,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Matching settings saved."), "success")
            return redirect(url_for("admin.matching_settings"))
    return render_template("admin/matching.html", form=form, points=matching.scoring_weights().points()), 422


@bp.get("/safeguarding")
@roles_required(Role.ADMIN)
def safeguarding_settings():
    rules = safeguarding.risk_rules()
    form = SafeguardingSettingsForm(
        formdata=None,
        required=[k.value for k in safeguarding.required_checks()],
        guest=sorted(rules.guest),
        host=sorted(rules.host),
    )
    return render_template("admin/safeguarding.html", form=form)


@bp.post("/safeguarding")
@roles_required(Role.ADMIN)
def safeguarding_settings_post():
    form = SafeguardingSettingsForm()
    if form.validate_on_submit():
        try:
            safeguarding.save_settings(
                current_user, required=form.required.data or [], guest=form.guest.data or [], host=form.host.data or []
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Safeguarding settings saved."), "success")
            return redirect(url_for("admin.safeguarding_settings"))
    return render_template("admin/safeguarding.html", form=form), 422


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    args = request.args
    page = args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1
    action, actor = args.get("action", "")[:60], args.get("actor", "")[:254]
    rows, total = audit.search(action=action, actor=actor, page=page)
    return render_template(
        "admin/audit.html",
        rows=rows,
        total=total,
        page=page,
        page_size=audit.AUDIT_PAGE_SIZE,
        action=action,
        actor=actor,
        actions=audit.actions(),
    )
