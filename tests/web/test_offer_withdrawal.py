"""A host cannot withdraw an offer while a household waits on it; a stay under way, or a closed match, does not
stop a withdrawal."""

from __future__ import annotations

import pytest

from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.vocabulary import OfferStatus
from matcher.extensions import db
from matcher.models import AuditEvent, Offer
from tests import factories


@pytest.mark.parametrize(
    ("status", "withdrawn"),
    [
        (MatchStatus.PROPOSED, False),
        (MatchStatus.HOST_ACCEPTED, False),
        (MatchStatus.GUEST_ACCEPTED, False),
        (MatchStatus.CONFIRMED, False),
        (MatchStatus.MOVED_IN, True),
        (MatchStatus.DECLINED, True),
        (MatchStatus.CANCELLED, True),
    ],
)
def test_withdrawal_waits_for_households_due_to_come(app, client, login_as, status, withdrawn):
    host = login_as("host")
    with app.app_context():
        offer = factories.make_offer(host=host, beds=4, shareable=True)
        factories.make_match(offer=offer, status=status)
        offer_id = offer.id

    page = client.post(f"/offers/{offer_id}/status", data={"action": "withdraw"}, follow_redirects=True)

    assert page.status_code == 200
    with app.app_context():
        stored = db.session.get(Offer, offer_id)
        logged = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.subject_id == offer_id)).all()
        assert (stored.status is OfferStatus.WITHDRAWN) is withdrawn
        assert ("offer.withdrawn" in logged) is withdrawn
    assert (b"Decline the proposal, or ask your coordinator" in page.data) is not withdrawn
