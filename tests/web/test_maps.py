"""The map API and pages on seeded demo data: counts add up, filters work, nothing private or fine-grained leaks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from matcher.domain.location import approximate_point
from matcher.domain.mapgrid import MAX_CELLS_PER_AXIS
from matcher.domain.vocabulary import OfferStatus, PlaceKind
from matcher.extensions import db
from matcher.geocoding import load_gazetteer
from matcher.models import HousingRequest, Offer, Role
from matcher.services.demo import create_demo_data
from matcher.services.maps import PUBLIC_MIN_HOSTS, forget_map_cache
from matcher.services.matching import forget_pool
from tests import factories

WORLD = "-180,-90,180,90"
WARSAW = (52.2297, 21.0122)
KRAKOW = (50.0614, 19.9366)


@pytest.fixture(autouse=True)
def _fresh_caches(app):
    with app.app_context():
        forget_pool()
        forget_map_cache()
    yield


@pytest.fixture
def demo(app):
    with app.app_context():
        create_demo_data(offers=300, requests=40, seed=11)
        return offers_snapshot()


def offers_snapshot() -> list[dict]:
    offers = db.session.scalars(select(Offer).order_by(Offer.id)).all()
    return [
        {
            "id": o.id,
            "lat": o.lat,
            "lon": o.lon,
            "approx": (o.approx_lat, o.approx_lon),
            "status": o.status.value,
            "free_beds": o.free_beds,
            "step_free": o.step_free,
            "pets_ok": o.pets_ok,
            "languages": list(o.languages),
        }
        for o in offers
    ]


def add_offer(host_id: int, lat: float, lon: float, **fields) -> Offer:
    """One offer at (lat, lon), with its approximate point 1-3 km away as the app computes it."""
    approx_lat, approx_lon = approximate_point(lat, lon, secret=b"test", salt=str(host_id))
    values = {
        "host_id": host_id,
        "title": "Flat",
        "place_name": "Warsaw",
        "country": "PL",
        "lat": lat,
        "lon": lon,
        "approx_lat": approx_lat,
        "approx_lon": approx_lon,
        "beds": 3,
        "kind": PlaceKind.FLAT,
        "available_from": date.today(),
        "languages": ["pl", "en"],
        **fields,
    }
    offer = Offer(**values)
    db.session.add(offer)
    db.session.commit()
    return offer


@pytest.fixture
def coordinator(login_as):
    return login_as("coordinator")


def get_json(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def offers_in(features: list[dict]) -> list[dict]:
    """The individual offers of the point features."""
    return [offer for f in features if f["properties"]["kind"] == "point" for offer in f["properties"]["offers"]]


def counted(features: list[dict]) -> tuple[int, int]:
    """(offers, free beds) over every feature, points and cells alike."""
    offers = sum(f["properties"]["count"] for f in features)
    free = sum(f["properties"]["free_beds"] for f in features)
    return offers, free


def matching(offers: list[dict], *, status=("active",), step_free=False, pets=False, language="", min_free=0):
    return [
        o
        for o in offers
        if o["status"] in status
        and (o["step_free"] or not step_free)
        and (o["pets_ok"] or not pets)
        and (language in o["languages"] or not language)
        and o["free_beds"] >= min_free
    ]


FILTERS = [
    ("", {}),
    ("&step_free=1", {"step_free": True}),
    ("&pets=1", {"pets": True}),
    ("&language=uk", {"language": "uk"}),
    ("&min_free_beds=3", {"min_free": 3}),
    ("&status=paused", {"status": ("paused",)}),
    ("&status=any&step_free=1&language=en", {"status": ("active", "paused"), "step_free": True, "language": "en"}),
]


@pytest.mark.parametrize("zoom", [3, 6, 12])
def test_offer_counts_add_up_to_the_matching_offers_under_every_filter(app, client, demo, coordinator, zoom):
    for query, rule in FILTERS:
        expected = matching(demo, **rule)
        data = get_json(client, f"/api/v1/map/offers?bbox={WORLD}&zoom={zoom}{query}")
        assert data["mode"] == ("points" if zoom >= 10 else "cells")
        assert counted(data["features"]) == (len(expected), sum(o["free_beds"] for o in expected)), query
        assert data["totals"] == {"offers": len(expected), "free_beds": sum(o["free_beds"] for o in expected)}
        shown = offers_in(data["features"])
        if zoom >= 10:
            assert sorted(o["id"] for o in shown) == [o["id"] for o in expected]
        by_id = {o["id"]: o for o in demo}
        for offer in shown:  # every offer shown passes the filters
            assert by_id[offer["id"]] in expected, (query, offer)


def test_a_bbox_keeps_only_offers_at_approximate_points_inside_it(app, client, demo, coordinator):
    west, south, east, north = 14.0, 49.0, 24.2, 55.0  # Poland
    inside = [o for o in matching(demo) if south <= o["approx"][0] <= north and west <= o["approx"][1] <= east]
    assert inside, "the demo data should put offers in Poland"
    data = get_json(client, f"/api/v1/map/offers?bbox={west},{south},{east},{north}&zoom=12")
    assert sorted(o["id"] for o in offers_in(data["features"])) == sorted(o["id"] for o in inside)
    data = get_json(client, f"/api/v1/map/offers?bbox={west},{south},{east},{north}&zoom=5")
    assert counted(data["features"])[0] == len(inside)
    for feature in data["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert south <= lat <= north and west <= lon <= east


def test_cells_carry_their_bounds_and_a_cell_holds_its_offers(app, client, demo, coordinator):
    data = get_json(client, f"/api/v1/map/offers?bbox={WORLD}&zoom=3&status=any")
    cells = [f for f in data["features"] if f["properties"]["kind"] == "cell"]
    assert cells, "zoomed out, offers should share cells"
    for cell in cells:
        west, south, east, north = cell["properties"]["bounds"]
        lon, lat = cell["geometry"]["coordinates"]
        assert west <= lon <= east and south <= lat <= north
        assert cell["properties"]["count"] >= 2
        assert "offers" not in cell["properties"]


def test_a_huge_bbox_at_a_high_zoom_still_gets_a_bounded_answer(app, client, demo, coordinator):
    for zoom in (0, 8, 19):
        data = get_json(client, f"/api/v1/map/offers?bbox={WORLD}&zoom={zoom}&status=any")
        assert len(data["features"]) <= MAX_CELLS_PER_AXIS**2


def test_no_map_answer_or_page_contains_an_exact_point(app, client, demo, coordinator):
    texts = []
    for zoom in (3, 6, 9, 12, 16):
        texts.append(client.get(f"/api/v1/map/offers?bbox={WORLD}&zoom={zoom}&status=any").get_data(as_text=True))
    texts.append(client.get(f"/api/v1/map/requests?bbox={WORLD}&zoom=12").get_data(as_text=True))
    texts.append(client.get(f"/api/v1/map/cities?bbox={WORLD}&zoom=12").get_data(as_text=True))
    texts.append(client.get("/maps/coordinator").get_data(as_text=True))
    with app.app_context():
        request_ids = db.session.scalars(select(HousingRequest.id)).all()
    for request_id in request_ids[:10]:
        texts.append(client.get(f"/coordinator/requests/{request_id}").get_data(as_text=True))
    text = "\n".join(texts)
    assert '"offers"' in text  # the point features list offers...
    pairs = {
        (c[0], c[1])
        for t in texts
        if t.startswith("{")
        for f in json.loads(t)["features"]
        for c in [f["geometry"]["coordinates"]]
    }
    for offer in demo:  # ...but never where they are
        assert repr(offer["lat"]) not in text and repr(offer["lon"]) not in text
        assert (round(offer["lon"], 5), round(offer["lat"], 5)) not in pairs


def test_the_case_page_maps_the_wanted_place_and_its_ranked_candidates_at_approximate_points(
    app, client, demo, coordinator
):
    by_id = {o["id"]: o for o in demo}
    with app.app_context():
        request_ids = db.session.scalars(select(HousingRequest.id)).all()
    for request_id in request_ids:
        ranked = client.get(f"/api/v1/requests/{request_id}/candidates?limit=20").get_json()["candidates"]
        if len(ranked) >= 2:
            break
    else:
        pytest.fail("no request with two candidates in the demo data")
    html = client.get(f"/coordinator/requests/{request_id}").get_data(as_text=True)
    start = html.index("data-settings='", html.index('id="case-map"')) + len("data-settings='")
    settings = json.loads(html[start : html.index("'", start)])
    assert settings["kind"] == "case"
    assert [c["id"] for c in settings["candidates"]] == [c["offer_id"] for c in ranked]
    assert [c["rank"] for c in settings["candidates"]] == list(range(1, len(ranked) + 1))
    for candidate in settings["candidates"]:
        approx = by_id[candidate["id"]]["approx"]
        assert (candidate["lat"], candidate["lon"]) == (round(approx[0], 5), round(approx[1], 5))
    assert html.index("The request") < html.index('id="case-map"') < html.index("candidates-heading")


def test_open_requests_are_counted_at_their_wanted_places(app, client, demo, coordinator):
    with app.app_context():
        open_requests = db.session.scalars(select(HousingRequest).where(HousingRequest.status == "open")).all()
        wanted = {r.id: (round(r.lat, 5), round(r.lon, 5)) for r in open_requests}
    for zoom in (3, 12):
        data = get_json(client, f"/api/v1/map/requests?bbox={WORLD}&zoom={zoom}")
        assert sum(f["properties"]["count"] for f in data["features"]) == len(wanted)
        assert data["totals"]["requests"] == len(wanted)
    places = [f for f in data["features"] if f["properties"]["kind"] == "place"]
    assert places
    for place in places:
        lon, lat = place["geometry"]["coordinates"]
        for request_id in place["properties"]["cases"]:
            assert wanted[request_id] == (lat, lon)


# --- the public map ---------------------------------------------------------------------------------------------


def gazetteer_points(min_population: int = 15_000) -> set[tuple[float, float]]:
    gaz = load_gazetteer()
    rows = np.flatnonzero(gaz.population >= min_population)
    return {(round(float(gaz.lat[r]), 5), round(float(gaz.lon[r]), 5)) for r in rows}


@pytest.fixture
def hosts_in_cities(app):
    """Three hosts in Warsaw (one with two offers), two in Kraków with five offers between them."""
    with app.app_context():
        hosts = [factories.make_user(Role.HOST).id for _ in range(5)]
        add_offer(hosts[0], 52.2300, 21.0100)
        add_offer(hosts[0], 52.2300, 21.0100, beds=2)
        add_offer(hosts[1], 52.2400, 21.0300, beds=1)
        add_offer(hosts[2], 52.2200, 20.9900, beds=4)
        add_offer(hosts[2], 52.2210, 20.9910, status=OfferStatus.PAUSED)  # not open: not counted
        stale = datetime.now(UTC) - timedelta(days=60)
        add_offer(hosts[1], 52.2410, 21.0310, last_confirmed_at=stale)  # not confirmed for long: not counted
        for i in range(3):
            add_offer(hosts[3], 50.0600 + i * 0.001, 19.9400, place_name="Kraków")
        for i in range(2):
            add_offer(hosts[4], 50.0700, 19.9500 + i * 0.001, place_name="Kraków")
    return hosts


def test_the_public_map_counts_open_offers_per_city_and_hides_cities_with_few_hosts(app, client, hosts_in_cities):
    data = get_json(client, "/api/v1/map/cities?bbox=19.5,49.5,21.5,52.5&zoom=10")
    features = {f["properties"]["name"]: f for f in data["features"]}
    assert set(features) == {"Warszawa"}, "Kraków has five offers but only two hosts"
    warsaw = features["Warszawa"]
    assert warsaw["properties"] == {"kind": "city", "name": "Warszawa", "country": "PL", "offers": 4, "free_beds": 10}
    assert data["totals"] == {"offers": 4, "free_beds": 10}  # Kraków is left out of the totals too
    lon, lat = warsaw["geometry"]["coordinates"]
    gaz = load_gazetteer()
    row = gaz.names.index("Warsaw")
    assert (lat, lon) == (round(float(gaz.lat[row]), 5), round(float(gaz.lon[row]), 5))
    # Zoomed out, Kraków stays out of every cluster: no difference between two answers reveals it.
    for zoom in (2, 4, 6):
        data = get_json(client, f"/api/v1/map/cities?bbox={WORLD}&zoom={zoom}")
        assert data["totals"] == {"offers": 4, "free_beds": 10}


@pytest.mark.parametrize(
    ("locale", "name"), [("en", "Київ (Kyiv)"), ("pl", "Київ (Kyiv)"), ("uk", "Київ"), ("ru", "Київ")]
)
def test_public_map_labels_read_in_the_local_form_for_each_reader(app, client, locale, name):
    with app.app_context():
        for i in range(PUBLIC_MIN_HOSTS):
            add_offer(factories.make_user(Role.HOST).id, 50.45 + i * 0.001, 30.52, place_name="Kyiv", country="UA")
    client.post("/language", data={"locale": locale})
    data = get_json(client, "/api/v1/map/cities?bbox=29,49,32,51&zoom=10")
    assert [f["properties"]["name"] for f in data["features"]] == [name]


def test_request_places_and_the_case_map_read_for_the_reader(app, client, coordinator):
    with app.app_context():
        request_id = factories.make_request(place_name="Lviv").id  # stored before local names
    names = {}
    for locale in ("en", "uk"):
        client.post("/language", data={"locale": locale})
        data = get_json(client, "/api/v1/map/requests?bbox=23,49,25,51&zoom=12")
        [place] = data["features"]
        names[locale] = place["properties"]["name"]
    assert names == {"en": "Львів (Lviv)", "uk": "Львів"}
    # map.js links a place to the queue searched by that name: the label finds the case.
    queue = client.get("/coordinator/queue", query_string={"q": names["en"]}).get_data(as_text=True)
    assert f"/coordinator/requests/{request_id}" in queue
    html = client.get(f"/coordinator/requests/{request_id}").get_data(as_text=True)
    start = html.index("data-settings='", html.index('id="case-map"')) + len("data-settings='")
    assert json.loads(html[start : html.index("'", start)])["place"] == "Львів"


def test_public_points_are_gazetteer_cities_and_carry_counts_only(app, client, demo):
    cities = gazetteer_points()
    seen = 0
    for zoom in (2, 4, 7, 10, 14):
        data = get_json(client, f"/api/v1/map/cities?bbox={WORLD}&zoom={zoom}")
        for feature in data["features"]:
            lon, lat = feature["geometry"]["coordinates"]
            assert (lat, lon) in cities
            properties = feature["properties"]
            assert set(properties) <= {"kind", "name", "country", "offers", "free_beds", "cities", "bounds"}
            assert properties["offers"] >= PUBLIC_MIN_HOSTS
            seen += 1
        text = json.dumps(data)
        for offer in demo:
            assert repr(offer["approx"][0]) not in text and repr(offer["lat"]) not in text
    assert seen, "300 demo offers should fill a few cities"


# --- bad input and authorization ---------------------------------------------------------------------------------

BAD = [
    ("bbox=1,2,3", "bbox"),
    ("bbox=a,b,c,d", "bbox"),
    ("bbox=-200,0,10,10", "bbox"),
    ("bbox=10,0,5,10", "bbox"),
    ("bbox=0,-95,10,10", "bbox"),
    ("bbox=0,10,10,10", "bbox"),
    ("bbox=nan,0,1,1", "bbox"),
    ("bbox=0,0,inf,1", "bbox"),
    ("bbox=1e999,0,2,1", "bbox"),
    ("zoom=-1", "zoom"),
    ("zoom=20", "zoom"),
    ("zoom=abc", "zoom"),
    ("zoom=3.5", "zoom"),
    ("zoom=%EF%BC%93", "zoom"),  # a full-width digit
]
BAD_FILTERS = [
    ("language=xx", "language"),
    ("language=../etc", "language"),
    ("min_free_beds=-1", "min_free_beds"),
    ("min_free_beds=51", "min_free_beds"),
    ("min_free_beds=two", "min_free_beds"),
    ("pets=maybe", "pets"),
    ("step_free=2", "step_free"),
    ("status=deleted", "status"),
]


@pytest.mark.parametrize("path", ["/api/v1/map/offers", "/api/v1/map/requests", "/api/v1/map/cities"])
def test_bad_arguments_answer_400_with_the_fields_at_fault(app, client, coordinator, path):
    cases = BAD + (BAD_FILTERS if path.endswith("offers") else [])
    for query, field in cases:
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, query
        body = response.get_json()
        assert set(body) == {"error", "message", "fields"} and list(body["fields"]) == [field], query
    response = client.get(f"{path}?bbox=x&zoom=99" + ("&language=zz" if path.endswith("offers") else ""))
    assert response.status_code == 400
    assert {"bbox", "zoom"} <= set(response.get_json()["fields"])


def test_the_staff_map_api_is_for_staff_and_the_city_counts_for_anyone(app, client, demo, login_as):
    for path in ("/api/v1/map/offers", "/api/v1/map/requests"):
        response = client.get(path)
        assert response.status_code == 401 and response.is_json
    assert client.get("/api/v1/map/cities").status_code == 200
    assert client.get("/maps/").status_code == 200
    assert client.get("/maps/coordinator").status_code == 302  # to the log-in page
    for role in ("host", "refugee"):
        login_as(role)
        for path in ("/api/v1/map/offers", "/api/v1/map/requests"):
            response = client.get(path)
            assert response.status_code == 403 and response.is_json, (role, path)
        assert client.get("/maps/coordinator").status_code == 403
        assert client.get("/api/v1/map/cities").status_code == 200
    for role in ("coordinator", "admin"):
        login_as(role)
        assert client.get("/api/v1/map/offers").status_code == 200
        assert client.get("/api/v1/map/requests").status_code == 200
        html = client.get("/maps/coordinator").get_data(as_text=True)
        assert 'href="/maps/coordinator"' in html  # the navigation's "Map"


# --- pages, static files and the policy --------------------------------------------------------------------------


def test_pages_load_leaflet_from_this_site_and_pass_settings_in_data_attributes(app, client, coordinator):
    html = client.get("/maps/coordinator?lat=52.23&lon=21.01&zoom=11&step_free=1").get_data(as_text=True)
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/leaflet/leaflet.css" in html
    assert "/static/js/map.js" in html
    assert "unpkg" not in html and "cdn" not in html.lower()
    assert "<script>" not in html and " style=" not in html
    start = html.index("data-settings='") + len("data-settings='")
    settings = json.loads(html[start : html.index("'", start)])
    assert (settings["lat"], settings["lon"], settings["zoom"]) == (52.23, 21.01, 11)
    assert settings["tile_url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in settings["tile_attribution"]
    assert settings["messages"]["stepFree"] == "Step-free access"
    assert 'id="step_free" name="step_free" value="1" checked' in html
    for name in ("leaflet.js", "leaflet.css"):
        with client.get(f"/static/vendor/leaflet/{name}") as response:
            assert response.status_code == 200


def test_anonymous_visitors_find_the_public_map_in_the_navigation(app, client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/maps/"' in html
    html = client.get("/maps/").get_data(as_text=True)
    assert "Where hosts have room" in html and "/api/v1/map/cities" in html


def test_the_policy_allows_the_tile_origin_and_nothing_inline(app, client):
    policy = client.get("/maps/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize(
    ("template", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("", ""),
        ("javascript:alert(1)", ""),
        ("https://evil.example; script-src *", ""),
        ("https://a.example'/x", ""),
    ],
)
def test_the_tile_origin_is_a_plain_scheme_and_host(template, origin):
    from config import tile_origin

    assert tile_origin(template) == origin


@pytest.mark.parametrize(
    ("settings", "allowed"),
    [
        ({"MAP_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png"}, "https://tiles.example.org;"),
        ({"MAP_TILE_URL": "https://{s}.example.org/{z}/{x}/{y}.png", "MAP_TILE_ORIGIN": "https://cdn.example.org"},
         "https://cdn.example.org;"),
        ({"MAP_TILE_URL": ""}, ";"),
    ],
)  # fmt: skip
def test_a_configured_tile_server_changes_the_policy(settings, allowed):
    from tests.conftest import make_app

    app = make_app("sqlite://", **settings)
    policy = app.test_client().get("/maps/").headers["Content-Security-Policy"]
    assert f"img-src 'self' data: {allowed}" in policy
    with app.app_context():
        db.engine.dispose()
