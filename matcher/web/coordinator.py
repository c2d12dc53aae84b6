"""The coordinator's queue and case page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from matcher.models import Role
from matcher.services import cases, safeguarding
from matcher.services.errors import NotFound, ServiceError
from matcher.services.matching import candidate_counts, rank_request
from matcher.services.reasons import explained, render_reason
from matcher.web.access import parse_id, parse_ids, roles_required
from matcher.web.history import history_label

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")
STAFF = (Role.COORDINATOR, Role.ADMIN)
CANDIDATES_SHOWN = 20
NEAR_MISSES_SHOWN = 10


def _queue_filter() -> cases.QueueFilter:
    args = request.args
    page = args.get("page", "1")
    return cases.QueueFilter(
        status=args.get("status", "open"),
        owner=args.get("owner", "any") if args.get("owner") in {"any", "mine", "unassigned"} else "any",
        query=args.get("q", "")[:100],
        vulnerable_only=args.get("vulnerable") == "1",
        sort=args.get("sort", "default") if args.get("sort") in cases.QUEUE_SORTS else "default",
        page=int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1,
    )


@bp.get("/")
@roles_required(*STAFF)
def outcomes():
    from matcher.services.outcomes import outcomes as compute

    return render_template("coordinator/outcomes.html", figures=compute())


@bp.get("/queue")
@roles_required(*STAFF)
def queue():
    flt = _queue_filter()
    rows, total = cases.queue(current_user, flt)
    return render_template(
        "coordinator/queue.html",
        rows=rows,
        candidate_counts=candidate_counts(rows),
        total=total,
        flt=flt,
        page_size=cases.QUEUE_PAGE_SIZE,
        coordinators=cases.coordinators(),
    )


@bp.post("/assign")
@roles_required(*STAFF)
def assign():
    ids = parse_ids(request.form.getlist("request_id"))
    owner = request.form.get("owner_id", "")
    owner_id = current_user.id if owner == "me" else parse_id(owner)
    if ids is None or (owner not in ("", "me") and owner_id is None):
        abort(404)
    if not ids:
        flash(_("Select at least one case."), "warning")
    else:
        try:
            changed = cases.assign(current_user, ids, owner_id)
        except NotFound:
            abort(404)
        except ServiceError as error:
            flash(str(error), "danger")
        else:
            flash(_("%(n)d cases assigned.", n=changed), "success")
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/coordinator/") else url_for("coordinator.queue"))


def _case_context(request_id: int, revealed: bool = False) -> dict:
    try:
        case, ranking = rank_request(request_id, limit=CANDIDATES_SHOWN, near_miss_limit=NEAR_MISSES_SHOWN)
    except NotFound:
        abort(404)
    cases.load_match_offers(case)
    offer_ids = [c.offer_id for c in ranking.candidates] + [n.offer_id for n in ranking.near_misses]
    offers = cases.offer_summaries(offer_ids)
    from matcher.domain import lifecycle

    return {
        "case": case,
        "cancel_reasons": lifecycle.CANCEL_REASONS,
        "breakdown_reasons": lifecycle.BREAKDOWN_REASONS,
        "ranking": ranking,
        "offers": offers,
        "notes": cases.notes(request_id),
        "safety": safeguarding.case_panel(case),
        "case_concerns": safeguarding.case_concerns(request_id),
        "history": cases.history(request_id),
        "revealed": revealed,
        "render_reason": render_reason,
        "explained": explained,
        "history_label": history_label,
    }


@bp.get("/requests/<int:request_id>")
@roles_required(*STAFF)
def case_page(request_id: int):
    return render_template("coordinator/case.html", **_case_context(request_id))


@bp.post("/requests/<int:request_id>/reveal")
@roles_required(*STAFF)
def reveal(request_id: int):
    try:
        cases.reveal_contact(current_user, request_id, request.form.get("reason", ""))
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "danger")
        return redirect(url_for("coordinator.case_page", request_id=request_id))
    return render_template("coordinator/case.html", **_case_context(request_id, revealed=True))


@bp.post("/requests/<int:request_id>/notes")
@roles_required(*STAFF)
def add_note(request_id: int):
    try:
        cases.add_note(current_user, request_id, request.form.get("body", ""))
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "danger")
    else:
        flash(_("Note added."), "success")
    return redirect(url_for("coordinator.case_page", request_id=request_id) + "#notes")


@bp.post("/requests/<int:request_id>/take")
@roles_required(*STAFF)
def take(request_id: int):
    try:
        cases.assign(current_user, [request_id], current_user.id)
    except NotFound:
        abort(404)
    flash(_("This case is now yours."), "success")
    return redirect(url_for("coordinator.case_page", request_id=request_id))


@bp.post("/requests/<int:request_id>/propose")
@roles_required(*STAFF)
def propose(request_id: int):
    from matcher.services import matches

    offer_id = parse_id(request.form.get("offer_id"))
    if offer_id is None:
        abort(400)
    try:
        match = matches.propose(current_user, request_id, offer_id, score=_score(request.form.get("score")))
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "danger")
        return redirect(url_for("coordinator.case_page", request_id=request_id))
    flash(
        _("Proposed. The beds are held until %(when)s.", when=format_datetime(match.hold_expires_at, "short")),
        "success",
    )
    return redirect(url_for("coordinator.case_page", request_id=request_id))


def _score(raw: str | None) -> float | None:
    try:
        value = float(raw or "")
    except ValueError:
        return None
    return value if 0.0 <= value <= 100.0 else None


@bp.get("/batches")
@roles_required(*STAFF)
def batches_list():
    from matcher.services import batches

    return render_template("coordinator/batches.html", runs=batches.recent_batches())


@bp.post("/batches")
@roles_required(*STAFF)
def batches_run():
    from matcher.services import batches

    run, result = batches.propose(current_user)
    flash(
        _("The batch proposes %(placed)d placements for %(open)d open households.", placed=result.households_placed,
          open=result.households_open),
        "success",
    )  # fmt: skip
    return redirect(url_for("coordinator.batch_review", batch_id=run.id))


@bp.get("/batches/<int:batch_id>")
@roles_required(*STAFF)
def batch_review(batch_id: int):
    from matcher.services import batches
    from matcher.services.matching import explain_pair

    try:
        run = batches.get_batch(batch_id)
    except NotFound:
        abort(404)
    page = request.args.get("page", "1")
    page = int(page) if page.isascii() and page.isdigit() and len(page) < 6 else 1
    rows, total = batches.rows_page(batch_id, page=page)
    explanations = {}
    for row in rows:
        if row.state == "proposed":
            ranking = explain_pair(row.request, row.offer)
            explanations[row.id] = ranking.candidates[0].reasons if ranking.candidates else ranking.near_misses
    return render_template(
        "coordinator/batch.html",
        run=run,
        rows=rows,
        total=total,
        page=page,
        per_page=100,
        counts=batches.state_counts(batch_id),
        explanations=explanations,
        render_reason=render_reason,
    )


@bp.post("/batches/<int:batch_id>/review")
@roles_required(*STAFF)
def batch_decide(batch_id: int):
    from matcher.services import batches

    action = request.form.get("action")
    row_ids = parse_ids(request.form.getlist("row_id"))
    if action not in {"accept_all", "accept", "reject"}:
        abort(400)
    if row_ids is None:
        abort(404)
    if action != "accept_all" and not row_ids:
        flash(_("Select at least one row."), "warning")
        return redirect(url_for("coordinator.batch_review", batch_id=batch_id))
    try:
        if action == "reject":
            report = batches.reject_rows(current_user, batch_id, row_ids)
            flash(_("%(n)d rows rejected.", n=report.rejected), "success")
        else:
            report = batches.accept_rows(current_user, batch_id, None if action == "accept_all" else row_ids)
            flash(_("%(n)d proposals made.", n=report.accepted), "success")
            for row_id, why in report.skipped[:20]:
                flash(_("Row %(row)d skipped: %(why)s", row=row_id, why=why), "warning")
            if len(report.skipped) > 20:
                flash(_("%(n)d more rows skipped.", n=len(report.skipped) - 20), "warning")
    except NotFound:
        abort(404)
    return redirect(url_for("coordinator.batch_review", batch_id=batch_id))


MATCH_STEPS = {"cancel", "move_in", "end", "break_down"}


@bp.post("/matches/<int:match_id>/<step>")
@roles_required(*STAFF)
def match_step(match_id: int, step: str):
    from matcher.extensions import db
    from matcher.models import Match
    from matcher.services import matches

    if step not in MATCH_STEPS:
        abort(404)
    match = db.get_or_404(Match, match_id)
    code, text = request.form.get("reason_code", ""), request.form.get("reason_text") or None
    try:
        if step == "cancel":
            matches.cancel(current_user, match_id, code, text)
        elif step == "move_in":
            matches.record_move_in(current_user, match_id)
        elif step == "end":
            matches.record_end(current_user, match_id, reason_text=text)
        else:
            matches.record_breakdown(current_user, match_id, code, text)
    except NotFound:
        abort(404)
    except ServiceError as error:
        flash(str(error), "danger")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("coordinator.case_page", request_id=match.request_id) + "#matches")
