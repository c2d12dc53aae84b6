"""The life of a match, as use cases: propose, answer, cancel, move in, end, break down, expire; and the pages.

Each public function that changes something is one transaction: it locks what it decides on (see
matcher.services.locking), applies the domain's transition table (matcher.domain.lifecycle.apply), stamps the
match, writes the audit event, updates the request's status, queues the notifications, and commits once. Any
refusal or error rolls everything back.

Contact reveals: every time a host or guest opens a confirmed match's page, the counterpart's contact details
(and, for the guest, the exact address) are shown and one "contact.revealed" audit event is written per view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from matcher.domain import lifecycle
from matcher.domain.lifecycle import Actor, Event, Transition, TransitionRefused
from matcher.domain.lifecycle_states import HOLDING_STATES, MatchStatus
from matcher.domain.vocabulary import RequestStatus
from matcher.extensions import db
from matcher.models import HousingRequest, Match, Offer, Role, User, utcnow
from matcher.services import audit, links, notifications, safeguarding
from matcher.services.errors import Conflict, NotFound, ServiceError
from matcher.services.locking import (
    begin_write,
    in_one_transaction,
    lock_match_for_update,
    lock_offer_for_update,
    lock_request_for_update,
)
from matcher.services.reasons import render_reason

__all__ = [
    "HoldExpired",
    "MatchPage",
    "accept",
    "answer_by_link",
    "cancel",
    "decline",
    "excluded_offer_ids",
    "expire",
    "expired_hold_ids",
    "lock_offer_for_update",
    "matches_for",
    "page_for",
    "party_of",
    "propose",
    "record_breakdown",
    "record_end",
    "record_move_in",
]

STATE_LABELS = {
    MatchStatus.PROPOSED: _l("proposed"),
    MatchStatus.HOST_ACCEPTED: _l("accepted by the host"),
    MatchStatus.GUEST_ACCEPTED: _l("accepted by the household"),
    MatchStatus.CONFIRMED: _l("confirmed"),
    MatchStatus.MOVED_IN: _l("moved in"),
    MatchStatus.ENDED: _l("ended"),
    MatchStatus.DECLINED: _l("declined"),
    MatchStatus.EXPIRED: _l("expired"),
    MatchStatus.CANCELLED: _l("cancelled"),
    MatchStatus.BROKEN_DOWN: _l("broken down"),
}
_REASON_FIELDS = {"reason": "reason_code", "reason_text": "reason_text"}


class HoldExpired(Conflict):
    """The proposal's hold ran out before this answer; the match is (now) expired."""


def _no_such_match():
    return NotFound(_l("There is no such proposal for you."))


def _refusal(error: TransitionRefused) -> ServiceError:
    from matcher.domain import safeguarding as rules

    params = {}
    for name, value in error.params.items():
        if isinstance(value, MatchStatus):
            params[name] = STATE_LABELS[value]
        elif isinstance(value, Event):
            params[name] = _l(lifecycle.EVENT_LABELS[value])
        elif name == "checks":
            params[name] = ", ".join(gettext(rules.CHECK_LABELS[kind]) for kind in value)
        elif name == "risk":
            params[name] = "; ".join(gettext(label) for label in rules.risk_labels(value))
        else:
            params[name] = value
    message = _l(error.message, **params)
    if error.code in _REASON_FIELDS:
        return ServiceError(message, _REASON_FIELDS[error.code])
    return Conflict(message)


def _apply(source, event, actor, **reason_and_gates) -> Transition:
    try:
        return lifecycle.apply(source, event, actor, **reason_and_gates)
    except TransitionRefused as error:
        raise _refusal(error) from None


def party_of(user: User | None, match: Match) -> Actor | None:
    """The user's part in this match: its host, its guest, a coordinator (staff), or None."""
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    if match.offer.host_id == user.id:
        return Actor.HOST
    if match.request.refugee_id == user.id:
        return Actor.GUEST
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return Actor.COORDINATOR
    return None


def _role_actor(user: User) -> Actor | None:
    return {Role.COORDINATOR: Actor.COORDINATOR, Role.ADMIN: Actor.COORDINATOR, Role.HOST: Actor.HOST}.get(
        user.role, Actor.GUEST
    )


# --- writing a transition ------------------------------------------------------------------------------------


def _audit_reason(transition: Transition) -> str | None:
    parts = [p for p in (transition.reason_code, transition.reason_text) if p]
    return ": ".join(parts) or None


def _stamp(match: Match, transition: Transition, now: datetime) -> None:
    match.status = transition.target
    match.updated_at = now
    if transition.event == Event.HOST_ACCEPT:
        match.host_accepted_at = now
    elif transition.event == Event.GUEST_ACCEPT:
        match.guest_accepted_at = now
    if transition.target == MatchStatus.CONFIRMED:
        match.confirmed_at = now
    elif transition.target == MatchStatus.MOVED_IN:
        match.moved_in_at = now
    elif transition.target in (MatchStatus.ENDED, MatchStatus.BROKEN_DOWN):
        match.ended_at = now
    if transition.reason_code or transition.reason_text:
        # The reason of the transition that closed the match (decline, cancellation, breakdown or end).
        match.decline_reason = transition.reason_code
        match.decline_text = transition.reason_text


def _sync_request_status(match: Match, transition: Transition, actor_user: User | None, now: datetime) -> None:
    request = match.request
    others = db.session.scalars(
        select(Match.status).where(
            Match.request_id == request.id, Match.id != match.id, Match.status.in_(HOLDING_STATES)
        )
    ).all()
    new = lifecycle.request_status_after(request.status, transition.target, others)
    if new != request.status:
        audit.record(
            "request.status_changed",
            "request",
            request.id,
            actor=actor_user,
            reason=f"match {match.id} {transition.target.value}",
            from_status=request.status.value,
            to_status=new.value,
            match_id=match.id,
        )
        request.status = new
        request.updated_at = now


def _write(match: Match, transition: Transition, actor_user: User | None, *, now: datetime, via: str) -> None:
    """Stamp, audit, update the request and queue the messages: everything a transition writes."""
    _stamp(match, transition, now)
    audit.record(
        f"match.{transition.event.value}",
        "match",
        match.id,
        actor=actor_user,
        reason=_audit_reason(transition),
        from_status=transition.source.value if transition.source else None,
        to_status=transition.target.value,
        actor_role=transition.actor.value,
        reason_code=transition.reason_code,
        via=via,
    )
    _sync_request_status(match, transition, actor_user, now)
    notifications.notify_transition(match, transition, actor_user, now=now)


# --- proposing -----------------------------------------------------------------------------------------------


def excluded_offer_ids(request_id: int) -> set[int]:
    """Offers never to propose again for this request: those whose earlier match for it was declined."""
    stmt = select(Match.offer_id).where(Match.request_id == request_id, Match.status == MatchStatus.DECLINED)
    return set(db.session.scalars(stmt))


def propose(
    coordinator: User, request_id: int, offer_id: int, *, score: float | None = None, now: datetime | None = None
) -> Match:
    """Propose an offer for a request, holding its beds; every hard rule is re-checked under a lock. One commit.

    Raises NotFound for an unknown request or offer, and Conflict when the request is not open, already has a
    match in progress, or the offer fails a hard rule, including beds taken by someone else meanwhile.
    """
    now = now or utcnow()
    return in_one_transaction(lambda: propose_in_transaction(coordinator, request_id, offer_id, score=score, now=now))


def propose_in_transaction(
    coordinator: User, request_id: int, offer_id: int, *, score: float | None, now: datetime, via: str = "web"
) -> Match:
    """Propose inside the caller's transaction: every check runs before the first write, so a refusal writes nothing."""
    from matcher.services.matching import matching_settings, offer_holds, offer_snapshot, request_profile

    transition = _apply(None, Event.PROPOSE, _role_actor(coordinator))
    request = lock_request_for_update(request_id)
    if request is None:
        raise NotFound(_l("There is no such request."))
    offer = lock_offer_for_update(offer_id)
    if offer is None:
        raise NotFound(_l("There is no such offer."))
    busy = db.session.scalar(
        select(func.count(Match.id)).where(Match.request_id == request.id, Match.status.in_(HOLDING_STATES))
    )
    if busy:
        raise Conflict(_l("This household already has a proposal or a placement in progress."))
    if request.status != RequestStatus.OPEN:
        raise Conflict(_l("This request is not open (it is %(status)s).", status=request.status.value))
    held, open_matches = offer_holds(offer.id)
    failures = lifecycle.pair_failures(
        request_profile(request),
        offer_snapshot(offer, held, open_matches),
        today=now.date(),
        settings=matching_settings(),
        excluded=offer.id in excluded_offer_ids(request.id),
    )
    if failures:
        reasons = "; ".join(render_reason(r) for _, r in failures)
        if [rule for rule, _ in failures] == ["beds"] and open_matches:
            raise Conflict(_l("Someone else took these beds meanwhile (%(reasons)s).", reasons=reasons))
        raise Conflict(_l("This offer does not fit this request: %(reasons)s.", reasons=reasons))
    hours = int(current_app.config.get("MATCH_HOLD_HOURS", lifecycle.DEFAULT_HOLD_HOURS))
    match = Match(
        request=request,
        offer=offer,
        status=MatchStatus.PROPOSED,
        beds_held=request.household_size,
        score=score,
        hold_expires_at=lifecycle.hold_expiry(now, hours),
        proposed_by_id=coordinator.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(match)
    db.session.flush()
    _write(match, transition, coordinator, now=now, via=via)
    return match


# --- answering -----------------------------------------------------------------------------------------------


def _answer_event(party: Actor, accept: bool) -> Event:
    if party == Actor.HOST:
        return Event.HOST_ACCEPT if accept else Event.HOST_DECLINE
    return Event.GUEST_ACCEPT if accept else Event.GUEST_DECLINE


def _expired_message(match: Match):
    when = format_datetime(match.hold_expires_at, "short") if match.hold_expires_at else ""
    return _l("This proposal expired on %(when)s, so the beds were released. Nothing was accepted.", when=when)


def _answer(
    user: User,
    match_id: int,
    accept: bool,
    *,
    on_behalf_of: Actor | None,
    reason_code: str | None,
    reason_text: str | None,
    now: datetime,
    via: str,
    link=None,
) -> Match:
    expired: list[Match] = []

    def work() -> Match:
        match = lock_match_for_update(match_id)
        if match is None:
            raise _no_such_match()
        actor = party_of(user, match)
        if actor is None:
            raise _no_such_match()
        if actor == Actor.COORDINATOR:
            if on_behalf_of not in (Actor.HOST, Actor.GUEST):
                raise ServiceError(_l("Say whose answer you are recording: the host's or the household's."))
            answering = on_behalf_of
        else:
            answering = actor
        if link is not None:
            links.consume(link, now=now)
        if match.status == MatchStatus.EXPIRED:
            raise HoldExpired(_expired_message(match))
        paused = match.paused_at is not None
        if lifecycle.hold_has_expired(match.status, match.hold_expires_at, now, paused=paused):
            # Expire it now, as the jobs would have, and say so: the refusal commits the expiry.
            _write(match, _apply(match.status, Event.EXPIRE, Actor.SYSTEM), None, now=now, via="on_answer")
            expired.append(match)
            return match
        event = _answer_event(answering, accept)
        # Safeguarding gates: a paused proposal cannot be accepted, and the acceptance that would confirm is refused
        # (nothing stored, the link stays usable) while the host is unverified or a second sign-off is missing.
        gates = safeguarding.gates_for(match, now.date()) if accept else None
        transition = _apply(match.status, event, actor, reason_code=reason_code, reason_text=reason_text, gates=gates)
        _write(match, transition, user, now=now, via=via)
        return match

    match = in_one_transaction(work)
    if expired:
        raise HoldExpired(_expired_message(match))
    return match


def accept(user: User, match_id: int, *, on_behalf_of: Actor | None = None, now: datetime | None = None) -> Match:
    """The host or guest (or a coordinator recording their answer) accepts; both accepted confirms. One commit."""
    return _answer(
        user,
        match_id,
        True,
        on_behalf_of=on_behalf_of,
        reason_code=None,
        reason_text=None,
        now=now or utcnow(),
        via="web",
    )


def decline(
    user: User,
    match_id: int,
    reason_code: str,
    reason_text: str | None = None,
    *,
    on_behalf_of: Actor | None = None,
    now: datetime | None = None,
) -> Match:
    """The host or guest (or a coordinator for them) declines with a reason code; the pair is remembered."""
    return _answer(
        user,
        match_id,
        False,
        on_behalf_of=on_behalf_of,
        reason_code=reason_code,
        reason_text=reason_text,
        now=now or utcnow(),
        via="web",
    )


def answer_by_link(
    token: str,
    *,
    accept: bool,
    reason_code: str | None = None,
    reason_text: str | None = None,
    now: datetime | None = None,
) -> Match:
    """Accept or decline through a signed link, without logging in; the link is used up. One commit."""
    now = now or utcnow()
    try:
        begin_write()
        link = links.resolve(token, now=now)
    except Exception:
        db.session.rollback()
        raise
    if link.purpose != links.PURPOSE_ANSWER or link.match_id is None:
        db.session.rollback()
        raise links.LinkInvalid(links.invalid_message())
    return _answer(
        link.user,
        link.match_id,
        accept,
        on_behalf_of=None,
        reason_code=reason_code,
        reason_text=reason_text,
        now=now,
        via="signed_link",
        link=link,
    )


# --- the coordinator's steps ---------------------------------------------------------------------------------


def _coordinator_step(
    user: User, match_id: int, event: Event, *, reason_code=None, reason_text=None, now: datetime | None
) -> Match:
    now = now or utcnow()

    def work() -> Match:
        match = lock_match_for_update(match_id)
        if match is None:
            raise _no_such_match()
        actor = party_of(user, match)
        if actor is None:
            raise _no_such_match()
        transition = _apply(match.status, event, actor, reason_code=reason_code, reason_text=reason_text)
        _write(match, transition, user, now=now, via="web")
        return match

    return in_one_transaction(work)


def close_in_transaction(user: User, match: Match, reason_code: str, *, now: datetime, via: str) -> bool:
    """Cancel a match before move-in, or record a breakdown after it, inside the caller's transaction (the caller
    locked the match). False when the match is already closed."""
    if match.status in lifecycle.FINAL_STATES:
        return False
    event = Event.BREAK_DOWN if match.status == MatchStatus.MOVED_IN else Event.CANCEL
    _write(match, _apply(match.status, event, Actor.COORDINATOR, reason_code=reason_code), user, now=now, via=via)
    return True


def cancel(
    coordinator: User, match_id: int, reason_code: str, reason_text: str | None = None, *, now: datetime | None = None
) -> Match:
    """A coordinator cancels a match before move-in, with a reason code; the beds are freed. One commit."""
    return _coordinator_step(
        coordinator, match_id, Event.CANCEL, reason_code=reason_code, reason_text=reason_text, now=now
    )


def record_move_in(coordinator: User, match_id: int, *, now: datetime | None = None) -> Match:
    """A coordinator records that the household moved in; the request becomes housed. One commit."""
    return _coordinator_step(coordinator, match_id, Event.MOVE_IN, now=now)


def record_end(
    coordinator: User, match_id: int, *, reason_text: str | None = None, now: datetime | None = None
) -> Match:
    """A coordinator records the end of the stay; the beds are freed and the request closed. One commit."""
    return _coordinator_step(coordinator, match_id, Event.END, reason_text=reason_text, now=now)


def record_breakdown(
    coordinator: User, match_id: int, reason_code: str, reason_text: str | None = None, *, now: datetime | None = None
) -> Match:
    """A coordinator records a stay that broke down; the beds are freed and the request reopened. One commit."""
    return _coordinator_step(
        coordinator, match_id, Event.BREAK_DOWN, reason_code=reason_code, reason_text=reason_text, now=now
    )


# --- the clock -----------------------------------------------------------------------------------------------


def expired_hold_ids(now: datetime | None = None) -> list[int]:
    """Matches still waiting for answers whose hold has run out."""
    now = now or utcnow()
    stmt = select(Match.id).where(
        Match.status.in_(lifecycle.PENDING_STATES),
        Match.hold_expires_at.is_not(None),
        Match.hold_expires_at <= now,
        Match.paused_at.is_(None),  # a concern holds it: the clock waits
    )
    return list(db.session.scalars(stmt.order_by(Match.id)))


def expire(match_id: int, *, now: datetime | None = None) -> bool:
    """Expire one match if its hold has run out (re-checked under the lock); True if it did. One commit."""
    now = now or utcnow()

    def work() -> bool:
        match = lock_match_for_update(match_id)
        paused = match is not None and match.paused_at is not None
        if match is None or not lifecycle.hold_has_expired(match.status, match.hold_expires_at, now, paused=paused):
            return False
        _write(match, _apply(match.status, Event.EXPIRE, Actor.SYSTEM), None, now=now, via="jobs")
        return True

    return in_one_transaction(work)


# --- reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """The counterpart's contact details, shown only after confirmation."""

    name: str
    phone: str | None
    email: str | None
    address: str | None = None  # the exact address: shown to the guest only


@dataclass(frozen=True)
class MatchPage:
    """What a host or guest sees of a match: the proposal, what they may do, and (once confirmed) the contact."""

    match: Match
    party: Actor
    can_answer: bool
    hold_expired: bool
    contact: Contact | None
    decline_reasons: dict[str, str]
    paused: bool = False  # an open concern holds this proposal
    gate_notes: tuple[str, ...] = ()  # what still stands between this proposal and its confirmation
    checkins: tuple = ()  # unanswered check-ins for this person (after the move-in)

    @property
    def status_text(self) -> str:
        """The match's state in the reader's language."""
        return str(STATE_LABELS[self.match.status])

    @property
    def offer(self) -> Offer:
        return self.match.offer

    @property
    def request(self) -> HousingRequest:
        return self.match.request


def _contact_of(match: Match, viewer: Actor) -> Contact:
    if viewer == Actor.HOST:
        request = match.request
        return Contact(
            name=request.contact_name,
            phone=request.phone or request.refugee.phone,
            email=request.email or request.refugee.email,
        )
    host = match.offer.host
    return Contact(name=host.name, phone=host.phone, email=host.email, address=match.offer.address)


def page_for(user: User, match_id: int, *, reveal: bool = True, now: datetime | None = None) -> MatchPage:
    """The match as its host or guest sees it; NotFound for anyone else. A shown contact is audited (one commit)."""
    now = now or utcnow()
    match = db.session.get(Match, match_id)
    party = party_of(user, match) if match is not None else None
    if party not in (Actor.HOST, Actor.GUEST):
        raise _no_such_match()
    contact = None
    if reveal and match.status in lifecycle.REVEAL_STATES:
        contact = _contact_of(match, party)
        fields = ["name", "phone", "email"] + (["address"] if party == Actor.GUEST else [])
        audit.record(
            "contact.revealed",
            "match",
            match.id,
            actor=user,
            reason="confirmed match",
            viewer=party.value,
            whose="guest" if party == Actor.HOST else "host",
            fields=fields,
        )
        db.session.commit()
    paused = match.paused_at is not None
    expired = lifecycle.hold_has_expired(match.status, match.hold_expires_at, now, paused=paused)
    event = _answer_event(party, accept=True)
    can_answer = not expired and not paused and event in lifecycle.allowed_events(match.status, party)
    reasons = dict(lifecycle.reasons_for(_answer_event(party, accept=False)))
    notes = _gate_notes(match, now) if match.status in lifecycle.PENDING_STATES and not paused else ()
    from matcher.services import checkins

    pending = tuple(checkins.pending_for(user, match.id))
    return MatchPage(match, party, can_answer, expired, contact, reasons, paused, notes, pending)


def _gate_notes(match: Match, now: datetime) -> tuple[str, ...]:
    from matcher.domain.safeguarding import CHECK_LABELS

    gates = safeguarding.gates_for(match, now.date())
    notes = []
    if gates.missing_checks:
        checks = ", ".join(gettext(CHECK_LABELS[kind]) for kind in gates.missing_checks)
        notes.append(
            gettext(
                "Before this placement can be confirmed, the coordinator must complete the host's safety checks: "
                "%(checks)s.",
                checks=checks,
            )
        )
    if gates.needs_signoff:
        notes.append(gettext("Before this placement can be confirmed, a second coordinator must sign it off."))
    return tuple(notes)


def matches_for(user: User, *, limit: int = 50) -> list[Match]:
    """A host's or guest's matches, newest first (for dashboards)."""
    stmt = (
        select(Match)
        .join(Offer, Offer.id == Match.offer_id)
        .join(HousingRequest, HousingRequest.id == Match.request_id)
        .where((Offer.host_id == user.id) | (HousingRequest.refugee_id == user.id))
        .order_by(Match.created_at.desc(), Match.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
