"""Safeguarding rules, pure: current checks, verification, the risk rules, the gates in the transition table, and
the check-in schedule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matcher.domain import lifecycle
from matcher.domain.lifecycle import Actor, Event, TransitionRefused, apply
from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.safeguarding import (
    CheckInKind,
    CheckKind,
    CheckRecord,
    Gates,
    GuestFacts,
    HostFacts,
    HouseholdGender,
    RiskRules,
    checkin_due,
    checkin_schedule,
    is_verified,
    missing_checks,
    risk_reasons,
)

TODAY = date(2024, 5, 10)
S = MatchStatus


def test_a_check_counts_from_the_day_it_was_done_to_its_last_day():
    check = CheckRecord(CheckKind.HOME_VISIT, TODAY, TODAY + timedelta(days=30))
    assert check.current(TODAY) and check.current(TODAY + timedelta(days=30))
    assert not check.current(TODAY - timedelta(days=1))
    assert not check.current(TODAY + timedelta(days=31))
    assert CheckRecord(CheckKind.ID_SEEN, TODAY).current(TODAY + timedelta(days=3650))  # no expiry


def test_verified_while_every_required_check_is_current():
    required = (CheckKind.ID_SEEN, CheckKind.HOME_VISIT)
    records = [
        CheckRecord(CheckKind.ID_SEEN, TODAY - timedelta(days=400)),
        CheckRecord(CheckKind.HOME_VISIT, TODAY - timedelta(days=100), TODAY - timedelta(days=1)),  # expired
        CheckRecord(CheckKind.VIDEO_CALL, TODAY),  # not required
    ]
    assert missing_checks(records, required, TODAY) == (CheckKind.HOME_VISIT,)
    assert not is_verified(records, required, TODAY)
    records.append(CheckRecord(CheckKind.HOME_VISIT, TODAY))
    assert is_verified(records, required, TODAY)
    assert is_verified([], (), TODAY)  # nothing required: everyone is verified
    assert missing_checks([], tuple(CheckKind), TODAY) == tuple(CheckKind)  # in CheckKind order


ONE_MAN = HostFacts(1, HouseholdGender.MEN)


@pytest.mark.parametrize(
    ("guest", "host", "expected"),
    [
        (GuestFacts(children=2, women_only=False), ONE_MAN, ("children", "single_man")),
        (GuestFacts(children=0, women_only=True), ONE_MAN, ("women_only", "single_man")),
        (GuestFacts(children=1, women_only=True), ONE_MAN, ("children", "women_only", "single_man")),
        (GuestFacts(children=0, women_only=False), ONE_MAN, ()),  # two adults, no children: no rule
        (GuestFacts(children=2, women_only=False), HostFacts(2, HouseholdGender.MEN), ()),  # two men: not "one"
        (GuestFacts(children=2, women_only=False), HostFacts(1, HouseholdGender.WOMEN), ()),
        (GuestFacts(children=2, women_only=False), HostFacts(0), ()),  # a place of their own
        (GuestFacts(children=2, women_only=False), HostFacts(None), ("children", "unrecorded")),  # fail safe
        (GuestFacts(children=2, women_only=False), HostFacts(1, None), ("children", "unrecorded")),
    ],
)
def test_the_default_risk_rule(guest, host, expected):
    assert risk_reasons(guest, host) == expected


def test_risk_rules_are_configurable_and_refuse_unknown_conditions():
    rules = RiskRules(guest=frozenset({"vulnerable"}), host=frozenset({"men_only"}))
    assert risk_reasons(GuestFacts(0, False, vulnerable=True), HostFacts(3, HouseholdGender.MEN), rules) == (
        "vulnerable",
        "men_only",
    )
    assert risk_reasons(GuestFacts(2, False), ONE_MAN, rules) == ()
    assert risk_reasons(GuestFacts(2, True), ONE_MAN, RiskRules(guest=frozenset(), host=frozenset())) == ()
    with pytest.raises(ValueError):
        RiskRules(guest=frozenset({"anything"}))


@pytest.mark.parametrize(
    ("source", "event"), [(S.HOST_ACCEPTED, Event.GUEST_ACCEPT), (S.GUEST_ACCEPTED, Event.HOST_ACCEPT)]
)
def test_the_acceptance_that_would_confirm_is_refused_by_each_gate(source, event):
    actor = Actor.GUEST if event == Event.GUEST_ACCEPT else Actor.HOST
    with pytest.raises(TransitionRefused) as refused:
        apply(source, event, actor, gates=Gates(missing_checks=(CheckKind.HOME_VISIT, CheckKind.REFERENCES)))
    assert refused.value.code == "unverified" and "Home visit, References" not in str(refused.value)
    assert "home_visit, references" in str(refused.value)  # English fallback names the codes
    with pytest.raises(TransitionRefused) as refused:
        apply(source, event, actor, gates=Gates(risk=("children", "single_man")))
    assert refused.value.code == "signoff"
    assert apply(source, event, actor, gates=Gates(risk=("children",), signed_off=True)).target == S.CONFIRMED
    assert apply(source, event, actor, gates=Gates()).target == S.CONFIRMED


def test_a_first_acceptance_passes_the_confirmation_gates_but_not_a_pause():
    blocked = Gates(missing_checks=(CheckKind.ID_SEEN,), risk=("children", "single_man"))
    assert apply(S.PROPOSED, Event.HOST_ACCEPT, Actor.HOST, gates=blocked).target == S.HOST_ACCEPTED
    for source, event, actor in [
        (S.PROPOSED, Event.HOST_ACCEPT, Actor.HOST),
        (S.HOST_ACCEPTED, Event.GUEST_ACCEPT, Actor.GUEST),
        (S.PROPOSED, Event.EXPIRE, Actor.SYSTEM),
    ]:
        with pytest.raises(TransitionRefused) as refused:
            apply(source, event, actor, gates=Gates(paused=True))
        assert refused.value.code == "paused"
    # Declining and cancelling stay possible while paused.
    assert apply(S.PROPOSED, Event.GUEST_DECLINE, Actor.GUEST, reason_code="personal", gates=Gates(paused=True))
    assert apply(S.PROPOSED, Event.CANCEL, Actor.COORDINATOR, reason_code="safeguarding", gates=Gates(paused=True))


def test_a_paused_hold_never_counts_as_expired():
    from datetime import UTC, datetime

    past = datetime(2024, 1, 1, tzinfo=UTC)
    now = past + timedelta(days=10)
    assert lifecycle.hold_has_expired(S.PROPOSED, past, now)
    assert not lifecycle.hold_has_expired(S.PROPOSED, past, now, paused=True)


def test_the_check_in_schedule():
    moved_in = date(2024, 5, 1)
    schedule = checkin_schedule(moved_in, date(2024, 8, 1))
    assert schedule == {
        CheckInKind.DAY_3: date(2024, 5, 4),
        CheckInKind.WEEK_2: date(2024, 5, 11),
        CheckInKind.BEFORE_END: date(2024, 7, 27),
    }
    assert CheckInKind.BEFORE_END not in checkin_schedule(moved_in, date(2024, 5, 14))  # a short stay
    assert checkin_due(moved_in, date(2024, 8, 1), date(2024, 5, 3)) is None
    assert checkin_due(moved_in, date(2024, 8, 1), date(2024, 5, 4)) is CheckInKind.DAY_3
    assert checkin_due(moved_in, date(2024, 8, 1), date(2024, 5, 20)) is CheckInKind.WEEK_2  # not a backlog
    assert checkin_due(moved_in, date(2024, 8, 1), date(2024, 7, 30)) is CheckInKind.BEFORE_END
    assert checkin_due(moved_in, date(2024, 8, 1), date(2024, 8, 1)) is None  # the stay is over
