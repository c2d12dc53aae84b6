"""Privacy rights: export everything held about a person; delete the account keeping anonymous statistics;
anonymise closed cases after the retention period."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.extensions import db
from matcher.models import (
    AuditEvent,
    Concern,
    HostCheck,
    HousingRequest,
    Match,
    Note,
    Notification,
    Offer,
    Role,
    SignedLink,
    User,
    utcnow,
)
from matcher.services import cases, concerns, jobs, matches, privacy
from matcher.services.errors import Conflict, ServiceError
from tests import factories
from tests.conftest import TEST_PASSWORD
from tests.services.conftest import count


@pytest.fixture
def ended(case):
    """A stay that ended: the case is closed, both sides had messages, the guest reported a concern."""
    now = utcnow()
    match = matches.propose(case.coordinator, case.request.id, case.offer.id, now=now)
    matches.accept(case.host, match.id, now=now)
    matches.accept(case.refugee, match.id, now=now)
    concern = concerns.report(case.refugee, match.id, "The heating is broken and the host shouts at us.")
    concerns.resolve(case.coordinator, concern.id, "Spoke to the host.")
    matches.record_move_in(case.coordinator, match.id, now=now)
    matches.record_end(case.coordinator, match.id, reason_text="They moved to Olena's sister", now=now)
    cases.add_note(case.coordinator, case.request.id, "Olena's phone is +380671234567")
    case.match = match
    return case


def test_the_export_holds_the_profile_requests_matches_and_messages(ended):
    case = ended
    data = privacy.export_data(case.refugee)
    json.dumps(data)  # JSON-ready
    assert data["profile"]["email"] == case.refugee.email and data["profile"]["role"] == "refugee"
    assert [r["id"] for r in data["housing_requests"]] == [case.request.id]
    assert data["housing_requests"][0]["contact_name"] == "Olena Kovalenko"
    assert [(m["id"], m["your_part"], m["status"]) for m in data["matches"]] == [(case.match.id, "guest", "ended")]
    assert {m["kind"] for m in data["messages"]} >= {"match.proposed", "match.moved_in", "match.ended"}
    assert data["concerns_reported"][0]["body"].startswith("The heating")
    assert data["offers"] == [] and data["safeguarding_checks"] == []
    host_data = privacy.export_data(case.host)
    assert host_data["offers"][0]["address"] == case.offer.address
    assert len(host_data["safeguarding_checks"]) == 6
    assert host_data["matches"][0]["your_part"] == "host"
    # Nothing about anyone else's private data leaks into the host's export.
    assert "Olena" not in json.dumps(host_data["matches"]) and "+380" not in json.dumps(host_data)
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "user.data_exported"


def test_deleting_an_account_erases_the_person_and_keeps_anonymous_placements(ended):
    case = ended
    refugee_id, host_id, match_id = case.refugee.id, case.host.id, case.match.id
    with pytest.raises(ServiceError) as error:
        privacy.delete_account(case.refugee, "wrong password")
    assert error.value.field == "password"
    privacy.delete_account(case.refugee, TEST_PASSWORD)
    privacy.delete_account(case.host, TEST_PASSWORD)
    db.session.expire_all()
    for user_id in (refugee_id, host_id):
        user = db.session.get(User, user_id)
        assert (user.name, user.email, user.phone, user.password_hash, user.active) == ("", None, None, None, False)
        assert user.deleted_at is not None
        assert count(Notification, Notification.user_id == user_id) == 0
        assert count(SignedLink, SignedLink.user_id == user_id) == 0
    request = db.session.get(HousingRequest, case.request.id)
    assert (request.contact_name, request.phone, request.email, request.other_needs) == ("", None, None, "")
    assert (request.adults, request.status) == (2, RequestStatus.CLOSED) and request.anonymised_at is not None
    offer = db.session.get(Offer, case.offer.id)
    assert (offer.address, offer.title, offer.description, offer.status) == ("", "", "", OfferStatus.WITHDRAWN)
    assert (offer.lat, offer.lon) == (offer.approx_lat, offer.approx_lon)
    match = db.session.get(Match, match_id)
    assert match.status is MatchStatus.ENDED and match.decline_text is None
    assert match.moved_in_at is not None and match.beds_held == 2  # statistics stay
    assert count(Note) == 0 and db.session.scalar(select(Concern.body)) == ""
    assert {c.note for c in db.session.scalars(select(HostCheck))} == {""}
    blob = json.dumps([e.details for e in db.session.scalars(select(AuditEvent))], default=str)
    assert "Olena" not in blob and "+380" not in blob
    assert privacy.export_data(db.session.get(User, refugee_id))["profile"]["email"] is None


def test_deletion_waits_for_a_placement_in_progress_and_the_last_admin_stays(case):
    match = matches.propose(case.coordinator, case.request.id, case.offer.id)
    for person in (case.host, case.refugee):
        with pytest.raises(Conflict, match="in progress"):
            privacy.delete_account(person, TEST_PASSWORD)
    matches.decline(case.refugee, match.id, "personal")
    privacy.delete_account(case.refugee, TEST_PASSWORD)
    assert db.session.get(HousingRequest, case.request.id).status is RequestStatus.CLOSED
    other = factories.make_request(owner_id=case.coordinator.id)
    privacy.delete_account(case.coordinator, TEST_PASSWORD)  # a leaving coordinator's cases go back to the queue
    assert db.session.get(HousingRequest, other.id).owner_id is None
    admin = factories.make_user(Role.ADMIN)
    with pytest.raises(Conflict, match="last admin"):
        privacy.delete_account(admin, TEST_PASSWORD)
    factories.make_user(Role.ADMIN)
    privacy.delete_account(admin, TEST_PASSWORD)
    assert not db.session.get(User, admin.id).active


def test_closed_cases_are_anonymised_after_the_retention_period(app, ended):
    case = ended
    open_case = factories.make_request()
    app.config["RETENTION_MONTHS"] = 12
    try:
        soon = utcnow() + timedelta(days=300)
        assert jobs.run(soon, send_mail=False).anonymised == 0
        later = utcnow() + timedelta(days=370)
        assert jobs.run(later, send_mail=False).anonymised == 1
        assert jobs.run(later, send_mail=False).anonymised == 0  # idempotent
        request = db.session.get(HousingRequest, case.request.id)
        assert request.contact_name == "" and request.email is None and request.anonymised_at is not None
        assert count(Note) == 0
        assert db.session.get(HousingRequest, open_case.id).contact_name != ""
        assert db.session.get(Match, case.match.id).status is MatchStatus.ENDED
        app.config["RETENTION_MONTHS"] = 0
        assert privacy.expired_case_ids(later + timedelta(days=9999)) == []
    finally:
        app.config["RETENTION_MONTHS"] = 24
