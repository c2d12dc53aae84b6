"""Host checks, verification and the confirmation gates, through the services and on the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matcher.domain.lifecycle import Actor
from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.safeguarding import CheckKind
from matcher.extensions import db
from matcher.models import AuditEvent, HostCheck, Role, SignedLink, utcnow
from matcher.services import links, matches, safeguarding
from matcher.services.errors import Conflict, NotFound, ServiceError
from matcher.services.matching import forget_pool, rank_request
from tests import factories
from tests.services.conftest import audit_actions, count, totals


@pytest.fixture
def unverified(app_ctx) -> factories.Case:
    return factories.make_case(verified=False)


def _both_accept_until_refused(case, match):
    matches.accept(case.host, match.id)
    before = totals(), count(HostCheck)
    with pytest.raises(Conflict) as refused:
        matches.accept(case.refugee, match.id)
    assert (totals(), count(HostCheck)) == before  # refused outright: nothing stored
    assert match.status is MatchStatus.HOST_ACCEPTED and match.guest_accepted_at is None
    return str(refused.value)


def test_a_match_cannot_be_confirmed_while_the_host_is_unverified_and_the_refusal_names_the_missing_checks(unverified):
    case = unverified
    factories.verify_host(case.host, kinds=[CheckKind.ID_SEEN, CheckKind.VIDEO_CALL])
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    message = _both_accept_until_refused(case, match)
    assert "Home visit, References, Criminal-record check, Briefing done" in message
    assert "ID seen" not in message and "Nothing was accepted" in message
    for kind in (CheckKind.HOME_VISIT, CheckKind.REFERENCES, CheckKind.CRIMINAL_RECORD, CheckKind.BRIEFING):
        safeguarding.record_check(case.coordinator, case.host.id, kind=kind.value, done_on=utcnow().date())
    matches.accept(case.refugee, match.id)
    assert match.status is MatchStatus.CONFIRMED


def test_an_expired_check_unverifies_and_a_recorded_answer_is_gated_too(unverified):
    case = unverified
    today = utcnow().date()
    factories.verify_host(case.host)
    old = db.session.scalar(select(HostCheck).where(HostCheck.kind == CheckKind.REFERENCES))
    old.done_on, old.expires_on = today - timedelta(days=400), today - timedelta(days=35)
    db.session.commit()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    matches.accept(case.refugee, match.id)
    with pytest.raises(Conflict, match="References"):
        matches.accept(case.coordinator, match.id, on_behalf_of=Actor.HOST)
    assert match.status is MatchStatus.GUEST_ACCEPTED


def test_a_refused_acceptance_by_signed_link_leaves_the_link_usable(unverified):
    case = unverified
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    matches.accept(case.refugee, match.id)
    row = db.session.scalar(
        select(SignedLink).where(SignedLink.user_id == case.host.id, SignedLink.match_id == match.id)
    )
    token = links._serializer().dumps(row.nonce)
    with pytest.raises(Conflict, match="safety checks"):
        matches.answer_by_link(token, accept=True)
    assert db.session.get(SignedLink, row.id).used_at is None
    factories.verify_host(case.host)
    assert matches.answer_by_link(token, accept=True).status is MatchStatus.CONFIRMED


def test_checks_are_validated_and_audited(unverified):
    case, today = unverified, utcnow().date()
    record = safeguarding.record_check
    with pytest.raises(ServiceError) as error:
        record(case.coordinator, case.host.id, kind="horoscope", done_on=today)
    assert error.value.field == "kind"
    with pytest.raises(ServiceError) as error:
        record(case.coordinator, case.host.id, kind="id_seen", done_on=today + timedelta(days=1))
    assert error.value.field == "done_on"
    with pytest.raises(ServiceError) as error:
        record(case.coordinator, case.host.id, kind="id_seen", done_on=today, expires_on=today - timedelta(days=1))
    assert error.value.field == "expires_on"
    with pytest.raises(ServiceError) as error:
        record(case.coordinator, case.host.id, kind="id_seen", done_on=today, unavailable=True)
    assert error.value.field == "unavailable"
    with pytest.raises(NotFound):
        record(case.coordinator, case.refugee.id, kind="id_seen", done_on=today)
    assert count(HostCheck) == 0
    check = record(
        case.coordinator, case.host.id, kind="criminal_record", done_on=today, unavailable=True, note="none in UA"
    )
    assert (check.done_by_id, check.unavailable, check.note) == (case.coordinator.id, True, "none in UA")
    assert audit_actions("user", case.host.id)[-1] == "host.check_recorded"
    assert CheckKind.CRIMINAL_RECORD not in safeguarding.missing_checks(case.host.id)  # unavailable counts


def test_the_candidate_list_shows_verification_and_follows_new_checks(unverified):
    case = unverified
    forget_pool()
    _, ranking = rank_request(case.request.id)
    assert [c.verified for c in ranking.candidates] == [False]
    factories.verify_host(case.host)
    _, ranking = rank_request(case.request.id)
    assert [c.verified for c in ranking.candidates] == [True]
    safeguarding.save_settings(case.coordinator, required=["briefing"], guest=[], host=[])
    other = factories.make_offer(factories.make_user(Role.HOST))
    _, ranking = rank_request(case.request.id)
    assert {c.offer_id: c.verified for c in ranking.candidates} == {case.offer.id: True, other.id: False}


def test_the_admin_chooses_the_required_checks_and_the_risk_rules(unverified):
    case = unverified
    admin = factories.make_user(Role.ADMIN)
    assert safeguarding.required_checks() == tuple(CheckKind)
    safeguarding.save_settings(admin, required=["id_seen", "video_call"], guest=["children"], host=["men_only"])
    assert safeguarding.required_checks() == (CheckKind.ID_SEEN, CheckKind.VIDEO_CALL)
    assert safeguarding.risk_rules().host == {"men_only"}
    with pytest.raises(ServiceError):
        safeguarding.save_settings(admin, required=["nope"], guest=[], host=[])
    factories.verify_host(case.host, kinds=[CheckKind.ID_SEEN, CheckKind.VIDEO_CALL])
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    matches.accept(case.host, match.id)
    assert matches.accept(case.refugee, match.id).status is MatchStatus.CONFIRMED
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "setting")) == (
        "settings.safeguarding_changed"
    )


@pytest.fixture
def risky(app_ctx) -> factories.Case:
    """A household with children proposed to a verified host who lives alone (one adult man)."""
    case = factories.make_case(
        offer={"household_adults": 1, "household_gender": "men", "beds": 3},
        request={"adults": 1, "children": 2, "child_ages": ["4", "9"]},
    )
    case.match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    return case


def test_a_risky_placement_needs_a_second_coordinator_and_one_signer_is_one_coordinator(risky):
    case, match = risky, risky.match
    matches.accept(case.host, match.id)
    with pytest.raises(Conflict, match="second coordinator"):
        matches.accept(case.refugee, match.id)
    with pytest.raises(Conflict, match="another coordinator"):
        safeguarding.sign_off(case.coordinator, match.id)  # the proposer cannot sign twice
    second = factories.make_user(Role.COORDINATOR)
    safeguarding.sign_off(second, match.id)
    assert match.signed_off_by_id == second.id
    with pytest.raises(Conflict, match="already"):
        safeguarding.sign_off(factories.make_user(Role.COORDINATOR), match.id)
    assert audit_actions("match", match.id)[-1] == "match.signed_off"
    assert matches.accept(case.refugee, match.id).status is MatchStatus.CONFIRMED
    with pytest.raises(Conflict):
        safeguarding.sign_off(factories.make_user(Role.COORDINATOR), match.id)  # no longer pending


def test_a_women_only_household_or_a_recorded_host_household_changes_the_rule(app_ctx):
    case = factories.make_case(offer={"household_adults": 1, "household_gender": "men"})
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    assert safeguarding.risk_of(match) == ()
    safeguarding.set_women_only(case.coordinator, case.request.id, True)
    assert safeguarding.risk_of(match) == ("women_only", "single_man")
    safeguarding.set_household(case.coordinator, case.offer.id, adults=2, gender="mixed")
    assert safeguarding.risk_of(match) == ()
    with pytest.raises(ServiceError) as error:
        safeguarding.set_household(case.coordinator, case.offer.id, adults=1, gender=None)
    assert error.value.field == "gender"
    with pytest.raises(ServiceError):
        safeguarding.set_household(case.coordinator, case.offer.id, adults=-1, gender="men")
    with pytest.raises(Conflict, match="no second sign-off"):
        safeguarding.sign_off(factories.make_user(Role.COORDINATOR), match.id)
    assert audit_actions("request", case.request.id)[-1] == "case.women_only_set"
    assert audit_actions("offer", case.offer.id)[-1] == "offer.household_recorded"


def test_revealing_a_hosts_contact_is_logged_with_its_reason(app_ctx):
    case = factories.make_case()
    with pytest.raises(ServiceError):
        safeguarding.reveal_host_contact(case.coordinator, case.host.id, " ")
    with pytest.raises(NotFound):
        safeguarding.reveal_host_contact(case.coordinator, case.refugee.id, "to arrange a visit")
    safeguarding.reveal_host_contact(case.coordinator, case.host.id, "to arrange a home visit")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.revealed"))
    assert (event.subject_type, event.subject_id, event.actor_id, event.reason) == (
        "user",
        case.host.id,
        case.coordinator.id,
        "to arrange a home visit",
    )
