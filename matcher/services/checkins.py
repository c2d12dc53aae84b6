"""Check-ins after a move-in: "are you safe, and is this working?", to the host and to the guest.

The jobs send one on day 3, one in week 2 and one a few days before the planned end of the stay (see
matcher.domain.safeguarding.checkin_schedule), each as a signed link (people with email) and in the app. A "no"
alerts the case owner at once; no answer within CHECKIN_ANSWER_DAYS alerts them too, once. Each step is one
transaction; what was sent, answered and alerted is on the CheckIn rows, so running the jobs twice does nothing new.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from matcher.domain import safeguarding as rules
from matcher.domain.lifecycle import Actor
from matcher.domain.lifecycle_states import MatchStatus
from matcher.extensions import db
from matcher.models import CheckIn, Match, User, utcnow
from matcher.services import audit, links, notifications
from matcher.services.errors import Conflict, NotFound
from matcher.services.locking import begin_write, lock_match_for_update

ASK = "checkin.ask"
ALERT = "checkin.alert"


def answer_days() -> timedelta:
    return timedelta(days=int(current_app.config.get("CHECKIN_ANSWER_DAYS", 3)))


def planned_end(match: Match) -> date | None:
    """The planned last day of the stay: the household's duration from the move-in, or the offer's end if sooner."""
    if match.moved_in_at is None:
        return None
    end = match.moved_in_at.date() + timedelta(days=match.request.duration_days)
    until = match.offer.available_until
    return min(end, until) if until is not None else end


def due_match_ids(now: datetime) -> list[int]:
    """Matches whose household lives with the host now (the check-ins are decided per match)."""
    stmt = select(Match.id).where(Match.status == MatchStatus.MOVED_IN, Match.moved_in_at.is_not(None))
    return list(db.session.scalars(stmt.order_by(Match.id)))


def ask(match_id: int, now: datetime) -> bool:
    """Send the check-in that is due today for this match to both sides, unless already sent (caller commits)."""
    match = lock_match_for_update(match_id)
    if match is None or match.status != MatchStatus.MOVED_IN or match.moved_in_at is None:
        return False
    kind = rules.checkin_due(match.moved_in_at.date(), planned_end(match), now.date())
    if kind is None:
        return False
    sent = False
    for party, user in ((Actor.HOST, match.offer.host), (Actor.GUEST, match.request.refugee)):
        if not user.active or user.deleted_at is not None:
            continue
        exists = db.session.scalar(
            select(CheckIn.id).where(CheckIn.match_id == match.id, CheckIn.user_id == user.id, CheckIn.kind == kind)
        )
        if exists:
            continue
        checkin = CheckIn(
            match_id=match.id, user_id=user.id, party=party.value, kind=kind, sent_at=now, answer_by=now + answer_days()
        )
        db.session.add(checkin)
        db.session.flush()
        if user.email:
            token = links.issue(user, links.PURPOSE_CHECKIN, match=match, checkin=checkin, now=now)
            link = notifications.site_path("consent.link", token=token)
        else:
            link = notifications.site_path("consent.match_page", match_id=match.id)
        notifications.queue(user, ASK, party=party, link=link, match=match, offer=match.offer, now=now)
        sent = True
    return sent


def _alert(checkin: CheckIn, match: Match, now: datetime, *, no_answer: bool) -> None:
    checkin.alerted_at = now
    audit.record(
        "checkin.alerted",
        "match",
        match.id,
        checkin_id=checkin.id,
        kind=checkin.kind.value,
        party=checkin.party,
        why="no_answer" if no_answer else "answered_no",
    )
    owner = notifications.coordinator_of(match)
    if owner is None or not owner.active:
        return
    notifications.queue(
        owner,
        ALERT,
        party=Actor.COORDINATOR,
        link=notifications.site_path("coordinator.case_page", request_id=match.request_id),
        match=match,
        request=match.request,
        now=now,
        subject_params={"id": match.request_id},
        checkin=checkin,
        no_answer=no_answer,
    )


def unanswered_ids(now: datetime) -> list[int]:
    """Check-ins left without an answer past their answer-by time whose owner was not alerted yet."""
    stmt = select(CheckIn.id).where(
        CheckIn.answered_at.is_(None), CheckIn.alerted_at.is_(None), CheckIn.answer_by <= now
    )
    return list(db.session.scalars(stmt.order_by(CheckIn.id)))


def _lock_checkin(checkin_id: int) -> tuple[CheckIn | None, Match | None]:
    begin_write()
    match_id = db.session.scalar(select(CheckIn.match_id).where(CheckIn.id == checkin_id))
    if match_id is None:
        return None, None
    match = lock_match_for_update(match_id)
    checkin = db.session.scalar(
        select(CheckIn).where(CheckIn.id == checkin_id).with_for_update().execution_options(populate_existing=True)
    )
    return checkin, match


def alert_unanswered(checkin_id: int, now: datetime) -> bool:
    """Alert the case owner about one check-in nobody answered in time (caller commits)."""
    checkin, match = _lock_checkin(checkin_id)
    if checkin is None or checkin.answered_at is not None or checkin.alerted_at is not None:
        return False
    if checkin.answer_by > now:
        return False
    _alert(checkin, match, now, no_answer=True)
    return True


def _answer(user: User, checkin_id: int, ok: bool, now: datetime, via: str, link=None) -> CheckIn:
    checkin, match = _lock_checkin(checkin_id)
    if checkin is None or checkin.user_id != user.id:
        raise NotFound(_l("There is no such check-in for you."))
    if link is not None:
        links.consume(link, now=now)
    if checkin.answered_at is not None:
        raise Conflict(_l("You have already answered this check-in. Thank you."))
    checkin.answered_at = max(now, checkin.sent_at)
    checkin.ok = bool(ok)
    audit.record(
        "checkin.answered",
        "match",
        match.id,
        actor=user,
        checkin_id=checkin.id,
        kind=checkin.kind.value,
        party=checkin.party,
        ok=bool(ok),
        via=via,
    )
    if not ok and checkin.alerted_at is None:
        _alert(checkin, match, now, no_answer=False)
    return checkin


def answer(user: User, checkin_id: int, ok: bool, *, now: datetime | None = None) -> CheckIn:
    """The host or guest answers a check-in in the app; a "no" alerts the case owner. One commit."""
    now = now or utcnow()
    try:
        checkin = _answer(user, checkin_id, ok, now, "web")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return checkin


def answer_by_link(token: str, ok: bool, *, now: datetime | None = None) -> CheckIn:
    """Answer a check-in through its signed link, without logging in; the link is used up. One commit."""
    now = now or utcnow()
    try:
        begin_write()
        link = links.resolve(token, now=now)
        if link.purpose != links.PURPOSE_CHECKIN or link.checkin_id is None:
            raise links.LinkInvalid(links.invalid_message())
        checkin = _answer(link.user, link.checkin_id, ok, now, "signed_link", link=link)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return checkin


def pending_for(user: User, match_id: int) -> list[CheckIn]:
    """This person's unanswered check-ins for this match, oldest first."""
    stmt = select(CheckIn).where(
        CheckIn.match_id == match_id, CheckIn.user_id == user.id, CheckIn.answered_at.is_(None)
    )
    return list(db.session.scalars(stmt.order_by(CheckIn.id)))


def get_for_link(checkin_id: int) -> CheckIn:
    checkin = db.session.get(CheckIn, checkin_id)
    if checkin is None:
        raise NotFound(_l("There is no such check-in for you."))
    return checkin
