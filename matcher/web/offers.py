"""A host's offers: list, add, view, edit, pause/resume/withdraw and "still available"; coordinators may view."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.matching.settings import DEFAULT_FRESHNESS_DAYS
from matcher.domain.vocabulary import PLACE_KIND_LABELS, OfferStatus, PlaceKind
from matcher.models import Role, utcnow
from matcher.services import offers, places
from matcher.services.errors import NotFound, ServiceError
from matcher.web.access import is_safe_next, roles_required
from matcher.web.i18n import language_name
from matcher.web.offer_forms import ConfirmOfferForm, OfferForm, OfferStatusForm
from matcher.web.place_forms import apply_place_error

bp = Blueprint("offers", __name__, url_prefix="/offers")


def or_404(call, *args):
    """Run a service lookup; someone else's record (NotFound) is a plain 404, never a 403."""
    try:
        return call(*args)
    except NotFound:
        abort(404)


def _back(next_url: str | None, offer_id: int) -> str:
    return next_url if is_safe_next(next_url) else url_for("offers.detail", offer_id=offer_id)


def _status_done(action: str) -> str:
    return {
        "pause": _("The offer is paused. No household will be proposed for it until you resume it."),
        "resume": _("The offer is active again."),
        "withdraw": _("The offer is withdrawn."),
    }[action]


OFFER_STATUS_LABELS = {
    OfferStatus.ACTIVE: _l("Active"),
    OfferStatus.PAUSED: _l("Paused"),
    OfferStatus.WITHDRAWN: _l("Withdrawn"),
}
PROPOSAL_STATUS_LABELS = {
    MatchStatus.PROPOSED: _l("Proposed, waiting for answers"),
    MatchStatus.HOST_ACCEPTED: _l("You accepted; waiting for the guest"),
    MatchStatus.GUEST_ACCEPTED: _l("The guest accepted; waiting for you"),
    MatchStatus.CONFIRMED: _l("Confirmed"),
    MatchStatus.MOVED_IN: _l("Moved in"),
}


@bp.app_template_global()
def offer_status_label(status) -> str:
    """An offer's status in the reader's language."""
    return str(OFFER_STATUS_LABELS.get(OfferStatus(status), status))


@bp.app_template_global()
def proposal_status_label(status) -> str:
    """An open match's status, as its host reads it."""
    return str(PROPOSAL_STATUS_LABELS.get(MatchStatus(status), status))


@bp.app_template_global()
def offer_is_stale(offer) -> bool:
    """True when the host has not confirmed the offer within the freshness window."""
    return offer.last_confirmed_at < utcnow() - timedelta(days=DEFAULT_FRESHNESS_DAYS)


@bp.app_template_global()
def offer_is_pinned(offer) -> bool:
    """True when the offer's point is an exact pin rather than its town's centre."""
    return places.is_pinned(offer.geoname_id, offer.lat, offer.lon)


@bp.app_template_global()
def offer_open_matches(offer) -> list:
    """The offer's matches that hold beds now."""
    return offers.open_matches(offer)


@bp.app_template_global()
def place_kind_label(kind) -> str:
    """Room, flat or house in the reader's language."""
    return _(PLACE_KIND_LABELS[PlaceKind(kind)])


@bp.app_template_global()
def language_names(codes) -> str:
    """Language codes as names in the reader's language, comma-separated."""
    return ", ".join(language_name(code) for code in codes or ())


@bp.get("")
@roles_required(Role.HOST)
def index():
    return render_template("offers/index.html", offers=offers.host_offers(current_user))


@bp.get("/new")
@roles_required(Role.HOST)
def new():
    return render_template("offers/form.html", form=OfferForm(), offer=None)


@bp.post("/new")
@roles_required(Role.HOST)
def new_post():
    form = OfferForm()
    if form.validate_on_submit():
        try:
            offer = offers.create_offer(current_user, form.to_input(), nonce=form.nonce.data)
        except ServiceError as error:
            apply_place_error(form, error)
        else:
            flash(_("Your offer is saved. Coordinators can now propose it to a household."), "success")
            return redirect(url_for("offers.detail", offer_id=offer.id))
    return render_template("offers/form.html", form=form, offer=None), 422


@bp.get("/<int:offer_id>")
@roles_required(Role.HOST, Role.COORDINATOR, Role.ADMIN)
def detail(offer_id: int):
    offer = or_404(offers.view_offer, current_user, offer_id)
    return render_template("offers/detail.html", offer=offer, proposals=offers.open_matches(offer))


@bp.get("/<int:offer_id>/edit")
@roles_required(Role.HOST)
def edit(offer_id: int):
    offer = or_404(offers.owned_offer, current_user, offer_id)
    if offer.status is OfferStatus.WITHDRAWN:
        flash(_("This offer is withdrawn and can no longer be changed."), "info")
        return redirect(url_for("offers.detail", offer_id=offer_id))
    return render_template("offers/form.html", form=OfferForm(obj=offers.as_input(offer)), offer=offer)


@bp.post("/<int:offer_id>/edit")
@roles_required(Role.HOST)
def edit_post(offer_id: int):
    offer = or_404(offers.owned_offer, current_user, offer_id)
    form = OfferForm()
    if form.validate_on_submit():
        try:
            offers.update_offer(current_user, offer_id, form.to_input())
        except ServiceError as error:
            apply_place_error(form, error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("offers.detail", offer_id=offer_id))
    return render_template("offers/form.html", form=form, offer=offer), 422


@bp.post("/<int:offer_id>/status")
@roles_required(Role.HOST)
def status(offer_id: int):
    form = OfferStatusForm()
    action = form.action.data if form.validate_on_submit() else ""
    try:
        offers.change_status(current_user, offer_id, action)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error.message), "danger")
    else:
        flash(_status_done(action), "success")
    return redirect(_back(form.next.data, offer_id))


@bp.post("/<int:offer_id>/confirm")
@roles_required(Role.HOST)
def confirm(offer_id: int):
    form = ConfirmOfferForm()
    try:
        offers.confirm_offer(current_user, offer_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Thank you. The offer is confirmed as still available."), "success")
    return redirect(_back(form.next.data, offer_id))
