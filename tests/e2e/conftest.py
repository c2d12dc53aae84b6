"""Browser fixtures: Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out, and this network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 780}
# A loaded 2-core machine runs two browsers and two servers at once; give assertions room before failing.
expect.set_options(timeout=15_000)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized tab; console errors fail the test."""
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(_console_text(message)) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not [e for e in errors if not _expected(e)], f"browser console errors: {errors}"


def _console_text(message) -> str:
    # Chromium names a resource that failed to load only in the message's location, not its text: keep the
    # URL, so a map tile that cannot load offline ("Failed to load resource: net::ERR_NAME_NOT_RESOLVED")
    # is recognised below by its address, and any other failed resource still fails the test.
    url = (message.location or {}).get("url", "")
    if message.text.startswith("Failed to load resource") and url:
        return f"{message.text} ({url})"
    return message.text


def _expected(message: str) -> bool:
    # Forms re-rendered with their errors answer 422 on purpose, and map tiles cannot load offline;
    # Chromium logs both as console errors, and neither is a fault of the page.
    return "status of 422" in message or "tile" in message.lower()


def screenshot(page, name: str) -> None:
    """Save a screenshot for a person to look at (screenshots/ is git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
