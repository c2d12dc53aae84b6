"""The offer pool's cache: cheap version checks, a late commit caught by the periodic check, reloads in the
background (requests keep the pool they have), and the verified column following new checks."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import update

from matcher.domain.vocabulary import OfferStatus
from matcher.extensions import db
from matcher.models import Offer, utcnow
from matcher.services import matching
from tests import factories


def _wait_for_reload(before) -> None:
    for _ in range(200):
        if matching._cache.pool is not before and not matching._cache.refreshing:
            return
        time.sleep(0.02)
    raise AssertionError("the background reload did not finish")


def test_a_late_commit_is_caught_by_the_periodic_check_and_reloaded_in_the_background(app_ctx, monkeypatch):
    matching.forget_pool()
    hour_ago = utcnow() - timedelta(hours=1)
    late, newest = factories.make_offer(updated_at=hour_ago), factories.make_offer()
    pool = matching.offer_pool()
    assert late.id in pool.ids
    # A long transaction commits late: its change is stamped before the newest change already seen.
    stamp = matching._cache.offers_version[1] - timedelta(minutes=1)
    db.session.execute(update(Offer).where(Offer.id == late.id).values(status=OfferStatus.PAUSED, updated_at=stamp))
    db.session.commit()
    assert matching.offer_pool() is pool  # the versions cannot see it
    clock = time.monotonic() + matching.POOL_MAX_AGE_S + 1
    monkeypatch.setattr(matching.time, "monotonic", lambda: clock)
    assert matching.offer_pool() is pool  # the check starts a reload and the request goes on with what it has
    _wait_for_reload(pool)
    monkeypatch.undo()
    reloaded = matching.offer_pool()
    assert reloaded is not pool
    assert reloaded.status[reloaded.positions([late.id])[0]] != pool.status[pool.positions([late.id])[0]]
    assert newest.id in reloaded.ids


def test_nothing_changed_means_no_reload(app_ctx, monkeypatch):
    matching.forget_pool()
    factories.make_offer()
    pool = matching.offer_pool()
    clock = time.monotonic() + matching.POOL_MAX_AGE_S + 1
    monkeypatch.setattr(matching.time, "monotonic", lambda: clock)
    assert matching.offer_pool() is pool
    assert not matching._cache.refreshing and matching._cache.checked_at == clock


def test_a_new_offer_reloads_at_once_and_forget_drops_a_reload_in_flight(app_ctx):
    matching.forget_pool()
    factories.make_offer()
    pool = matching.offer_pool()
    newer = factories.make_offer()
    assert newer.id in matching.offer_pool().ids and matching.offer_pool() is not pool
    generation = matching._cache.generation
    matching.forget_pool()
    assert matching._cache.generation == generation + 1 and matching._cache.pool is None


def test_queue_counts_are_cached_but_follow_refusals_edits_and_new_offers(app_ctx):
    from matcher.domain.lifecycle_states import MatchStatus

    matching.forget_pool()
    request = factories.make_request(**factories.KRAKOW, adults=2)
    first, second = factories.make_offer(), factories.make_offer()
    assert matching.candidate_counts([request]) == {request.id: 2}
    assert matching.candidate_counts([request]) == {request.id: 2}  # served from the cache

    factories.make_match(request=request, offer=first, status=MatchStatus.DECLINED)
    assert matching.candidate_counts([request]) == {request.id: 1}  # a refusal changes the key

    request.adults = 3  # neither 2-bed offer fits now
    db.session.commit()
    assert matching.candidate_counts([request]) == {request.id: 0}

    request.adults = 1
    db.session.commit()
    factories.make_offer()  # a new offer makes a new pool, which empties the cache
    assert matching.candidate_counts([request]) == {request.id: 2}
    assert second.id in matching.offer_pool().ids
