"""Two-sided consent: a host or guest sees a proposal and accepts or declines it, logged in or by a signed link.

Signed-link pages change nothing on GET (mail scanners follow links); the change happens on the confirming POST.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from matcher.domain.lifecycle import REASON_TEXT_MAX
from matcher.domain.vocabulary import PLACE_KIND_LABELS
from matcher.extensions import db
from matcher.models import Offer
from matcher.services import checkins, concerns, links, matches
from matcher.services.errors import NotFound, ServiceError
from matcher.web.forms import STRIP, PlainText, choices
from matcher.web.formtools import apply_service_error
from matcher.web.safeguarding_forms import ConcernForm

bp = Blueprint("consent", __name__)


@bp.context_processor
def _helpers() -> dict:
    return {"place_kinds": PLACE_KIND_LABELS, "format_date": format_date, "format_datetime": format_datetime}


class DeclineForm(FlaskForm):
    reason_code = RadioField(_l("Why do you decline?"), validators=[InputRequired(message=_l("Choose a reason."))])
    reason_text = TextAreaField(
        _l("Anything to add (optional)"),
        validators=[Optional(), Length(max=REASON_TEXT_MAX), PlainText()],
        filters=STRIP,
        description=_l("The coordinator reads this. Required if you chose “Another reason”."),
    )


def decline_form(reasons: dict[str, str], **kwargs) -> DeclineForm:
    """The decline form with this side's fixed reasons, labels translated."""
    form = DeclineForm(**kwargs)
    form.reason_code.choices = choices((code, _(label)) for code, label in reasons.items())
    return form


def _page(user, match_id: int, *, reveal: bool = True):
    try:
        return matches.page_for(user, match_id, reveal=reveal)
    except NotFound:
        abort(404)


def _render_match(page, form: DeclineForm | None = None, status: int = 200, concern_form: ConcernForm | None = None):
    form = form or decline_form(page.decline_reasons)
    return render_template(
        "consent/match.html",
        page=page,
        decline_form=form,
        accept_form=FlaskForm(),
        concern_form=concern_form or ConcernForm(formdata=None),
    ), status


@bp.get("/matches/<int:match_id>")
@login_required
def match_page(match_id: int):
    return _render_match(_page(current_user, match_id))


@bp.post("/matches/<int:match_id>/accept")
@login_required
def accept(match_id: int):
    _page(current_user, match_id, reveal=False)  # host or guest only: coordinators record answers on the case page
    try:
        matches.accept(current_user, match_id)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "danger")
    else:
        flash(_("Thank you: you accepted. We will tell you what happens next."), "success")
    return redirect(url_for("consent.match_page", match_id=match_id))


@bp.post("/matches/<int:match_id>/decline")
@login_required
def decline(match_id: int):
    page = _page(current_user, match_id, reveal=False)
    form = decline_form(page.decline_reasons)
    if form.validate_on_submit():
        try:
            matches.decline(current_user, match_id, form.reason_code.data, form.reason_text.data)
        except NotFound:
            abort(404)
        except ServiceError as error:
            if not error.field:
                flash(str(error), "danger")
                return redirect(url_for("consent.match_page", match_id=match_id))
            apply_service_error(form, error)
        else:
            flash(_("You declined. Thank you for answering."), "success")
            return redirect(url_for("consent.match_page", match_id=match_id))
    return _render_match(page, form, 422)


@bp.post("/matches/<int:match_id>/concern")
@login_required
def report_concern(match_id: int):
    page = _page(current_user, match_id, reveal=False)  # host or guest only
    form = ConcernForm()
    if form.validate_on_submit():
        try:
            concerns.report(current_user, match_id, form.body.data)
        except NotFound:
            abort(404)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Thank you for telling us. A coordinator will look into it and contact you."), "success")
            return redirect(url_for("consent.match_page", match_id=match_id))
    return _render_match(page, status=422, concern_form=form)


@bp.post("/matches/<int:match_id>/checkins/<int:checkin_id>")
@login_required
def answer_checkin(match_id: int, checkin_id: int):
    _page(current_user, match_id, reveal=False)
    answer = request.form.get("answer", "")
    if answer not in ("yes", "no"):
        abort(400)
    try:
        checkins.answer(current_user, checkin_id, answer == "yes")
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "warning")
    else:
        flash(_checkin_thanks(answer == "yes"), "success")
    return redirect(url_for("consent.match_page", match_id=match_id))


def _checkin_thanks(ok: bool) -> str:
    if ok:
        return _("Thank you. We are glad it is going well.")
    return _("Thank you for telling us. Your coordinator will contact you soon.")


# --- signed links --------------------------------------------------------------------------------------------


def _problem(problem: ServiceError, status: int | None = None):
    link = getattr(problem, "link", None)
    target = url_for("main.dashboard")
    if link is not None and link.match_id is not None:
        target = url_for("consent.match_page", match_id=link.match_id)
    kind = getattr(problem, "kind", "conflict")
    status = status or {"invalid": 400, "expired": 410, "used": 410}.get(kind, 409)
    login_url = url_for("auth.login", next=target)
    return render_template("consent/link_problem.html", message=problem.message, kind=kind, login_url=login_url), status


def _landing(token: str, link, form: DeclineForm | None = None, status: int = 200):
    if link.purpose == links.PURPOSE_CONFIRM_OFFER:
        offer = db.get_or_404(Offer, link.offer_id)
        return render_template("consent/link_offer.html", token=token, offer=offer, form=FlaskForm()), status
    if link.purpose == links.PURPOSE_CHECKIN:
        checkin = checkins.get_for_link(link.checkin_id)
        return render_template("consent/link_checkin.html", token=token, checkin=checkin, form=FlaskForm()), status
    try:
        page = matches.page_for(link.user, link.match_id, reveal=False)
    except NotFound:
        return _problem(links.LinkInvalid(_l("This proposal no longer exists.")), 404)
    form = form or decline_form(page.decline_reasons)
    return render_template(
        "consent/link_answer.html", token=token, page=page, accept_form=FlaskForm(), decline_form=form
    ), status


@bp.get("/links/<token>")
def link(token: str):
    g.private_page = True
    try:
        found = links.resolve(token)
    except links.LinkProblem as problem:
        return _problem(problem)
    return _landing(token, found)


def _confirm_link(token: str, found):
    links.confirm_offer(token)
    return _("Thank you: your offer is confirmed as still available.")


def _accept_link(token: str, found):
    matches.answer_by_link(token, accept=True)
    return _("Thank you: you accepted. We will tell you what happens next.")


def _decline_link(token: str, found):
    form = decline_form(matches.page_for(found.user, found.match_id, reveal=False).decline_reasons)
    if not form.validate_on_submit():
        return _landing(token, found, form, 422)
    try:
        matches.answer_by_link(
            token, accept=False, reason_code=form.reason_code.data, reason_text=form.reason_text.data
        )
    except ServiceError as error:
        if not error.field:
            raise
        apply_service_error(form, error)
        return _landing(token, found, form, 422)
    return _("You declined. Thank you for answering.")


def _checkin_link(ok: bool):
    def step(token: str, found):
        checkins.answer_by_link(token, ok)
        return _checkin_thanks(ok)

    return step


# What each kind of link can do: (purpose, action) -> a step returning a thank-you message or a response.
_LINK_ACTIONS = {
    (links.PURPOSE_CHECKIN, "yes"): _checkin_link(True),
    (links.PURPOSE_CHECKIN, "no"): _checkin_link(False),
    (links.PURPOSE_CONFIRM_OFFER, "confirm"): _confirm_link,
    (links.PURPOSE_ANSWER, "accept"): _accept_link,
    (links.PURPOSE_ANSWER, "decline"): _decline_link,
}


@bp.post("/links/<token>")
def link_post(token: str):
    g.private_page = True
    try:
        found = links.resolve(token)
        step = _LINK_ACTIONS.get((found.purpose, request.form.get("action", "")))
        if step is None:
            abort(400)
        result = step(token, found)
    except links.LinkProblem as problem:
        return _problem(problem)
    except NotFound:
        return _problem(links.LinkInvalid(_l("This proposal no longer exists.")), 404)
    except ServiceError as error:  # an expired hold, an answer given already, a cancellation meanwhile
        return _problem(error, 409)
    if not isinstance(result, str):
        return result
    return render_template("consent/link_done.html", message=result, login_url=url_for("auth.login"))
