"""A new host signs up, logs out, logs in again and sees their dashboard, in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


def test_host_signs_up_logs_out_and_logs_in_again(page):
    page.goto("/")
    page.get_by_role("link", name="I can offer a place").click()
    expect(page.get_by_label("Offer a place to stay")).to_be_checked()
    page.get_by_label("Your name").fill("Anna Schmidt")
    page.get_by_label("Email").fill("anna@example.org")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("between 10 and 200 characters")
    screenshot(page, "signup-error-phone")

    page.get_by_label("Password", exact=True).fill("a sturdy passphrase 42")
    page.get_by_label("Repeat the password").fill("a sturdy passphrase 42")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Hello, Anna Schmidt")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")

    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out")

    page.goto("/dashboard")
    expect(page).to_have_url("/auth/login?next=%2Fdashboard")
    page.get_by_label("Email or phone").fill("ANNA@example.org")
    page.get_by_label("Password").fill("a sturdy passphrase 42")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url("/dashboard")
    expect(page.get_by_role("heading", name="Hello, Anna Schmidt")).to_be_visible()
    screenshot(page, "host-dashboard-phone")
