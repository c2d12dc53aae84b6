"""The states a match can be in. The transition table lives in matcher.domain.lifecycle."""

from __future__ import annotations

import enum


class MatchStatus(enum.StrEnum):
    PROPOSED = "proposed"  # a coordinator proposed it; beds are held until the hold expires
    HOST_ACCEPTED = "host_accepted"
    GUEST_ACCEPTED = "guest_accepted"
    CONFIRMED = "confirmed"  # both accepted: contact details are revealed to each other
    MOVED_IN = "moved_in"
    ENDED = "ended"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    BROKEN_DOWN = "broken_down"


# Matches in these states hold beds in their offer.
HOLDING_STATES = frozenset(
    {
        MatchStatus.PROPOSED,
        MatchStatus.HOST_ACCEPTED,
        MatchStatus.GUEST_ACCEPTED,
        MatchStatus.CONFIRMED,
        MatchStatus.MOVED_IN,
    }
)
# Awaiting someone's answer: the hold can expire.
PENDING_STATES = frozenset({MatchStatus.PROPOSED, MatchStatus.HOST_ACCEPTED, MatchStatus.GUEST_ACCEPTED})
