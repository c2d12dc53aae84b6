"""The periodic jobs, run once by `flask --app wsgi jobs` (from cron, every few minutes). Idempotent.

In order: expire holds past their expiry; remind whoever has not answered a proposal after MATCH_REMINDER_HOURS
(once per match); ask hosts whose offers were not confirmed for OFFER_FRESHNESS_DAYS whether they still are
available (once per staleness period, with a signed link); pause offers whose host did not answer within
OFFER_PAUSE_GRACE_DAYS more; alert case owners about cases unchanged for CASE_STALLED_DAYS (once per stall);
send the safeguarding check-ins that fell due after move-ins, and alert case owners about those left unanswered
for CHECKIN_ANSWER_DAYS (once each); anonymise closed cases older than RETENTION_MONTHS; and finally mail every
due message in the outbox. Paused matches (an open concern) are neither expired nor reminded. Each item is its
own transaction: one failure is logged and counted, and the others go ahead. What was done is remembered in the
database (match states, Notification and CheckIn rows), so a second run right after the first does nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select

from matcher.domain import lifecycle
from matcher.domain.lifecycle import Actor
from matcher.domain.lifecycle_states import PENDING_STATES
from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.extensions import db
from matcher.models import HousingRequest, Match, Notification, Offer, User, utcnow
from matcher.services import audit, checkins, links, matches, notifications, privacy
from matcher.services.locking import lock_match_for_update, lock_offer_for_update, lock_request_for_update

log = logging.getLogger(__name__)

REMINDER = "match.reminder"
FRESHNESS = "offer.freshness"
PAUSED = "offer.paused"
STALLED = "case.stalled"
STALLED_STATES = (RequestStatus.OPEN, RequestStatus.MATCHED)


@dataclass
class JobReport:
    """What one run did."""

    expired: int = 0
    reminders: int = 0
    freshness_asked: int = 0
    paused: int = 0
    stalled: int = 0
    checkins_sent: int = 0
    checkins_alerted: int = 0
    anonymised: int = 0
    mailed: int = 0
    mail_failed: int = 0
    errors: int = 0

    def summary(self) -> str:
        """One line for cron's mail or log."""
        line = (
            f"jobs: expired {self.expired} holds, sent {self.reminders} reminders, "
            f"asked {self.freshness_asked} hosts to confirm offers, paused {self.paused} offers, "
            f"alerted owners of {self.stalled} stalled cases, sent check-ins for {self.checkins_sent} stays, "
            f"alerted owners about {self.checkins_alerted} unanswered check-ins, "
            f"anonymised {self.anonymised} closed cases, mailed {self.mailed} messages "
            f"({self.mail_failed} failed)"
        )
        return line + (f", {self.errors} errors (see the log)" if self.errors else "")


def _days(name: str, default: int) -> timedelta:
    return timedelta(days=int(current_app.config.get(name, default)))


def _each(ids: Iterable[int], step: Callable[[int], bool], what: str) -> tuple[int, int]:
    """Run one transaction per id; returns (done, errors)."""
    done = errors = 0
    for item_id in list(ids):
        try:
            done += bool(step(item_id))
            db.session.commit()
        except Exception:
            db.session.rollback()
            errors += 1
            log.exception("jobs: %s %s failed", what, item_id)
    return done, errors


def expire_holds(now: datetime) -> tuple[int, int]:
    """Expire every pending match past its hold; the beds are freed and everyone told."""
    done = errors = 0
    for match_id in matches.expired_hold_ids(now):
        try:
            done += matches.expire(match_id, now=now)
        except Exception:
            errors += 1
            log.exception("jobs: expiring match %s failed", match_id)
    return done, errors


def _reminded():
    return select(Notification.match_id).where(Notification.kind == REMINDER, Notification.match_id.is_not(None))


def send_reminders(now: datetime) -> tuple[int, int]:
    """Remind whoever has not answered a proposal waiting longer than MATCH_REMINDER_HOURS; once per match."""
    cutoff = now - timedelta(hours=int(current_app.config.get("MATCH_REMINDER_HOURS", 24)))
    ids = db.session.scalars(
        select(Match.id).where(
            Match.status.in_(PENDING_STATES),
            Match.created_at <= cutoff,
            Match.hold_expires_at > now,
            Match.paused_at.is_(None),
            Match.id.not_in(_reminded()),
        )
    ).all()

    def remind(match_id: int) -> bool:
        match = lock_match_for_update(match_id)
        already = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.kind == REMINDER, Notification.match_id == match_id)
        )
        if match is None or match.status not in PENDING_STATES or already or match.paused_at is not None:
            return False
        people = notifications.parties(match)
        for party in lifecycle.waiting_for(match.status):
            user = people[party]
            if user.email:
                token = links.issue(user, links.PURPOSE_ANSWER, match=match, now=now)
                link = notifications.site_path("consent.link", token=token)
            else:
                link = notifications.site_path("consent.match_page", match_id=match.id)
            notifications.queue(
                user, REMINDER, party=party, link=link, match=match, offer=match.offer, request=match.request, now=now
            )
        return True

    return _each(ids, remind, "reminding about match")


def _asked_since_confirmed(before: datetime | None = None):
    """An offer.freshness message to this offer sent after its last confirmation (and before ``before``)."""
    condition = (
        (Notification.kind == FRESHNESS)
        & (Notification.offer_id == Offer.id)
        & (Notification.created_at >= Offer.last_confirmed_at)
    )
    if before is not None:
        condition &= Notification.created_at <= before
    return exists().where(condition)


def ask_offer_freshness(now: datetime) -> tuple[int, int]:
    """Ask each host whose active offer went unconfirmed for OFFER_FRESHNESS_DAYS; once per staleness period."""
    cutoff = now - _days("OFFER_FRESHNESS_DAYS", 14)
    ids = db.session.scalars(
        select(Offer.id).where(
            Offer.status == OfferStatus.ACTIVE, Offer.last_confirmed_at <= cutoff, ~_asked_since_confirmed()
        )
    ).all()

    def ask(offer_id: int) -> bool:
        offer = lock_offer_for_update(offer_id)
        if offer is None or offer.status != OfferStatus.ACTIVE or offer.last_confirmed_at > cutoff:
            return False
        if db.session.scalar(select(_asked_since_confirmed()).where(Offer.id == offer.id)):
            return False
        token = links.issue(offer.host, links.PURPOSE_CONFIRM_OFFER, offer=offer, now=now)
        notifications.queue(
            offer.host,
            FRESHNESS,
            party=Actor.HOST,
            link=notifications.site_path("consent.link", token=token),
            offer=offer,
            now=now,
            grace_days=int(current_app.config.get("OFFER_PAUSE_GRACE_DAYS", 7)),
        )
        return True

    return _each(ids, ask, "asking about offer")


def pause_unanswered_offers(now: datetime) -> tuple[int, int]:
    """Pause active offers whose host left the freshness question unanswered for OFFER_PAUSE_GRACE_DAYS."""
    asked_before = now - _days("OFFER_PAUSE_GRACE_DAYS", 7)
    ids = db.session.scalars(
        select(Offer.id).where(Offer.status == OfferStatus.ACTIVE, _asked_since_confirmed(asked_before))
    ).all()

    def pause(offer_id: int) -> bool:
        offer = lock_offer_for_update(offer_id)
        if offer is None or offer.status != OfferStatus.ACTIVE:
            return False
        if not db.session.scalar(select(_asked_since_confirmed(asked_before)).where(Offer.id == offer.id)):
            return False
        offer.status = OfferStatus.PAUSED
        audit.record("offer.paused", "offer", offer.id, reason="no answer to the still-available question", via="jobs")
        notifications.queue(
            offer.host,
            PAUSED,
            party=Actor.HOST,
            link=notifications.site_path("main.dashboard"),
            offer=offer,
            now=now,
        )
        return True

    return _each(ids, pause, "pausing offer")


def _last_activity(request: HousingRequest) -> datetime:
    latest_match = db.session.scalar(select(func.max(Match.updated_at)).where(Match.request_id == request.id))
    return max(filter(None, (request.updated_at, request.created_at, latest_match)))


def alert_stalled_cases(now: datetime) -> tuple[int, int]:
    """Tell each case owner about their open or matched cases unchanged for CASE_STALLED_DAYS; once per stall."""
    cutoff = now - _days("CASE_STALLED_DAYS", 5)
    recent_match = exists().where((Match.request_id == HousingRequest.id) & (Match.updated_at > cutoff))
    ids = db.session.scalars(
        select(HousingRequest.id).where(
            HousingRequest.status.in_(STALLED_STATES),
            HousingRequest.owner_id.is_not(None),
            HousingRequest.updated_at <= cutoff,
            ~recent_match,
        )
    ).all()

    def alert(request_id: int) -> bool:
        request = lock_request_for_update(request_id)
        if request is None or request.status not in STALLED_STATES or request.owner_id is None:
            return False
        last = _last_activity(request)
        if last > cutoff:
            return False
        alerted = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.kind == STALLED, Notification.request_id == request.id, Notification.created_at >= last
            )
        )
        owner = db.session.get(User, request.owner_id)
        if alerted or owner is None or not owner.active:
            return False
        days = (now - last).days
        notifications.queue(
            owner,
            STALLED,
            party=Actor.COORDINATOR,
            link=notifications.site_path("coordinator.case_page", request_id=request.id),
            request=request,
            now=now,
            subject_params={"days": days},
            days=days,
        )
        return True

    return _each(ids, alert, "alerting about case")


def send_checkins(now: datetime) -> tuple[int, int]:
    """Send each moved-in household's due check-in to both sides; once per person and check-in."""
    return _each(checkins.due_match_ids(now), lambda match_id: checkins.ask(match_id, now), "check-in for match")


def alert_unanswered_checkins(now: datetime) -> tuple[int, int]:
    """Alert the case owner about each check-in left unanswered past its answer-by time; once each."""
    return _each(
        checkins.unanswered_ids(now), lambda checkin_id: checkins.alert_unanswered(checkin_id, now), "check-in"
    )


def anonymise_old_cases(now: datetime) -> tuple[int, int]:
    """Anonymise closed cases whose last change is older than RETENTION_MONTHS."""
    return _each(
        privacy.expired_case_ids(now), lambda request_id: privacy.anonymise_case(request_id, now), "anonymising case"
    )


def run(now: datetime | None = None, *, send_mail: bool = True) -> JobReport:
    """Run every job once, in order, and report what was done."""
    now = now or utcnow()
    report = JobReport()
    for field, job in (
        ("expired", expire_holds),
        ("reminders", send_reminders),
        ("freshness_asked", ask_offer_freshness),
        ("paused", pause_unanswered_offers),
        ("stalled", alert_stalled_cases),
        ("checkins_sent", send_checkins),
        ("checkins_alerted", alert_unanswered_checkins),
        ("anonymised", anonymise_old_cases),
    ):
        done, errors = job(now)
        setattr(report, field, done)
        report.errors += errors
    if send_mail:
        mail = notifications.send_due(now=now)
        report.mailed, report.mail_failed = mail.sent, mail.failed
    return report
