"""Matching over the API: ranked candidates, proposals, their transitions, and batch proposals."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _

from matcher.domain import lifecycle
from matcher.domain.lifecycle import Actor, Event
from matcher.models import Match
from matcher.services import batches, matches, records
from matcher.services.errors import NotFound
from matcher.services.matching import rank_request
from matcher.services.reasons import render_reason
from matcher.web.api import bp
from matcher.web.api.common import ID, STAFF, Body, created, fail, int_arg, page_args, require_user, stamp

MAX_LIMIT = 200
BATCH_TIME_LIMIT_S = (0.1, 60.0)
# {"to": ...} of a transition: what the caller wants the match to become.
ACCEPT_TARGETS = frozenset({"accepted", "host_accepted", "guest_accepted", "confirmed"})
STAFF_TARGETS = frozenset({"cancelled", "moved_in", "ended", "broken_down"})
TRANSITION_TARGETS = tuple(sorted(ACCEPT_TARGETS | STAFF_TARGETS | {"declined"}))
_EVENT_TARGETS = {
    Event.HOST_ACCEPT: "accepted",
    Event.GUEST_ACCEPT: "accepted",
    Event.HOST_DECLINE: "declined",
    Event.GUEST_DECLINE: "declined",
    Event.CANCEL: "cancelled",
    Event.MOVE_IN: "moved_in",
    Event.END: "ended",
    Event.BREAK_DOWN: "broken_down",
}


@bp.get(f"/requests/<{ID}:request_id>/candidates")
def request_candidates(request_id: int):
    require_user(*STAFF)
    limit = int_arg("limit", 20, 1, MAX_LIMIT)
    try:
        _case, ranking = rank_request(request_id, limit=limit, near_miss_limit=limit)
    except NotFound:
        fail(404, "not_found", _("There is no such request."))
    return jsonify(
        request_id=request_id,
        candidate_count=ranking.candidate_count,
        candidates=[
            {
                "offer_id": c.offer_id,
                "score": round(c.score, 2),
                "distance_km": round(c.distance_km, 1),
                "components": c.components,
                "reasons": [render_reason(r) for r in c.reasons],
                "verified": c.verified,
                "free_beds": c.free_beds,
            }
            for c in ranking.candidates
        ],
        near_misses=[
            {
                "offer_id": n.offer_id,
                "rule": n.rule,
                "reason": render_reason(n.reason),
                "distance_km": round(n.distance_km, 1),
            }
            for n in ranking.near_misses
        ],
    )


# --- matches -------------------------------------------------------------------------------------------------


def match_json(match: Match, party: Actor | None) -> dict:
    """A match as its host, guest or a coordinator sees it over the API: no contact details, ever."""
    allowed = []
    if party is not None:
        for event in lifecycle.allowed_events(match.status, party):
            target = _EVENT_TARGETS.get(event)
            if target and target not in allowed:
                allowed.append(target)
        if party == Actor.COORDINATOR:
            for side in (Actor.HOST, Actor.GUEST):
                for event in lifecycle.allowed_events(match.status, side):
                    target = _EVENT_TARGETS.get(event)
                    if target and target not in allowed:
                        allowed.append(target)
    return {
        "id": match.id,
        "request_id": match.request_id,
        "offer_id": match.offer_id,
        "status": match.status.value,
        "beds_held": match.beds_held,
        "score": match.score,
        "hold_expires_at": stamp(match.hold_expires_at),
        "proposed_by_id": match.proposed_by_id,
        "host_accepted_at": stamp(match.host_accepted_at),
        "guest_accepted_at": stamp(match.guest_accepted_at),
        "confirmed_at": stamp(match.confirmed_at),
        "moved_in_at": stamp(match.moved_in_at),
        "ended_at": stamp(match.ended_at),
        "decline_reason": match.decline_reason,
        "created_at": stamp(match.created_at),
        "updated_at": stamp(match.updated_at),
        "transitions": allowed,
    }


@bp.post("/matches")
def create_match():
    user = require_user(*STAFF)
    body = Body()
    request_id, offer_id = body.integer("request_id"), body.integer("offer_id")
    score = body.number("score")
    for name, value in (("request_id", request_id), ("offer_id", offer_id)):
        if value is None:
            body.errors.setdefault(name, _("This field is required."))
        elif not 1 <= value <= 2**31 - 1:
            body.errors.setdefault(name, _("There is no such record."))
    if score is not None and not 0 <= score <= 100:
        body.errors["score"] = _("must be from 0 to 100")
    body.check()
    match = matches.propose(user, request_id, offer_id, score=score)
    return created(match_json(match, Actor.COORDINATOR), "api.get_match", match_id=match.id)


@bp.get(f"/matches/<{ID}:match_id>")
def get_match(match_id: int):
    user = require_user()
    match = records.get_match(user, match_id)
    return jsonify(match_json(match, matches.party_of(user, match)))


@bp.post(f"/matches/<{ID}:match_id>/transitions")
def transition(match_id: int):
    """Move a match on: accept or decline (its host or guest, or staff for them), or a coordinator's step."""
    user = require_user()
    match = records.get_match(user, match_id)
    party = matches.party_of(user, match)
    body = Body()
    target = body.string("to")
    reason, reason_text = body.string("reason"), body.string("reason_text")
    side = body.string("on_behalf_of")
    if target not in TRANSITION_TARGETS:
        body.errors["to"] = _("must be one of: %(options)s", options=", ".join(TRANSITION_TARGETS))
    if side is not None and side not in ("host", "guest"):
        body.errors["on_behalf_of"] = _("must be host or guest")
    body.check()
    on_behalf = Actor(side) if side else None
    if target in ACCEPT_TARGETS:
        match = matches.accept(user, match_id, on_behalf_of=on_behalf)
    elif target == "declined":
        match = matches.decline(user, match_id, reason or "", reason_text, on_behalf_of=on_behalf)
    else:
        if party != Actor.COORDINATOR:
            fail(403, "forbidden", _("Only a coordinator records this."))
        if target == "cancelled":
            match = matches.cancel(user, match_id, reason or "", reason_text)
        elif target == "moved_in":
            match = matches.record_move_in(user, match_id)
        elif target == "ended":
            match = matches.record_end(user, match_id, reason_text=reason_text or reason)
        else:
            match = matches.record_breakdown(user, match_id, reason or "", reason_text)
    return jsonify(match_json(match, party))


# --- batches -------------------------------------------------------------------------------------------------


def batch_json(run, page: int, per_page: int) -> dict:
    """A stored batch: the summary fields of `flask match-batch --json`, and one page of its proposed pairs."""
    rows, total = batches.rows_page(run.id, page=page, per_page=per_page)
    next_url = None
    if page * per_page < total:
        next_url = url_for("api.get_batch", batch_id=run.id, page=page + 1, per_page=per_page)
    summary = dict(run.summary or {})
    return {
        **summary,
        "batch_id": run.id,
        "id": run.id,
        "created_at": stamp(run.created_at),
        "created_by_id": run.created_by_id,
        "states": batches.state_counts(run.id),
        "pairs": [
            {
                "row_id": row.id,
                "request_id": row.request_id,
                "offer_id": row.offer_id,
                "score": round(row.score, 2),
                "people": row.people,
                "distance_km": round(row.distance_km, 1),
                "state": row.state,
                "match_id": row.match_id,
                "note": row.note,
            }
            for row in rows
        ],
        "page": page,
        "per_page": per_page,
        "total": total,
        "next": next_url,
    }


@bp.post("/batches")
def run_batch():
    user = require_user(*STAFF)
    body = Body(optional=True)
    limit = body.number("time_limit_s")
    low, high = BATCH_TIME_LIMIT_S
    if limit is not None and not low <= limit <= high:
        body.errors["time_limit_s"] = _("must be from %(low)s to %(high)s seconds", low=low, high=high)
    body.check()
    page, per_page = page_args()  # refuse a bad ?page= before the batch is stored
    run, _result = batches.propose(user, time_limit_s=limit)
    return created(batch_json(run, page, per_page), "api.get_batch", batch_id=run.id)


@bp.get(f"/batches/<{ID}:batch_id>")
def get_batch(batch_id: int):
    require_user(*STAFF)
    run = records.get_batch(batch_id)
    page, per_page = page_args()
    return jsonify(batch_json(run, page, per_page))
