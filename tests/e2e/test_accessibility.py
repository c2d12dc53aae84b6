"""axe-core audits of every page type in English and Ukrainian, and a keyboard-only sign-up."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from matcher.services.demo import create_demo_data
from matcher.services.matching import forget_pool
from tests import factories

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}


@pytest.fixture
def people(app):
    with app.app_context():
        forget_pool()
        case = factories.make_case()
        create_demo_data(offers=200, requests=10, seed=29)
        return {
            "host": case.host.email,
            "refugee": case.refugee.email,
            "coordinator": case.coordinator.email,
            "offer": case.offer.id,
            "request": case.request.id,
        }


def audit(page, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    return [
        f"{path}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def log_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.locator("#login").fill(email)
    page.locator("#password").fill(factories.TEST_PASSWORD)
    page.locator("form[action^='/auth/login'] button[type=submit]").click()
    page.wait_for_url("**/dashboard**") if "coordinator" not in email else page.wait_for_load_state()


@pytest.mark.parametrize("locale", ["en", "uk"])
def test_every_page_type_has_no_serious_accessibility_violations(page, people, locale):
    page.context.set_extra_http_headers({"Accept-Language": locale})
    problems: list[str] = []
    for path in ("/", "/auth/signup", "/auth/login", "/maps/"):
        problems += audit(page, path)
    log_in(page, people["host"])
    for path in ("/dashboard", "/offers/new", f"/offers/{people['offer']}"):
        problems += audit(page, path)
    log_in(page, people["refugee"])
    for path in ("/dashboard", f"/requests/{people['request']}"):
        problems += audit(page, path)
    log_in(page, people["coordinator"])
    for path in (
        "/coordinator/",
        "/coordinator/queue",
        f"/coordinator/requests/{people['request']}",
        "/coordinator/batches",
        "/maps/coordinator",
        "/desk/requests/new",
    ):
        problems += audit(page, path)
    assert not problems, "\n".join(problems)


def test_sign_up_with_the_keyboard_alone_and_focus_is_visible(page):
    page.goto("/auth/signup")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.locator("#role-1").focus()
    page.keyboard.press("Space")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert outline != "none" or shadow != "none", "the focused control shows no focus indicator"
    for text in ("Ivan Petrenko", "ivan@example.org", "", "a sturdy passphrase 42", "a sturdy passphrase 42"):
        page.keyboard.press("Tab")
        if text:
            page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello, Ivan Petrenko")).to_be_visible()
