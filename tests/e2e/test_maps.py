"""The maps in real Chromium at phone width: a coordinator filters offers near Warsaw, a visitor reads the city
counts, and a case shows its candidates. Tiles cannot load here, so the maps are grey under their markers."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from matcher.domain.location import approximate_point
from matcher.domain.vocabulary import PlaceKind
from matcher.extensions import db
from matcher.models import HousingRequest, Offer
from matcher.services.demo import create_demo_data
from matcher.services.maps import forget_map_cache
from matcher.services.matching import forget_pool, rank_request
from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser

WARSAW = (52.2297, 21.0122)
KRAKOW = (50.0614, 19.9366)


def add_offer(host_id: int, lat: float, lon: float, **fields) -> int:
    approx_lat, approx_lon = approximate_point(lat, lon, secret=b"e2e", salt=str(host_id))
    values = {
        "title": "Flat",
        "place_name": "Warsaw",
        "country": "PL",
        "beds": 3,
        "kind": PlaceKind.FLAT,
        "available_from": date.today(),
        "languages": ["pl", "uk"],
        **fields,
    }
    offer = Offer(host_id=host_id, lat=lat, lon=lon, approx_lat=approx_lat, approx_lon=approx_lon, **values)
    db.session.add(offer)
    db.session.commit()
    return offer.id


@pytest.fixture
def world(app):
    """Demo data across Europe, six hosts in Warsaw (every other one step-free), three in Kraków."""
    with app.app_context():
        forget_pool()
        forget_map_cache()
        create_demo_data(offers=150, requests=20, seed=5)
        step_free, steps = [], []
        for i in range(6):
            host = factories.make_user("host").id
            offer_id = add_offer(host, WARSAW[0] + 0.01 * (i % 3), WARSAW[1] + 0.015 * (i // 3), step_free=i % 2 == 0)
            (step_free if i % 2 == 0 else steps).append(offer_id)
        for i in range(3):
            add_offer(factories.make_user("host").id, KRAKOW[0] + 0.01 * i, KRAKOW[1], place_name="Kraków")
        coordinator = factories.make_user("coordinator", name="Marta Nowak").email
    yield {"step_free": step_free, "steps": steps, "coordinator": coordinator}
    with app.app_context():
        forget_pool()
        forget_map_cache()


def log_in(page, login: str, then: str) -> None:
    """Log in through the form, going straight on to `then` (a path), as after following a link."""
    page.goto("/auth/login?" + urlencode({"next": then}))
    page.get_by_label("Email or phone").fill(login)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def assert_accessible(page) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_a_coordinator_filters_the_map_to_step_free_offers_near_warsaw(page, world):
    with page.expect_response(lambda r: "/api/v1/map/offers" in r.url) as first:
        log_in(page, world["coordinator"], f"/maps/coordinator?lat={WARSAW[0]}&lon={WARSAW[1]}&zoom=11")
    everything = first.value.json()
    assert everything["mode"] == "points"
    shown = {o["id"] for f in everything["features"] for o in f["properties"]["offers"]}
    assert set(world["step_free"]) | set(world["steps"]) <= shown
    expect(page.locator(".map-point")).to_have_count(len(everything["features"]))

    with page.expect_response(lambda r: "/api/v1/map/offers" in r.url and "step_free=1" in r.url) as filtered:
        page.get_by_label("Step-free access").check()
    data = filtered.value.json()
    offers = [o for f in data["features"] for o in f["properties"]["offers"]]
    assert {o["id"] for o in offers} >= set(world["step_free"])
    assert not {o["id"] for o in offers} & set(world["steps"])
    assert all(o["step_free"] for o in offers)
    expect(page.locator(".map-point")).to_have_count(len(data["features"]))
    expect(page.locator("[data-map-summary]")).to_contain_text(f"Offers in view: {data['totals']['offers']}")
    assert "step_free=1" in page.url  # a reload or a shared link keeps the filter

    page.locator(".map-point").first.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("Step-free access")
    expect(popup.get_by_role("link", name="Open offer")).to_have_attribute("href", re.compile(r"^/offers/\d+$"))
    page.wait_for_timeout(400)  # the popup fades in
    screenshot(page, "map-coordinator-step-free-warsaw-phone")
    page.keyboard.press("Escape")
    assert_accessible(page)


def test_a_visitor_sees_counts_per_city_and_never_an_offer(page, world):
    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    with page.expect_response(lambda r: "/api/v1/map/cities" in r.url) as first:
        page.get_by_role("link", name="Map").click()
    expect(page.get_by_role("heading", name="Where hosts have room")).to_be_visible()
    assert first.value.json()["features"]
    expect(page.locator(".map-city").first).to_be_visible()
    screenshot(page, "map-public-europe-phone")

    with page.expect_response(lambda r: "/api/v1/map/cities" in r.url):
        page.goto("/maps/?lat=51.2&lon=20.5&zoom=7")
    expect(page.locator("[data-map-list]")).to_contain_text("Warszawa: open offers: 6")
    expect(page.locator("[data-map-list]")).to_contain_text("Kraków: open offers: 3")
    expect(page.locator("[data-map-summary]")).to_contain_text("Open offers in view:")
    page.get_by_role("button", name="Warszawa: open offers: 6").click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Free beds: 18")
    assert page.locator(".map-point").count() == 0
    page.wait_for_timeout(400)  # the popup fades in
    screenshot(page, "map-public-poland-phone")
    page.keyboard.press("Escape")
    assert_accessible(page)


def test_a_case_maps_its_ranked_candidates(page, app, world):
    with app.app_context():
        for request_id in db.session.scalars(select(HousingRequest.id)).all():
            _, ranking = rank_request(request_id)
            if len(ranking.candidates) >= 2:
                break
        else:
            pytest.fail("no case with two candidates in the demo data")
    log_in(page, world["coordinator"], f"/coordinator/requests/{request_id}")
    case_map = page.locator("#case-map")
    expect(case_map.locator(".map-point")).to_have_count(len(ranking.candidates))
    expect(case_map.locator(".map-wanted")).to_have_count(1)
    expect(case_map.get_by_role("button", name="Candidate 1 ·")).to_be_visible()
    page.locator("#case-map-heading").scroll_into_view_if_needed()
    screenshot(page, "map-case-phone")
    assert_accessible(page)
