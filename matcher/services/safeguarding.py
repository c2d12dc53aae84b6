"""Safeguarding: host checks and verification, the admin's required checks and risk rules, the second sign-off,
who lives at a place, and coordinators' audited reveals of a host's contact details.

The rules themselves are pure (matcher.domain.safeguarding); this module reads and writes the rows. Each public
function that changes something is one transaction and commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from matcher.domain import safeguarding as rules
from matcher.domain.lifecycle_states import HOLDING_STATES, PENDING_STATES
from matcher.domain.safeguarding import (
    CheckKind,
    CheckRecord,
    Gates,
    GuestFacts,
    HostFacts,
    HouseholdGender,
    RiskRules,
)
from matcher.extensions import db
from matcher.models import (
    Concern,
    ConcernStatus,
    HostCheck,
    HousingRequest,
    Match,
    Offer,
    Role,
    Setting,
    User,
    utcnow,
)
from matcher.services import audit
from matcher.services.errors import Conflict, NotFound, ServiceError
from matcher.services.locking import lock_match_for_update, lock_offer_for_update, lock_request_for_update

REQUIRED_CHECKS_KEY = "required_checks"
RISK_RULES_KEY = "risk_rules"
REVEAL_REASON_MAX = 500  # characters
CHECK_NOTE_MAX = 2000  # characters


# --- the admin's settings ----------------------------------------------------------------------------------------


def _stored(key: str) -> dict | None:
    row = db.session.get(Setting, key)
    return dict(row.value) if row is not None else None


def required_checks() -> tuple[CheckKind, ...]:
    """The checks a host needs to be verified: the admin's choice, else every check."""
    stored = _stored(REQUIRED_CHECKS_KEY)
    if stored is None:
        return rules.DEFAULT_REQUIRED_CHECKS
    wanted = set(stored.get("checks", ()))
    return tuple(kind for kind in CheckKind if kind.value in wanted)


def risk_rules() -> RiskRules:
    """The conditions that ask for a second sign-off: the admin's choice, else the brief's default rule."""
    stored = _stored(RISK_RULES_KEY)
    if stored is None:
        return RiskRules()
    return RiskRules(
        guest=frozenset(c for c in stored.get("guest", ()) if c in rules.GUEST_CONDITIONS),
        host=frozenset(c for c in stored.get("host", ()) if c in rules.HOST_CONDITIONS),
    )


def save_settings(admin: User, *, required: list[str], guest: list[str], host: list[str]) -> None:
    """Store the required checks and the risk rules; audited. One commit."""
    try:
        kinds = [CheckKind(value) for value in required]
        risk = RiskRules(guest=frozenset(guest), host=frozenset(host))
    except ValueError:
        raise ServiceError(_l("Choose from the lists.")) from None
    values = {
        REQUIRED_CHECKS_KEY: {"checks": [k.value for k in CheckKind if k in kinds]},
        RISK_RULES_KEY: {"guest": sorted(risk.guest), "host": sorted(risk.host)},
    }
    for key, value in values.items():
        row = db.session.get(Setting, key) or Setting(key=key, value={})
        row.value = value
        row.updated_by_id = admin.id
        row.updated_at = utcnow()
        db.session.add(row)
    audit.record("settings.safeguarding_changed", "setting", None, actor=admin, **values)
    db.session.commit()


# --- checks and verification -------------------------------------------------------------------------------------


def _records(rows) -> list[CheckRecord]:
    return [CheckRecord(r.kind, r.done_on, r.expires_on, r.unavailable) for r in rows]


def host_checks(host_id: int) -> list[HostCheck]:
    """A host's checks, newest first."""
    stmt = (
        select(HostCheck)
        .where(HostCheck.host_id == host_id)
        .order_by(HostCheck.done_on.desc(), HostCheck.id.desc())
        .options(selectinload(HostCheck.done_by))
    )
    return list(db.session.scalars(stmt))


def missing_checks(host_id: int, today: date | None = None) -> tuple[CheckKind, ...]:
    """The host's required checks that are not current today."""
    today = today or utcnow().date()
    rows = db.session.scalars(select(HostCheck).where(HostCheck.host_id == host_id)).all()
    return rules.missing_checks(_records(rows), required_checks(), today)


def verified_host_ids(today: date | None = None) -> set[int] | None:
    """The hosts whose required checks are all current; None when nothing is required (everyone is verified)."""
    today = today or utcnow().date()
    required = set(required_checks())
    if not required:
        return None
    rows = db.session.execute(
        select(HostCheck.host_id, HostCheck.kind)
        .where(
            HostCheck.done_on <= today,
            or_(HostCheck.expires_on.is_(None), HostCheck.expires_on >= today),
            HostCheck.kind.in_([k.value for k in required]),
        )
        .distinct()
    ).all()
    have: dict[int, set] = {}
    for host_id, kind in rows:
        have.setdefault(host_id, set()).add(CheckKind(kind))
    return {host_id for host_id, kinds in have.items() if kinds >= required}


def verification_columns() -> tuple:
    """What changes whenever someone's verification may have changed (with the day, which ends checks): a check
    recorded, or the required checks changed. The offer pool's cache compares them."""
    return (
        func.count(HostCheck.id),
        func.max(HostCheck.id),
        select(func.max(Setting.updated_at)).where(Setting.key == REQUIRED_CHECKS_KEY).scalar_subquery(),
    )


def _parse_date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ServiceError(_l("Enter a date as YYYY-MM-DD."), field) from None


def record_check(
    coordinator: User,
    host_id: int,
    *,
    kind: str,
    done_on: date | str | None,
    expires_on: date | str | None = None,
    note: str = "",
    unavailable: bool = False,
    today: date | None = None,
) -> HostCheck:
    """Record one check of a host; audited. One commit. Raises ServiceError on a field, NotFound for a non-host."""
    today = today or utcnow().date()
    host = db.session.get(User, host_id)
    if host is None or host.role is not Role.HOST or host.deleted_at is not None:
        raise NotFound(_l("There is no such host."))
    try:
        check_kind = CheckKind(kind)
    except ValueError:
        raise ServiceError(_l("Choose a check from the list."), "kind") from None
    done = _parse_date(done_on, "done_on")
    if done is None:
        raise ServiceError(_l("Say when the check was done."), "done_on")
    if done > today:
        raise ServiceError(_l("A check cannot be done in the future."), "done_on")
    expires = _parse_date(expires_on, "expires_on")
    if expires is not None and expires < done:
        raise ServiceError(_l("The expiry cannot be before the day the check was done."), "expires_on")
    note = (note or "").strip()
    if len(note) > CHECK_NOTE_MAX:
        raise ServiceError(_l("Keep the note under %(n)d characters.", n=CHECK_NOTE_MAX), "note")
    if unavailable and check_kind is not CheckKind.CRIMINAL_RECORD:
        raise ServiceError(_l("Only a criminal-record check can be unavailable in a country."), "unavailable")
    check = HostCheck(
        host_id=host.id,
        kind=check_kind,
        done_on=done,
        expires_on=expires,
        note=note,
        unavailable=bool(unavailable),
        done_by_id=coordinator.id,
    )
    db.session.add(check)
    db.session.flush()
    audit.record(
        "host.check_recorded",
        "user",
        host.id,
        actor=coordinator,
        check_id=check.id,
        kind=check_kind.value,
        done_on=done.isoformat(),
        expires_on=expires.isoformat() if expires else None,
        unavailable=bool(unavailable),
    )
    db.session.commit()
    return check


# --- who lives at the place, and women-only households -----------------------------------------------------------


def set_household(coordinator: User, offer_id: int, *, adults: int | None, gender: str | None) -> Offer:
    """Record who lives at an offered place (adults, and women/men/both); audited. One commit."""
    if adults is not None and not 0 <= adults <= rules.HOUSEHOLD_ADULTS_MAX:
        raise ServiceError(_l("Enter a number from 0 to %(n)d.", n=rules.HOUSEHOLD_ADULTS_MAX), "adults")
    try:
        composition = HouseholdGender(gender) if gender else None
    except ValueError:
        raise ServiceError(_l("Choose from the list."), "gender") from None
    if adults and composition is None:
        raise ServiceError(_l("Say whether the adults living there are women, men or both."), "gender")
    offer = lock_offer_for_update(offer_id)
    if offer is None:
        db.session.rollback()
        raise NotFound(_l("There is no such offer."))
    offer.household_adults = adults
    offer.household_gender = composition if adults else None
    audit.record(
        "offer.household_recorded",
        "offer",
        offer.id,
        actor=coordinator,
        adults=adults,
        gender=offer.household_gender.value if offer.household_gender else None,
    )
    db.session.commit()
    return offer


def set_women_only(coordinator: User, request_id: int, women_only: bool) -> HousingRequest:
    """Mark a household as women-only (or not), for the risk rules; audited. One commit."""
    request = lock_request_for_update(request_id)
    if request is None:
        db.session.rollback()
        raise NotFound(_l("There is no such case."))
    if request.women_only != bool(women_only):
        request.women_only = bool(women_only)
        audit.record("case.women_only_set", "request", request.id, actor=coordinator, women_only=bool(women_only))
    db.session.commit()
    return request


# --- gates on a match --------------------------------------------------------------------------------------------


def _guest_facts(request: HousingRequest) -> GuestFacts:
    return GuestFacts(
        children=request.children, women_only=request.women_only, vulnerable=bool(request.vulnerabilities)
    )


def _host_facts(offer: Offer) -> HostFacts:
    return HostFacts(adults=offer.household_adults, gender=offer.household_gender)


def risk_of(match: Match) -> tuple[str, ...]:
    """The risk conditions this placement meets (empty: no second sign-off needed)."""
    return rules.risk_reasons(_guest_facts(match.request), _host_facts(match.offer), risk_rules())


def gates_for(match: Match, today: date | None = None) -> Gates:
    """Safeguarding's verdict on a match now: missing checks, risk, sign-off and pause."""
    return Gates(
        missing_checks=missing_checks(match.offer.host_id, today),
        risk=risk_of(match),
        signed_off=match.signed_off_by_id is not None,
        paused=match.paused_at is not None,
    )


def sign_off(coordinator: User, match_id: int, *, now: datetime | None = None) -> Match:
    """A second coordinator signs off a placement a risk rule flagged; audited. One commit.

    Refused for the coordinator who proposed it (one signer is one coordinator), twice, for a match that needs
    no sign-off, and once the match is no longer waiting for answers.
    """
    now = now or utcnow()
    try:
        match = lock_match_for_update(match_id)
        if match is None:
            raise NotFound(_l("There is no such proposal."))
        if match.status not in PENDING_STATES:
            raise Conflict(_l("Only a proposal still waiting for answers can be signed off."))
        risk = risk_of(match)
        if not risk:
            raise Conflict(_l("This placement needs no second sign-off."))
        if match.signed_off_by_id is not None:
            raise Conflict(_l("This placement is already signed off."))
        if match.proposed_by_id == coordinator.id:
            raise Conflict(_l("You proposed this placement, so another coordinator must give the second sign-off."))
        match.signed_off_by_id = coordinator.id
        match.signed_off_at = now
        audit.record("match.signed_off", "match", match.id, actor=coordinator, risk=list(risk))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return match


@dataclass(frozen=True)
class MatchSafety:
    """What the case page shows about one placement in progress."""

    match: Match
    gates: Gates
    risk_labels: tuple[str, ...]  # English msgids, translated by the template


def case_panel(case: HousingRequest, today: date | None = None) -> list[MatchSafety]:
    """The safeguarding state of a case's placements in progress, newest first (from case.matches, which the case
    page loads anyway)."""
    panel = []
    for match in sorted(case.matches, key=lambda m: m.id, reverse=True):
        if match.status in HOLDING_STATES:
            gates = gates_for(match, today)
            panel.append(MatchSafety(match, gates, rules.risk_labels(gates.risk)))
    return panel


def case_concerns(request_id: int) -> list[Concern]:
    """A case's concerns, open first, newest first (without their text: opening one is audited)."""
    open_first = Concern.status != ConcernStatus.OPEN
    stmt = select(Concern).where(Concern.request_id == request_id).order_by(open_first, Concern.id.desc())
    return list(db.session.scalars(stmt))


# --- the host page -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostPage:
    host: User
    offers: list[Offer]
    checks: list[HostCheck]
    required: tuple[CheckKind, ...]
    missing: tuple[CheckKind, ...]
    today: date

    @property
    def verified(self) -> bool:
        return not self.missing

    def current(self, check: HostCheck) -> bool:
        return CheckRecord(check.kind, check.done_on, check.expires_on).current(self.today)


def get_host(host_id: int) -> User:
    """The host, or NotFound for any other kind of account."""
    host = db.session.get(User, host_id)
    if host is None or host.role is not Role.HOST:
        raise NotFound(_l("There is no such host."))
    return host


def host_page(host_id: int, today: date | None = None) -> HostPage:
    """Everything the coordinator's host page shows, contact details aside."""
    today = today or utcnow().date()
    host = get_host(host_id)
    offers = list(db.session.scalars(select(Offer).where(Offer.host_id == host.id).order_by(Offer.id)))
    return HostPage(host, offers, host_checks(host.id), required_checks(), missing_checks(host.id, today), today)


def reveal_host_contact(coordinator: User, host_id: int, reason: str) -> User:
    """Record that a coordinator looked at a host's contact details and addresses, and why. One commit."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ServiceError(_l("Say why you need the contact details."), "reason")
    if len(reason) > REVEAL_REASON_MAX:
        raise ServiceError(_l("Keep the reason under %(n)d characters.", n=REVEAL_REASON_MAX), "reason")
    host = get_host(host_id)
    audit.record(
        "contact.revealed",
        "user",
        host.id,
        actor=coordinator,
        reason=reason,
        whose="host",
        fields=["name", "email", "phone", "address"],
    )
    db.session.commit()
    return host
