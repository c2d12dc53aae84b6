"""The coordinator's queue and case page, and the candidates JSON, on seeded demo data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import AuditEvent, HousingRequest, Note
from matcher.services.demo import create_demo_data
from matcher.services.matching import forget_pool


@pytest.fixture
def demo(app):
    with app.app_context():
        forget_pool()
        create_demo_data(offers=400, requests=40, seed=7)
        requests = db.session.scalars(select(HousingRequest).order_by(HousingRequest.id)).all()
        return [r.id for r in requests]


@pytest.fixture
def coordinator(login_as):
    return login_as("coordinator", name="Marta Nowak")


def best_case(app, client, request_ids):
    """A request with both candidates and near-misses, as the JSON reports them."""
    for request_id in request_ids:
        data = client.get(f"/api/v1/requests/{request_id}/candidates?limit=5").get_json()
        if data["candidates"] and data["near_misses"]:
            return request_id, data
    pytest.fail("demo data gave no request with candidates and near-misses")


def test_candidates_json_has_scores_components_reasons_and_near_misses(app, client, demo, coordinator):
    request_id, data = best_case(app, client, demo)
    assert len(data["candidates"]) <= 5
    first = data["candidates"][0]
    assert set(first) >= {"offer_id", "score", "distance_km", "components", "reasons"}
    assert set(first["components"]) == {"proximity", "capacity", "language", "dates"}
    assert abs(sum(first["components"].values()) - first["score"]) < 0.1
    assert 0 <= first["score"] <= 100
    assert any(" km from " in reason for reason in first["reasons"])
    scores = [c["score"] for c in data["candidates"]]
    assert scores == sorted(scores, reverse=True)
    near = data["near_misses"][0]
    assert set(near) >= {"offer_id", "rule", "reason"}
    assert near["rule"] in {"status", "beds", "dates", "pets", "children", "step_free", "distance", "refused"}


def test_case_page_shows_explained_candidates_then_near_misses(app, client, demo, coordinator):
    request_id, data = best_case(app, client, demo)
    html = client.get(f"/coordinator/requests/{request_id}").get_data(as_text=True)
    top = data["candidates"][0]
    assert f'data-offer-id="{top["offer_id"]}"' in html
    for reason in top["reasons"]:
        assert reason in html
    assert html.index("Candidates") < html.index("Near-misses")
    assert data["near_misses"][0]["reason"] in html
    assert "Propose" in html


def test_candidates_json_authorization_and_bad_arguments(app, client, demo, login_as):
    assert client.get(f"/api/v1/requests/{demo[0]}/candidates").status_code == 401
    login_as("host")
    response = client.get(f"/api/v1/requests/{demo[0]}/candidates")
    assert response.status_code == 403 and response.is_json
    login_as("coordinator")
    assert client.get("/api/v1/requests/999999/candidates").status_code == 404
    for bad in ("0", "-3", "abc", "100000", "1e3"):
        response = client.get(f"/api/v1/requests/{demo[0]}/candidates?limit={bad}")
        assert response.status_code == 400
        assert response.get_json()["fields"] == {"limit": "must be a whole number from 1 to 200"}


def test_the_contact_stays_hidden_until_revealed_with_a_reason_which_is_logged(app, client, demo, coordinator):
    with app.app_context():
        case = db.session.get(HousingRequest, demo[0])
        name, email = case.contact_name, case.email
    page = client.get(f"/coordinator/requests/{demo[0]}").get_data(as_text=True)
    assert email not in page and name not in page
    refused = client.post(f"/coordinator/requests/{demo[0]}/reveal", data={"reason": ""}, follow_redirects=True)
    assert "Say why you need the contact details." in refused.get_data(as_text=True)
    shown = client.post(f"/coordinator/requests/{demo[0]}/reveal", data={"reason": "calling about a place"})
    assert email in shown.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.revealed"))
        assert (event.actor_id, event.subject_id, event.reason) == (coordinator.id, demo[0], "calling about a place")


def test_queue_puts_unassigned_and_vulnerable_first_then_longest_waiting(app, client, demo, coordinator):
    with app.app_context():
        rows = db.session.scalars(select(HousingRequest)).all()
        vulnerable = sorted((r for r in rows if r.vulnerabilities), key=lambda r: (r.created_at, r.id))
        others = sorted((r for r in rows if not r.vulnerabilities), key=lambda r: (r.created_at, r.id))
        expected = [r.id for r in vulnerable + others]
    html = client.get("/coordinator/queue").get_data(as_text=True)
    shown = [int(part.split('"')[0]) for part in html.split('name="request_id" value="')[1:]]
    assert shown == expected[: len(shown)]
    assert "40 cases" in html


def test_take_assign_in_bulk_and_my_cases(app, client, demo, coordinator, login_as):
    assert client.post(f"/coordinator/requests/{demo[0]}/take").status_code == 302
    response = client.post("/coordinator/assign", data={"request_id": [str(demo[1]), str(demo[2])], "owner_id": "me"})
    assert response.status_code == 302
    mine = client.get("/coordinator/queue?owner=mine").get_data(as_text=True)
    assert "3 cases" in mine
    assert "Marta Nowak" in mine
    unassigned = client.get("/coordinator/queue?owner=unassigned").get_data(as_text=True)
    assert "37 cases" in unassigned
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.assigned"))
            == 3
        )
    assert client.post("/coordinator/assign", data={"request_id": ["999999"], "owner_id": "me"}).status_code == 404


def test_queue_search_and_sort_do_not_break_on_odd_input(app, client, demo, coordinator):
    for query in ("", "%", "'; drop table users; --", "Львів", "x" * 5000, "\u202e"):
        assert (
            client.get("/coordinator/queue", query_string={"q": query, "sort": "nonsense", "page": "-1"}).status_code
            == 200
        )
    assert client.get("/coordinator/queue?page=99999999999").status_code == 200


def test_notes_are_kept_with_author(app, client, demo, coordinator):
    client.post(f"/coordinator/requests/{demo[0]}/notes", data={"body": "Called the family, they prefer Kraków."})
    assert client.post(f"/coordinator/requests/{demo[0]}/notes", data={"body": "   "}).status_code == 302
    html = client.get(f"/coordinator/requests/{demo[0]}").get_data(as_text=True)
    assert "Called the family, they prefer Kraków." in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Note)) == 1


def test_coordinator_pages_are_for_staff_only(app, client, demo, login_as):
    assert client.get("/coordinator/queue").status_code == 302
    login_as("refugee")
    assert client.get("/coordinator/queue").status_code == 403
    assert client.get(f"/coordinator/requests/{demo[0]}").status_code == 403
    assert client.post(f"/coordinator/requests/{demo[0]}/notes", data={"body": "x"}).status_code == 403


def test_queue_shows_each_case_candidate_count(app, client, demo, coordinator):
    html = client.get("/coordinator/queue").get_data(as_text=True)
    first_row = html.split('name="request_id" value="')[1]
    request_id = int(first_row.split('"')[0])
    shown = first_row.split('class="candidate-count">')[1].split("<")[0]
    expected = client.get(f"/api/v1/requests/{request_id}/candidates?limit=1").get_json()["candidate_count"]
    assert int(shown.replace(",", "")) == expected
