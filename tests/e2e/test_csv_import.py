"""A coordinator uploads a small CSV file, reads the preview on a phone, and imports it, in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Offer
from tests import factories
from tests.e2e.conftest import screenshot
from tests.transfer.samples import offers_csv

pytestmark = pytest.mark.browser


def test_upload_preview_and_import_on_a_phone(page, app, live_app, tmp_path, monkeypatch):
    monkeypatch.setitem(live_app.config, "CSV_UPLOAD_DIR", str(tmp_path))
    with app.app_context():
        factories.make_user(role="coordinator", email="iryna@ngo.example", name="Iryna Koval")
    page.goto("/auth/login")
    page.get_by_label("Email or phone").fill("iryna@ngo.example")
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/csv/")
    page.get_by_label("Offers", exact=True).first.check()
    page.locator("input#file").set_input_files({"name": "offers.csv", "mimeType": "text/csv", "buffer": offers_csv(5)})
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Import preview")).to_be_visible()
    expect(page.locator('[data-count="rows"]')).to_have_text("5")
    expect(page.locator("#import-preview tbody tr")).to_have_count(5)
    expect(page.locator("#import-preview")).to_contain_text("ngo-offer-0")
    screenshot(page, "csv-import-preview-phone")
    with app.app_context():
        assert db.session.scalar(select(func.count(Offer.id))) == 0
    page.get_by_role("button", name="Import 5 rows").click()
    expect(page.get_by_role("heading", name="Import done")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(func.count(Offer.id))) == 5
