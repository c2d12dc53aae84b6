"""Coordinators' safeguarding pages: a host's checks and household, audited reveals of a host's contact details,
the second sign-off of a flagged placement, women-only households, and the concerns hosts and guests report.

The pages live under /coordinator with the case pages; the blueprint is separate so that safeguarding stays in
one place.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matcher.domain import safeguarding as rules
from matcher.extensions import db
from matcher.models import STAFF_ROLES, Match
from matcher.services import concerns, safeguarding
from matcher.services.errors import NotFound, ServiceError
from matcher.web.access import roles_required
from matcher.web.formtools import apply_service_error
from matcher.web.safeguarding_forms import CheckForm, HouseholdForm, ResolveForm, RevealForm

bp = Blueprint("safeguarding", __name__, url_prefix="/coordinator")


@bp.app_context_processor
def _labels() -> dict:
    """Check and household labels, for these pages and the safeguarding section of the case page."""
    return {
        "check_labels": rules.CHECK_LABELS,
        "household_labels": rules.HOUSEHOLD_GENDER_LABELS,
    }


def _host_page(host_id: int, *, check_form=None, revealed: bool = False, status: int = 200):
    try:
        page = safeguarding.host_page(host_id)
    except NotFound:
        abort(404)
    households = {
        o.id: HouseholdForm(
            formdata=None, prefix=f"o{o.id}", adults=o.household_adults, gender=getattr(o.household_gender, "value", "")
        )
        for o in page.offers
    }
    return render_template(
        "safeguarding/host.html",
        page=page,
        check_form=check_form or CheckForm(formdata=None, done_on=page.today),
        households=households,
        reveal_form=RevealForm(formdata=None),
        revealed=revealed,
    ), status


@bp.get("/hosts/<int:host_id>")
@roles_required(*STAFF_ROLES)
def host_page(host_id: int):
    return _host_page(host_id)


@bp.post("/hosts/<int:host_id>/checks")
@roles_required(*STAFF_ROLES)
def record_check(host_id: int):
    form = CheckForm()
    if form.validate_on_submit():
        try:
            safeguarding.record_check(
                current_user, host_id, kind=form.kind.data, done_on=form.done_on.data,
                expires_on=form.expires_on.data, note=form.note.data or "", unavailable=form.unavailable.data,
            )  # fmt: skip
        except NotFound:
            abort(404)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Check recorded."), "success")
            return redirect(url_for("safeguarding.host_page", host_id=host_id) + "#checks")
    return _host_page(host_id, check_form=form, status=422)


@bp.post("/hosts/<int:host_id>/reveal")
@roles_required(*STAFF_ROLES)
def reveal_host(host_id: int):
    form = RevealForm()
    if form.validate_on_submit():
        try:
            safeguarding.reveal_host_contact(current_user, host_id, form.reason.data)
        except NotFound:
            abort(404)
        except ServiceError as error:
            flash(str(error), "danger")
        else:
            return _host_page(host_id, revealed=True)
    else:
        flash(_("Say why you need the contact details."), "danger")
    return redirect(url_for("safeguarding.host_page", host_id=host_id))


@bp.post("/offers/<int:offer_id>/household")
@roles_required(*STAFF_ROLES)
def set_household(offer_id: int):
    form = HouseholdForm(prefix=f"o{offer_id}")
    host_id = request.form.get("host_id", "")
    back = url_for("safeguarding.host_page", host_id=int(host_id)) if host_id.isdigit() else url_for("main.dashboard")
    if not form.validate_on_submit():
        flash(_("Enter the number of adults (0 to 20) and choose who they are."), "danger")
        return redirect(back)
    try:
        safeguarding.set_household(current_user, offer_id, adults=form.adults.data, gender=form.gender.data or None)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "danger")
    else:
        flash(_("Household recorded."), "success")
    return redirect(back + "#offers")


@bp.post("/requests/<int:request_id>/women-only")
@roles_required(*STAFF_ROLES)
def set_women_only(request_id: int):
    value = request.form.get("women_only", "")
    if value not in ("0", "1"):
        abort(400)
    try:
        safeguarding.set_women_only(current_user, request_id, value == "1")
    except NotFound:
        abort(404)
    flash(_("Saved."), "success")
    return redirect(url_for("coordinator.case_page", request_id=request_id) + "#safeguarding")


@bp.post("/matches/<int:match_id>/sign-off")
@roles_required(*STAFF_ROLES)
def sign_off(match_id: int):
    match = db.get_or_404(Match, match_id)
    try:
        safeguarding.sign_off(current_user, match_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "danger")
    else:
        flash(_("Signed off. The placement can be confirmed once both sides accept."), "success")
    return redirect(url_for("coordinator.case_page", request_id=match.request_id) + "#safeguarding")


@bp.get("/concerns/<int:concern_id>")
@roles_required(*STAFF_ROLES)
def concern_page(concern_id: int):
    try:
        concern = concerns.view(current_user, concern_id)
    except NotFound:
        abort(404)
    return render_template("safeguarding/concern.html", concern=concern, form=ResolveForm(formdata=None))


@bp.post("/concerns/<int:concern_id>/resolve")
@roles_required(*STAFF_ROLES)
def resolve_concern(concern_id: int):
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            concern = concerns.resolve(
                current_user, concern_id, form.resolution.data, close_match=form.close_match.data
            )
        except NotFound:
            abort(404)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("The concern is resolved."), "success")
            return redirect(url_for("coordinator.case_page", request_id=concern.request_id) + "#safeguarding")
    try:
        concern = concerns.get(concern_id)
    except NotFound:
        abort(404)
    return render_template("safeguarding/concern.html", concern=concern, form=form), 422
