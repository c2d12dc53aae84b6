"""A coordinator opens a case and sees explained candidates, then near-misses, in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.models import HousingRequest
from matcher.services.demo import create_demo_data
from matcher.services.matching import forget_pool, rank_request
from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


def log_in(page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email or phone").fill(email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_case_page_shows_explained_candidates_and_near_misses(page, app):
    with app.app_context():
        forget_pool()
        create_demo_data(offers=500, requests=30, seed=21)
        factories.make_user(role="coordinator", email="marta@ngo.example", name="Marta Nowak")
        for request_id in db.session.scalars(select(HousingRequest.id).order_by(HousingRequest.id)):
            _, ranking = rank_request(request_id, limit=3, near_miss_limit=3)
            if len(ranking.candidates) >= 2 and ranking.near_misses:
                break
        top = ranking.candidates[0]

    log_in(page, "marta@ngo.example")
    expect(page.get_by_role("heading", name="Outcomes")).to_be_visible()
    page.goto(f"/coordinator/requests/{request_id}")
    candidates = page.locator("article.candidate")
    expect(candidates.first).to_have_attribute("data-offer-id", str(top.offer_id))
    chips = candidates.first.locator(".reason-chip")
    expect(chips).to_have_count(4)
    expect(chips.first).to_contain_text(" km from ")
    expect(candidates.first.get_by_role("button", name="Propose")).to_be_visible()
    near = page.locator("li.near-miss")
    expect(near.first).to_be_visible()
    assert near.first.locator(".badge").inner_text().strip()
    screenshot(page, "case-page-phone")
