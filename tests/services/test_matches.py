"""The match use cases against the database: proposals re-check every rule, answers, the coordinator's steps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matcher.domain.lifecycle import Actor
from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.extensions import db
from matcher.models import AuditEvent, Match, Notification, SignedLink, utcnow
from matcher.services import matches
from matcher.services.errors import Conflict, NotFound, ServiceError
from tests import factories
from tests.services.conftest import audit_actions, count, totals


def test_a_proposal_holds_the_beds_and_tells_host_and_guest(case):
    now = utcnow()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id, score=81.5, now=now)
    assert match.status is MatchStatus.PROPOSED
    assert (match.beds_held, match.score, match.proposed_by_id) == (2, 81.5, case.coordinator.id)
    assert match.hold_expires_at == now + timedelta(hours=72)
    assert case.request.status is RequestStatus.MATCHED
    assert case.offer.free_beds == 0
    assert audit_actions("match", match.id) == ["match.propose"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "match.propose"))
    assert event.actor_id == case.coordinator.id
    assert event.details["from_status"] is None and event.details["to_status"] == "proposed"
    assert audit_actions("request", case.request.id) == ["request.status_changed"]
    sent = db.session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert {(n.user_id, n.kind) for n in sent} == {
        (case.host.id, "match.proposed"),
        (case.refugee.id, "match.proposed"),
    }
    assert all(n.link.startswith("/links/") and n.match_id == match.id for n in sent)
    assert count(SignedLink) == 2


def test_the_hold_length_is_configurable(case, app, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_HOLD_HOURS", 5)
    now = utcnow()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id, now=now)
    assert match.hold_expires_at == now + timedelta(hours=5)


@pytest.mark.parametrize(
    ("offer", "wanted", "words"),
    [
        ({"status": OfferStatus.PAUSED}, {}, "paused"),
        ({"last_confirmed_at": utcnow() - timedelta(days=200)}, {}, "not confirmed"),
        ({"beds": 1}, {}, "bed short"),
        ({}, {"adults": 2, "children": 1, "child_ages": ["4"]}, "bed short"),
        ({"available_from": utcnow().date() + timedelta(days=40)}, {}, "late"),
        ({"available_until": utcnow().date() + timedelta(days=10)}, {}, "too short"),
        ({"pets_ok": False}, {"pets": True}, "no pets"),
        ({"children_ok": False, "beds": 3}, {"children": 1, "child_ages": ["3"]}, "no children"),
        ({"step_free": False}, {"step_free_needed": True}, "not step-free"),
        ({}, {**factories.LVIV, "max_distance_km": 100}, "limit 100 km"),
    ],
)
def test_every_hard_rule_is_checked_again_and_a_refusal_writes_nothing(app_ctx, offer, wanted, words):
    case = factories.make_case(offer=offer, request=wanted)
    before = totals()
    with pytest.raises(Conflict) as refused:
        matches.propose(case.coordinator, case.request.id, case.offer.id)
    assert words in str(refused.value)
    assert totals() == before
    db.session.refresh(case.request)
    assert case.request.status is RequestStatus.OPEN


def test_beds_taken_meanwhile_and_a_double_click_leave_one_proposal(case):
    matches.propose(case.coordinator, case.request.id, case.offer.id)
    with pytest.raises(Conflict, match="already has a proposal"):
        matches.propose(case.coordinator, case.request.id, case.offer.id)  # the same click, twice
    other = factories.make_request(**factories.KRAKOW)
    with pytest.raises(Conflict, match="Someone else took these beds"):
        matches.propose(case.coordinator, other.id, case.offer.id)
    assert count(Match) == 1


def test_a_shareable_offer_takes_households_while_beds_last(app_ctx):
    case = factories.make_case(offer={"beds": 5, "shareable": True})
    matches.propose(case.coordinator, case.request.id, case.offer.id)
    second = factories.make_request(**factories.KRAKOW)
    matches.propose(case.coordinator, second.id, case.offer.id)
    third = factories.make_request(**factories.KRAKOW)
    with pytest.raises(Conflict, match="1 bed short"):
        matches.propose(case.coordinator, third.id, case.offer.id)
    single = factories.make_request(**factories.KRAKOW, adults=1)
    matches.propose(case.coordinator, single.id, case.offer.id)
    assert case.offer.free_beds == 0


def test_only_coordinators_propose_and_unknown_ids_are_not_found(case):
    before = totals()
    with pytest.raises(Conflict, match="cannot propose"):
        matches.propose(case.host, case.request.id, case.offer.id)
    with pytest.raises(NotFound):
        matches.propose(case.coordinator, 999_999, case.offer.id)
    with pytest.raises(NotFound):
        matches.propose(case.coordinator, case.request.id, 999_999)
    assert totals() == before


def test_a_request_that_is_not_open_is_refused(app_ctx):
    case = factories.make_case(request={"status": RequestStatus.CLOSED})
    with pytest.raises(Conflict, match="not open"):
        matches.propose(case.coordinator, case.request.id, case.offer.id)


@pytest.mark.parametrize("host_first", [True, False])
def test_both_accept_in_either_order_and_the_match_is_confirmed(case, host_first):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    first, second = (case.host, case.refugee) if host_first else (case.refugee, case.host)
    matches.accept(first, match.id)
    assert match.status is (MatchStatus.HOST_ACCEPTED if host_first else MatchStatus.GUEST_ACCEPTED)
    matches.accept(second, match.id)
    assert match.status is MatchStatus.CONFIRMED
    assert match.host_accepted_at and match.guest_accepted_at and match.confirmed_at
    assert case.request.status is RequestStatus.MATCHED
    expected = ["match.host_accept", "match.guest_accept"]
    assert audit_actions("match", match.id) == ["match.propose", *(expected if host_first else expected[::-1])]
    confirmed = db.session.scalars(select(Notification.user_id).where(Notification.kind == "match.confirmed")).all()
    # Everyone concerned hears of the confirmation except whoever gave the last answer.
    assert set(confirmed) == {case.coordinator.id, first.id}


def test_someone_elses_proposal_is_not_found_and_answering_twice_is_refused(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    before = totals()
    for stranger in (factories.make_user("host"), factories.make_user("refugee")):
        with pytest.raises(NotFound):
            matches.accept(stranger, match.id)
        with pytest.raises(NotFound):
            matches.decline(stranger, match.id, "personal")
        with pytest.raises(NotFound):
            matches.page_for(stranger, match.id)
    assert totals() == before
    matches.accept(case.host, match.id)
    with pytest.raises(Conflict, match="cannot accept as host"):
        matches.accept(case.host, match.id)
    assert match.status is MatchStatus.HOST_ACCEPTED


def test_a_coordinator_records_an_answer_given_by_phone(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    with pytest.raises(ServiceError, match="whose answer"):
        matches.accept(case.coordinator, match.id)
    matches.accept(case.coordinator, match.id, on_behalf_of=Actor.GUEST)
    assert match.status is MatchStatus.GUEST_ACCEPTED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "match.guest_accept"))
    assert (event.actor_id, event.details["actor_role"]) == (case.coordinator.id, "coordinator")


def test_a_decline_needs_a_reason_reopens_the_request_and_is_remembered(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    before = totals()
    with pytest.raises(ServiceError) as refused:
        matches.decline(case.host, match.id, "")
    assert refused.value.field == "reason_code"
    with pytest.raises(ServiceError) as refused:
        matches.decline(case.host, match.id, "other", " ")
    assert refused.value.field == "reason_text"
    assert totals() == before and match.status is MatchStatus.PROPOSED
    matches.decline(case.host, match.id, "dates", "Only from June")
    assert match.status is MatchStatus.DECLINED
    assert (match.decline_reason, match.decline_text) == ("dates", "Only from June")
    assert case.request.status is RequestStatus.OPEN
    assert case.offer.free_beds == 2
    assert matches.excluded_offer_ids(case.request.id) == {case.offer.id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "match.host_decline"))
    assert event.reason == "dates: Only from June" and event.actor_id == case.host.id
    with pytest.raises(Conflict, match="declined or excluded before"):
        matches.propose(case.coordinator, case.request.id, case.offer.id)


def test_the_stay_moves_in_then_ends_and_frees_the_beds(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    before = totals()
    with pytest.raises(Conflict, match="cannot record the move-in"):
        matches.record_move_in(case.coordinator, match.id)
    assert totals() == before and match.status is MatchStatus.PROPOSED
    matches.accept(case.host, match.id)
    matches.accept(case.refugee, match.id)
    with pytest.raises(Conflict, match="cannot record the move-in"):
        matches.record_move_in(case.host, match.id)
    matches.record_move_in(case.coordinator, match.id)
    assert case.request.status is RequestStatus.HOUSED and match.moved_in_at
    assert case.offer.free_beds == 0
    matches.record_end(case.coordinator, match.id, reason_text="They found a flat")
    assert match.status is MatchStatus.ENDED and match.ended_at
    assert case.request.status is RequestStatus.CLOSED
    assert case.offer.free_beds == 2
    with pytest.raises(Conflict, match="closed"):
        matches.cancel(case.coordinator, match.id, "mistake")


def test_a_breakdown_reopens_the_request_and_keeps_its_history(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    matches.accept(case.host, match.id)
    matches.accept(case.refugee, match.id)
    matches.record_move_in(case.coordinator, match.id)
    with pytest.raises(Conflict):
        matches.cancel(case.coordinator, match.id, "mistake")  # after move-in, the stay ends or breaks down
    matches.record_breakdown(case.coordinator, match.id, "conflict", "Argument about the kitchen")
    assert match.status is MatchStatus.BROKEN_DOWN and case.request.status is RequestStatus.OPEN
    assert case.offer.free_beds == 2
    other = factories.make_offer()
    again = matches.propose(case.coordinator, case.request.id, other.id)
    statuses = [m.status for m in db.session.scalars(select(Match).where(Match.request_id == case.request.id))]
    assert statuses == [MatchStatus.BROKEN_DOWN, MatchStatus.PROPOSED] and again.id != match.id


@pytest.mark.parametrize("answered", [False, True])
def test_a_coordinator_cancels_with_a_reason_at_any_open_state(case, answered):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    if answered:
        matches.accept(case.host, match.id)
        matches.accept(case.refugee, match.id)
    with pytest.raises(ServiceError):
        matches.cancel(case.coordinator, match.id, "")
    with pytest.raises(Conflict, match="cannot cancel"):
        matches.cancel(case.host, match.id, "mistake")
    matches.cancel(case.coordinator, match.id, "safeguarding")
    assert match.status is MatchStatus.CANCELLED
    assert case.request.status is RequestStatus.OPEN
    assert case.offer.free_beds == 2
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "match.cancelled")))
    assert told == {case.host.id, case.refugee.id}


def test_accepting_after_the_hold_ran_out_explains_that_it_expired(case):
    now = utcnow()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id, now=now)
    later = now + timedelta(hours=73)
    with pytest.raises(matches.HoldExpired, match="expired"):
        matches.accept(case.host, match.id, now=later)
    db.session.refresh(match)
    assert match.status is MatchStatus.EXPIRED
    assert case.request.status is RequestStatus.OPEN and case.offer.free_beds == 2
    assert audit_actions("match", match.id) == ["match.propose", "match.expire"]
    with pytest.raises(matches.HoldExpired, match="expired"):
        matches.accept(case.refugee, match.id, now=later)
    assert matches.expire(match.id, now=later) is False


def test_the_contact_is_shown_only_after_confirmation_and_every_view_is_audited(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    page = matches.page_for(case.host, match.id)
    assert page.party is Actor.HOST and page.can_answer and page.contact is None
    assert page.request.first_name == "Olena"
    assert count(AuditEvent, AuditEvent.action == "contact.revealed") == 0
    matches.accept(case.host, match.id)
    assert not matches.page_for(case.host, match.id).can_answer
    matches.accept(case.refugee, match.id)
    host_view = matches.page_for(case.host, match.id)
    assert host_view.contact.name == "Olena Kovalenko" and host_view.contact.email == case.refugee.email
    assert host_view.contact.address is None
    guest_view = matches.page_for(case.refugee, match.id)
    assert guest_view.contact.address == case.offer.address and guest_view.contact.name == case.host.name
    matches.page_for(case.refugee, match.id)
    reveals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contact.revealed")).all()
    assert [(e.actor_id, e.details["whose"]) for e in reveals] == [
        (case.host.id, "guest"),
        (case.refugee.id, "host"),
        (case.refugee.id, "host"),
    ]
    with pytest.raises(NotFound):
        matches.page_for(case.coordinator, match.id)  # coordinators use the case page, with its own audit


def test_matches_for_lists_a_persons_matches(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    assert matches.matches_for(case.host) == [match] == matches.matches_for(case.refugee)
    assert matches.matches_for(factories.make_user("host")) == []
