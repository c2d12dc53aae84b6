"""The whole placement, as people do it in Chromium: propose, host accepts by mail, guest accepts, move-in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from matcher.services import notifications
from matcher.services.demo import create_demo_data
from matcher.services.matching import forget_pool
from tests import factories
from tests.e2e.conftest import screenshot
from tests.smtp import smtp_server

pytestmark = pytest.mark.browser


def log_in(page, login: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email or phone").fill(login)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status").first).to_contain_text("You are logged in")


def log_out(page) -> None:
    page.context.clear_cookies()


def test_a_placement_from_proposal_to_move_in(page, app, live_app, live_server, monkeypatch):
    with app.app_context():
        forget_pool()
        case = factories.make_case(
            offer={"address": "ul. Floriańska 12/3, 31-019 Kraków", "languages": ["uk", "pl"]},
            request={
                "owner_id": None,
                "languages": ["uk"],
                "contact_name": "Olena Kovalenko",
                "phone": "+380671234567",
            },
        )
        create_demo_data(offers=300, requests=20, seed=23)  # other offers compete; ours was made first
        host_email, guest_email = case.host.email, case.refugee.email
        coordinator_email, request_id = case.coordinator.email, case.request.id

    with smtp_server() as sink:
        for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "APP_BASE_URL": live_server}.items():
            monkeypatch.setitem(live_app.config, key, value)

        # 1. The coordinator takes the case and proposes the top candidate; the beds are held.
        log_in(page, coordinator_email)
        page.goto(f"/coordinator/requests/{request_id}")
        page.get_by_role("button", name="Take this case").click()
        expect(page.get_by_role("status").first).to_contain_text("This case is now yours")
        top = page.locator("article.candidate").first
        expect(top).to_contain_text("2 beds for a household of 2")
        top.get_by_role("button", name="Propose").click()
        expect(page.get_by_role("status").first).to_contain_text("The beds are held until")
        expect(page.locator("article.match")).to_contain_text("2 beds held")
        expect(page.locator("article.match .match-status")).to_have_text("Proposed")
        screenshot(page, "journey-1-proposed-phone")
        log_out(page)

        # 2. The host accepts through the link in the mail, without logging in.
        with live_app.app_context():
            notifications.send_due()
        mail = sink.to(host_email)[-1]
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert "2 adults" in body and "Kovalenko" not in body and "+380671234567" not in body
        link = re.search(r"https?://\S+/links/\S+", body).group(0)
        page.goto(link)
        expect(page.get_by_role("heading", name="A household for your place")).to_be_visible()
        page.get_by_role("button", name="Yes, I accept").click()
        expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
        expect(page.locator("main")).to_contain_text("you accepted")
        screenshot(page, "journey-2-host-accepted-by-link-phone")

        # 3. The guest accepts in the app, and 4. sees the host's exact address.
        log_in(page, guest_email)
        page.locator(".my-match").first.get_by_role("link", name="Answer").click()
        expect(page.get_by_role("heading", name="A place for your household")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("Floriańska")
        page.get_by_role("button", name="Yes, I accept").click()
        expect(page.locator("body")).to_contain_text("Floriańska 12/3")
        expect(page.locator("body")).to_contain_text(host_email)
        screenshot(page, "journey-3-guest-sees-address-phone")
        log_out(page)

        # 4. The host sees the guest's name and phone now.
        log_in(page, host_email)
        page.locator(".my-match").first.get_by_role("link", name="See details").click()
        expect(page.locator("body")).to_contain_text("Olena Kovalenko")
        expect(page.locator("body")).to_contain_text("+380671234567")
        log_out(page)

    # 5. The coordinator records the move-in, and 6. the dashboard counts the placement.
    log_in(page, coordinator_email)
    expect(page.locator("#fig-people-housed")).to_have_text("0")
    page.goto(f"/coordinator/requests/{request_id}")
    expect(page.locator("article.match .match-status")).to_have_text("Confirmed")
    page.get_by_role("button", name="Record move-in").click()
    expect(page.locator("article.match .match-status")).to_have_text("Moved in")
    page.goto("/coordinator/")
    expect(page.locator("#fig-people-housed")).to_have_text("2")
    expect(page.locator("#fig-households-housed")).to_have_text("1")
    screenshot(page, "journey-4-outcomes-phone")
