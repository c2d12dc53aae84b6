"""Housing requests: a refugee files, follows, edits and withdraws theirs; a coordinator registers one at a desk."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from matcher.domain.vocabulary import VULNERABILITY_FLAGS, RequestStatus
from matcher.models import Role
from matcher.services import claims, housing_requests
from matcher.services.errors import NotFound, ServiceError
from matcher.web.access import roles_required
from matcher.web.offers import or_404
from matcher.web.place_forms import apply_place_error
from matcher.web.request_forms import DeskRequestForm, RequestForm, WithdrawRequestForm, duration_labels

bp = Blueprint("requests", __name__, url_prefix="/requests")
desk_bp = Blueprint("desk", __name__, url_prefix="/desk")

STAFF = (Role.COORDINATOR, Role.ADMIN)
# Where a case stands, in plain words, by request status.
STATUS_WORDS = {
    "open": _l(
        "We are looking for a place for you. A coordinator will propose one that fits your household. "
        "You do not need to do anything now; we will tell you here as soon as there is news."
    ),
    "matched": _l(
        "A place has been proposed to you. A coordinator will contact you to talk about it, "
        "and you decide whether to accept it."
    ),
    "housed": _l("You have a place to stay. We wish you a good and safe stay."),
    "closed": _l("This request is closed. If you still need a place, you can file a new request."),
}
_CLAIM_CODE_KEY = "desk_claim_code"


REQUEST_STATUS_LABELS = {
    RequestStatus.OPEN: _l("Open"),
    RequestStatus.MATCHED: _l("Place proposed"),
    RequestStatus.HOUSED: _l("Housed"),
    RequestStatus.CLOSED: _l("Closed"),
}


@bp.app_template_global()
def request_status_label(status) -> str:
    """A request's status in a word or two, in the reader's language."""
    return str(REQUEST_STATUS_LABELS.get(RequestStatus(status), status))


@bp.app_template_global()
def request_status_words(status) -> str:
    """Where a request stands, in plain words in the reader's language."""
    return str(STATUS_WORDS.get(getattr(status, "value", status), ""))


@bp.app_template_global()
def household_words(found) -> str:
    """ "2 adults, 2 children (ages 4, 9)" in the reader's language: composition only, never names."""
    words = ngettext("%(num)d adult", "%(num)d adults", found.adults)
    if found.children:
        children = ngettext("%(num)d child", "%(num)d children", found.children)
        if found.child_ages:
            children = _("%(children)s (ages %(ages)s)", children=children, ages=", ".join(found.child_ages))
        words = _("%(adults)s, %(children)s", adults=words, children=children)
    return words


@bp.app_template_global()
def duration_words(days: int) -> str:
    """A stay's length as the preset it matches ("3 months"), else as days."""
    return duration_labels().get(days) or ngettext("%(num)d day", "%(num)d days", days)


@bp.app_template_global()
def vulnerability_words(codes) -> str:
    """Vulnerability flags as labels in the reader's language, comma-separated."""
    return ", ".join(_(VULNERABILITY_FLAGS[code]) for code in codes or () if code in VULNERABILITY_FLAGS)


@bp.get("/new")
@roles_required(Role.REFUGEE)
def new():
    existing = housing_requests.active_request(current_user)
    if existing is not None:
        flash(_("You already have an open request. You can change it instead of filing a new one."), "info")
        return redirect(url_for("requests.detail", request_id=existing.id))
    form = RequestForm(
        data={"contact_name": current_user.name, "phone": current_user.phone, "email": current_user.email}
    )
    return render_template("requests/form.html", form=form, housing_request=None)


@bp.post("/new")
@roles_required(Role.REFUGEE)
def new_post():
    form = RequestForm()
    if form.validate_on_submit():
        try:
            found = housing_requests.create_request(current_user, form.to_input(), nonce=form.nonce.data)
        except ServiceError as error:
            apply_place_error(form, error)
        else:
            flash(_("Your request is saved. We will tell you here as soon as there is news."), "success")
            return redirect(url_for("requests.detail", request_id=found.id))
    return render_template("requests/form.html", form=form, housing_request=None), 422


@bp.get("/<int:request_id>")
@roles_required(Role.REFUGEE, *STAFF)
def detail(request_id: int):
    found = or_404(housing_requests.view_request, current_user, request_id)
    handed = session.pop(_CLAIM_CODE_KEY, None) if current_user.is_staff else None
    claim_code = handed["code"] if handed and handed.get("request_id") == request_id else None
    return render_template(
        "requests/detail.html", housing_request=found, claim_code=claim_code, withdraw_form=WithdrawRequestForm()
    )


@bp.get("/<int:request_id>/edit")
@roles_required(Role.REFUGEE)
def edit(request_id: int):
    found = or_404(housing_requests.owned_request, current_user, request_id)
    if found.status is not RequestStatus.OPEN:
        flash(_("This request can no longer be changed here. Please contact your coordinator."), "info")
        return redirect(url_for("requests.detail", request_id=request_id))
    form = RequestForm.from_input(housing_requests.as_input(found))
    return render_template("requests/form.html", form=form, housing_request=found)


@bp.post("/<int:request_id>/edit")
@roles_required(Role.REFUGEE)
def edit_post(request_id: int):
    found = or_404(housing_requests.owned_request, current_user, request_id)
    form = RequestForm()
    if form.validate_on_submit():
        try:
            housing_requests.update_request(current_user, request_id, form.to_input())
        except ServiceError as error:
            apply_place_error(form, error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("requests.detail", request_id=request_id))
    return render_template("requests/form.html", form=form, housing_request=found), 422


@bp.post("/<int:request_id>/withdraw")
@roles_required(Role.REFUGEE)
def withdraw(request_id: int):
    try:
        housing_requests.withdraw_request(current_user, request_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Your request is withdrawn. We are glad if you found a place."), "success")
    return redirect(url_for("requests.detail", request_id=request_id))


@desk_bp.get("/requests/new")
@roles_required(*STAFF)
def new_request():
    return render_template("requests/desk.html", form=DeskRequestForm())


@desk_bp.post("/requests/new")
@roles_required(*STAFF)
def new_request_post():
    form = DeskRequestForm()
    if form.validate_on_submit():
        try:
            found, code = housing_requests.register_at_desk(current_user, form.to_input(), nonce=form.nonce.data)
        except ServiceError as error:
            apply_place_error(form, error)
        else:
            # Shown once, on the next page; only its hash is stored.
            session[_CLAIM_CODE_KEY] = {"request_id": found.id, "code": claims.format_claim_code(code)}
            flash(_("The request is registered. Give the person the claim code below."), "success")
            return redirect(url_for("requests.detail", request_id=found.id))
    return render_template("requests/desk.html", form=form), 422
