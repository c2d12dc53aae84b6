"""The pure matching engine: hard rules, explained scores, ranking one request and candidate graphs for the batch."""

from matcher.domain.matching.columns import OPEN_ENDED_DAY, day_number
from matcher.domain.matching.pool import STATUS_ACTIVE, STATUS_PAUSED, STATUS_WITHDRAWN, OfferPool, OfferSnapshot
from matcher.domain.matching.ranking import Candidate, NearMiss, Ranking, rank
from matcher.domain.matching.reasons import Reason
from matcher.domain.matching.requests import RequestBatch, RequestProfile, priority_weight
from matcher.domain.matching.rules import RULE_IDS, RULES, Rule
from matcher.domain.matching.settings import (
    COMPONENTS,
    DEFAULT_BATCH_TOP_K,
    DEFAULT_DATE_SLACK_DAYS,
    DEFAULT_FRESHNESS_DAYS,
    MatchingSettings,
    ScoringWeights,
)

__all__ = [
    "COMPONENTS",
    "DEFAULT_BATCH_TOP_K",
    "DEFAULT_DATE_SLACK_DAYS",
    "DEFAULT_FRESHNESS_DAYS",
    "OPEN_ENDED_DAY",
    "RULES",
    "RULE_IDS",
    "STATUS_ACTIVE",
    "STATUS_PAUSED",
    "STATUS_WITHDRAWN",
    "Candidate",
    "MatchingSettings",
    "NearMiss",
    "OfferPool",
    "OfferSnapshot",
    "Ranking",
    "Reason",
    "RequestBatch",
    "RequestProfile",
    "Rule",
    "ScoringWeights",
    "day_number",
    "priority_weight",
    "rank",
]
