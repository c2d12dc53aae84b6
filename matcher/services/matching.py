"""Matching against the database: the cached offer pool, ranking one request, and the admin's settings."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

import numpy as np
from flask import current_app
from sqlalchemy import Date, String, func, select, type_coerce

from matcher.domain.lifecycle_states import HOLDING_STATES, MatchStatus
from matcher.domain.matching import (
    MatchingSettings,
    OfferPool,
    OfferSnapshot,
    Ranking,
    RequestProfile,
    ScoringWeights,
    priority_weight,
    rank,
)
from matcher.domain.vocabulary import OfferStatus
from matcher.extensions import db
from matcher.models import HousingRequest, Match, Offer, Setting, User, utcnow
from matcher.services import audit, places
from matcher.services.errors import NotFound, ServiceError

log = logging.getLogger(__name__)

WEIGHTS_KEY = "scoring_weights"
RULES_KEY = "matching_rules"
# A commit can land with an updated_at older than one already seen (a long transaction, a CSV import), which the
# versions miss. So every POOL_MAX_AGE_S the cache counts the offers changed within LATE_COMMIT_WINDOW of the
# newest change it loaded (an index range), which grows when such a commit brings an offer into the window, and
# reloads in the background if it moved; and it reloads anyway, in the background, every POOL_RELOAD_S. That
# bounds how stale a ranking can be. Proposals re-check every rule in their own transaction, so staleness can
# only hide or show a candidate, never double-book.
POOL_MAX_AGE_S = 30.0
LATE_COMMIT_WINDOW = timedelta(minutes=10)
POOL_RELOAD_S = 600.0


@dataclass
class _PoolCache:
    pool: OfferPool | None = None
    offers_version: tuple | None = None
    holds_version: tuple | None = None
    verified_version: tuple | None = None
    host_of: np.ndarray | None = None  # each pool position's host id, to refresh the verified column cheaply
    loaded_at: float = 0.0
    checked_at: float = 0.0  # when late commits were last looked for
    recent_since: datetime | None = None  # the start of the late-commit window
    recent_count: int | None = None  # offers changed since then, as loaded
    refreshing: bool = False  # a background reload is running
    generation: int = 0  # bumped by forget_pool, so a reload started before it is dropped


_cache = _PoolCache()
_cache_lock = threading.Lock()


def _versions(*setting_keys: str) -> tuple:
    """What the cache compares, in one round trip: (offers, holds, verification) versions, followed by the stored
    value of each of setting_keys (None when unset), which ranking needs anyway and so costs no round trip of its own.

    Offers: the highest id and the latest updated_at, two index lookups (a count would scan every offer: 20+ ms
    at 100k, on every ranking); new offers raise the id, every change stamps updated_at, and offers are never
    deleted, only withdrawn (an update). Holds: the matches' count and latest change. Verification: see
    safeguarding.verification_version.
    """
    from matcher.services.safeguarding import verification_columns

    def scalar(expression):
        return select(expression).scalar_subquery()

    row = db.session.execute(
        select(
            scalar(func.max(Offer.id)),
            scalar(func.max(Offer.updated_at)),
            scalar(func.count(Match.id)),
            scalar(func.max(Match.updated_at)),
            *(scalar(column) for column in verification_columns()),
            *(scalar(Setting.value).where(Setting.key == key) for key in setting_keys),
        )
    ).one()
    verified_end = len(row) - len(setting_keys)
    return tuple(row[:2]), tuple(row[2:4]), (*row[4:verified_end], utcnow().date()), *row[verified_end:]


def _load_pool() -> OfferPool:
    return _load_pool_and_hosts()[0]


def _load_pool_and_hosts() -> tuple[OfferPool, np.ndarray]:
    # Plain Core rows, with the day, the status and the language list as the database holds them: a third of
    # the time of ORM rows with every value converted (about 0.6 s instead of 2 s for 100k offers).
    columns = (
        Offer.host_id,
        Offer.id,
        Offer.lat,
        Offer.lon,
        Offer.beds,
        func.date(Offer.last_confirmed_at, type_=Date),  # stored as UTC, so its UTC day
        Offer.available_from,
        Offer.available_until,
        Offer.shareable,
        type_coerce(Offer.status, String),
        Offer.pets_ok,
        Offer.children_ok,
        Offer.step_free,
        type_coerce(Offer.languages, String),  # "uk,pl": the pool reads comma-separated codes
    )
    stmt = select(*columns).where(Offer.status != OfferStatus.WITHDRAWN)
    rows = db.session.connection().execute(stmt).all()
    hosts, ids, lat, lon, beds, confirmed, start, until, shareable, status, pets, children, step_free, langs = (
        zip(*rows, strict=True) if rows else ([],) * len(columns)
    )
    pool = OfferPool.from_columns(
        ids=ids,
        lat=lat,
        lon=lon,
        beds=beds,
        last_confirmed=confirmed,
        available_from=start,
        available_until=until,
        shareable=shareable,
        status=status,
        pets_ok=pets,
        children_ok=children,
        step_free=step_free,
        languages=langs,
    )
    host_of = np.zeros(len(pool), dtype=np.int64)
    if len(pool):
        host_of[pool.positions(ids)] = np.asarray(hosts, dtype=np.int64)
    return _with_verification(_with_current_holds(pool), host_of), host_of


def _with_verification(pool: OfferPool, host_of: np.ndarray) -> OfferPool:
    """The pool with its ``verified`` column set from each offer's host's current checks."""
    from matcher.services.safeguarding import verified_host_ids

    verified = verified_host_ids()
    if verified is None:
        column = np.ones(len(pool), dtype=bool)
    else:
        column = np.isin(host_of, np.fromiter(verified, dtype=np.int64, count=len(verified)))
    return dataclasses.replace(pool, verified=column)


def _with_current_holds(pool: OfferPool) -> OfferPool:
    holds = db.session.execute(
        select(Match.offer_id, func.sum(Match.beds_held), func.count(Match.id))
        .where(Match.status.in_(HOLDING_STATES))
        .group_by(Match.offer_id)
    ).all()
    present = set(pool.ids.tolist())
    known = [row for row in holds if row[0] in present]  # holds on withdrawn offers are not in the pool
    zeroed = pool.with_holds(pool.ids, [0] * len(pool), [0] * len(pool)) if len(pool) else pool
    if not known:
        return zeroed
    offer_ids, held, counts = zip(*known, strict=True)
    return zeroed.with_holds(offer_ids, held, counts)


def _recent(offers_version: tuple) -> tuple[datetime | None, int | None]:
    """The late-commit window for this version of the offers, and how many offers changed within it."""
    newest = offers_version[1]
    if newest is None:
        return None, None
    since = newest - LATE_COMMIT_WINDOW
    return since, _changed_since(since)


def _changed_since(since: datetime) -> int:
    return db.session.scalar(select(func.count(Offer.id)).where(Offer.updated_at >= since)) or 0


def offer_pool() -> OfferPool:
    """Every non-withdrawn offer with its current holds, rebuilt only when offers or matches changed."""
    return _current_pool()[0]


def ranking_inputs() -> tuple[OfferPool, ScoringWeights, MatchingSettings]:
    """The offer pool, the scoring weights and the rule settings, in one round trip to the database."""
    pool, weights, rules = _current_pool(WEIGHTS_KEY, RULES_KEY)
    return pool, _weights_from(weights), _settings_from(rules)


def _current_pool(*setting_keys: str) -> tuple:
    with _cache_lock:
        offers_version, holds_version, verified_version, *settings = _versions(*setting_keys)
        now = time.monotonic()
        if _cache.pool is None or offers_version != _cache.offers_version:
            _cache.recent_since, _cache.recent_count = _recent(offers_version)
            _cache.pool, _cache.host_of = _load_pool_and_hosts()
            _cache.loaded_at = _cache.checked_at = now
        else:
            if now - _cache.loaded_at > POOL_RELOAD_S:
                _refresh_in_background(current_app._get_current_object())
            elif now - _cache.checked_at > POOL_MAX_AGE_S:
                _cache.checked_at = now
                if _cache.recent_since is not None and _changed_since(_cache.recent_since) != _cache.recent_count:
                    _refresh_in_background(current_app._get_current_object())
            if holds_version != _cache.holds_version:
                _cache.pool = _with_current_holds(_cache.pool)
            if verified_version != _cache.verified_version:
                _cache.pool = _with_verification(_cache.pool, _cache.host_of)
        _cache.offers_version, _cache.holds_version = offers_version, holds_version
        _cache.verified_version = verified_version
        return _cache.pool, *settings


def _refresh_in_background(app) -> None:
    """Reload the pool in a thread, while requests keep ranking on the one they have (a reload of 100k offers
    takes a second, and would otherwise stall whichever request found it due). The caller holds the lock.

    The versions are read before the reload, so a change that lands during it shows as a newer version on the
    next request, which then reloads at once. forget_pool() in between makes the thread's result be dropped.
    """
    if _cache.refreshing:
        return
    _cache.refreshing = True
    generation = _cache.generation

    def work() -> None:
        try:
            with app.app_context():
                versions = _versions()
                recent = _recent(versions[0])
                pool, host_of = _load_pool_and_hosts()
                db.session.remove()
            with _cache_lock:
                if _cache.generation == generation and versions[0] == _cache.offers_version:
                    _cache.pool, _cache.host_of = pool, host_of
                    _cache.offers_version, _cache.holds_version, _cache.verified_version = versions
                    _cache.recent_since, _cache.recent_count = recent
                    _cache.loaded_at = _cache.checked_at = time.monotonic()
        except Exception:
            log.exception("reloading the offer pool failed; trying again in %s s", POOL_MAX_AGE_S)
            with _cache_lock:
                retry_at = time.monotonic() - POOL_RELOAD_S + POOL_MAX_AGE_S
                _cache.loaded_at, _cache.checked_at = max(_cache.loaded_at, retry_at), time.monotonic()
        finally:
            with _cache_lock:
                _cache.refreshing = False

    threading.Thread(target=work, name="offer-pool-refresh", daemon=True).start()


def forget_pool() -> None:
    """Drop the cached pool (tests switch databases under it)."""
    with _cache_lock:
        _cache.pool = _cache.host_of = _cache.recent_since = _cache.recent_count = None
        _cache.offers_version = _cache.holds_version = _cache.verified_version = None
        _cache.generation += 1
        _counts["for"], _counts["counts"] = None, {}


def request_profile(request: HousingRequest) -> RequestProfile:
    """The matcher's view of a request row."""
    return RequestProfile(
        id=request.id,
        lat=request.lat,
        lon=request.lon,
        adults=request.adults,
        children=request.children,
        pets=request.pets,
        step_free_needed=request.step_free_needed,
        languages=tuple(request.languages),
        max_distance_km=float(request.max_distance_km),
        needed_from=request.needed_from,
        duration_days=request.duration_days,
        place_name=places.display_name(request.place_name, request.geoname_id),  # for reasons: "18 km from …"
        priority=priority_weight(request.vulnerabilities),
    )


def _stored(key: str) -> dict | None:
    row = db.session.get(Setting, key)
    return row.value if row is not None else None


def scoring_weights() -> ScoringWeights:
    """The admin's weights over the defaults."""
    return _weights_from(_stored(WEIGHTS_KEY))


def matching_settings() -> MatchingSettings:
    """Rule settings: the admin's date slack, and the freshness window from the jobs' schedule."""
    return _settings_from(_stored(RULES_KEY))


def _weights_from(stored: dict | None) -> ScoringWeights:
    names = {f.name for f in fields(ScoringWeights)}
    return ScoringWeights(**{k: float(v) for k, v in (stored or {}).items() if k in names})


def _settings_from(stored: dict | None) -> MatchingSettings:
    stored = stored or {}
    config = current_app.config
    # An offer is stale once the reminder and the grace period have both passed unanswered.
    freshness = int(config.get("OFFER_FRESHNESS_DAYS", 14)) + int(config.get("OFFER_PAUSE_GRACE_DAYS", 7))
    return MatchingSettings(
        date_slack_days=int(stored.get("date_slack_days", config.get("MATCH_DATE_SLACK_DAYS", 7))),
        freshness_days=freshness,
        batch_top_k=int(stored.get("batch_top_k", config.get("MATCH_BATCH_TOP_K", 40))),
    )


def save_matching_settings(admin: User, *, weights: dict[str, float], date_slack_days: int, batch_top_k: int) -> None:
    """Store new weights and rule settings after validating them; audited."""
    try:
        ScoringWeights(**weights)
        MatchingSettings(date_slack_days=date_slack_days, batch_top_k=batch_top_k)
    except (TypeError, ValueError) as error:
        raise ServiceError(str(error)) from None
    for key, value in (
        (WEIGHTS_KEY, weights),
        (RULES_KEY, {"date_slack_days": date_slack_days, "batch_top_k": batch_top_k}),
    ):
        row = db.session.get(Setting, key) or Setting(key=key, value={})
        row.value = value
        row.updated_by_id = admin.id
        db.session.add(row)
    audit.record(
        "settings.matching_changed", "setting", None, actor=admin, weights=weights, date_slack_days=date_slack_days
    )
    db.session.commit()


def rank_request(
    request_id: int, *, limit: int = 20, near_miss_limit: int = 10, today: date | None = None
) -> tuple[HousingRequest, Ranking]:
    """The request and its ranked candidates and near-misses, excluding pairs refused before."""
    # The matches (loaded on first use, one query) give the refusals, and the case page shows them; loading them
    # with the request in nested eager options cost more than the two plain queries.
    request = db.session.get(HousingRequest, request_id)
    if request is None:
        raise NotFound("no such request")
    pool, weights, settings = ranking_inputs()
    ranking = rank(
        request_profile(request),
        pool,
        today=today or date.today(),
        weights=weights,
        settings=settings,
        excluded_offer_ids={m.offer_id for m in request.matches if m.status == MatchStatus.DECLINED},
        limit=limit,
        near_miss_limit=near_miss_limit,
    )
    return request, ranking


def offer_holds(offer_id: int) -> tuple[int, int]:
    """Beds held by the offer's open matches, and how many open matches it has."""
    held, count = db.session.execute(
        select(func.coalesce(func.sum(Match.beds_held), 0), func.count(Match.id)).where(
            Match.offer_id == offer_id, Match.status.in_(HOLDING_STATES)
        )
    ).one()
    return int(held), int(count)


def offer_snapshot(offer: Offer, held: int, open_matches: int) -> OfferSnapshot:
    """The matcher's view of one offer row with its current holds."""
    return OfferSnapshot(
        id=offer.id,
        lat=offer.lat,
        lon=offer.lon,
        beds=offer.beds,
        last_confirmed=offer.last_confirmed_at.date(),
        available_from=offer.available_from,
        available_until=offer.available_until,
        held_beds=held,
        open_matches=open_matches,
        shareable=offer.shareable,
        status=offer.status.value,
        pets_ok=offer.pets_ok,
        children_ok=offer.children_ok,
        step_free=offer.step_free,
        languages=tuple(offer.languages),
    )


def explain_pair(request: HousingRequest, offer: Offer, *, today: date | None = None) -> Ranking:
    """The ranking of one offer for one request: its score and reasons, or the rule it fails."""
    held, open_matches = offer_holds(offer.id)
    pool = OfferPool.from_snapshots([offer_snapshot(offer, held, open_matches)])
    return rank(
        request_profile(request),
        pool,
        today=today or date.today(),
        weights=scoring_weights(),
        settings=matching_settings(),
        limit=1,
        near_miss_limit=1,
    )


def candidate_counts(requests: list[HousingRequest], *, today: date | None = None) -> dict[int, int]:
    """How many offers pass every hard rule for each of these requests (one pool, one query for refusals)."""
    if not requests:
        return {}
    refused: dict[int, set[int]] = {}
    for request_id, offer_id in db.session.execute(
        select(Match.request_id, Match.offer_id).where(
            Match.request_id.in_([r.id for r in requests]), Match.status == MatchStatus.DECLINED
        )
    ):
        refused.setdefault(request_id, set()).add(offer_id)
    pool, weights, settings = ranking_inputs()
    today = today or date.today()
    counts = _counts_for(pool, settings, today)
    result = {}
    for r in requests:
        profile, refusals = request_profile(r), frozenset(refused.get(r.id, ()))
        key = (profile, refusals)
        if key not in counts:
            counts[key] = rank(
                profile,
                pool,
                today=today,
                weights=weights,
                settings=settings,
                excluded_offer_ids=refusals,
                limit=0,
                near_miss_limit=0,
            ).candidate_count
        result[r.id] = counts[key]
    return result


# Candidate counts by (request profile, refused offers), for one pool, settings and day: the queue shows a count
# for every listed case, and ranking each on every page view was most of the queue's time. The key holds every
# input of the count, so an edited request or a new refusal misses; a new pool, settings or day empties it.
_counts: dict = {"for": None, "counts": {}}
COUNTS_MAX = 50_000


def _counts_for(pool: OfferPool, settings: MatchingSettings, today: date) -> dict:
    with _cache_lock:
        if _counts["for"] is None or _counts["for"][0] is not pool or _counts["for"][1:] != (settings, today):
            _counts["for"], _counts["counts"] = (pool, settings, today), {}
        elif len(_counts["counts"]) >= COUNTS_MAX:
            _counts["counts"] = {}
        return _counts["counts"]
