"""The outcome dashboard: real placements and the state of the offer pool, counted in the database."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import func, select

from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.matching import STATUS_ACTIVE
from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.extensions import db
from matcher.models import HousingRequest, Match, Offer
from matcher.services.matching import matching_settings, offer_pool

HOUSED_STATES = (MatchStatus.MOVED_IN, MatchStatus.ENDED)


@dataclass(frozen=True)
class Outcomes:
    open_requests: int
    households_housed: int
    people_housed: int
    median_days_to_placement: float | None
    active_offers: int
    stale_offers: int
    paused_offers: int
    free_beds: int
    declines_by_reason: list[tuple[str, int]]
    breakdowns: int
    confirmed_waiting_move_in: int


def outcomes(now: datetime | None = None) -> Outcomes:
    """Every figure of the dashboard, from a handful of aggregate queries."""
    now = now or datetime.now(UTC)
    by_status = dict(
        db.session.execute(select(HousingRequest.status, func.count()).group_by(HousingRequest.status)).all()
    )
    housed = db.session.execute(
        select(func.count(Match.id), func.coalesce(func.sum(Match.beds_held), 0)).where(Match.status.in_(HOUSED_STATES))
    ).one()
    waits = db.session.execute(
        select(Match.confirmed_at, HousingRequest.created_at)
        .join(HousingRequest, HousingRequest.id == Match.request_id)
        .where(Match.confirmed_at.is_not(None))
    ).all()
    days = [(confirmed - created).total_seconds() / 86400 for confirmed, created in waits]
    offers_by_status = dict(db.session.execute(select(Offer.status, func.count()).group_by(Offer.status)).all())
    stale_before = now - timedelta(days=matching_settings().freshness_days)
    stale = db.session.scalar(
        select(func.count(Offer.id)).where(Offer.status == OfferStatus.ACTIVE, Offer.last_confirmed_at < stale_before)
    )
    pool = offer_pool()
    blocked = ~pool.shareable & (pool.open_matches > 0)  # a place that is not shareable is full once matched
    fresh = pool.last_confirmed >= (now.date() - timedelta(days=matching_settings().freshness_days)).toordinal()
    free_beds = int(np.where((pool.status == STATUS_ACTIVE) & fresh & ~blocked, pool.free_beds, 0).sum())
    declines: dict[str, int] = {}
    for reason, n in db.session.execute(
        select(Match.decline_reason, func.count())
        .where(Match.status == MatchStatus.DECLINED)
        .group_by(Match.decline_reason)
    ):
        declines[reason or "other"] = declines.get(reason or "other", 0) + int(n)
    counts = dict(db.session.execute(select(Match.status, func.count()).group_by(Match.status)).all())
    active = offers_by_status.get(OfferStatus.ACTIVE, 0)
    return Outcomes(
        open_requests=by_status.get(RequestStatus.OPEN, 0),
        households_housed=int(housed[0]),
        people_housed=int(housed[1]),
        median_days_to_placement=round(statistics.median(days), 1) if days else None,
        active_offers=active - int(stale or 0),
        stale_offers=int(stale or 0),
        paused_offers=offers_by_status.get(OfferStatus.PAUSED, 0),
        free_beds=free_beds,
        declines_by_reason=sorted(declines.items(), key=lambda item: (-item[1], item[0])),
        breakdowns=counts.get(MatchStatus.BROKEN_DOWN, 0),
        confirmed_waiting_move_in=counts.get(MatchStatus.CONFIRMED, 0),
    )
