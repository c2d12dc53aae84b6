"""Admin area: staff accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import STAFF_ROLES, Role, User
from matcher.services import accounts
from matcher.services.errors import ServiceError
from matcher.web.access import roles_required
from matcher.web.auth_forms import StaffUserForm
from matcher.web.formtools import apply_service_error

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
