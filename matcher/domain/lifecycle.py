"""The life of a match: one transition table, one function that applies it, and the rules that follow from it.

Every change of a match's status goes through ``apply``. It looks the (state, event) pair up in ``TRANSITIONS``,
checks that the actor's role may cause it and that a required reason was given, and returns the transition; the
service layer then stamps the row, writes the audit event and queues the notifications. Anything not in the table
is refused with a ``TransitionRefused`` that carries a translatable message.

Pure: no Flask, no SQLAlchemy. Messages are English msgids marked with ``N_`` that the service layer translates.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from matcher.domain.geo import haversine_km
from matcher.domain.i18n import N_
from matcher.domain.lifecycle_states import HOLDING_STATES, PENDING_STATES, MatchStatus
from matcher.domain.matching import RULES, MatchingSettings, OfferPool, OfferSnapshot, Reason, RequestProfile
from matcher.domain.matching.ranking import request_view
from matcher.domain.matching.rules import rule_passes
from matcher.domain.safeguarding import Gates
from matcher.domain.vocabulary import RequestStatus

# How long a proposal holds the beds while it waits for both answers, in hours (config MATCH_HOLD_HOURS).
DEFAULT_HOLD_HOURS = 72
# Contact details and the exact address are shown to the counterpart only in these states.
REVEAL_STATES = frozenset({MatchStatus.CONFIRMED, MatchStatus.MOVED_IN})
# A match in one of these states will not change again.
FINAL_STATES = frozenset(set(MatchStatus) - HOLDING_STATES)
# The reason code that asks for a few words of free text.
OTHER = "other"
REASON_TEXT_MAX = 1000  # characters


class Actor(enum.StrEnum):
    """Who causes a transition, relative to the match: its host, its guest, a coordinator, or the clock."""

    COORDINATOR = "coordinator"
    HOST = "host"
    GUEST = "guest"
    SYSTEM = "system"


class Event(enum.StrEnum):
    PROPOSE = "propose"
    HOST_ACCEPT = "host_accept"
    HOST_DECLINE = "host_decline"
    GUEST_ACCEPT = "guest_accept"
    GUEST_DECLINE = "guest_decline"
    EXPIRE = "expire"
    CANCEL = "cancel"
    MOVE_IN = "move_in"
    END = "end"
    BREAK_DOWN = "break_down"


# Fixed reason lists (code -> English label). A code is stored; the label is translated where it is shown.
HOST_DECLINE_REASONS: Mapping[str, str] = {
    "not_available": N_("The place is no longer available"),
    "dates": N_("The dates do not suit me"),
    "household": N_("The household does not fit my place"),
    "personal": N_("Personal reasons"),
    OTHER: N_("Another reason"),
}
GUEST_DECLINE_REASONS: Mapping[str, str] = {
    "location": N_("The place is too far from where we need to be"),
    "place": N_("The place does not suit our needs"),
    "found_elsewhere": N_("We found housing elsewhere"),
    "dates": N_("The dates do not suit us"),
    "personal": N_("Personal reasons"),
    OTHER: N_("Another reason"),
}
CANCEL_REASONS: Mapping[str, str] = {
    "request_withdrawn": N_("The household no longer needs a place"),
    "offer_withdrawn": N_("The host withdrew the place"),
    "no_answer": N_("No answer from one side"),
    "safeguarding": N_("Safeguarding concern"),
    "mistake": N_("Proposed by mistake"),
    OTHER: N_("Another reason"),
}
BREAKDOWN_REASONS: Mapping[str, str] = {
    "conflict": N_("Conflict between host and guests"),
    "host_circumstances": N_("The host's circumstances changed"),
    "guest_left": N_("The guests left early"),
    "safeguarding": N_("Safeguarding concern"),
    OTHER: N_("Another reason"),
}

EVENT_LABELS: Mapping[Event, str] = {
    Event.PROPOSE: N_("propose"),
    Event.HOST_ACCEPT: N_("accept as host"),
    Event.HOST_DECLINE: N_("decline as host"),
    Event.GUEST_ACCEPT: N_("accept as guest"),
    Event.GUEST_DECLINE: N_("decline as guest"),
    Event.EXPIRE: N_("expire"),
    Event.CANCEL: N_("cancel"),
    Event.MOVE_IN: N_("record the move-in"),
    Event.END: N_("record the end of the stay"),
    Event.BREAK_DOWN: N_("record a breakdown"),
}


@dataclass(frozen=True)
class Rule:
    """One row of the table: the event moves ``source`` to ``target`` when one of ``actors`` causes it."""

    source: MatchStatus | None  # None: the match does not exist yet
    event: Event
    target: MatchStatus
    actors: frozenset[Actor]
    reasons: Mapping[str, str] | None = field(default=None, hash=False)  # a code from these is required


_ANSWER = frozenset({Actor.HOST, Actor.COORDINATOR})  # a coordinator may record an answer given by phone
_GUEST_ANSWER = frozenset({Actor.GUEST, Actor.COORDINATOR})
_STAFF = frozenset({Actor.COORDINATOR})
_CLOCK = frozenset({Actor.SYSTEM})
S = MatchStatus

# THE transition table. Both accepted means confirmed: the second acceptance moves the match straight to CONFIRMED.
TRANSITIONS: tuple[Rule, ...] = (
    Rule(None, Event.PROPOSE, S.PROPOSED, _STAFF),
    Rule(S.PROPOSED, Event.HOST_ACCEPT, S.HOST_ACCEPTED, _ANSWER),
    Rule(S.PROPOSED, Event.GUEST_ACCEPT, S.GUEST_ACCEPTED, _GUEST_ANSWER),
    Rule(S.GUEST_ACCEPTED, Event.HOST_ACCEPT, S.CONFIRMED, _ANSWER),
    Rule(S.HOST_ACCEPTED, Event.GUEST_ACCEPT, S.CONFIRMED, _GUEST_ANSWER),
    Rule(S.PROPOSED, Event.HOST_DECLINE, S.DECLINED, _ANSWER, HOST_DECLINE_REASONS),
    Rule(S.GUEST_ACCEPTED, Event.HOST_DECLINE, S.DECLINED, _ANSWER, HOST_DECLINE_REASONS),
    Rule(S.PROPOSED, Event.GUEST_DECLINE, S.DECLINED, _GUEST_ANSWER, GUEST_DECLINE_REASONS),
    Rule(S.HOST_ACCEPTED, Event.GUEST_DECLINE, S.DECLINED, _GUEST_ANSWER, GUEST_DECLINE_REASONS),
    Rule(S.PROPOSED, Event.EXPIRE, S.EXPIRED, _CLOCK),
    Rule(S.HOST_ACCEPTED, Event.EXPIRE, S.EXPIRED, _CLOCK),
    Rule(S.GUEST_ACCEPTED, Event.EXPIRE, S.EXPIRED, _CLOCK),
    Rule(S.PROPOSED, Event.CANCEL, S.CANCELLED, _STAFF, CANCEL_REASONS),
    Rule(S.HOST_ACCEPTED, Event.CANCEL, S.CANCELLED, _STAFF, CANCEL_REASONS),
    Rule(S.GUEST_ACCEPTED, Event.CANCEL, S.CANCELLED, _STAFF, CANCEL_REASONS),
    Rule(S.CONFIRMED, Event.CANCEL, S.CANCELLED, _STAFF, CANCEL_REASONS),
    Rule(S.CONFIRMED, Event.MOVE_IN, S.MOVED_IN, _STAFF),
    Rule(S.MOVED_IN, Event.END, S.ENDED, _STAFF),
    Rule(S.MOVED_IN, Event.BREAK_DOWN, S.BROKEN_DOWN, _STAFF, BREAKDOWN_REASONS),
)
TABLE: Mapping[tuple[MatchStatus | None, Event], Rule] = {(r.source, r.event): r for r in TRANSITIONS}
assert len(TABLE) == len(TRANSITIONS), "one row per (state, event)"


@dataclass(frozen=True)
class Transition:
    """A transition that ``apply`` allowed: what the service layer stamps and audits."""

    source: MatchStatus | None
    event: Event
    target: MatchStatus
    actor: Actor
    reason_code: str | None = None
    reason_text: str | None = None


def _english(value: object) -> str:
    if isinstance(value, Event):
        return EVENT_LABELS.get(value, value)
    if isinstance(value, tuple | list | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


class TransitionRefused(Exception):
    """The table refuses this change. ``code`` says why: illegal, actor, reason, reason_text, or a safeguarding
    gate: paused (an open concern holds the proposal), unverified (the host's required checks are not current)
    or signoff (a risk rule asks for a second coordinator's sign-off)."""

    def __init__(self, code: str, message: str, **params: object):
        english = {k: _english(v) for k, v in params.items()}
        super().__init__(message % english if params else message)
        self.code = code
        self.message = message
        self.params = params


def allowed_events(source: MatchStatus | None, actor: Actor) -> tuple[Event, ...]:
    """The events this actor may cause from this state, in table order (for showing buttons)."""
    return tuple(r.event for r in TRANSITIONS if r.source == source and actor in r.actors)


def apply(
    source: MatchStatus | None,
    event: Event,
    actor: Actor,
    *,
    reason_code: str | None = None,
    reason_text: str | None = None,
    gates: Gates | None = None,
) -> Transition:
    """The transition for this event from this state by this actor, or TransitionRefused; changes nothing.

    ``gates`` are safeguarding's verdict on the match: while it is paused nobody can accept it and the clock
    cannot expire it, and it cannot become confirmed while the host is unverified or a required second sign-off
    is missing. The acceptance that would confirm is then refused outright: nothing is stored, and the person
    answers again once the gate is cleared.
    """
    rule = TABLE.get((source, Event(event)))
    if rule is None:
        if source is None:
            raise TransitionRefused("illegal", N_("This match does not exist yet."))
        if source in FINAL_STATES:
            raise TransitionRefused(
                "illegal", N_("This match is closed (%(state)s): nothing more can change."), state=source
            )
        raise TransitionRefused("illegal", N_("A match that is %(state)s cannot %(event)s."), state=source, event=event)
    if Actor(actor) not in rule.actors:
        raise TransitionRefused("actor", N_("You cannot %(event)s this match."), event=event)
    text = (reason_text or "").strip() or None
    code = (reason_code or "").strip() or None
    if rule.reasons is None:
        code = None  # this step takes no reason code, only optional words
    else:
        if code not in rule.reasons:
            raise TransitionRefused("reason", N_("Choose a reason from the list."))
        if code == OTHER and not text:
            raise TransitionRefused("reason_text", N_("Say in a few words what the reason is."))
    if text is not None and len(text) > REASON_TEXT_MAX:
        raise TransitionRefused("reason_text", N_("Keep it under %(n)s characters."), n=REASON_TEXT_MAX)
    if gates is not None:
        _check_gates(rule, gates)
    return Transition(source, rule.event, rule.target, Actor(actor), code, text)


_HELD_BY_PAUSE = frozenset({Event.HOST_ACCEPT, Event.GUEST_ACCEPT, Event.EXPIRE})


def _check_gates(rule: Rule, gates: Gates) -> None:
    if gates.paused and rule.event in _HELD_BY_PAUSE:
        raise TransitionRefused(
            "paused",
            N_("This proposal is on hold while a coordinator looks into a concern. Nothing was accepted."),
        )
    if rule.target != MatchStatus.CONFIRMED:
        return
    if gates.missing_checks:
        raise TransitionRefused(
            "unverified",
            N_(
                "This match cannot be confirmed yet: the host's safety checks are not complete (missing: "
                "%(checks)s). Nothing was accepted; please answer again once the coordinator has done them."
            ),
            checks=gates.missing_checks,
        )
    if gates.needs_signoff:
        raise TransitionRefused(
            "signoff",
            N_(
                "This match needs a second coordinator's sign-off before it can be confirmed (%(risk)s). "
                "Nothing was accepted; please answer again once it is signed off."
            ),
            risk=gates.risk,
        )


def reasons_for(event: Event) -> Mapping[str, str]:
    """The fixed reason list an event asks for (empty when it needs none)."""
    for rule in TRANSITIONS:
        if rule.event == event and rule.reasons is not None:
            return rule.reasons
    return {}


def hold_expiry(now: datetime, hours: int = DEFAULT_HOLD_HOURS) -> datetime:
    """When a hold made now runs out."""
    return now + timedelta(hours=hours)


def hold_has_expired(
    status: MatchStatus, hold_expires_at: datetime | None, now: datetime, *, paused: bool = False
) -> bool:
    """True when a match still waiting for answers has passed its hold expiry; a paused match never has."""
    return not paused and status in PENDING_STATES and hold_expires_at is not None and hold_expires_at <= now


def waiting_for(status: MatchStatus) -> frozenset[Actor]:
    """Whose answer a pending match still needs."""
    return {
        MatchStatus.PROPOSED: frozenset({Actor.HOST, Actor.GUEST}),
        MatchStatus.HOST_ACCEPTED: frozenset({Actor.GUEST}),
        MatchStatus.GUEST_ACCEPTED: frozenset({Actor.HOST}),
    }.get(status, frozenset())


# Who hears about each new state (the person who caused it is left out by the service layer).
NOTIFY: Mapping[MatchStatus, frozenset[Actor]] = {
    S.PROPOSED: frozenset({Actor.HOST, Actor.GUEST}),
    S.HOST_ACCEPTED: frozenset({Actor.GUEST, Actor.COORDINATOR}),
    S.GUEST_ACCEPTED: frozenset({Actor.HOST, Actor.COORDINATOR}),
    S.CONFIRMED: frozenset({Actor.HOST, Actor.GUEST, Actor.COORDINATOR}),
    S.DECLINED: frozenset({Actor.HOST, Actor.GUEST, Actor.COORDINATOR}),
    S.EXPIRED: frozenset({Actor.HOST, Actor.GUEST, Actor.COORDINATOR}),
    S.CANCELLED: frozenset({Actor.HOST, Actor.GUEST, Actor.COORDINATOR}),
    S.MOVED_IN: frozenset({Actor.HOST, Actor.GUEST}),
    S.ENDED: frozenset({Actor.HOST, Actor.GUEST, Actor.COORDINATOR}),
    S.BROKEN_DOWN: frozenset({Actor.HOST, Actor.GUEST, Actor.COORDINATOR}),
}


def request_status_after(
    current: RequestStatus, target: MatchStatus, others: Iterable[MatchStatus] = ()
) -> RequestStatus:
    """The request's status once one of its matches reached ``target``; ``others``: its other matches' states.

    Open while nothing holds beds for it, matched while a proposal or confirmed match does, housed while moved
    in; a stay that ended closes it, and a breakdown, decline, expiry or cancellation reopens it unless another
    match still holds. A request closed by someone stays closed.
    """
    if current == RequestStatus.CLOSED:
        return RequestStatus.CLOSED
    holding = [s for s in others if s in HOLDING_STATES]
    if target in HOLDING_STATES:
        holding.append(target)
    if MatchStatus.MOVED_IN in holding:
        return RequestStatus.HOUSED
    if holding:
        return RequestStatus.MATCHED
    if target == MatchStatus.ENDED:
        return RequestStatus.CLOSED
    return RequestStatus.OPEN


def pair_failures(
    request: RequestProfile,
    offer: OfferSnapshot,
    *,
    today: date,
    settings: MatchingSettings | None = None,
    excluded: bool = False,
) -> tuple[tuple[str, Reason], ...]:
    """Every hard rule this one pair fails, as (rule id, reason), using the matching engine's own rules."""
    settings = settings or MatchingSettings()
    pool = OfferPool.from_snapshots([offer])
    at = np.arange(1)
    distance = np.atleast_1d(haversine_km(request.lat, request.lon, pool.lat, pool.lon))
    view = request_view(
        request, pool, at, distance, today=today, settings=settings, excluded=np.array([bool(excluded)])
    )
    passes = rule_passes(view)[:, 0]
    return tuple((rule.id, rule.explain(view, 0)) for rule, ok in zip(RULES, passes, strict=True) if not ok)
