"""Concerns: reporting flags the case and pauses the proposal; the clock waits; resolving resumes or closes it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.vocabulary import RequestStatus
from matcher.extensions import db
from matcher.models import Concern, ConcernStatus, Notification, Role, utcnow
from matcher.services import cases, concerns, jobs, matches
from matcher.services.errors import Conflict, NotFound, ServiceError
from tests import factories
from tests.services.conftest import audit_actions, count


@pytest.fixture
def proposed(case):
    case.match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    return case


def test_a_guest_reports_a_concern_the_case_jumps_to_the_top_and_the_proposal_is_paused(proposed):
    case, match = proposed, proposed.match
    older = [factories.make_request(**factories.KRAKOW, vulnerabilities=["infant"]) for _ in range(3)]
    rows, _ = cases.queue(case.coordinator, cases.QueueFilter())
    assert rows[0].id != case.request.id  # matched, so not even in the open view
    concern = concerns.report(case.refugee, match.id, "  The host asked for money.  ")
    assert (concern.body, concern.reporter_role, concern.status) == ("The host asked for money.", "guest", "open")
    assert match.paused_at is not None
    rows, total = cases.queue(case.coordinator, cases.QueueFilter())
    assert rows[0].id == case.request.id and total == len(older) + 1
    assert rows[0].open_concerns == [concern]
    assert audit_actions("concern", concern.id) == ["concern.created"]
    assert audit_actions("match", match.id)[-1] == "match.paused"
    alert = db.session.scalar(db.select(Notification).where(Notification.kind == "concern.reported"))
    assert alert.user_id == case.coordinator.id and "money" not in alert.body  # the text stays on the site
    with pytest.raises(Conflict, match="on hold"):
        matches.accept(case.host, match.id)
    assert match.status is MatchStatus.PROPOSED


def test_the_hold_does_not_run_out_while_paused_and_resuming_gives_the_time_back(proposed):
    case, match = proposed, proposed.match
    start = utcnow()
    concern = concerns.report(case.host, match.id, "I am not sure about this", now=start)
    expires = match.hold_expires_at
    later = expires + timedelta(days=3)
    assert matches.expired_hold_ids(later) == []
    assert jobs.run(later, send_mail=False).expired == 0
    assert match.status is MatchStatus.PROPOSED
    concerns.view(case.coordinator, concern.id)
    resolved_at = start + timedelta(days=1)
    concerns.resolve(case.coordinator, concern.id, "Talked to both; all fine.", now=resolved_at)
    assert match.paused_at is None
    assert match.hold_expires_at == expires + timedelta(days=1)
    assert concern.status is ConcernStatus.RESOLVED and concern.resolved_by_id == case.coordinator.id
    assert audit_actions("concern", concern.id) == ["concern.created", "concern.viewed", "concern.resolved"]
    assert audit_actions("match", match.id)[-2:] == ["match.paused", "match.resumed"]
    with pytest.raises(Conflict):
        concerns.resolve(case.coordinator, concern.id, "again")
    assert matches.accept(case.host, match.id, now=resolved_at).status is MatchStatus.HOST_ACCEPTED


def test_a_second_open_concern_keeps_the_pause_and_closing_cancels_for_safeguarding(proposed):
    case, match = proposed, proposed.match
    first = concerns.report(case.host, match.id, "one")
    second = concerns.report(case.refugee, match.id, "two")
    concerns.resolve(case.coordinator, first.id, "looked into it")
    assert match.paused_at is not None
    concerns.resolve(case.coordinator, second.id, "not safe", close_match=True)
    assert match.status is MatchStatus.CANCELLED and match.decline_reason == "safeguarding"
    assert match.paused_at is None
    assert case.request.status is RequestStatus.OPEN
    rows, _ = cases.queue(case.coordinator, cases.QueueFilter())
    assert rows[0].open_concerns == []


def test_only_the_host_or_guest_report_and_a_concern_needs_words(proposed):
    case, match = proposed, proposed.match
    for stranger in (factories.make_user(Role.HOST), factories.make_user(Role.REFUGEE), case.coordinator):
        with pytest.raises(NotFound):
            concerns.report(stranger, match.id, "hello")
    with pytest.raises(ServiceError) as error:
        concerns.report(case.host, match.id, "   ")
    assert error.value.field == "body"
    with pytest.raises(ServiceError):
        concerns.report(case.host, match.id, "x" * (concerns.CONCERN_MAX + 1))
    with pytest.raises(NotFound):
        concerns.report(case.host, 999_999, "hello")
    assert count(Concern) == 0 and match.paused_at is None


def test_a_concern_after_the_move_in_flags_the_case_but_pauses_nothing(proposed):
    case, match = proposed, proposed.match
    matches.accept(case.host, match.id)
    matches.accept(case.refugee, match.id)
    matches.record_move_in(case.coordinator, match.id)
    concern = concerns.report(case.refugee, match.id, "We are not safe here")
    assert match.paused_at is None
    rows, _ = cases.queue(case.coordinator, cases.QueueFilter())
    assert rows[0].id == case.request.id  # housed, but flagged cases show in the default view
    concerns.resolve(case.coordinator, concern.id, "Moved them out tonight", close_match=True)
    assert match.status is MatchStatus.BROKEN_DOWN
    assert case.request.status is RequestStatus.OPEN
