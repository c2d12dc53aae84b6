"""People use matcher in their own language from the first page: a Ukrainian family and a Polish host."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.support import Translations
from playwright.sync_api import expect
from sqlalchemy import select

from matcher.extensions import db
from matcher.geocoding import load_gazetteer
from matcher.models import HousingRequest, Offer, User
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser
PASSWORD = "a sturdy passphrase 42"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"


def catalogue(locale: str):
    """The compiled catalogue the app uses, so expectations follow the translators' words."""
    translations = Translations.load(str(TRANSLATIONS), [locale])
    assert isinstance(translations, Translations), f"no compiled catalogue for {locale}: run make translations"
    return translations.gettext


@pytest.fixture(scope="module", autouse=True)
def gazetteer_loaded():
    load_gazetteer()


def switch_language(page, self_name: str) -> None:
    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    page.locator("#nav-locale").select_option(label=self_name)


def sign_up(page, t, role_link: str, name: str, *, email: str = "", phone: str = "") -> None:
    page.get_by_role("link", name=t(role_link)).click()
    page.locator("#name").fill(name)
    if email:
        page.locator("#email").fill(email)
    if phone:
        page.locator("#phone").fill(phone)
    page.locator("#password").fill("short")
    page.locator("#confirm").fill("short")
    page.get_by_role("button", name=t("Create account")).click()
    expect(page.locator("#password-error")).not_to_be_empty()
    expect(page.locator("#password-error")).not_to_contain_text("characters long")  # WTForms' own message, translated
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.get_by_role("button", name=t("Create account")).click()
    expect(page.get_by_role("heading", name=t("Hello, %(name)s") % {"name": name})).to_be_visible()


def test_a_ukrainian_family_files_its_request_entirely_in_ukrainian(page, app):
    t = catalogue("uk")
    switch_language(page, "Українська")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    sign_up(page, t, "I need a place to stay", "Олена Коваленко", phone="+380 67 765 4321")
    page.get_by_role("main").get_by_role("link", name=t("Ask for a place to stay")).click()
    page.locator("#adults").fill("2")
    page.locator("#children").fill("2")
    page.locator("#child_ages").fill("4, 40")
    page.locator("#pets").check()
    page.locator("input[name=languages][value=uk]").check()
    page.locator("#place").fill("Львів")
    page.locator("#country").select_option("UA")
    page.locator("#max_distance_km").fill("200")
    page.get_by_role("button", name=t("Send my request")).click()
    expected = t("A child is 0 to 17 years old; %(age)s is not a child's age.") % {"age": "40"}
    expect(page.locator("#child_ages-error")).to_contain_text(expected)
    expect(page.locator("#country option:checked")).to_have_text("Україна")  # country names from Babel
    screenshot(page, "uk-request-error-phone")
    page.locator("#child_ages").fill("4, 9")
    page.get_by_role("button", name=t("Send my request")).click()
    expect(page.get_by_text(t(
        "We are looking for a place for you. A coordinator will propose one that fits your household. "
        "You do not need to do anything now; we will tell you here as soon as there is news."
    ))).to_be_visible()  # fmt: skip
    screenshot(page, "uk-request-status-phone")
    with app.app_context():
        found = db.session.scalar(select(HousingRequest))
        assert (found.adults, found.children, found.pets, found.place_name) == (2, 2, True, "Львів")
        assert db.session.scalar(select(User.locale).where(User.id == found.refugee_id)) == "uk"


def test_a_polish_host_offers_a_place_entirely_in_polish(page, app):
    t = catalogue("pl")
    switch_language(page, "Polski")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    sign_up(page, t, "I can offer a place", "Katarzyna Nowak", email="kasia@example.pl")
    page.get_by_role("main").get_by_role("link", name=t("Add an offer")).click()
    page.locator("#title").fill("Pokój przy parku")
    page.locator("input[name=kind][value=room]").check()
    page.locator("#beds").fill("0")
    page.locator("#place").fill("Warszawa")
    page.locator("#country").select_option("PL")
    page.locator("#address").fill("ul. Marszałkowska 10, 00-001 Warszawa")
    page.locator("input[name=languages][value=pl]").check()
    page.locator("input[name=languages][value=uk]").check()
    page.get_by_role("button", name=t("Add offer")).click()
    expect(page.locator("#beds-error")).to_contain_text(t("Give between 1 and 50 beds."))
    screenshot(page, "pl-offer-error-phone")
    page.locator("#beds").fill("2")
    page.get_by_role("button", name=t("Add offer")).click()
    expect(page.get_by_role("heading", name="Pokój przy parku")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Polska")  # the country in Polish, from Babel
    screenshot(page, "pl-offer-detail-phone")
    with app.app_context():
        offer = db.session.scalar(select(Offer))
        assert (offer.place_name, offer.beds) == ("Warszawa", 2)
