"""Running a batch from the UI, reviewing it, and accepting it in bulk without ever double-booking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matcher.domain.lifecycle_states import HOLDING_STATES
from matcher.extensions import db
from matcher.models import BatchRow, BatchRun, HousingRequest, Match, Offer, utcnow
from matcher.services.demo import create_demo_data
from matcher.services.matching import forget_pool


def run_batch(client) -> int:
    response = client.post("/coordinator/batches")
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def assert_no_double_booking(app):
    with app.app_context():
        held = db.session.execute(
            select(Match.offer_id, func.sum(Match.beds_held), func.count(Match.id))
            .where(Match.status.in_(HOLDING_STATES))
            .group_by(Match.offer_id)
        ).all()
        for offer_id, beds_held, count in held:
            offer = db.session.get(Offer, offer_id)
            assert beds_held <= offer.beds
            assert offer.shareable or count == 1
        per_request = db.session.execute(
            select(Match.request_id, func.count()).where(Match.status.in_(HOLDING_STATES)).group_by(Match.request_id)
        ).all()
        assert all(n == 1 for _, n in per_request)


def test_a_batch_of_1000_requests_is_reviewed_and_accepted_in_bulk(app, client, login_as):
    with app.app_context():
        forget_pool()
        create_demo_data(offers=2500, requests=1000, seed=13)
    login_as("coordinator")
    batch_id = run_batch(client)
    page = client.get(f"/coordinator/batches/{batch_id}").get_data(as_text=True)
    assert "Accept all waiting rows" in page
    assert page.count('class="batch-row"') == 100  # the first page of rows, each with its reasons
    assert " km from " in page
    with app.app_context():
        proposed = db.session.scalar(select(func.count()).select_from(BatchRow).where(BatchRow.batch_id == batch_id))
        assert proposed > 500
    response = client.post(f"/coordinator/batches/{batch_id}/review", data={"action": "accept_all"})
    assert response.status_code == 302
    with app.app_context():
        states = dict(
            db.session.execute(
                select(BatchRow.state, func.count()).where(BatchRow.batch_id == batch_id).group_by(BatchRow.state)
            ).all()
        )
        matches = db.session.scalar(select(func.count()).select_from(Match))
        assert states.get("accepted", 0) == matches
        assert states.get("accepted", 0) + states.get("proposed", 0) == proposed
        assert matches > 500
    assert_no_double_booking(app)
    done = client.get(f"/coordinator/batches/{batch_id}").get_data(as_text=True)
    assert "Proposed to both sides" in done


def test_rows_whose_data_changed_are_reported_and_skipped(app, client, login_as):
    with app.app_context():
        forget_pool()
        create_demo_data(offers=300, requests=40, seed=17)
    login_as("coordinator")
    batch_id = run_batch(client)
    with app.app_context():
        rows = db.session.scalars(select(BatchRow).where(BatchRow.batch_id == batch_id).order_by(BatchRow.id)).all()
        assert len(rows) >= 3
        changed_request = db.session.get(HousingRequest, rows[0].request_id)
        changed_request.updated_at = utcnow() + timedelta(seconds=1)
        changed_offer = db.session.get(Offer, rows[1].offer_id)
        changed_offer.updated_at = utcnow() + timedelta(seconds=1)
        db.session.commit()
        changed_ids = {rows[0].id, rows[1].id}
    response = client.post(
        f"/coordinator/batches/{batch_id}/review", data={"action": "accept_all"}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "The request or the offer changed after the batch ran." in html
    with app.app_context():
        for row in db.session.scalars(select(BatchRow).where(BatchRow.batch_id == batch_id)):
            if row.id in changed_ids:
                assert row.state == "proposed" and row.match_id is None
                assert row.note == "The request or the offer changed after the batch ran."
    assert_no_double_booking(app)


def test_selected_rows_can_be_accepted_or_rejected(app, client, login_as):
    with app.app_context():
        forget_pool()
        create_demo_data(offers=300, requests=30, seed=19)
    login_as("coordinator")
    batch_id = run_batch(client)
    with app.app_context():
        first, second, *_ = db.session.scalars(
            select(BatchRow.id).where(BatchRow.batch_id == batch_id).order_by(BatchRow.id)
        )
    client.post(f"/coordinator/batches/{batch_id}/review", data={"action": "reject", "row_id": [str(first)]})
    client.post(f"/coordinator/batches/{batch_id}/review", data={"action": "accept", "row_id": [str(second)]})
    with app.app_context():
        assert db.session.get(BatchRow, first).state == "rejected"
        accepted = db.session.get(BatchRow, second)
        assert accepted.state == "accepted" and accepted.match_id is not None
        assert db.session.scalar(select(func.count()).select_from(Match)) == 1
    # A rejected row cannot be accepted afterwards, and a forged row id is not found.
    assert (
        client.post(
            f"/coordinator/batches/{batch_id}/review", data={"action": "accept", "row_id": [str(first)]}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/coordinator/batches/{batch_id}/review", data={"action": "accept", "row_id": ["99999999"]}
        ).status_code
        == 404
    )
    assert client.post(f"/coordinator/batches/{batch_id}/review", data={"action": "explode"}).status_code == 400
    assert client.get("/coordinator/batches/99999").status_code == 404


@pytest.mark.parametrize("role", ["host", "refugee"])
def test_batches_are_for_staff_only(app, client, login_as, role):
    login_as(role)
    assert client.get("/coordinator/batches").status_code == 403
    assert client.post("/coordinator/batches").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BatchRun)) == 0
