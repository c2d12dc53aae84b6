"""Closed vocabularies shared by forms, models and matching: kinds of place, languages, vulnerability flags."""

from __future__ import annotations

import enum

from matcher.domain.i18n import N_


class PlaceKind(enum.StrEnum):
    ROOM = "room"
    FLAT = "flat"
    HOUSE = "house"


PLACE_KIND_LABELS = {PlaceKind.ROOM: N_("Room"), PlaceKind.FLAT: N_("Flat"), PlaceKind.HOUSE: N_("House")}


class OfferStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    HOUSED = "housed"
    CLOSED = "closed"


# ISO 639-1 codes offered in language pickers: the languages of people fleeing to and through Europe,
# and of the hosts who receive them. Names are never hand-written: Babel's CLDR data gives them per locale.
LANGUAGE_CODES = (
    "uk", "ru", "pl", "de", "en", "cs", "sk", "hu", "ro", "bg", "lt", "lv", "et", "fr", "it", "es", "pt",
    "nl", "da", "sv", "no", "fi", "el", "tr", "ka", "hy", "az", "be", "kk", "he", "ar", "fa", "ps", "ur",
    "hr", "sr", "sl", "bs", "sq", "mk",
)  # fmt: skip

# What raises a household's priority; each flag carries a weight used by the batch objective.
VULNERABILITY_FLAGS = {
    "pregnancy": N_("Pregnancy"),
    "disability": N_("Disability"),
    "elderly": N_("Elderly person (70+)"),
    "single_parent": N_("Single parent"),
    "medical": N_("Urgent medical need"),
    "infant": N_("Baby under 2"),
}
VULNERABILITY_PRIORITY_STEP = 0.5  # priority weight added per flag (no flags: weight 1)
VULNERABILITY_PRIORITY_MAX = 3.0


def priority_weight(flags) -> float:
    """A household's weight in the batch objective: 1, raised by each vulnerability flag, capped."""
    return min(1.0 + VULNERABILITY_PRIORITY_STEP * len(set(flags or ())), VULNERABILITY_PRIORITY_MAX)
