"""Batch proposals: run the optimiser over every open request, store the result, and review it."""

from __future__ import annotations

import dataclasses
from datetime import date

from sqlalchemy import select

from matcher.domain.batch import BatchResult, run_batch
from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.matching import RequestBatch, priority_weight
from matcher.domain.vocabulary import RequestStatus
from matcher.extensions import db
from matcher.models import BatchRow, BatchRun, HousingRequest, Match, Offer, User
from matcher.services import audit
from matcher.services.errors import NotFound
from matcher.services.matching import matching_settings, offer_pool, scoring_weights


def open_requests() -> RequestBatch:
    """Every open request as matcher columns."""
    rows = db.session.execute(
        select(
            HousingRequest.id,
            HousingRequest.lat,
            HousingRequest.lon,
            HousingRequest.adults,
            HousingRequest.children,
            HousingRequest.pets,
            HousingRequest.step_free_needed,
            HousingRequest.languages,
            HousingRequest.max_distance_km,
            HousingRequest.needed_from,
            HousingRequest.duration_days,
            HousingRequest.vulnerabilities,
        )
        .where(HousingRequest.status == RequestStatus.OPEN)
        .order_by(HousingRequest.id)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(12)]
    ids, lat, lon, adults, children, pets, step_free, languages, max_km, needed, duration, flags = columns
    return RequestBatch.from_columns(
        ids=ids,
        lat=lat,
        lon=lon,
        adults=adults,
        children=children,
        pets=pets,
        step_free_needed=step_free,
        languages=languages,
        max_distance_km=max_km,
        needed_from=needed,
        duration_days=duration,
        priority=[priority_weight(f) for f in flags],
    )


def declined_pairs() -> list[tuple[int, int]]:
    """(request, offer) pairs refused before; the batch never proposes them again."""
    rows = db.session.execute(
        select(Match.request_id, Match.offer_id)
        .join(HousingRequest, HousingRequest.id == Match.request_id)
        .where(Match.status == MatchStatus.DECLINED, HousingRequest.status == RequestStatus.OPEN)
    ).all()
    return [(int(r), int(o)) for r, o in rows]


def propose(actor: User | None, *, time_limit_s: float | None = None, dry_run: bool = False, today: date | None = None):
    """Run a batch over all open requests and active offers; unless dry_run, store it (one commit)."""
    settings = matching_settings()
    if time_limit_s is not None:
        settings = dataclasses.replace(settings, milp_time_limit_s=float(time_limit_s))
    result = run_batch(
        open_requests(),
        offer_pool(),
        today=today or date.today(),
        weights=scoring_weights(),
        settings=settings,
        excluded_pairs=declined_pairs(),
    )
    if dry_run:
        return None, result
    return _store(actor, result), result


def _store(actor: User | None, result: BatchResult) -> BatchRun:
    summary = result.summary() | {"total_score": round(result.total_score, 2)}
    run = BatchRun(created_by_id=actor.id if actor else None, summary=summary)
    db.session.add(run)
    db.session.flush()
    request_ids = [r for r, _, _ in result.pairs]
    offer_ids = [o for _, o, _ in result.pairs]
    requests = _by_id(HousingRequest, request_ids)
    offers = _by_id(Offer, offer_ids)
    from matcher.domain.geo import haversine_km

    rows = []
    for request_id, offer_id, score in result.pairs:
        request, offer = requests[request_id], offers[offer_id]
        rows.append(
            {
                "batch_id": run.id,
                "request_id": request_id,
                "offer_id": offer_id,
                "score": float(score),
                "people": request.household_size,
                "distance_km": float(haversine_km(request.lat, request.lon, offer.lat, offer.lon)),
                "request_updated_at": request.updated_at,
                "offer_updated_at": offer.updated_at,
                "state": "proposed",
            }
        )
    if rows:
        db.session.execute(db.insert(BatchRow), rows)
    audit.record("batch.run", "batch", run.id, actor=actor, **summary)
    db.session.commit()
    return run


def _by_id(model, ids: list[int]) -> dict:
    found: dict = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found.update({row.id: row for row in db.session.scalars(select(model).where(model.id.in_(chunk)))})
    return found


def get_batch(batch_id: int) -> BatchRun:
    """The stored batch, or NotFound."""
    run = db.session.get(BatchRun, batch_id)
    if run is None:
        raise NotFound("no such batch")
    return run
