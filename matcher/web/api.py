"""The JSON API under /api/v1: same authorization as the UI, JSON errors, never HTML."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from matcher.extensions import csrf
from matcher.models import Role
from matcher.services.errors import NotFound
from matcher.services.matching import rank_request
from matcher.services.reasons import render_reason

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_LIMIT = 200


def require_role(*roles: Role):
    """401 for anonymous callers, 403 for the wrong role."""
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role not in roles:
        abort(403)


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A bounded integer query argument; 400 with a message otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        response = jsonify(
            error="invalid_argument",
            message=f"{name} must be a whole number from {low} to {high}",
            fields={name: f"must be a whole number from {low} to {high}"},
        )
        response.status_code = 400
        abort(response)
    return value


@bp.get("/requests/<int:request_id>/candidates")
def request_candidates(request_id: int):
    require_role(Role.COORDINATOR, Role.ADMIN)
    limit = int_arg("limit", 20, 1, MAX_LIMIT)
    try:
        _, ranking = rank_request(request_id, limit=limit, near_miss_limit=limit)
    except NotFound:
        abort(404)
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
