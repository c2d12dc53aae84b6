"""The consent pages and signed links, through the test client: privacy, ownership and every bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from matcher.domain.lifecycle_states import MatchStatus
from matcher.extensions import db
from matcher.models import AuditEvent, Match, Notification, Offer, SignedLink, utcnow
from matcher.services import links, matches
from tests import factories


@pytest.fixture
def proposal(app):
    """A proposed match; returns plain ids and log-in names (the objects belong to another context)."""
    with app.app_context():
        case = factories.make_case(request={"contact_name": "Olena Kovalenko", "phone": "+380671234567"})
        match = matches.propose(case.coordinator, case.request.id, case.offer.id)
        return {
            "match": match.id,
            "host": case.host.email,
            "guest": case.refugee.email,
            "coordinator": case.coordinator.email,
            "address": case.offer.address,
            "host_name": case.host.name,
        }


def link_for(app, login: str, match_id: int) -> str:
    """The signed link the person's proposal message carries."""
    with app.app_context():
        stmt = (
            select(Notification.link)
            .join(Notification.user)
            .where(Notification.match_id == match_id, Notification.user.has(email=login))
            .order_by(Notification.id.desc())
        )
        return db.session.scalar(stmt)


def status_of(app, match_id: int) -> MatchStatus:
    with app.app_context():
        return db.session.get(Match, match_id).status


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


def test_the_host_sees_the_household_but_no_name_or_contact_before_confirmation(app, client, auth, proposal):
    auth.login(proposal["host"])
    page = client.get(f"/matches/{proposal['match']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Olena" in html and "Kovalenko" not in html
    assert "+380671234567" not in html and proposal["guest"] not in html
    assert "Adults" in html and "Ukrainian" in html
    assert "Yes, I accept" in html and "Why do you decline?" in html
    assert audit_count(app, "contact.revealed") == 0


def test_the_guest_sees_the_area_and_what_the_place_allows_but_not_the_address(app, client, auth, proposal):
    auth.login(proposal["guest"])
    html = client.get(f"/matches/{proposal['match']}").get_data(as_text=True)
    assert "Kraków" in html and "approximately at 50.07, 19.95" in html
    assert "Pets allowed" in html and "Smoking allowed" in html and "Room" in html
    assert proposal["address"] not in html and proposal["host"] not in html


def test_after_both_accept_each_side_sees_the_other_and_each_view_is_audited(app, client, auth, proposal):
    match_id = proposal["match"]
    auth.login(proposal["host"])
    response = client.post(f"/matches/{match_id}/accept")
    assert response.status_code == 302
    assert "you accepted" in client.get(response.headers["Location"]).get_data(as_text=True)
    auth.logout()
    auth.login(proposal["guest"])
    client.post(f"/matches/{match_id}/accept")
    assert status_of(app, match_id) is MatchStatus.CONFIRMED
    html = client.get(f"/matches/{match_id}").get_data(as_text=True)
    assert proposal["address"] in html and proposal["host"] in html and proposal["host_name"] in html
    auth.logout()
    auth.login(proposal["host"])
    html = client.get(f"/matches/{match_id}").get_data(as_text=True)
    assert "Olena Kovalenko" in html and "+380671234567" in html
    assert audit_count(app, "contact.revealed") == 2  # one per view


@pytest.mark.parametrize("who", ["host", "refugee", "coordinator"])
def test_strangers_get_404_and_change_nothing(app, client, login_as, proposal, who):
    login_as(who)
    match_id = proposal["match"]
    assert client.get(f"/matches/{match_id}").status_code == 404
    assert client.post(f"/matches/{match_id}/accept").status_code == 404
    assert client.post(f"/matches/{match_id}/decline", data={"reason_code": "personal"}).status_code == 404
    assert client.get("/matches/999999").status_code == 404
    assert status_of(app, match_id) is MatchStatus.PROPOSED


def test_the_pages_need_a_log_in(client, proposal):
    response = client.get(f"/matches/{proposal['match']}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post(f"/matches/{proposal['match']}/accept").status_code == 302


def test_a_decline_without_a_reason_is_shown_beside_the_field(app, client, auth, proposal):
    auth.login(proposal["guest"])
    match_id = proposal["match"]
    response = client.post(f"/matches/{match_id}/decline", data={"reason_code": ""})
    assert response.status_code == 422
    assert 'id="reason_code-error"' in response.get_data(as_text=True)
    response = client.post(f"/matches/{match_id}/decline", data={"reason_code": "not_a_code"})
    assert response.status_code == 422
    response = client.post(f"/matches/{match_id}/decline", data={"reason_code": "other", "reason_text": ""})
    assert response.status_code == 422 and 'id="reason_text-error"' in response.get_data(as_text=True)
    assert status_of(app, match_id) is MatchStatus.PROPOSED
    response = client.post(f"/matches/{match_id}/decline", data={"reason_code": "location", "reason_text": "Far"})
    assert response.status_code == 302
    assert status_of(app, match_id) is MatchStatus.DECLINED


def test_accepting_an_expired_proposal_says_it_expired(app, client, auth, proposal):
    with app.app_context():
        match = db.session.get(Match, proposal["match"])
        match.hold_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    auth.login(proposal["host"])
    response = client.post(f"/matches/{proposal['match']}/accept", follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This proposal expired on" in html and "Nothing was accepted" in html
    assert status_of(app, proposal["match"]) is MatchStatus.EXPIRED
    again = client.post(f"/matches/{proposal['match']}/accept", follow_redirects=True).get_data(as_text=True)
    assert "This proposal expired on" in again


def test_a_signed_link_shows_the_proposal_on_get_and_acts_only_on_post(app, client, proposal):
    path = link_for(app, proposal["host"], proposal["match"])
    assert path.startswith("/links/")
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Olena" in html and "Kovalenko" not in html and "Yes, I accept" in html
    assert client.get(path).status_code == 200  # a mail scanner's visits change nothing
    assert status_of(app, proposal["match"]) is MatchStatus.PROPOSED
    done = client.post(path, data={"action": "accept"})
    assert done.status_code == 200 and "you accepted" in done.get_data(as_text=True)
    assert status_of(app, proposal["match"]) is MatchStatus.HOST_ACCEPTED
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "match.host_accept"))
        assert event.details["via"] == "signed_link" and event.actor.email == proposal["host"]
    for reuse in (client.get(path), client.post(path, data={"action": "accept"})):
        assert reuse.status_code == 410
        text = reuse.get_data(as_text=True)
        assert "already been used" in text and "/auth/login?next=" in text


def test_a_guest_declines_through_a_link_with_a_reason(app, client, proposal):
    path = link_for(app, proposal["guest"], proposal["match"])
    response = client.post(path, data={"action": "decline", "reason_code": ""})
    assert response.status_code == 422 and 'id="reason_code-error"' in response.get_data(as_text=True)
    response = client.post(path, data={"action": "decline", "reason_code": "found_elsewhere"})
    assert response.status_code == 200 and "You declined" in response.get_data(as_text=True)
    assert status_of(app, proposal["match"]) is MatchStatus.DECLINED


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # a broken signature
        lambda t: "x" + t,
        lambda t: "not-a-token",
        lambda t: "a" * 500,
        lambda t: URLSafeTimedSerializer("some other secret", salt=links.LINK_SALT).dumps("nonce"),
    ],
)
def test_a_tampered_link_is_refused_with_a_page(app, client, proposal, mangle):
    token = link_for(app, proposal["host"], proposal["match"]).removeprefix("/links/")
    bad = f"/links/{mangle(token)}"
    for response in (client.get(bad), client.post(bad, data={"action": "accept"})):
        assert response.status_code == 400
        assert "This link is not valid" in response.get_data(as_text=True)
    assert status_of(app, proposal["match"]) is MatchStatus.PROPOSED


class _LongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return super().get_timestamp() - 30 * 24 * 3600


def test_an_expired_link_explains_itself_and_offers_the_log_in(app, client, proposal):
    with app.app_context():
        row = db.session.scalar(
            select(SignedLink).join(SignedLink.user).where(SignedLink.user.has(email=proposal["host"]))
        )
        old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=links.LINK_SALT, signer=_LongAgo).dumps(row.nonce)
        fresh_token = links._serializer().dumps(row.nonce)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    for token in (old, fresh_token):  # too old a signature, or past the row's expiry
        response = client.post(f"/links/{token}", data={"action": "accept"})
        assert response.status_code == 410
        html = response.get_data(as_text=True)
        assert "This link has expired" in html
        assert f"/auth/login?next=/matches/{proposal['match']}" in html.replace("%2F", "/")
    assert status_of(app, proposal["match"]) is MatchStatus.PROPOSED


def test_a_link_to_a_proposal_cancelled_meanwhile_says_so(app, client, proposal):
    path = link_for(app, proposal["host"], proposal["match"])
    with app.app_context():
        coordinator = factories.make_user("coordinator")
        matches.cancel(coordinator, proposal["match"], "mistake")
    assert "There is nothing to answer here now" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"action": "accept"})
    assert response.status_code == 409 and "closed" in response.get_data(as_text=True)
    assert client.post(path, data={"action": "fly"}).status_code == 400


def test_a_host_confirms_an_offer_through_its_link(app, client):
    with app.app_context():
        case = factories.make_case(offer={"last_confirmed_at": utcnow() - timedelta(days=20)})
        token = links.issue(case.host, links.PURPOSE_CONFIRM_OFFER, offer=case.offer)
        db.session.commit()
        offer_id = case.offer.id
    html = client.get(f"/links/{token}").get_data(as_text=True)
    assert "Is your place still available?" in html
    response = client.post(f"/links/{token}", data={"action": "accept"})
    assert response.status_code == 400  # the wrong action for this link
    response = client.post(f"/links/{token}", data={"action": "confirm"})
    assert response.status_code == 200 and "still available" in response.get_data(as_text=True)
    with app.app_context():
        assert utcnow() - db.session.get(Offer, offer_id).last_confirmed_at < timedelta(minutes=1)
    assert client.post(f"/links/{token}", data={"action": "confirm"}).status_code == 410


def test_link_posts_need_the_csrf_token_when_csrf_is_on(database_url, app, proposal, app_factory):
    path = link_for(app, proposal["host"], proposal["match"])
    protected = app_factory(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    try:
        page = client.get(path).get_data(as_text=True)
        assert client.post(path, data={"action": "accept"}).status_code == 400
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post(path, data={"action": "accept", "csrf_token": token}).status_code == 200
    finally:
        with protected.app_context():
            db.engine.dispose()
    assert status_of(app, proposal["match"]) is MatchStatus.HOST_ACCEPTED


def test_the_outbox_page_is_for_admins(app, client, login_as, proposal, monkeypatch):
    assert client.get("/admin/outbox").status_code == 302
    login_as("host")
    assert client.get("/admin/outbox").status_code == 403
    login_as("admin")
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('data-testid="outbox-message"') == 2
    assert "A household is proposed for your place" in html and "not mailed yet" in html
    monkeypatch.setitem(app.config, "OUTBOX_PAGE_ENABLED", False)
    assert client.get("/admin/outbox").status_code == 404
