"""Safeguarding and privacy in Chromium, at phone width: checks and a second sign-off gate the confirmation; a
guest's concern puts the case at the top of the queue; a person downloads their data and deletes the account."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from matcher.extensions import db
from matcher.models import Role, User
from matcher.services import matches
from matcher.services.matching import forget_pool
from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser

CHECKS = ("ID seen", "Video call", "Home visit", "References", "Criminal-record check", "Briefing done")


def log_in(page, login: str) -> None:
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("Email or phone").fill(login)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status").first).to_contain_text("You are logged in")


def _flagged_placement(app) -> dict:
    """A mother and two children proposed to an unverified host who lives alone; the host has accepted."""
    with app.app_context():
        forget_pool()
        case = factories.make_case(
            verified=False,
            offer={"household_adults": 1, "household_gender": "men", "beds": 3, "address": "ul. Długa 7, Kraków"},
            request={"adults": 1, "children": 2, "child_ages": ["4", "9"]},
        )
        second = factories.make_user(Role.COORDINATOR, name="Ola Second", email="second@ngo.example")
        match = matches.propose(case.coordinator, case.request.id, case.offer.id)
        matches.accept(case.host, match.id)
        return {
            "match": match.id,
            "request": case.request.id,
            "host_id": case.host.id,
            "guest": case.refugee.email,
            "first": case.coordinator.email,
            "second": second.email,
        }


def test_checks_and_a_second_sign_off_gate_the_confirmation(page, app):
    p = _flagged_placement(app)

    # The guest accepts: refused, and the page names the missing checks.
    log_in(page, p["guest"])
    page.goto(f"/matches/{p['match']}")
    expect(page.get_by_test_id("gate-note").first).to_contain_text("Home visit")
    page.get_by_role("button", name="Yes, I accept").click()
    alert = page.get_by_role("alert").filter(has_text="cannot be confirmed yet")
    expect(alert).to_contain_text("ID seen, Video call, Home visit, References, Criminal-record check, Briefing done")
    screenshot(page, "safeguarding-refused-guest-360")

    # The proposing coordinator records the six checks on the host page.
    log_in(page, p["first"])
    page.goto(f"/coordinator/requests/{p['request']}")
    page.get_by_test_id("match-safety").get_by_role("link", name=f"host {p['host_id']}").click()
    expect(page.get_by_test_id("verification")).to_have_text("Not verified")
    for label in CHECKS:
        page.get_by_label("Check", exact=True).select_option(label=label)
        page.get_by_role("button", name="Record the check").click()
        expect(page.get_by_role("status").first).to_contain_text("Check recorded")
    expect(page.get_by_test_id("verification")).to_have_text("Verified host")
    screenshot(page, "safeguarding-host-checks-360")

    # The proposer cannot give the second sign-off.
    page.goto(f"/coordinator/requests/{p['request']}#safeguarding")
    expect(page.get_by_test_id("signoff")).to_contain_text("another coordinator must sign it off")

    # A second coordinator signs off.
    log_in(page, p["second"])
    page.goto(f"/coordinator/requests/{p['request']}#safeguarding")
    panel = page.get_by_test_id("match-safety")
    expect(panel).to_contain_text("a household with children")
    expect(panel).to_contain_text("a host household of one adult man")
    panel.get_by_role("button", name="Sign off as second coordinator").click()
    expect(page.get_by_role("status").first).to_contain_text("Signed off")
    expect(page.get_by_test_id("signoff")).to_contain_text("Signed off")
    screenshot(page, "safeguarding-signed-off-360")

    # Now the guest's acceptance confirms, and the address is shown.
    log_in(page, p["guest"])
    page.goto(f"/matches/{p['match']}")
    page.get_by_role("button", name="Yes, I accept").click()
    expect(page.get_by_test_id("match-status")).to_have_text("confirmed")
    expect(page.get_by_test_id("contact")).to_contain_text("ul. Długa 7, Kraków")


def test_a_guest_reports_a_concern_and_the_case_jumps_to_the_top_of_the_queue(page, app):
    p = _flagged_placement(app)
    with app.app_context():
        for _ in range(4):
            factories.make_request(vulnerabilities=["infant"])  # older, vulnerable, unassigned: normally first

    log_in(page, p["guest"])
    page.goto(f"/matches/{p['match']}")
    page.get_by_text("Report a concern").click()
    page.get_by_label("What worries you?").fill("The host asked us for money before we arrive.")
    page.get_by_role("button", name="Send to the coordinators").click()
    expect(page.get_by_role("status").first).to_contain_text("A coordinator will look into it")
    expect(page.get_by_test_id("paused")).to_be_visible()
    screenshot(page, "safeguarding-concern-guest-360")

    log_in(page, p["first"])
    page.goto("/coordinator/queue")
    first_row = page.locator("tbody tr").first
    expect(first_row.get_by_test_id("flagged")).to_have_text("Concern")
    expect(first_row.get_by_role("link")).to_have_attribute("href", f"/coordinator/requests/{p['request']}")
    screenshot(page, "safeguarding-queue-flagged-360")
    first_row.get_by_role("link").click()
    page.get_by_role("link", name="Read (logged)").click()
    expect(page.get_by_test_id("concern-body")).to_contain_text("asked us for money")


def test_a_person_downloads_their_data_then_deletes_the_account(page, app):
    with app.app_context():
        user = factories.make_user(Role.REFUGEE, email="leaving@example.org", name="Iryna Leaving")
        factories.make_request(user, contact_name="Iryna Leaving")
        user_id = user.id

    log_in(page, "leaving@example.org")
    page.get_by_role("button", name="Menu").click()  # the navigation is folded at phone width
    page.get_by_role("link", name="Your data").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    data = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == "leaving@example.org"
    assert data["housing_requests"][0]["contact_name"] == "Iryna Leaving"

    page.get_by_label("Your password, to confirm").fill("not my password")
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_text("The password is not right.")).to_be_visible()
    page.get_by_label("Your password, to confirm").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("status").first).to_contain_text("Your account is deleted")
    screenshot(page, "privacy-deleted-360")
    with app.app_context():
        gone = db.session.get(User, user_id)
        assert (gone.name, gone.email, gone.active) == ("", None, False)
