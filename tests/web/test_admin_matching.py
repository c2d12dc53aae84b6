"""An admin overrides the scoring weights and the date slack; ranking follows at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import AuditEvent, HousingRequest, Setting
from matcher.services.demo import create_demo_data
from matcher.services.matching import forget_pool

SETTINGS = {
    "proximity": "40",
    "capacity": "25",
    "language": "0",
    "dates": "15",
    "date_slack_days": "7",
    "batch_top_k": "40",
}


@pytest.fixture
def request_with_candidates(app):
    with app.app_context():
        forget_pool()
        create_demo_data(offers=300, requests=20, seed=11)
        return db.session.scalars(select(HousingRequest.id).order_by(HousingRequest.id)).all()


def test_admin_changes_weights_and_scores_follow(app, client, login_as, request_with_candidates):
    login_as("admin")
    form = client.get("/admin/matching").get_data(as_text=True)
    assert 'name="proximity"' in form and 'value="40' in form
    assert client.post("/admin/matching", data=SETTINGS).status_code == 302
    for request_id in request_with_candidates:
        data = client.get(f"/api/v1/requests/{request_id}/candidates?limit=3").get_json()
        for candidate in data["candidates"]:
            assert candidate["components"]["language"] == 0
            # The other weights are rescaled so that a perfect candidate still scores 100.
            assert candidate["components"]["proximity"] <= 50.0 + 1e-6
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "settings.matching_changed")
            )
            == 1
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("proximity", "-5", "Number must be between 0 and 100."),
        ("dates", "abc", "Not a valid decimal value."),
        ("date_slack_days", "400", "Number must be between 0 and 60."),
        ("batch_top_k", "0", "Number must be between 1 and 200."),
    ],
)
def test_bad_settings_are_refused_beside_the_field_and_nothing_is_stored(app, client, login_as, field, value, message):
    login_as("admin")
    response = client.post("/admin/matching", data={**SETTINGS, field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html[html.index(f'id="{field}-error"') :]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Setting)) == 0


def test_all_zero_weights_are_refused(app, client, login_as):
    login_as("admin")
    zero = {**SETTINGS, "proximity": "0", "capacity": "0", "language": "0", "dates": "0"}
    response = client.post("/admin/matching", data=zero)
    assert response.status_code == 422
    assert "At least one weight must be above zero." in response.get_data(as_text=True)


def test_only_admins_change_matching_settings(client, login_as):
    login_as("coordinator")
    assert client.get("/admin/matching").status_code == 403
    assert client.post("/admin/matching", data=SETTINGS).status_code == 403
