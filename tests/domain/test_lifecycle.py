"""The transition table, exhaustively: every (state, event, actor) either moves as listed or is refused."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from matcher.domain import lifecycle
from matcher.domain.lifecycle import (
    OTHER,
    TABLE,
    TRANSITIONS,
    Actor,
    Event,
    TransitionRefused,
    apply,
    request_status_after,
)
from matcher.domain.lifecycle_states import HOLDING_STATES, PENDING_STATES, MatchStatus
from matcher.domain.matching import OfferSnapshot, RequestProfile
from matcher.domain.vocabulary import RequestStatus

S = MatchStatus
SOURCES = [None, *MatchStatus]
ALL = list(itertools.product(SOURCES, Event, Actor))


def _valid_reason(rule):
    if rule.reasons is None:
        return {}
    code = next(iter(rule.reasons))
    return {"reason_code": code, "reason_text": "because" if code == OTHER else None}


@pytest.mark.parametrize(("source", "event", "actor"), ALL, ids=lambda v: str(getattr(v, "value", v)))
def test_every_state_event_and_actor(source, event, actor):
    rule = TABLE.get((source, event))
    if rule is not None and actor in rule.actors:
        transition = apply(source, event, actor, **_valid_reason(rule))
        assert (transition.source, transition.event, transition.target, transition.actor) == (
            source,
            event,
            rule.target,
            actor,
        )
        return
    with pytest.raises(TransitionRefused) as refused:
        apply(source, event, actor, reason_code=OTHER, reason_text="x")
    assert refused.value.code == ("illegal" if rule is None else "actor")
    assert str(refused.value)  # a readable English message


def test_the_table_is_the_lifecycle_of_the_brief():
    allowed = {(r.source, r.event): r.target for r in TRANSITIONS}
    assert allowed[(None, Event.PROPOSE)] == S.PROPOSED
    # Host and guest answer in either order; the second acceptance confirms.
    assert allowed[(S.PROPOSED, Event.HOST_ACCEPT)] == S.HOST_ACCEPTED
    assert allowed[(S.HOST_ACCEPTED, Event.GUEST_ACCEPT)] == S.CONFIRMED
    assert allowed[(S.PROPOSED, Event.GUEST_ACCEPT)] == S.GUEST_ACCEPTED
    assert allowed[(S.GUEST_ACCEPTED, Event.HOST_ACCEPT)] == S.CONFIRMED
    assert allowed[(S.CONFIRMED, Event.MOVE_IN)] == S.MOVED_IN
    assert allowed[(S.MOVED_IN, Event.END)] == S.ENDED
    assert allowed[(S.MOVED_IN, Event.BREAK_DOWN)] == S.BROKEN_DOWN
    for state in PENDING_STATES:
        assert allowed[(state, Event.EXPIRE)] == S.EXPIRED
        assert allowed[(state, Event.CANCEL)] == S.CANCELLED
    assert allowed[(S.CONFIRMED, Event.CANCEL)] == S.CANCELLED
    # Nothing leaves a final state, and nobody answers twice.
    assert not [key for key in allowed if key[0] in lifecycle.FINAL_STATES]
    assert (S.HOST_ACCEPTED, Event.HOST_ACCEPT) not in allowed
    assert (S.GUEST_ACCEPTED, Event.GUEST_ACCEPT) not in allowed
    # Only the clock expires, only coordinators propose, cancel and record the stay.
    for rule in TRANSITIONS:
        if rule.event == Event.EXPIRE:
            assert rule.actors == {Actor.SYSTEM}
        if rule.event in (Event.PROPOSE, Event.CANCEL, Event.MOVE_IN, Event.END, Event.BREAK_DOWN):
            assert rule.actors == {Actor.COORDINATOR}
        if rule.event in (Event.HOST_ACCEPT, Event.HOST_DECLINE):
            assert Actor.GUEST not in rule.actors
        if rule.event in (Event.GUEST_ACCEPT, Event.GUEST_DECLINE):
            assert Actor.HOST not in rule.actors


def test_every_state_is_reachable_and_holding_states_are_the_open_ones():
    reached = {None}
    while True:
        more = {r.target for r in TRANSITIONS if r.source in reached} - reached
        if not more:
            break
        reached |= more
    assert reached - {None} == set(MatchStatus)
    assert lifecycle.FINAL_STATES == set(MatchStatus) - HOLDING_STATES


@pytest.mark.parametrize(
    ("event", "code", "text", "problem"),
    [
        (Event.HOST_DECLINE, None, None, "reason"),
        (Event.HOST_DECLINE, "found_elsewhere", None, "reason"),  # a guest's reason, not a host's
        (Event.GUEST_DECLINE, "not_available", None, "reason"),
        (Event.GUEST_DECLINE, OTHER, "   ", "reason_text"),
        (Event.CANCEL, "nonsense", "x", "reason"),
        (Event.HOST_DECLINE, "dates", "x" * 1001, "reason_text"),
    ],
)
def test_reasons_come_from_the_fixed_lists(event, code, text, problem):
    source = S.CONFIRMED if event == Event.CANCEL else S.PROPOSED
    with pytest.raises(TransitionRefused) as refused:
        apply(source, event, Actor.COORDINATOR, reason_code=code, reason_text=text)
    assert refused.value.code == problem


def test_a_reason_is_kept_trimmed_and_steps_without_a_list_drop_codes():
    t = apply(S.PROPOSED, Event.GUEST_DECLINE, Actor.GUEST, reason_code="place", reason_text="  too small  ")
    assert (t.reason_code, t.reason_text) == ("place", "too small")
    t = apply(S.MOVED_IN, Event.END, Actor.COORDINATOR, reason_code="whatever", reason_text="went home")
    assert (t.reason_code, t.reason_text) == (None, "went home")


def test_allowed_events_and_who_is_waiting():
    assert lifecycle.allowed_events(S.PROPOSED, Actor.HOST) == (Event.HOST_ACCEPT, Event.HOST_DECLINE)
    assert lifecycle.allowed_events(S.HOST_ACCEPTED, Actor.HOST) == ()
    assert lifecycle.waiting_for(S.PROPOSED) == {Actor.HOST, Actor.GUEST}
    assert lifecycle.waiting_for(S.GUEST_ACCEPTED) == {Actor.HOST}
    assert lifecycle.waiting_for(S.CONFIRMED) == set()


def test_hold_expiry():
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert lifecycle.hold_expiry(now, 72) == now + timedelta(hours=72)
    assert lifecycle.hold_has_expired(S.PROPOSED, now, now)
    assert not lifecycle.hold_has_expired(S.PROPOSED, now + timedelta(seconds=1), now)
    assert not lifecycle.hold_has_expired(S.CONFIRMED, now - timedelta(days=1), now)


R = RequestStatus


@pytest.mark.parametrize(
    ("current", "target", "others", "expected"),
    [
        (R.OPEN, S.PROPOSED, [], R.MATCHED),
        (R.MATCHED, S.HOST_ACCEPTED, [], R.MATCHED),
        (R.MATCHED, S.CONFIRMED, [], R.MATCHED),
        (R.MATCHED, S.MOVED_IN, [], R.HOUSED),
        (R.HOUSED, S.ENDED, [], R.CLOSED),
        (R.HOUSED, S.BROKEN_DOWN, [], R.OPEN),
        (R.MATCHED, S.DECLINED, [], R.OPEN),
        (R.MATCHED, S.EXPIRED, [], R.OPEN),
        (R.MATCHED, S.CANCELLED, [], R.OPEN),
        (R.MATCHED, S.CANCELLED, [S.PROPOSED], R.MATCHED),  # another match still holds
        (R.MATCHED, S.DECLINED, [S.MOVED_IN], R.HOUSED),
        (R.MATCHED, S.DECLINED, [S.DECLINED, S.EXPIRED], R.OPEN),  # closed matches do not count
        (R.CLOSED, S.CANCELLED, [], R.CLOSED),  # someone closed the request: it stays closed
    ],
)
def test_the_request_status_follows_its_matches(current, target, others, expected):
    assert request_status_after(current, target, others) == expected


TODAY = date(2024, 5, 1)
REQUEST = RequestProfile(
    id=1, lat=50.06, lon=19.94, adults=2, children=1, max_distance_km=50, needed_from=TODAY, duration_days=30
)


def offer(**fields):
    defaults = {
        "id": 7,
        "lat": 50.08,
        "lon": 19.95,
        "beds": 3,
        "last_confirmed": TODAY,
        "available_from": TODAY,
    }
    return OfferSnapshot(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "excluded", "failing"),
    [
        ({}, False, []),
        ({"beds": 2}, False, ["beds"]),
        ({"beds": 6, "held_beds": 2, "open_matches": 1}, False, ["beds"]),  # not shareable: any hold blocks
        ({"beds": 6, "held_beds": 2, "open_matches": 1, "shareable": True}, False, []),
        ({"status": "paused"}, False, ["status"]),
        ({"last_confirmed": TODAY - timedelta(days=400)}, False, ["status"]),
        ({"available_from": TODAY + timedelta(days=30)}, False, ["dates"]),
        ({"available_until": TODAY + timedelta(days=10)}, False, ["dates"]),
        ({"children_ok": False}, False, ["children"]),
        ({"lat": 52.23, "lon": 21.01}, False, ["distance"]),
        ({}, True, ["refused"]),
        ({"beds": 1, "status": "withdrawn"}, True, ["status", "beds", "refused"]),
    ],
)
def test_pair_failures_uses_the_matching_rules(fields, excluded, failing):
    found = lifecycle.pair_failures(REQUEST, offer(**fields), today=TODAY, excluded=excluded)
    assert [rule for rule, _ in found] == failing
    assert all(reason.render_en() for _, reason in found)


def test_the_lifecycle_imports_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, matcher.domain.lifecycle; "
        "print(any(m.split('.')[0] in ('flask', 'sqlalchemy') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
