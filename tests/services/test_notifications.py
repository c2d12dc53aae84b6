"""The outbox: messages written with the change, in the recipient's language, mailed through a real SMTP server."""

from __future__ import annotations

from sqlalchemy import select

from matcher.extensions import db
from matcher.models import Notification, utcnow
from matcher.services import matches, notifications
from tests import factories
from tests.conftest import make_app
from tests.smtp import free_port


def test_a_transition_queues_messages_in_the_same_transaction(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    rows = notifications.notifications_for(case.host)
    assert [n.kind for n in rows] == ["match.proposed"]
    body = rows[0].body
    assert body.startswith(f"Hello {case.host.name},")
    assert "A coordinator proposes a household for your place in Kraków: 2 adults" in body
    assert "http://127.0.0.1:5000/links/" in body
    # The host learns the household's shape, never its name or contacts.
    assert "Olena" not in body and case.refugee.email not in body
    guest_body = notifications.notifications_for(case.refugee)[0].body
    assert "a place for your household: Room in Kraków" in guest_body
    assert case.offer.address not in guest_body
    matches.cancel(case.coordinator, match.id, "mistake")
    assert [n.kind for n in notifications.notifications_for(case.host)] == ["match.cancelled", "match.proposed"]


def test_mail_goes_through_smtp_and_is_marked_sent(case, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "APP_BASE_URL", "https://matcher.example.org")
    matches.propose(case.coordinator, case.request.id, case.offer.id)
    report = notifications.send_due()
    assert (report.sent, report.failed) == (2, 0)
    [to_host] = smtp.to(case.host.email)
    assert to_host["Subject"] == "A household is proposed for your place"
    assert to_host["From"] == app.config["MAIL_DEFAULT_SENDER"]
    link = next(n.link for n in notifications.notifications_for(case.host))
    assert f"https://matcher.example.org{link}" in to_host.get_content()
    [to_guest] = smtp.to(case.refugee.email)
    assert to_guest["Subject"] == "A place is proposed for your household"
    assert all(n.sent_at and n.attempts == 1 for n in db.session.scalars(select(Notification)))
    assert notifications.send_due() == notifications.MailReport(0, 0)  # nothing is sent twice
    assert len(smtp.messages) == 2


def test_a_phone_only_guest_reads_messages_in_the_app(app_ctx, smtp):
    refugee = factories.make_user("refugee", email=None, phone="+380671234567")
    case = factories.make_case()
    request = factories.make_request(refugee, **factories.KRAKOW)
    match = matches.propose(case.coordinator, request.id, case.offer.id)
    [message] = notifications.notifications_for(refugee)
    assert message.link == f"/matches/{match.id}"  # no signed link without a mailbox to send it to
    notifications.send_due()
    assert smtp.to(case.host.email) and len(smtp.messages) == 1
    db.session.refresh(message)
    assert message.sent_at is None and message.attempts == 0
    assert notifications.mark_read(refugee) == 1
    assert notifications.notifications_for(refugee, unread_only=True) == []


def test_a_failed_delivery_is_recorded_and_retried_next_run(case, app, monkeypatch):
    matches.propose(case.coordinator, case.request.id, case.offer.id)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    assert notifications.send_due() == notifications.MailReport(0, 2)
    rows = db.session.scalars(select(Notification)).all()
    assert all(n.sent_at is None and n.attempts == 1 and "Connection refused" in n.last_error for n in rows)
    from tests.smtp import smtp_server

    with smtp_server() as sink:
        monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
        assert notifications.send_due() == notifications.MailReport(2, 0)
    assert len(sink.messages) == 2
    for row in db.session.scalars(select(Notification)):
        db.session.refresh(row)
        assert row.sent_at and row.attempts == 2 and row.last_error is None


def test_a_refused_recipient_fails_alone_and_gives_up_after_the_attempt_limit(case, smtp, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    smtp.refuse.add(case.host.email)
    matches.propose(case.coordinator, case.request.id, case.offer.id)
    assert notifications.send_due() == notifications.MailReport(1, 1)
    assert notifications.send_due() == notifications.MailReport(0, 1)
    assert notifications.send_due() == notifications.MailReport(0, 0)  # two attempts: given up
    failed = notifications.notifications_for(case.host)[0]
    assert failed.attempts == 2 and "mailbox unavailable" in failed.last_error
    assert [m["To"] for m in smtp.messages] == [case.refugee.email]


def _ukrainian():
    """The shipped, compiled Ukrainian catalogue (make translations builds it)."""
    from pathlib import Path

    from babel.support import Translations

    return Translations.load(str(Path(__file__).resolve().parents[2] / "translations"), ["uk"]).gettext


def test_each_recipient_gets_their_own_language(database_url, app, smtp):
    uk = _ukrainian()
    translated = make_app(database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with translated.app_context():
        case = factories.make_case()
        case.host.locale = "uk"
        db.session.commit()
        matches.propose(case.coordinator, case.request.id, case.offer.id, now=utcnow())
        notifications.send_due()
        host_email, guest_email, host_name = case.host.email, case.refugee.email, case.host.name
        db.session.remove()
        db.engine.dispose()
    [to_host] = smtp.to(host_email)
    subject = "A household is proposed for your place"
    assert to_host["Subject"] == uk(subject) != subject
    assert to_host.get_content().startswith(uk("Hello %(name)s,") % {"name": host_name})
    [to_guest] = smtp.to(guest_email)  # an English-speaking guest in the same transaction
    assert to_guest["Subject"] == "A place is proposed for your household"


def test_the_coordinator_hears_about_answers_with_a_link_to_the_case(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    matches.decline(case.refugee, match.id, "other", "We want to stay near the school")
    [to_coordinator] = notifications.notifications_for(case.coordinator)
    assert to_coordinator.kind == "match.declined"
    assert "declined by the household" in to_coordinator.body
    assert "Reason: Another reason" in to_coordinator.body
    assert "We want to stay near the school" in to_coordinator.body
    host_message = notifications.notifications_for(case.host)[0]
    assert host_message.kind == "match.declined" and "school" not in host_message.body
