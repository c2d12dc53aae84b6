"""The hard rules, as one declarative list of vectorised predicates with translatable reasons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from matcher.domain.i18n import N_, Nn_
from matcher.domain.matching.pool import ROOM_MAX, STATUS_PAUSED, STATUS_WITHDRAWN, OfferPool
from matcher.domain.matching.reasons import Reason, plural_reason, reason

# Offer-side columns a view gathers from its pool, each on first use (most rules read one or two of them): the
# pool attribute behind each name. Day numbers come from the pool's narrow int32 copies.
OFFER_COLUMNS = {
    "status": "status",
    "last_confirmed": "last_confirmed",
    "active_since": "active_since",
    "free_beds": "free_beds",
    "per_bed": "per_bed",
    "room": "room",
    "shareable": "shareable",
    "open_matches": "open_matches",
    "available_from": "from_day",
    "available_until": "until_day",
    "pets_ok": "pets_ok",
    "children_ok": "children_ok",
    "step_free": "step_free",
}


@dataclass
class PairView:
    """Request-side values (scalars or arrays) beside offer-side columns, aligned pair by pair.

    Offer columns (OFFER_COLUMNS) are read from ``pool`` at positions ``offers`` when first used, so a rule
    or a score pays only for the columns it reads.
    """

    pool: OfferPool = field(repr=False, compare=False)
    offers: np.ndarray  # pool positions; may be shaped to broadcast against request-side arrays
    distance_km: Any
    # request side
    people: Any
    children: Any
    pets: Any
    step_free_needed: Any
    needed_from: Any  # day number
    needed_until: Any  # day number: needed_from + duration
    max_km: Any
    excluded: Any  # bool: declined before or excluded by a coordinator
    # settings
    today: int  # day number
    freshness_days: int
    slack_days: int

    def __getattr__(self, name: str) -> np.ndarray:
        # Only called for attributes not set yet: gather an offer column once.
        column = OFFER_COLUMNS.get(name)
        if column is None:
            raise AttributeError(name)
        value = getattr(self.pool, column)[self.offers]
        self.__dict__[name] = value
        return value

    @classmethod
    def gather(cls, pool: OfferPool, at: np.ndarray, distance_km: np.ndarray, **request_side: Any) -> PairView:
        """Offer columns at pool positions ``at``, beside the given request-side values and settings."""
        return cls(pool=pool, offers=at, distance_km=distance_km, **request_side)

    def take(self, index: np.ndarray) -> PairView:
        """The same view restricted to some pairs of a one-dimensional view (scalars stay scalars)."""
        view = object.__new__(PairView)
        # Every field and every offer column gathered so far: arrays are indexed, scalars (and the pool) kept.
        view.__dict__.update(
            (name, value[index] if type(value) is np.ndarray and value.ndim else value)
            for name, value in self.__dict__.items()
        )
        return view

    def at(self, name: str, k: int):
        """One pair's value of a field, whether the field is a scalar or an array."""
        value = getattr(self, name)
        return value[k] if isinstance(value, np.ndarray) and value.ndim else value


def _required(need, view: PairView, column: str):
    """Whether each offer meets a need where the household has it: the offer's column there, true elsewhere."""
    if np.ndim(need) == 0:
        return getattr(view, column) if need else np.True_
    return ~need | getattr(view, column)


def _day(day_no) -> date:
    return date.fromordinal(int(day_no))


def _status_ok(p: PairView) -> np.ndarray:
    # Active and confirmed within the freshness window: today - last_confirmed <= freshness_days.
    return p.active_since >= p.today - p.freshness_days


def _status_reason(p: PairView, k: int) -> Reason:
    status = p.at("status", k)
    if status == STATUS_PAUSED:
        return reason("status.paused", N_("paused"))
    if status == STATUS_WITHDRAWN:
        return reason("status.withdrawn", N_("withdrawn"))
    days = int(p.today - p.at("last_confirmed", k))
    return plural_reason(
        "status.stale", Nn_("not confirmed for %(days)s day", "not confirmed for %(days)s days"), days, days=days
    )


def _beds_ok(p: PairView) -> np.ndarray:
    # Enough free beds, and shareable or holding no household yet (room is -1 otherwise, and clipped at ROOM_MAX).
    people = p.people
    if (people if np.ndim(people) == 0 else np.max(people, initial=0)) < ROOM_MAX:
        return p.room >= people
    return (p.free_beds >= p.people) & (p.shareable | (p.open_matches == 0))


def _beds_reason(p: PairView, k: int) -> Reason:
    free, people = int(p.at("free_beds", k)), int(p.at("people", k))
    if not p.at("shareable", k) and p.at("open_matches", k) > 0:
        return reason("beds.taken", N_("already holds another household"))
    short = people - free
    return plural_reason(
        "beds.short", Nn_("%(short)s bed short", "%(short)s beds short"), short, short=short, free=free, people=people
    )


def _dates_ok(p: PairView) -> np.ndarray:
    # OPEN_ENDED_DAY is the largest day number, so an open-ended offer always lasts long enough.
    return (p.available_from <= p.needed_from + p.slack_days) & (p.available_until >= p.needed_until)


def _dates_reason(p: PairView, k: int) -> Reason:
    start, need = int(p.at("available_from", k)), int(p.at("needed_from", k))
    if start > need + p.slack_days:
        return late_reason(start, need)
    until, need_until = int(p.at("available_until", k)), int(p.at("needed_until", k))
    days = need_until - until
    return plural_reason(
        "dates.short",
        Nn_("free until %(date)s, %(days)s day too short", "free until %(date)s, %(days)s days too short"),
        days,
        date=_day(until),
        days=days,
    )


def late_reason(start: int, need: int) -> Reason:
    """Reason for an offer that becomes free after the needed day."""
    days = start - need
    return plural_reason(
        "dates.late",
        Nn_("free from %(date)s, %(days)s day late", "free from %(date)s, %(days)s days late"),
        days,
        date=_day(start),
        days=days,
    )


def _distance_reason(p: PairView, k: int) -> Reason:
    return reason(
        "distance.far",
        N_("%(km)s km, limit %(limit)s km"),
        km=float(p.at("distance_km", k)),
        limit=float(p.at("max_km", k)),
    )


@dataclass(frozen=True)
class Rule:
    """A hard rule: an id, a translatable title, a vectorised predicate and the reason for one failing pair."""

    id: str
    title: str
    passes: Callable[[PairView], np.ndarray]
    explain: Callable[[PairView, int], Reason]


RULES: tuple[Rule, ...] = (
    Rule("status", N_("The offer is not active, or not confirmed recently"), _status_ok, _status_reason),
    Rule("beds", N_("Not enough free beds"), _beds_ok, _beds_reason),
    Rule("dates", N_("Not available on the needed dates"), _dates_ok, _dates_reason),
    Rule(
        "pets",
        N_("Pets are not allowed"),
        lambda p: _required(p.pets, p, "pets_ok"),
        lambda p, k: reason("pets.no", N_("no pets")),
    ),
    Rule(
        "children",
        N_("Children are not accepted"),
        lambda p: _required(np.asarray(p.children) != 0, p, "children_ok"),
        lambda p, k: reason("children.no", N_("no children")),
    ),
    Rule(
        "step_free",
        N_("No step-free access"),
        lambda p: _required(p.step_free_needed, p, "step_free"),
        lambda p, k: reason("step_free.no", N_("not step-free")),
    ),
    Rule("distance", N_("Too far"), lambda p: p.distance_km <= p.max_km, _distance_reason),
    Rule(
        "refused",
        N_("Declined or excluded before"),
        lambda p: np.logical_not(p.excluded),
        lambda p, k: reason("refused", N_("declined or excluded before")),
    ),
)
RULE_IDS = tuple(rule.id for rule in RULES)
RULES_BY_ID = {rule.id: rule for rule in RULES}


def rule_passes(view: PairView) -> np.ndarray:
    """Boolean matrix (rules, pairs): whether each pair passes each rule, in RULES order."""
    n = view.distance_km.shape[0]
    return np.stack([np.broadcast_to(rule.passes(view), (n,)) for rule in RULES]) if RULES else np.ones((0, n), bool)
