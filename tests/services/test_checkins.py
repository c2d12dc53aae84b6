"""Check-ins after a move-in, run by the jobs: sent to both sides on schedule, once; a "no" or silence alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matcher.domain.safeguarding import CheckInKind
from matcher.extensions import db
from matcher.models import AuditEvent, CheckIn, Notification, SignedLink, User, utcnow
from matcher.services import checkins, jobs, links, matches
from matcher.services.errors import Conflict, NotFound
from tests import factories
from tests.services.conftest import count


@pytest.fixture
def moved_in(case):
    now = utcnow()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id, now=now)
    matches.accept(case.host, match.id, now=now)
    matches.accept(case.refugee, match.id, now=now)
    matches.record_move_in(case.coordinator, match.id, now=now)
    case.match, case.moved_in = match, now
    return case


def _kinds(kind: str) -> list[int]:
    return list(db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def test_day_three_check_in_goes_to_both_sides_once(moved_in):
    case = moved_in
    assert jobs.run(case.moved_in + timedelta(days=2), send_mail=False).checkins_sent == 0
    day3 = case.moved_in + timedelta(days=3, hours=1)
    assert jobs.run(day3, send_mail=False).checkins_sent == 1
    rows = db.session.scalars(select(CheckIn).order_by(CheckIn.party)).all()
    assert [(r.party, r.kind, r.user_id) for r in rows] == [
        ("guest", CheckInKind.DAY_3, case.refugee.id),
        ("host", CheckInKind.DAY_3, case.host.id),
    ]
    assert sorted(_kinds("checkin.ask")) == sorted([case.host.id, case.refugee.id])
    assert jobs.run(day3 + timedelta(hours=1), send_mail=False).checkins_sent == 0  # idempotent
    assert count(CheckIn) == 2
    week2 = case.moved_in + timedelta(days=10, hours=1)
    jobs.run(week2, send_mail=False)
    assert count(CheckIn, CheckIn.kind == CheckInKind.WEEK_2) == 2


def test_a_no_alerts_the_case_owner_at_once_and_a_yes_does_not(moved_in):
    case = moved_in
    jobs.run(case.moved_in + timedelta(days=3, hours=1), send_mail=False)
    host_q = db.session.scalar(select(CheckIn).where(CheckIn.user_id == case.host.id))
    guest_q = db.session.scalar(select(CheckIn).where(CheckIn.user_id == case.refugee.id))
    now = case.moved_in + timedelta(days=3, hours=2)
    checkins.answer(case.host, host_q.id, True, now=now)
    assert _kinds("checkin.alert") == []
    with pytest.raises(Conflict):
        checkins.answer(case.host, host_q.id, False, now=now)
    with pytest.raises(NotFound):
        checkins.answer(case.host, guest_q.id, False, now=now)  # not theirs
    checkins.answer(case.refugee, guest_q.id, False, now=now)
    assert _kinds("checkin.alert") == [case.coordinator.id]
    assert guest_q.alerted_at is not None and guest_q.ok is False
    jobs.run(now + timedelta(days=5), send_mail=False)
    assert _kinds("checkin.alert") == [case.coordinator.id]  # answered: no second alert


def test_no_answer_within_three_days_alerts_the_owner_once(moved_in):
    case = moved_in
    sent = case.moved_in + timedelta(days=3, hours=1)
    jobs.run(sent, send_mail=False)
    assert jobs.run(sent + timedelta(days=2), send_mail=False).checkins_alerted == 0
    report = jobs.run(sent + timedelta(days=3, minutes=1), send_mail=False)
    assert report.checkins_alerted == 2 and report.errors == 0
    assert _kinds("checkin.alert") == [case.coordinator.id] * 2
    assert jobs.run(sent + timedelta(days=4), send_mail=False).checkins_alerted == 0
    why = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "checkin.alerted")).all()
    assert [d["why"] for d in why] == ["no_answer", "no_answer"]


def test_a_check_in_is_answered_by_its_signed_link_once(moved_in):
    case = moved_in
    jobs.run(case.moved_in + timedelta(days=3, hours=1), send_mail=False)
    row = db.session.scalar(select(SignedLink).where(SignedLink.purpose == links.PURPOSE_CHECKIN))
    token = links._serializer().dumps(row.nonce)
    checkin = checkins.answer_by_link(token, True)
    assert checkin.ok is True and checkin.user_id == row.user_id
    with pytest.raises(links.LinkUsed):
        checkins.answer_by_link(token, False)


def test_a_phone_only_guest_gets_the_question_in_the_app(app_ctx):
    case = factories.make_case()
    guest = db.session.get(User, case.refugee.id)
    guest.email, guest.phone = None, "+380671112233"
    db.session.commit()
    now = utcnow()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id, now=now)
    matches.accept(case.host, match.id, now=now)
    matches.accept(case.refugee, match.id, now=now)
    matches.record_move_in(case.coordinator, match.id, now=now)
    jobs.run(now + timedelta(days=3, hours=1), send_mail=False)
    message = db.session.scalar(
        select(Notification).where(Notification.kind == "checkin.ask", Notification.user_id == guest.id)
    )
    assert message.link == f"/matches/{match.id}"
    assert [c.kind for c in checkins.pending_for(guest, match.id)] == [CheckInKind.DAY_3]
