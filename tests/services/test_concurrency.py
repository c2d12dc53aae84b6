"""Real concurrency against the test database (SQLite file or PostgreSQL): threads, each with its own session.

Two coordinators can never both take the last beds; answers and cancellations racing each other leave one
consistent story. Every loser gets a Conflict (or a used link), never a database error.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from matcher.domain.lifecycle import Actor
from matcher.domain.lifecycle_states import HOLDING_STATES, MatchStatus
from matcher.extensions import db
from matcher.models import AuditEvent, Match, SignedLink, User
from matcher.services import links, matches
from matcher.services.errors import Conflict
from tests import factories
from tests.conftest import is_postgres, make_app

THREADS = 20


@pytest.fixture(scope="module")
def racing_app(app, database_url):
    """A second app on the same database, with a pool for every thread and SQLite's busy timeout raised."""
    if is_postgres():
        options = {"pool_size": THREADS + 2, "max_overflow": 0}
    else:
        options = {"connect_args": {"timeout": 30}}
    racer = make_app(database_url, SQLALCHEMY_ENGINE_OPTIONS=options)
    yield racer
    with racer.app_context():
        db.engine.dispose()


def race(racing_app, jobs):
    """Run each job (a function of nothing) in its own thread and app context, all released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i, job):
        with racing_app.app_context():
            barrier.wait()
            try:
                results[i] = job()
            except Conflict as error:
                results[i] = ("conflict", str(error))
            except links.LinkUsed:
                results[i] = ("link used", "")
            except Exception as error:  # a database error would land here and fail the test
                results[i] = ("error", repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def outcome(result) -> str:
    return result[0] if isinstance(result, tuple) else "ok"


def propose_job(coordinator_id, request_id, offer_id):
    def job():
        match = matches.propose(db.session.get(User, coordinator_id), request_id, offer_id)
        return match.id

    return job


def test_twenty_coordinators_race_for_the_last_beds_and_exactly_one_wins(app, racing_app):
    with app.app_context():
        case = factories.make_case()
        others = [factories.make_request(**factories.KRAKOW).id for _ in range(THREADS - 1)]
        coordinators = [factories.make_user("coordinator").id for _ in range(THREADS)]
        request_ids, offer_id = [case.request.id, *others], case.offer.id
    jobs = [propose_job(c, r, offer_id) for c, r in zip(coordinators, request_ids, strict=True)]
    results = race(racing_app, jobs)
    assert Counter(outcome(r) for r in results) == {"ok": 1, "conflict": THREADS - 1}, results
    assert all("Someone else took these beds" in r[1] for r in results if outcome(r) == "conflict")
    with app.app_context():
        holding = db.session.scalars(select(Match).where(Match.offer_id == offer_id)).all()
        assert len(holding) == 1 and holding[0].status in HOLDING_STATES
        assert db.session.scalar(select(db.func.count()).where(AuditEvent.action == "match.propose")) == 1


def test_a_shareable_offer_under_a_rush_fills_exactly_its_beds(app, racing_app):
    with app.app_context():
        case = factories.make_case(offer={"beds": 7, "shareable": True})
        request_ids = [factories.make_request(**factories.KRAKOW).id for _ in range(THREADS)]
        coordinator_id, offer_id = case.coordinator.id, case.offer.id
    results = race(racing_app, [propose_job(coordinator_id, r, offer_id) for r in request_ids])
    assert Counter(outcome(r) for r in results) == {"ok": 3, "conflict": THREADS - 3}, results
    with app.app_context():
        held = db.session.scalars(select(Match.beds_held).where(Match.offer_id == offer_id)).all()
        assert sum(held) == 6


def test_a_propose_button_clicked_twenty_times_at_once_creates_one_match(app, racing_app):
    with app.app_context():
        case = factories.make_case(offer={"beds": 10, "shareable": True})
        ids = (case.coordinator.id, case.request.id, case.offer.id)
    results = race(racing_app, [propose_job(*ids) for _ in range(THREADS)])
    assert Counter(outcome(r) for r in results) == {"ok": 1, "conflict": THREADS - 1}, results
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Match)) == 1


def _trail(match_id):
    stmt = select(AuditEvent).where(AuditEvent.subject_type == "match", AuditEvent.subject_id == match_id)
    return db.session.scalars(stmt.order_by(AuditEvent.id)).all()


def test_accept_and_cancel_racing_each_other_tell_one_consistent_story(app, racing_app):
    pairs = THREADS // 2
    with app.app_context():
        coordinator = factories.make_user("coordinator")
        setups = []
        for _ in range(pairs):
            case = factories.make_case(coordinator=coordinator)
            match = matches.propose(coordinator, case.request.id, case.offer.id)
            matches.accept(case.host, match.id)
            setups.append((match.id, case.refugee.id))
        coordinator_id = coordinator.id

    def accept_job(match_id, refugee_id):
        return lambda: matches.accept(db.session.get(User, refugee_id), match_id).status.value

    def cancel_job(match_id):
        return lambda: matches.cancel(db.session.get(User, coordinator_id), match_id, "no_answer").status.value

    jobs = []
    for match_id, refugee_id in setups:
        jobs += [accept_job(match_id, refugee_id), cancel_job(match_id)]
    results = race(racing_app, jobs)
    assert not [r for r in results if outcome(r) == "error"], results
    with app.app_context():
        for k, (match_id, _) in enumerate(setups):
            accepted, cancelled = results[2 * k], results[2 * k + 1]
            match = db.session.get(Match, match_id)
            trail = _trail(match_id)
            # Each event starts where the one before it ended, and the last one is the match's state.
            for before, after in zip(trail, trail[1:], strict=False):
                assert after.details["from_status"] == before.details["to_status"]
            assert trail[-1].details["to_status"] == match.status.value
            actions = [e.action for e in trail]
            assert cancelled == "cancelled" and match.status is MatchStatus.CANCELLED  # a cancel always applies
            if accepted == "confirmed":
                assert actions == ["match.propose", "match.host_accept", "match.guest_accept", "match.cancel"]
            else:
                assert outcome(accepted) == "conflict", accepted
                assert actions == ["match.propose", "match.host_accept", "match.cancel"]


def test_accept_and_decline_by_the_same_guest_at_once_leave_exactly_one_answer(app, racing_app):
    with app.app_context():
        case = factories.make_case()
        match = matches.propose(case.coordinator, case.request.id, case.offer.id)
        match_id, refugee_id, coordinator_id = match.id, case.refugee.id, case.coordinator.id

    def accept_job():
        return matches.accept(db.session.get(User, refugee_id), match_id).status.value

    def decline_job():
        return matches.decline(db.session.get(User, refugee_id), match_id, "place").status.value

    def recorded_job():
        user = db.session.get(User, coordinator_id)
        return matches.accept(user, match_id, on_behalf_of=Actor.GUEST).status.value

    jobs = [accept_job, decline_job, recorded_job] * 6
    results = race(racing_app, jobs)
    assert Counter(outcome(r) for r in results) == {"ok": 1, "conflict": len(jobs) - 1}, results
    with app.app_context():
        trail = _trail(match_id)
        assert len(trail) == 2 and trail[1].details["from_status"] == "proposed"
        assert db.session.get(Match, match_id).status.value == trail[1].details["to_status"]


def test_a_signed_link_used_from_twenty_tabs_at_once_works_once(app, racing_app):
    with app.app_context():
        case = factories.make_case()
        match = matches.propose(case.coordinator, case.request.id, case.offer.id)
        host_link = db.session.scalar(
            select(SignedLink).where(SignedLink.user_id == case.host.id, SignedLink.match_id == match.id)
        )
        token = links._serializer().dumps(host_link.nonce)
        match_id = match.id
    results = race(racing_app, [lambda: matches.answer_by_link(token, accept=True).status.value] * THREADS)
    assert Counter(outcome(r) for r in results) == {"ok": 1, "link used": THREADS - 1}, results
    with app.app_context():
        assert db.session.get(Match, match_id).status is MatchStatus.HOST_ACCEPTED
        assert [e.action for e in _trail(match_id)] == ["match.propose", "match.host_accept"]
