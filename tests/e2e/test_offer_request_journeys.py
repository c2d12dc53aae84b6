"""The two journeys of issue 3 in real Chromium on a phone: a host offers a place in Kraków (typed in Ukrainian),
pauses it and confirms it again; a family of four with a dog asks for a place near Lwów."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from matcher.domain.vocabulary import OfferStatus
from matcher.extensions import db
from matcher.geocoding import load_gazetteer
from matcher.models import HousingRequest, Offer
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser
PASSWORD = "a sturdy passphrase 42"
KYIV = 703448


@pytest.fixture(scope="module", autouse=True)
def gazetteer_loaded():
    """Load the offline gazetteer (a few seconds, once per process) before a form waits on it in the browser."""
    load_gazetteer()


def sign_up(page, role_link: str, name: str, *, email: str = "", phone: str = "") -> None:
    page.goto("/")
    page.get_by_role("link", name=role_link).click()
    page.get_by_label("Your name").fill(name)
    if email:
        page.get_by_label("Email").fill(email)
    if phone:
        page.get_by_label("Phone").fill(phone)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name=f"Hello, {name}")).to_be_visible()


def test_host_offers_a_room_in_krakow_pauses_it_and_confirms_it_again(page, app):
    sign_up(page, "I can offer a place", "Anna Schmidt", email="anna.host@example.org")
    expect(page.get_by_text("You have no offers yet.")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Add an offer").click()

    page.get_by_label("Title").fill("Bright room near the tram")
    page.get_by_label("Flat").check()
    page.get_by_label("Beds", exact=True).fill("0")
    page.get_by_label("City or town").fill("Краків")
    page.get_by_label("Country").select_option("PL")
    page.get_by_label("Exact address").fill("ul. Floriańska 1, 31-019 Kraków")
    page.get_by_label("Pets are welcome").check()
    page.get_by_label("Ukrainian").check()
    page.get_by_label("Polish").check()
    page.get_by_role("button", name="Add offer").click()
    expect(page.locator("#beds-error")).to_contain_text("Give between 1 and 50 beds.")
    expect(page.get_by_label("City or town")).to_have_value("Краків")  # nothing typed is lost
    screenshot(page, "offer-form-error-phone")

    page.get_by_label("Beds", exact=True).fill("2")
    page.get_by_role("button", name="Add offer").click()
    expect(page.get_by_role("heading", name="Bright room near the tram")).to_be_visible()
    expect(page.get_by_text("Kraków, Poland")).to_be_visible()
    expect(page.get_by_text("No proposals yet.")).to_be_visible()
    screenshot(page, "offer-detail-phone")

    page.goto("/dashboard")
    card = page.get_by_role("article").filter(has_text="Bright room near the tram")
    expect(card).to_contain_text("2 beds free now, of 2")
    card.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("status")).to_contain_text("The offer is paused.")
    expect(card.get_by_text("Paused", exact=True)).to_be_visible()
    card.get_by_role("button", name="Resume").click()
    expect(card.get_by_text("Active", exact=True)).to_be_visible()
    card.get_by_role("button", name="Still available").click()
    expect(page.get_by_role("status")).to_contain_text("confirmed as still available")
    screenshot(page, "host-offers-phone")

    with app.app_context():
        offer = db.session.scalar(select(Offer))
        assert (offer.place_name, offer.country, offer.beds, offer.status) == ("Kraków", "PL", 2, OfferStatus.ACTIVE)
        assert offer.kind.value == "flat" and offer.pets_ok and sorted(offer.languages) == ["pl", "uk"]


def test_the_place_field_suggests_cities_in_any_script_and_fills_the_country(page, app):
    sign_up(page, "I need a place to stay", "Taras Melnyk", phone="+380 67 765 1111")
    page.get_by_role("link", name="Ask for a place to stay").click()
    place = page.get_by_label("Where would you like to stay? City or town")
    expect(place).to_have_attribute("list", "place-suggestions")  # the picker's script is ready for keystrokes
    # The first search loads the gazetteer in the server (seconds on a busy machine).
    with page.expect_response(lambda r: "/places/search" in r.url and "Kiev" in r.url, timeout=60_000):
        place.press_sequentially("Kiev")
    options = page.locator("#place-suggestions option")
    expect(options.first).to_have_attribute("value", "Київ (Kyiv)")
    expect(options.first).to_have_attribute("label", "Київ (Kyiv) — Ukraine, 2,952,301 inhabitants")
    place.fill("Київ (Kyiv)")  # as picking the suggestion does
    place.dispatch_event("change")
    expect(page.locator("input[name=place_choice]")).to_have_value(str(KYIV))
    expect(page.get_by_label("Country")).to_have_value("UA")


def test_a_family_of_four_with_a_dog_asks_for_a_place_near_lwow(page, app):
    sign_up(page, "I need a place to stay", "Olena Kovalenko", phone="+380 67 765 4321")
    page.get_by_role("link", name="Ask for a place to stay").click()
    expect(page.get_by_label("Name of the contact person")).to_have_value("Olena Kovalenko")

    page.get_by_label("Adults").fill("2")
    page.get_by_label("Children", exact=True).fill("2")
    page.get_by_label("Children's ages").fill("4, 40")
    page.get_by_label("We have a pet").check()
    page.get_by_label("Ukrainian").check()
    page.get_by_label("Where would you like to stay? City or town").fill("Lwów")
    page.get_by_label("Country").select_option("UA")
    page.get_by_label("How far from there could you go? (km)").fill("200")
    page.get_by_role("button", name="Send my request").click()
    expect(page.locator("#child_ages-error")).to_contain_text("40 is not a child's age")
    screenshot(page, "request-form-error-phone")

    page.get_by_label("Children's ages").fill("4, 9")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_text("We are looking for a place for you.")).to_be_visible()
    expect(page.get_by_text("2 adults, 2 children (ages 4, 9)")).to_be_visible()
    expect(page.get_by_text("Львів (Lviv), Ukraine, up to 200 km away")).to_be_visible()
    screenshot(page, "request-status-phone")

    page.goto("/dashboard")
    expect(page.get_by_role("link", name="Near Львів (Lviv)")).to_be_visible()
    screenshot(page, "refugee-dashboard-phone")

    with app.app_context():
        found = db.session.scalar(select(HousingRequest))
        assert (found.adults, found.children, found.child_ages, found.pets) == (2, 2, ["4", "9"], True)
        assert (found.place_name, found.country, found.max_distance_km) == ("Львів", "UA", 200)
        assert found.phone == "+380677654321"
