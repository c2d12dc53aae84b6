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

# What raises a household's priority; the weights live with the batch (matcher.domain.matching.priority_weight).
VULNERABILITY_FLAGS = {
    "pregnancy": N_("Pregnancy"),
    "disability": N_("Disability"),
    "elderly": N_("Elderly person (70+)"),
    "single_parent": N_("Single parent"),
    "medical": N_("Urgent medical need"),
    "infant": N_("Baby under 2"),
}
