"""The score: a weighted sum of named components, each in [0, 1], with a readable reason each."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np

from matcher.domain.i18n import N_, Nn_
from matcher.domain.matching.pool import OPEN_ENDED_DAY
from matcher.domain.matching.reasons import Reason, plural_reason, reason
from matcher.domain.matching.rules import PairView, late_reason
from matcher.domain.matching.settings import COMPONENTS, ScoringWeights

# Language fit when the offer speaks one of the household's languages, but not its preferred (first) one.
SECONDARY_LANGUAGE_FIT = 0.7
# Scores are rounded to this many decimals so ties are real ties and the batch can use exact integers.
SCORE_DECIMALS = 2
SCORE_SCALE = 10**SCORE_DECIMALS


def language_hits(offer_lang: np.ndarray, primary: np.ndarray, spoken: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each offer speaks the household's preferred language, and whether it speaks any of its languages."""
    if offer_lang.shape[-1] == 1:
        # One mask word (at most 64 languages in the pool) is the common case: skip the reduction.
        return (offer_lang[..., 0] & primary[..., 0]) != 0, (offer_lang[..., 0] & spoken[..., 0]) != 0
    return np.any((offer_lang & primary) != 0, axis=-1), np.any((offer_lang & spoken) != 0, axis=-1)


def proximity_fit(distance_km: np.ndarray, max_km) -> np.ndarray:
    """The proximity fit: 1 at the household's place, falling to 0 at its distance limit (and beyond)."""
    max_km = np.asarray(max_km, dtype=np.float64)
    # A zero limit admits only distance zero; a huge finite factor (not inf) avoids inf * 0.
    per_km = np.divide(1.0, max_km, out=np.full_like(max_km, 1e300), where=max_km > 0)
    proximity = distance_km * per_km
    np.subtract(1.0, proximity, out=proximity)
    return np.maximum(proximity, 0.0, out=proximity)


def component_fits(view: PairView, primary_hit: np.ndarray, any_hit: np.ndarray) -> dict[str, np.ndarray]:
    """Each component's fit in [0, 1] for every pair (near-misses are clipped into range too)."""
    proximity = proximity_fit(view.distance_km, view.max_km)
    # Exact fit scores best, so a big home is kept for a big family (per_bed is 1 / free beds, 0 without any).
    capacity = np.asarray(view.people, dtype=np.float64) * view.per_bed
    np.minimum(capacity, 1.0, out=capacity)
    language = any_hit * SECONDARY_LANGUAGE_FIT
    language += primary_hit * (1.0 - SECONDARY_LANGUAGE_FIT)
    dates = np.subtract(view.available_from, view.needed_from, dtype=np.float64)
    np.maximum(dates, 0.0, out=dates)
    dates *= -1.0 / (view.slack_days + 1.0)
    dates += 1.0
    np.maximum(dates, 0.0, out=dates)
    return {"proximity": proximity, "capacity": capacity, "language": language, "dates": dates}


def score_total(fits: dict[str, np.ndarray], weights: ScoringWeights) -> np.ndarray:
    """The total score of each pair, rounded to SCORE_DECIMALS."""
    scale = weights.points()
    first, *rest = COMPONENTS
    total = fits[first] * scale[first]
    for name in rest:
        total += fits[name] * scale[name]
    return np.round(total, SCORE_DECIMALS, out=total)


def score_keys(score: np.ndarray, id_rank: np.ndarray, n_offers: int) -> np.ndarray:
    """Unique int64 sort keys: higher score first, then the lower offer id."""
    return np.rint(score * SCORE_SCALE).astype(np.int64) * max(n_offers, 1) + (n_offers - 1 - id_rank)


_KM_FROM_PLACE = N_("%(km)s km from %(place)s")
_KM_AWAY = N_("%(km)s km away")


def explain_components(
    *,
    km: float,
    place_name: str,
    free_beds: int,
    people: int,
    shared_languages: tuple[str, ...],
    has_languages: bool,
    start: int,
    need: int,
    until: int,
) -> tuple[Reason, ...]:
    """One reason per component, in COMPONENTS order (day numbers for start, need and until)."""
    if place_name:
        proximity = Reason("proximity", _KM_FROM_PLACE, {"km": km, "place": place_name})
    else:
        proximity = Reason("proximity.away", _KM_AWAY, {"km": km})
    return (
        proximity,
        _capacity_reason(free_beds, people),
        _language_reason(shared_languages, has_languages),
        _dates_reason(start, need, until),
    )


# Reasons are immutable values and most recur from candidate to candidate ("4 beds for a household of 4",
# "speaks Ukrainian", "free from 3 May"), so each is built once.
@lru_cache(maxsize=4096)
def _capacity_reason(free_beds: int, people: int) -> Reason:
    return plural_reason(
        "capacity",
        Nn_("%(beds)s bed for a household of %(people)s", "%(beds)s beds for a household of %(people)s"),
        free_beds,
        beds=free_beds,
        people=people,
    )


@lru_cache(maxsize=1024)
def _language_reason(shared_languages: tuple[str, ...], has_languages: bool) -> Reason:
    if shared_languages:
        return reason("language", N_("speaks %(languages)s"), languages=shared_languages)
    if has_languages:
        return reason("language.none", N_("no shared language"))
    return reason("language.unknown", N_("no language given"))


@lru_cache(maxsize=16384)
def _dates_reason(start: int, need: int, until: int) -> Reason:
    if start > need:
        return late_reason(start, need)
    if until == OPEN_ENDED_DAY:
        return reason("dates", N_("free from %(date)s"), date=date.fromordinal(start))
    return reason(
        "dates.until",
        N_("free from %(date)s until %(until)s"),
        date=date.fromordinal(start),
        until=date.fromordinal(until),
    )
