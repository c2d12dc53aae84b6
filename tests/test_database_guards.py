"""The schema refuses nonsense on its own: CHECK constraints, NOT NULLs and unique keys, on SQLite and PostgreSQL.

Each case copies a valid row, changes what the constraint forbids, and inserts it straight into the table (no
service, no form, no ORM validation), so a bug in the code above could not store it either. The error must name
the constraint, so that a case cannot pass for the wrong reason (a duplicate key, say).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from matcher.domain.safeguarding import CheckKind
from matcher.extensions import db
from matcher.models import CheckIn, Concern, HostCheck, HousingRequest, Match, Notification, Offer, Role, User, utcnow
from tests import factories

UNIQUE_COLUMNS = {"email", "phone", "external_id", "nonce"}


@pytest.fixture
def rows(app_ctx):
    """One valid row of each guarded table."""
    case = factories.make_case()
    now = utcnow()
    match = factories.make_match(case.request, case.offer, proposed_by_id=case.coordinator.id)
    concern = Concern(match_id=match.id, request_id=case.request.id, reporter_role="guest", body="x", created_at=now)
    checkin = CheckIn(
        match_id=match.id,
        user_id=case.host.id,
        party="host",
        kind="day_3",
        sent_at=now,
        answer_by=now + timedelta(days=3),
    )
    notification = Notification(user_id=case.host.id, kind="match.proposed", subject="s", body="b", created_at=now)
    db.session.add_all([concern, checkin, notification])
    db.session.commit()
    check = db.session.scalar(db.select(HostCheck).where(HostCheck.host_id == case.host.id))
    return {
        User: case.host,
        Offer: case.offer,
        HousingRequest: case.request,
        Match: match,
        HostCheck: check,
        Concern: concern,
        CheckIn: checkin,
        Notification: notification,
        "coordinator": case.coordinator,
    }


def _values(obj) -> dict:
    table = obj.__table__
    values = {}
    for column in table.columns:
        if column.primary_key:
            continue
        value = getattr(obj, column.key)
        values[column.name] = None if column.name in UNIQUE_COLUMNS else value
    return values


def _insert_fails(model, values, constraint: str | tuple[str, ...]) -> None:
    with pytest.raises(IntegrityError) as error:
        db.session.execute(insert(model.__table__).values(**values))
        db.session.flush()
    db.session.rollback()
    message = str(error.value.orig).lower()
    names = (constraint,) if isinstance(constraint, str) else constraint
    assert any(name.lower() in message for name in names), message


TODAY = utcnow().date()
NOW = utcnow()

CASES = [
    (Offer, {"beds": 0}, "ck_offers_beds_range"),
    (Offer, {"beds": 51}, "ck_offers_beds_range"),
    (Offer, {"available_from": TODAY, "available_until": TODAY - timedelta(days=1)}, "ck_offers_dates_ordered"),
    (Offer, {"lat": 91.0}, "ck_offers_exact_point_valid"),
    (Offer, {"household_adults": -1}, "ck_offers_household_adults_range"),
    (Offer, {"title": None}, "title"),
    (HousingRequest, {"adults": 0}, "ck_housing_requests_adults_range"),
    (HousingRequest, {"children": -1}, "ck_housing_requests_children_range"),
    (HousingRequest, {"max_distance_km": 0}, "ck_housing_requests_distance_range"),
    (HousingRequest, {"duration_days": 0}, "ck_housing_requests_duration_positive"),
    (HousingRequest, {"lon": 181.0}, "ck_housing_requests_point_valid"),
    (HousingRequest, {"needed_from": None}, "needed_from"),
    (Match, {"beds_held": 0}, "ck_matches_beds_held_positive"),
    (Match, {"beds_held": 51}, "ck_matches_beds_held_max"),
    (Match, {"moved_in_at": NOW, "ended_at": NOW - timedelta(days=1)}, "ck_matches_stay_ordered"),
    (Match, {"offer_id": None}, "offer_id"),
    (HostCheck, {"done_on": TODAY, "expires_on": TODAY - timedelta(days=1)}, "ck_host_checks_dates_ordered"),
    (HostCheck, {"kind": CheckKind.ID_SEEN, "unavailable": True}, "ck_host_checks_unavailable_only_criminal_record"),
    (HostCheck, {"done_on": None}, "done_on"),
    (Concern, {"created_at": NOW, "resolved_at": NOW - timedelta(hours=1)}, "ck_concerns_dates_ordered"),
    (Concern, {"reporter_role": "staff"}, "ck_concerns_reporter_role_valid"),
    (Concern, {"body": None}, "body"),
    (CheckIn, {"kind": "week_2", "answered_at": NOW - timedelta(days=1)}, "ck_checkins_answered_after_sent"),
    (CheckIn, {"kind": "week_2", "answer_by": NOW - timedelta(days=1)}, "ck_checkins_answer_by_after_sent"),
    (CheckIn, {"kind": "week_2", "party": "admin"}, "ck_checkins_party_valid"),
    # The same person asked the same check-in twice (SQLite names the columns, PostgreSQL the constraint).
    (CheckIn, {}, ("checkins.match_id, checkins.user_id, checkins.kind", "one_per_person_and_kind")),
    (Notification, {"attempts": -1}, "ck_notifications_attempts_non_negative"),
]


@pytest.mark.parametrize(
    ("model", "change", "constraint"), CASES, ids=[f"{m.__tablename__}-{n}" for n, (m, _, _) in enumerate(CASES)]
)
def test_a_direct_insert_of_nonsense_is_refused(rows, model, change, constraint):
    values = _values(rows[model]) | change
    _insert_fails(model, values, constraint)


def test_a_user_needs_an_email_or_a_phone_unless_deleted(rows):
    values = _values(rows[User]) | {"email": None, "phone": None}
    _insert_fails(User, values, "ck_users_email_or_phone")
    db.session.execute(insert(User.__table__).values(**values | {"deleted_at": NOW, "active": False}))
    db.session.rollback()


def test_the_proposer_cannot_be_the_second_signer(rows):
    coordinator = rows["coordinator"]
    values = _values(rows[Match]) | {"proposed_by_id": coordinator.id, "signed_off_by_id": coordinator.id}
    _insert_fails(Match, values, "ck_matches_signoff_not_proposer")
    other = factories.make_user(Role.COORDINATOR)
    db.session.execute(insert(Match.__table__).values(**values | {"signed_off_by_id": other.id}))
    db.session.rollback()


@pytest.mark.parametrize(
    ("table", "column", "value", "constraint"),
    [
        ("offers", "status", "deleted", "offerstatus"),
        ("housing_requests", "status", "lost", "requeststatus"),
        ("matches", "status", "maybe", "matchstatus"),
        ("host_checks", "kind", "horoscope", "checkkind"),
        ("users", "role", "superuser", "role"),
    ],
)
def test_an_unknown_state_is_refused_by_the_database(rows, table, column, value, constraint):
    with pytest.raises(IntegrityError) as error:
        db.session.execute(text(f"UPDATE {table} SET {column} = :value"), {"value": value})  # noqa: S608  fixed names
        db.session.flush()
    db.session.rollback()
    assert constraint in str(error.value.orig).lower()
