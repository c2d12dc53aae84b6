"""Batch proposals: run the optimiser over every open request, store the result, and review it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from matcher.domain.batch import BatchResult, run_batch
from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.matching import RequestBatch, priority_weight
from matcher.domain.vocabulary import RequestStatus
from matcher.extensions import db
from matcher.models import BatchRow, BatchRun, HousingRequest, Match, Offer, User, utcnow
from matcher.services import audit, matches
from matcher.services.errors import NotFound, ServiceError
from matcher.services.locking import begin_write, lock_offer_for_update, lock_request_for_update
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


@dataclass(frozen=True)
class ReviewReport:
    accepted: int
    rejected: int
    skipped: list[tuple[int, str]]  # (row id, why), rows left as they were


CHANGED_SINCE_RUN = _l("The request or the offer changed after the batch ran.")


def _rows(run: BatchRun, row_ids: list[int] | None) -> list[BatchRow]:
    stmt = select(BatchRow).where(BatchRow.batch_id == run.id, BatchRow.state == "proposed").order_by(BatchRow.id)
    rows = list(db.session.scalars(stmt))
    if row_ids is None:
        return rows
    wanted = set(row_ids)
    chosen = [row for row in rows if row.id in wanted]
    if len(chosen) != len(wanted):
        raise NotFound(_l("Some of these rows are not open rows of this batch."))
    return chosen


def accept_rows(coordinator: User, batch_id: int, row_ids: list[int] | None = None, *, now=None) -> ReviewReport:
    """Turn batch rows into proposals in one transaction; rows whose data changed are reported and skipped."""
    now = now or utcnow()
    run = get_batch(batch_id)
    try:
        rows = _rows(run, row_ids)
        # Lock every request, then every offer, in id order: single proposals take a request then an offer,
        # so this order can never deadlock with them.
        begin_write()
        for request_id in sorted({row.request_id for row in rows}):
            lock_request_for_update(request_id)
        offers = {offer_id: lock_offer_for_update(offer_id) for offer_id in sorted({row.offer_id for row in rows})}
        skipped: list[tuple[int, str]] = []
        accepted = 0
        for row in rows:
            request, offer = db.session.get(HousingRequest, row.request_id), offers[row.offer_id]
            if request.updated_at != row.request_updated_at or offer.updated_at != row.offer_updated_at:
                skipped.append((row.id, str(CHANGED_SINCE_RUN)))
                row.note = str(CHANGED_SINCE_RUN)[:200]
                continue
            try:
                match = matches.propose_in_transaction(
                    coordinator, row.request_id, row.offer_id, score=row.score, now=now, via="batch"
                )
            except ServiceError as refusal:  # every check runs before the first write, so nothing is half-done
                skipped.append((row.id, str(refusal)))
                row.note = str(refusal)[:200]
                continue
            row.state, row.match_id = "accepted", match.id
            accepted += 1
        audit.record("batch.accepted", "batch", run.id, actor=coordinator, accepted=accepted, skipped=len(skipped))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ReviewReport(accepted=accepted, rejected=0, skipped=skipped)


def reject_rows(coordinator: User, batch_id: int, row_ids: list[int]) -> ReviewReport:
    """Mark rows as rejected; they are kept for the record."""
    run = get_batch(batch_id)
    rows = _rows(run, row_ids)
    for row in rows:
        row.state = "rejected"
    audit.record("batch.rejected", "batch", run.id, actor=coordinator, rows=[row.id for row in rows])
    db.session.commit()
    return ReviewReport(accepted=0, rejected=len(rows), skipped=[])


def recent_batches(limit: int = 20) -> list[BatchRun]:
    """The latest batches, newest first."""
    return list(db.session.scalars(select(BatchRun).order_by(BatchRun.id.desc()).limit(limit)))


def rows_page(batch_id: int, *, page: int = 1, per_page: int = 100) -> tuple[list[BatchRow], int]:
    """One page of a batch's rows with their request and offer, and the row count."""
    from sqlalchemy import func
    from sqlalchemy.orm import selectinload

    total = db.session.scalar(select(func.count(BatchRow.id)).where(BatchRow.batch_id == batch_id)) or 0
    stmt = (
        select(BatchRow)
        .where(BatchRow.batch_id == batch_id)
        .order_by(BatchRow.id)
        .options(selectinload(BatchRow.request), selectinload(BatchRow.offer))
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    return list(db.session.scalars(stmt)), int(total)


def state_counts(batch_id: int) -> dict[str, int]:
    """How many rows are proposed, accepted, rejected."""
    from sqlalchemy import func

    stmt = select(BatchRow.state, func.count()).where(BatchRow.batch_id == batch_id).group_by(BatchRow.state)
    return {state: int(n) for state, n in db.session.execute(stmt)}
