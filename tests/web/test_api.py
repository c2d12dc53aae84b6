"""The JSON API: bearer tokens, CSRF for cookie callers, the UI's authorization, paging, JSON errors."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import ApiToken, AuditEvent, Match, Role
from matcher.services import tokens
from matcher.services.matching import forget_pool
from tests import factories


def token_for(app, user) -> str:
    with app.app_context():
        _, token = tokens.create_token(db.session.merge(user), "tests")
    return token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def people(app):
    """A coordinator, two hosts with an offer each, and two refugees with a request each, with tokens."""
    with app.app_context():
        forget_pool()
        coordinator = factories.make_user(Role.COORDINATOR)
        hosts = [factories.make_user(Role.HOST) for _ in range(2)]
        refugees = [factories.make_user(Role.REFUGEE, phone=f"+4860100000{i}") for i in range(2)]
        offers = [factories.make_offer(h, address=f"ul. Tajna {i}") for i, h in enumerate(hosts)]
        requests = [factories.make_request(r, **factories.KRAKOW) for r in refugees]
        ids = {
            "offers": [o.id for o in offers],
            "requests": [r.id for r in requests],
        }
    ids["coordinator"] = token_for(app, coordinator)
    ids["hosts"] = [token_for(app, h) for h in hosts]
    ids["refugees"] = [token_for(app, r) for r in refugees]
    return ids


def test_tokens_page_creates_shows_once_lists_and_revokes(app, client, login_as):
    login_as("host")
    created = client.post("/account/tokens", data={"label": "my script"})
    html = created.get_data(as_text=True)
    assert created.status_code == 201 and "Copy it now" in html and created.headers["Cache-Control"] == "no-store"
    token = html.split('id="new-token" value="')[1].split('"')[0]
    assert token.startswith("mt_") and len(token) > 40
    listed = client.get("/account/tokens").get_data(as_text=True)
    assert "my script" in listed and token[:10] in listed and token not in listed
    api = app.test_client()
    assert api.get("/api/v1/offers", headers=bearer(token)).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == tokens.token_hash(token) and row.last_used_at is not None
        token_id = row.id
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    response = api.get("/api/v1/offers", headers=bearer(token))
    assert response.status_code == 401 and response.is_json and "Bearer" in response.headers["WWW-Authenticate"]


def test_create_token_command_prints_a_working_token(app):
    with app.app_context():
        factories.make_user(Role.COORDINATOR, email="cli@ngo.example")
    result = app.test_cli_runner().invoke(args=["create-token", "--email", "cli@ngo.example"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert app.test_client().get("/api/v1/requests", headers=bearer(token)).status_code == 200
    assert app.test_cli_runner().invoke(args=["create-token", "--email", "nobody@x.example"]).exit_code != 0


def test_tokens_count_only_on_api_paths_and_bad_tokens_are_401(app, people):
    api = app.test_client()
    assert api.get("/csv/", headers=bearer(people["coordinator"])).status_code == 302  # not logged in there
    for header in ("Bearer mt_nope", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        response = api.get("/api/v1/offers", headers={"Authorization": header})
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_cookie_callers_need_a_csrf_header_for_changes_token_callers_do_not(app_factory, people):
    from tests.conftest import TEST_PASSWORD

    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        host = factories.make_user(Role.HOST, email="cookie@host.example")
        offer_id = factories.make_offer(host).id
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    csrf_token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    login = {"login": "cookie@host.example", "password": TEST_PASSWORD, "csrf_token": csrf_token}
    assert client.post("/auth/login", data=login).status_code == 302
    body = {"beds": 3}
    refused = client.patch(f"/api/v1/offers/{offer_id}", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    assert client.get(f"/api/v1/offers/{offer_id}").status_code == 200  # reading needs no header
    fresh = client.get("/account/tokens").get_data(as_text=True)
    header_token = fresh.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.patch(f"/api/v1/offers/{offer_id}", json=body, headers={"X-CSRFToken": header_token})
    assert accepted.status_code == 200 and accepted.get_json()["beds"] == 3
    token = token_for(app, host)
    other = app.test_client().patch(f"/api/v1/offers/{offer_id}", json={"beds": 4}, headers=bearer(token))
    assert other.status_code == 200 and other.get_json()["beds"] == 4


def test_authorization_is_the_uis(app, people):
    api = app.test_client()
    host, other_host = people["hosts"]
    mine, theirs = people["offers"]
    listed = api.get("/api/v1/offers", headers=bearer(host)).get_json()
    assert [o["id"] for o in listed["items"]] == [mine] and listed["items"][0]["address"] == "ul. Tajna 0"
    assert api.get(f"/api/v1/offers/{theirs}", headers=bearer(host)).status_code == 404
    assert api.patch(f"/api/v1/offers/{theirs}", json={"beds": 5}, headers=bearer(host)).status_code == 404
    assert api.get("/api/v1/requests", headers=bearer(host)).status_code == 403
    refugee = people["refugees"][0]
    own, others = people["requests"]
    assert api.get(f"/api/v1/requests/{own}", headers=bearer(refugee)).get_json()["phone"] == "+48601000000"
    assert api.get(f"/api/v1/requests/{others}", headers=bearer(refugee)).status_code == 404
    assert api.get("/api/v1/offers", headers=bearer(refugee)).status_code == 403
    assert api.get(f"/api/v1/offers/{mine}", headers=bearer(refugee)).status_code == 404
    coordinator = bearer(people["coordinator"])
    everything = api.get("/api/v1/offers", headers=coordinator).get_json()
    assert everything["total"] == 2 and all(o["address"] is None and o["lat"] is None for o in everything["items"])
    assert api.patch(f"/api/v1/offers/{mine}", json={"beds": 5}, headers=coordinator).status_code == 403
    assert api.patch(f"/api/v1/requests/{own}", json={"adults": 1}, headers=coordinator).status_code == 403


def test_staff_see_addresses_and_contacts_only_with_a_reason_and_each_reveal_is_audited(app, people):
    api = app.test_client()
    coordinator = bearer(people["coordinator"])
    offer_id, request_id = people["offers"][0], people["requests"][0]
    hidden = api.get(f"/api/v1/requests/{request_id}", headers=coordinator).get_json()
    assert hidden["private_included"] is False and hidden["phone"] is None and hidden["contact_name"] is None
    assert api.get(f"/api/v1/requests/{request_id}?reveal=x", headers=coordinator).status_code == 422
    shown = api.get(f"/api/v1/requests/{request_id}?reveal=calling+about+a+place", headers=coordinator).get_json()
    assert shown["phone"] == "+48601000000"
    offer = api.get(f"/api/v1/offers/{offer_id}?reveal=planning+the+visit", headers=coordinator).get_json()
    assert offer["address"] == "ul. Tajna 0" and offer["lat"] is not None
    with app.app_context():
        events = {(e.action, e.reason) for e in db.session.scalars(select(AuditEvent))}
    assert ("contact.revealed", "calling about a place") in events
    assert ("offer.address_viewed", "planning the visit") in events


def test_lists_are_paged(app, people):
    api = app.test_client()
    first = api.get("/api/v1/offers?per_page=1", headers=bearer(people["coordinator"])).get_json()
    assert (first["total"], first["page"], len(first["items"])) == (2, 1, 1)
    second = api.get(first["next"], headers=bearer(people["coordinator"])).get_json()
    assert second["page"] == 2 and second["next"] is None and second["items"][0]["id"] != first["items"][0]["id"]
    assert api.get("/api/v1/offers?per_page=101", headers=bearer(people["coordinator"])).status_code == 400


def test_errors_are_json_with_the_right_status(app, people):
    api = app.test_client()
    coordinator = bearer(people["coordinator"])
    host = bearer(people["hosts"][0])
    cases = [
        (api.get("/api/v1/offers"), 401),
        (api.get("/api/v1/requests", headers=host), 403),
        (api.get("/api/v1/offers/999999", headers=coordinator), 404),
        (api.get("/api/v1/offers/99999999999999999999", headers=coordinator), 404),
        (api.delete("/api/v1/offers", headers=coordinator), 405),
        (api.post("/api/v1/offers", data="beds=2", headers=host), 415),
        (api.post("/api/v1/offers", data="{", content_type="application/json", headers=host), 400),
        (api.post("/api/v1/offers", json=[], headers=host), 422),
        (api.post("/api/v1/offers", json={"beds": "two", "title": 3}, headers=host), 422),
        (api.post("/api/v1/matches", json={"request_id": 1}, headers=coordinator), 422),
        (api.get("/api/v1/offers?status=lost", headers=coordinator), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.path, response.get_data(as_text=True))
        body = response.get_json()
        assert set(body) >= {"error", "message", "fields"}, body
    fields = api.post("/api/v1/offers", json={"beds": "two", "title": 3}, headers=host).get_json()["fields"]
    assert set(fields) == {"beds", "title"}


def test_a_host_adds_changes_and_pauses_an_offer(app, people):
    api = app.test_client()
    host = bearer(people["hosts"][0])
    body = {"title": "Room with a view", "address": "ul. Długa 5", "city": "Kraków", "country": "PL", "beds": 2,
            "kind": "room", "available_from": factories._today().isoformat(), "languages": ["pl", "uk"]}  # fmt: skip
    created = api.post("/api/v1/offers", json=body, headers=host)
    assert created.status_code == 201, created.get_json()
    offer = created.get_json()
    assert offer["city"] == "Kraków" and offer["address"] == "ul. Długa 5" and created.headers["Location"]
    changed = api.patch(f"/api/v1/offers/{offer['id']}", json={"beds": 3, "status": "paused"}, headers=host)
    assert changed.get_json()["beds"] == 3 and changed.get_json()["status"] == "paused"
    bad = api.post("/api/v1/offers", json={**body, "city": "Frankfurt", "country": "DE"}, headers=host)
    assert bad.status_code == 422 and bad.get_json()["error"] == "ambiguous_place" and bad.get_json()["options"]


def test_a_token_script_takes_a_request_from_creation_to_a_proposed_match(app, people):
    """Only HTTP calls and one coordinator token: register a household, rank, propose, read the match."""
    api = app.test_client()
    auth = bearer(people["coordinator"])
    today = factories._today().isoformat()
    body = {"contact_name": "Iryna Bondarenko", "phone": "+380501234567", "language": "uk", "adults": 2,
            "children": 0, "city": "Kraków", "country": "PL", "needed_from": today}  # fmt: skip
    created = api.post("/api/v1/requests", json=body, headers=auth)
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["id"]
    assert created.get_json()["claim_code"]
    candidates = api.get(f"/api/v1/requests/{request_id}/candidates?limit=5", headers=auth).get_json()
    assert candidates["candidates"], candidates
    offer_id = candidates["candidates"][0]["offer_id"]
    proposed = api.post("/api/v1/matches", json={"request_id": request_id, "offer_id": offer_id}, headers=auth)
    assert proposed.status_code == 201, proposed.get_json()
    match = api.get(proposed.headers["Location"], headers=auth).get_json()
    assert (match["request_id"], match["offer_id"], match["status"]) == (request_id, offer_id, "proposed")
    again = api.post("/api/v1/matches", json={"request_id": request_id, "offer_id": offer_id}, headers=auth)
    assert again.status_code == 409 and again.get_json()["message"]


def test_transitions_follow_the_callers_role(app, people):
    api = app.test_client()
    coordinator = bearer(people["coordinator"])
    request_id, offer_id = people["requests"][0], people["offers"][0]
    match = api.post("/api/v1/matches", json={"request_id": request_id, "offer_id": offer_id}, headers=coordinator)
    match_id = match.get_json()["id"]
    host, other_host = (bearer(t) for t in people["hosts"])
    assert api.get(f"/api/v1/matches/{match_id}", headers=other_host).status_code == 404
    seen = api.get(f"/api/v1/matches/{match_id}", headers=host).get_json()
    assert set(seen["transitions"]) == {"accepted", "declined"}
    assert api.post(f"/api/v1/matches/{match_id}/transitions", json={"to": "moved_in"}, headers=host).status_code == 403
    accepted = api.post(f"/api/v1/matches/{match_id}/transitions", json={"to": "accepted"}, headers=host)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "host_accepted"
    nonsense = api.post(f"/api/v1/matches/{match_id}/transitions", json={"to": "teleported"}, headers=coordinator)
    assert nonsense.status_code == 422 and "to" in nonsense.get_json()["fields"]
    no_reason = api.post(f"/api/v1/matches/{match_id}/transitions", json={"to": "cancelled"}, headers=coordinator)
    assert no_reason.status_code in (409, 422)
    with app.app_context():
        from matcher.domain import lifecycle
        from matcher.domain.lifecycle import Event

        reason = next(iter(lifecycle.reasons_for(Event.CANCEL)))
    cancelled = api.post(
        f"/api/v1/matches/{match_id}/transitions", json={"to": "cancelled", "reason": reason}, headers=coordinator
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    with app.app_context():
        assert db.session.get(Match, match_id).decline_reason == reason


def test_batches_run_and_read_with_the_match_batch_summary(app, people):
    api = app.test_client()
    coordinator = bearer(people["coordinator"])
    assert api.post("/api/v1/batches", headers=bearer(people["hosts"][0])).status_code == 403
    run = api.post("/api/v1/batches", json={"time_limit_s": 5}, headers=coordinator)
    assert run.status_code == 201, run.get_json()
    batch = api.get(run.headers["Location"], headers=coordinator).get_json()
    assert set(batch) >= {"batch_id", "households_open", "households_placed", "people_placed", "optimal", "gap"}
    assert (
        batch["households_open"] == 2
        and batch["pairs"]
        and {"request_id", "offer_id", "score"} <= set(batch["pairs"][0])
    )
    assert api.get("/api/v1/batches/999999", headers=coordinator).status_code == 404


def test_the_standard_library_walkthrough_example_runs_against_a_live_server(app, people):
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import serving

    script = Path(__file__).resolve().parents[2] / "examples" / "api_walkthrough.py"
    with serving(app) as base:
        result = subprocess.run(
            [sys.executable, str(script), "--base", base, "--token", people["coordinator"]],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "registered request" in result.stdout and "proposed match" in result.stdout


def test_cities_read_in_their_local_form_whatever_name_a_row_was_stored_under(app):
    with app.app_context():
        host = factories.make_user(Role.HOST)
        factories.make_offer(host, place_name="Warsaw", country="PL", geoname_id=756135, lat=52.2298, lon=21.0118)
    offers = app.test_client().get("/api/v1/offers", headers=bearer(token_for(app, host))).get_json()
    assert [o["city"] for o in offers["items"]] == ["Warszawa"]
