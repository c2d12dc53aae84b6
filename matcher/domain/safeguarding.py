"""Safeguarding rules: which host checks are current, when a host is verified, which placements need a second
coordinator's sign-off, and when the check-ins after a move-in fall due.

Pure: no Flask, no SQLAlchemy. Labels are English msgids marked with ``N_`` that the web layer translates.

Decisions, for the record:
- Verification gates *confirmation*, never candidates. A host is verified while every required check has a
  record that is done on or before today and not expired (``expires_on`` is the last day it still counts).
- A criminal-record check can be recorded as "no such check exists in the host's country" (``unavailable``);
  that record satisfies the requirement, because the issue asks for the check only where the country has one.
- Risk rules: a placement needs a second sign-off when one of the selected *guest* conditions and one of the
  selected *host* conditions both hold. The default is the brief's rule (children or a women-only household,
  with a host household of one adult man), where a host household that was never recorded counts as possibly
  one adult man: the rule fails safe until a coordinator records who lives there.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from matcher.domain.i18n import N_


class CheckKind(enum.StrEnum):
    ID_SEEN = "id_seen"
    VIDEO_CALL = "video_call"
    HOME_VISIT = "home_visit"
    REFERENCES = "references"
    CRIMINAL_RECORD = "criminal_record"
    BRIEFING = "briefing"


CHECK_LABELS: Mapping[CheckKind, str] = {
    CheckKind.ID_SEEN: N_("ID seen"),
    CheckKind.VIDEO_CALL: N_("Video call"),
    CheckKind.HOME_VISIT: N_("Home visit"),
    CheckKind.REFERENCES: N_("References"),
    CheckKind.CRIMINAL_RECORD: N_("Criminal-record check"),
    CheckKind.BRIEFING: N_("Briefing done"),
}
# Every check is required until an admin says otherwise: safe by default.
DEFAULT_REQUIRED_CHECKS: tuple[CheckKind, ...] = tuple(CheckKind)


class HouseholdGender(enum.StrEnum):
    """Who lives at a host's place, as far as the rules need to know."""

    WOMEN = "women"  # women only
    MEN = "men"  # men only
    MIXED = "mixed"


HOUSEHOLD_GENDER_LABELS: Mapping[HouseholdGender, str] = {
    HouseholdGender.WOMEN: N_("Women only"),
    HouseholdGender.MEN: N_("Men only"),
    HouseholdGender.MIXED: N_("Women and men"),
}
HOUSEHOLD_ADULTS_MAX = 20


@dataclass(frozen=True)
class CheckRecord:
    """One recorded check: its kind, the day it was done, and the last day it still counts (None: no expiry)."""

    kind: CheckKind
    done_on: date
    expires_on: date | None = None
    unavailable: bool = False  # criminal-record only: the host's country has no such check

    def current(self, today: date) -> bool:
        return self.done_on <= today and (self.expires_on is None or today <= self.expires_on)


def current_kinds(records: Iterable[CheckRecord], today: date) -> frozenset[CheckKind]:
    """The kinds of check that have at least one current record."""
    return frozenset(r.kind for r in records if r.current(today))


def missing_checks(records: Iterable[CheckRecord], required: Iterable[CheckKind], today: date) -> tuple[CheckKind, ...]:
    """The required checks without a current record, in the order of CheckKind."""
    have = current_kinds(records, today)
    wanted = set(required)
    return tuple(kind for kind in CheckKind if kind in wanted and kind not in have)


def is_verified(records: Iterable[CheckRecord], required: Iterable[CheckKind], today: date) -> bool:
    """True while every required check is done and unexpired."""
    return not missing_checks(records, required, today)


# --- risk rules ------------------------------------------------------------------------------------------------

GUEST_CONDITIONS: Mapping[str, str] = {
    "children": N_("a household with children"),
    "women_only": N_("a women-only household"),
    "vulnerable": N_("a household with a vulnerability flag"),
}
HOST_CONDITIONS: Mapping[str, str] = {
    "single_man": N_("a host household of one adult man"),
    "unrecorded": N_("a host household that is not recorded yet"),
    "men_only": N_("a host household of men only"),
}
DEFAULT_GUEST_CONDITIONS = frozenset({"children", "women_only"})
DEFAULT_HOST_CONDITIONS = frozenset({"single_man", "unrecorded"})


@dataclass(frozen=True)
class RiskRules:
    """A placement needs a second sign-off when one of ``guest`` and one of ``host`` conditions both hold."""

    guest: frozenset[str] = field(default=DEFAULT_GUEST_CONDITIONS)
    host: frozenset[str] = field(default=DEFAULT_HOST_CONDITIONS)

    def __post_init__(self):
        unknown = (set(self.guest) - set(GUEST_CONDITIONS)) | (set(self.host) - set(HOST_CONDITIONS))
        if unknown:
            raise ValueError(f"unknown risk conditions: {', '.join(sorted(unknown))}")


@dataclass(frozen=True)
class GuestFacts:
    children: int
    women_only: bool
    vulnerable: bool = False


@dataclass(frozen=True)
class HostFacts:
    """Who lives at the offered place: ``adults`` None means not recorded; 0 means nobody (a separate flat)."""

    adults: int | None
    gender: HouseholdGender | None = None


def _guest_conditions(guest: GuestFacts) -> set[str]:
    held = set()
    if guest.children > 0:
        held.add("children")
    if guest.women_only:
        held.add("women_only")
    if guest.vulnerable:
        held.add("vulnerable")
    return held


def _host_conditions(host: HostFacts) -> set[str]:
    if host.adults is None or (host.adults > 0 and host.gender is None):
        return {"unrecorded"}
    held = set()
    if host.gender == HouseholdGender.MEN and host.adults >= 1:
        held.add("men_only")
        if host.adults == 1:
            held.add("single_man")
    return held


def risk_reasons(guest: GuestFacts, host: HostFacts, rules: RiskRules | None = None) -> tuple[str, ...]:
    """The conditions (guest ones, then host ones, as codes) that make this placement need a second sign-off.

    Empty when no rule applies.
    """
    rules = rules or RiskRules()
    guest_hits = sorted(_guest_conditions(guest) & set(rules.guest))
    host_hits = sorted(_host_conditions(host) & set(rules.host))
    if not guest_hits or not host_hits:
        return ()
    return tuple(guest_hits + host_hits)


def risk_labels(codes: Iterable[str]) -> tuple[str, ...]:
    """English msgids for condition codes."""
    labels = {**GUEST_CONDITIONS, **HOST_CONDITIONS}
    return tuple(labels[code] for code in codes if code in labels)


# --- confirmation gates ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gates:
    """What safeguarding says about a match at the moment someone acts on it (see lifecycle.apply).

    ``missing_checks``: the host's required checks that are not current; ``risk``: the risk conditions that ask
    for a second sign-off (empty: none needed); ``signed_off``: a second coordinator signed it off; ``paused``: an
    open concern holds the pending proposal.
    """

    missing_checks: tuple[CheckKind, ...] = ()
    risk: tuple[str, ...] = ()
    signed_off: bool = False
    paused: bool = False

    @property
    def needs_signoff(self) -> bool:
        return bool(self.risk) and not self.signed_off

    @property
    def confirmable(self) -> bool:
        return not self.missing_checks and not self.needs_signoff and not self.paused


# --- check-ins after a move-in ---------------------------------------------------------------------------------


class CheckInKind(enum.StrEnum):
    DAY_3 = "day_3"
    WEEK_2 = "week_2"
    BEFORE_END = "before_end"


CHECKIN_LABELS: Mapping[CheckInKind, str] = {
    CheckInKind.DAY_3: N_("Day 3"),
    CheckInKind.WEEK_2: N_("Week 2"),
    CheckInKind.BEFORE_END: N_("Before the end of the stay"),
}
CHECKIN_DAY_3 = 3  # days after the move-in
CHECKIN_WEEK_2 = 10  # days after the move-in: the middle of the second week
CHECKIN_BEFORE_END_DAYS = 5  # days before the planned end of the stay


def checkin_schedule(moved_in: date, planned_end: date | None) -> dict[CheckInKind, date]:
    """The day each check-in falls due. The one before the end is left out when it would not come after week 2."""
    schedule = {
        CheckInKind.DAY_3: moved_in + timedelta(days=CHECKIN_DAY_3),
        CheckInKind.WEEK_2: moved_in + timedelta(days=CHECKIN_WEEK_2),
    }
    if planned_end is not None:
        before_end = planned_end - timedelta(days=CHECKIN_BEFORE_END_DAYS)
        if before_end > schedule[CheckInKind.WEEK_2]:
            schedule[CheckInKind.BEFORE_END] = before_end
    return schedule


def checkin_due(moved_in: date, planned_end: date | None, today: date) -> CheckInKind | None:
    """The check-in to send today: the latest one that has fallen due (a late run sends one, not a backlog)."""
    due = [kind for kind, day in checkin_schedule(moved_in, planned_end).items() if day <= today]
    if planned_end is not None and today >= planned_end:
        return None
    return due[-1] if due else None
