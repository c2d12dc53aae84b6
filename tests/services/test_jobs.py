"""The periodic jobs: each does its work once, and a second run right after does nothing new."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.extensions import db
from matcher.models import AuditEvent, Notification, SignedLink, utcnow
from matcher.services import jobs, links, matches, notifications
from tests import factories
from tests.services.conftest import count

QUIET = jobs.JobReport()


def kinds(user) -> list[str]:
    return sorted(n.kind for n in notifications.notifications_for(user))


def test_holds_past_their_expiry_expire_once_and_free_the_beds(case):
    now = utcnow()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id, now=now)
    assert jobs.run(now + timedelta(hours=71), send_mail=False).expired == 0
    report = jobs.run(now + timedelta(hours=72, minutes=1), send_mail=False)
    assert report.expired == 1 and report.errors == 0
    db.session.refresh(match)
    assert match.status is MatchStatus.EXPIRED
    assert case.request.status is RequestStatus.OPEN and case.offer.free_beds == 2
    assert "match.expired" in kinds(case.host) and "match.expired" in kinds(case.coordinator)
    assert jobs.run(now + timedelta(hours=73), send_mail=False).expired == 0


def test_whoever_has_not_answered_is_reminded_once(case):
    now = utcnow()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id, now=now)
    matches.accept(case.host, match.id, now=now + timedelta(hours=2))
    assert jobs.run(now + timedelta(hours=23), send_mail=False).reminders == 0
    report = jobs.run(now + timedelta(hours=25), send_mail=False)
    assert report.reminders == 1
    assert "match.reminder" in kinds(case.refugee) and "match.reminder" not in kinds(case.host)
    reminder = notifications.notifications_for(case.refugee)[0]
    assert reminder.link.startswith("/links/") and "still waiting for your answer" in reminder.body
    assert jobs.run(now + timedelta(hours=30), send_mail=False).reminders == 0


def test_stale_offers_are_asked_once_then_paused_if_nobody_answers(app_ctx):
    now = utcnow()
    case = factories.make_case(offer={"last_confirmed_at": now - timedelta(days=15)})
    fresh = factories.make_offer(host=case.host)
    report = jobs.run(now, send_mail=False)
    assert (report.freshness_asked, report.paused) == (1, 0)
    [question] = notifications.notifications_for(case.host)
    assert (question.kind, question.offer_id) == ("offer.freshness", case.offer.id)
    assert question.link.startswith("/links/") and "still available" in question.body
    report = jobs.run(now + timedelta(days=6), send_mail=False)
    assert (report.freshness_asked, report.paused) == (0, 0)
    report = jobs.run(now + timedelta(days=7, minutes=1), send_mail=False)
    assert (report.freshness_asked, report.paused) == (0, 1)
    db.session.refresh(case.offer)
    db.session.refresh(fresh)
    assert case.offer.status is OfferStatus.PAUSED and fresh.status is OfferStatus.ACTIVE
    assert count(AuditEvent, AuditEvent.action == "offer.paused") == 1
    assert kinds(case.host) == ["offer.freshness", "offer.paused"]
    assert jobs.run(now + timedelta(days=30), send_mail=False).paused == 0


def test_a_host_who_confirms_is_not_paused_and_is_asked_again_next_period(app_ctx):
    now = utcnow()
    case = factories.make_case(offer={"last_confirmed_at": now - timedelta(days=15)})
    jobs.run(now, send_mail=False)
    link = db.session.scalar(select(SignedLink).where(SignedLink.purpose == links.PURPOSE_CONFIRM_OFFER))
    token = links._serializer().dumps(link.nonce)
    links.confirm_offer(token, now=now + timedelta(days=2))
    db.session.refresh(case.offer)
    assert case.offer.last_confirmed_at == now + timedelta(days=2)
    report = jobs.run(now + timedelta(days=9), send_mail=False)
    assert (report.freshness_asked, report.paused) == (0, 0)
    assert jobs.run(now + timedelta(days=17), send_mail=False).freshness_asked == 1
    assert count(Notification, Notification.kind == "offer.freshness") == 2


def test_owners_hear_about_stalled_cases_once_per_stall(app_ctx):
    case = factories.make_case()
    unowned = factories.make_request(**factories.KRAKOW)
    now = utcnow()
    assert jobs.run(now + timedelta(days=4), send_mail=False).stalled == 0
    report = jobs.run(now + timedelta(days=6), send_mail=False)
    assert report.stalled == 1
    [alert] = notifications.notifications_for(case.coordinator)
    assert (alert.kind, alert.request_id) == ("case.stalled", case.request.id)
    assert alert.subject == "A case has not moved for 6 days"
    assert alert.link == f"/coordinator/requests/{case.request.id}"
    assert jobs.run(now + timedelta(days=8), send_mail=False).stalled == 0
    assert unowned.owner_id is None and count(Notification, Notification.kind == "case.stalled") == 1


def test_the_whole_run_is_idempotent_and_mails_what_it_queued(case, smtp):
    now = utcnow()
    matches.propose(case.coordinator, case.request.id, case.offer.id, now=now - timedelta(hours=30))
    first = jobs.run(now)
    assert (first.reminders, first.mailed, first.mail_failed, first.errors) == (1, 4, 0, 0)
    assert sorted(m["Subject"] for m in smtp.messages).count("Reminder: a proposal is waiting for your answer") == 2
    assert jobs.run(now) == QUIET
    assert len(smtp.messages) == 4


def test_the_cli_prints_one_line(app, case, smtp):
    with app.app_context():
        matches.propose(case.coordinator, case.request.id, case.offer.id)
    result = app.test_cli_runner().invoke(args=["jobs"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        "jobs: expired 0 holds, sent 0 reminders, asked 0 hosts to confirm offers, paused 0 offers, "
        "alerted owners of 0 stalled cases, sent check-ins for 0 stays, alerted owners about 0 unanswered "
        "check-ins, anonymised 0 closed cases, mailed 2 messages (0 failed)"
    ]
    assert len(smtp.messages) == 2
