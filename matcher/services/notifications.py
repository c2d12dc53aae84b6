"""Telling people what happened, in their language: a transactional outbox, mailed by the jobs.

``queue`` renders a message in the recipient's language (User.locale, with flask_babel.force_locale) from
templates/mail/<kind>.txt and adds a Notification row to the caller's transaction, so a message exists exactly
when the change it reports was committed. ``send_due`` (run by the jobs) mails the unsent ones over SMTP. People
without an email address see their messages in the app (``notifications_for``). Message bodies carry a link to
the site, never contact details or addresses: those are shown, and their reveal audited, only on the site.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from matcher.domain import lifecycle
from matcher.domain.lifecycle import Actor, Transition
from matcher.domain.vocabulary import PLACE_KIND_LABELS
from matcher.extensions import db
from matcher.models import HousingRequest, Match, Notification, Offer, User, utcnow
from matcher.services import links

log = logging.getLogger(__name__)

ERROR_MAX = 500  # characters of an SMTP error kept on the row

# Subjects by (kind, recipient's part); (kind, None) serves every recipient.
SUBJECTS = {
    ("match.proposed", Actor.HOST): _l("A household is proposed for your place"),
    ("match.proposed", Actor.GUEST): _l("A place is proposed for your household"),
    ("match.host_accepted", None): _l("The host accepted the proposal"),
    ("match.guest_accepted", None): _l("The household accepted the proposal"),
    ("match.confirmed", None): _l("Confirmed: both sides said yes"),
    ("match.declined", None): _l("The proposal will not go ahead"),
    ("match.expired", None): _l("The proposal expired without both answers"),
    ("match.cancelled", None): _l("The proposal was cancelled"),
    ("match.moved_in", None): _l("The move-in is recorded"),
    ("match.ended", None): _l("The stay has ended"),
    ("match.broken_down", None): _l("The stay has ended early"),
    ("match.reminder", None): _l("Reminder: a proposal is waiting for your answer"),
    ("offer.freshness", None): _l("Is your place still available?"),
    ("offer.paused", None): _l("Your offer is paused"),
    ("case.stalled", None): _l("A case has not moved for %(days)s days"),
    ("checkin.ask", None): _l("Are you safe, and is the stay working?"),
    ("checkin.alert", None): _l("A check-in on case %(id)s needs your attention"),
    ("concern.reported", None): _l("A concern was reported on case %(id)s"),
    ("account.invited", None): _l("You are invited to matcher: set your password"),
}
KINDS = frozenset(kind for kind, _ in SUBJECTS)


def site_path(endpoint: str, **values) -> str | None:
    """The path of a page on this site, built without a request (jobs run from cron); None if not mounted."""
    base = urlsplit(current_app.config.get("APP_BASE_URL", "http://127.0.0.1:5000"))
    adapter = current_app.url_map.bind(base.netloc or "localhost", script_name=base.path or "/")
    try:
        return adapter.build(endpoint, values)
    except BuildError:
        return None


def absolute_url(path: str | None) -> str | None:
    """APP_BASE_URL's scheme and host in front of a site path (which already carries the base's own path)."""
    if not path:
        return None
    base = urlsplit(current_app.config.get("APP_BASE_URL", "http://127.0.0.1:5000"))
    return f"{base.scheme or 'http'}://{base.netloc}{path}"


def _tidy(text: str) -> str:
    """Plain text as mail wants it: no trailing spaces, at most one empty line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _subject(kind: str, party: Actor | None, params: dict) -> str:
    template = str(SUBJECTS.get((kind, party)) or SUBJECTS[(kind, None)])
    return template % params if params else template


def queue(
    user: User,
    kind: str,
    *,
    party: Actor | None = None,
    link: str | None = None,
    match: Match | None = None,
    offer: Offer | None = None,
    request: HousingRequest | None = None,
    now: datetime | None = None,
    subject_params: dict | None = None,
    **context,
) -> Notification:
    """Render a message in the recipient's language and add it to the current transaction (caller commits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    with force_locale(user.locale or "en"):
        subject = _subject(kind, party, subject_params or {})
        body = render_template(
            f"mail/{kind.replace('.', '_')}.txt",
            recipient=user,
            party=party.value if party else None,
            match=match,
            offer=offer,
            request=request,
            link_url=absolute_url(link),
            format_date=format_date,
            format_datetime=format_datetime,
            place_kinds=PLACE_KIND_LABELS,
            **context,
        )
    body = _tidy(body)
    notification = Notification(
        user_id=user.id,
        kind=kind,
        subject=subject[:200],
        body=body,
        link=link,
        match_id=match.id if match is not None else None,
        offer_id=offer.id if offer is not None else None,
        request_id=request.id if request is not None else None,
        created_at=now or utcnow(),
    )
    db.session.add(notification)
    return notification


def coordinator_of(match: Match) -> User | None:
    """The match's coordinator: the case owner, else whoever proposed it."""
    owner_id = match.request.owner_id or match.proposed_by_id
    return db.session.get(User, owner_id) if owner_id is not None else None


def parties(match: Match) -> dict[Actor, User]:
    """The people concerned by a match: its host, its guest and its coordinator (the case owner, else the proposer)."""
    people = {Actor.HOST: match.offer.host, Actor.GUEST: match.request.refugee}
    coordinator = coordinator_of(match)
    if coordinator is not None:
        people[Actor.COORDINATOR] = coordinator
    return people


def _link_for(party: Actor, user: User, match: Match, transition: Transition, now: datetime) -> str | None:
    if party == Actor.COORDINATOR:
        return site_path("coordinator.case_page", request_id=match.request_id)
    needs_answer = party in lifecycle.waiting_for(transition.target)
    if needs_answer and user.email:
        return site_path("consent.link", token=links.issue(user, links.PURPOSE_ANSWER, match=match, now=now))
    return site_path("consent.match_page", match_id=match.id)


def notify_transition(
    match: Match, transition: Transition, actor_user: User | None, *, now: datetime
) -> list[Notification]:
    """Queue a message to each person concerned by this transition, except whoever caused it."""
    kind = f"match.{transition.target.value}"
    sent_to: set[int] = set()
    queued = []
    for party, user in parties(match).items():
        if party not in lifecycle.NOTIFY.get(transition.target, ()):
            continue
        if user.id in sent_to or (actor_user is not None and user.id == actor_user.id) or not user.active:
            continue
        sent_to.add(user.id)
        queued.append(
            queue(
                user,
                kind,
                party=party,
                link=_link_for(party, user, match, transition, now),
                match=match,
                offer=match.offer,
                request=match.request,
                now=now,
                transition=transition,
                reason_label=_reason_label(transition),
            )
        )
    return queued


def _reason_label(transition: Transition) -> str | None:
    if transition.reason_code is None:
        return None
    label = lifecycle.reasons_for(transition.event).get(transition.reason_code)
    return label  # an English msgid; the templates translate it with _()


def notifications_for(user: User, *, limit: int = 50, unread_only: bool = False) -> list[Notification]:
    """A person's messages, newest first: what phone-only guests read in the app."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(user: User, notification_ids: list[int] | None = None, *, now: datetime | None = None) -> int:
    """Mark some (or all) of a person's messages read; returns how many changed. One commit."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        stmt = stmt.where(Notification.id.in_(notification_ids))
    count = db.session.execute(stmt.values(read_at=now or utcnow())).rowcount
    db.session.commit()
    return count


def outbox(*, limit: int = 200) -> list[Notification]:
    """The newest messages to everyone, with their delivery state, for the admins' outbox page."""
    stmt = select(Notification).options(selectinload(Notification.user))
    return list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


@dataclass(frozen=True)
class MailReport:
    sent: int = 0
    failed: int = 0


def _due_ids(limit: int) -> list[int]:
    max_attempts = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 5))
    stmt = (
        select(Notification.id)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.sent_at.is_(None),
            Notification.attempts < max_attempts,
            User.email.is_not(None),
            User.active,
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _claim(notification_id: int) -> Notification | None:
    """Count an attempt before sending, in its own commit; None if another run got there first."""
    row = db.session.get(Notification, notification_id, populate_existing=True)
    if row is None or row.sent_at is not None:
        db.session.rollback()
        return None
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == row.id, Notification.attempts == row.attempts, Notification.sent_at.is_(None))
        .values(attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return db.session.get(Notification, notification_id, populate_existing=True) if claimed == 1 else None


def _record_failure(notification: Notification, error: Exception) -> None:
    notification.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    db.session.commit()
    log.warning("mail to user %s failed: %s", notification.user_id, notification.last_error)


def _message(notification: Notification) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = notification.user.email
    message["Date"] = rfc2822_date(utcnow())
    message["Message-ID"] = make_msgid(domain=config["MAIL_DEFAULT_SENDER"].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notification.body)
    return message


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config.get("MAIL_TIMEOUT_S", 10))
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except Exception:
        smtp.close()
        raise
    return smtp


def send_due(*, now: datetime | None = None, limit: int = 500) -> MailReport:
    """Mail unsent messages to people with an email address; a failure is recorded and retried next run."""
    ids = _due_ids(limit)
    db.session.rollback()  # end the read transaction before the per-message commits
    if not ids:
        return MailReport()
    sent = failed = 0
    try:
        smtp = _connect()
    except OSError as error:  # smtplib.SMTPException is an OSError too
        for notification_id in ids:
            row = _claim(notification_id)
            if row is not None:
                _record_failure(row, error)
                failed += 1
        return MailReport(sent, failed)
    try:
        for notification_id in ids:
            row = _claim(notification_id)
            if row is None:
                continue
            try:
                smtp.send_message(_message(row))
            except OSError as error:
                _record_failure(row, error)
                failed += 1
                lost = isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(error, smtplib.SMTPException)
                if lost:
                    break  # the connection is gone: the rest wait for the next run
                continue
            row.sent_at = now or utcnow()
            row.last_error = None
            db.session.commit()
            sent += 1
    finally:
        try:
            smtp.quit()
        except OSError:
            smtp.close()
    return MailReport(sent, failed)


def unsent_count() -> int:
    """Messages still waiting to be mailed (people with email, attempts left)."""
    return len(_due_ids(10_000))
