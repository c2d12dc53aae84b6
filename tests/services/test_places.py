"""Geocoding glue through the services: spellings, the ambiguity chooser, unknown places, pins, and the
approximate public point's stability and distance bounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from matcher.domain.geo import haversine_km
from matcher.domain.location import APPROX_MAX_KM, APPROX_MIN_KM, SPARSE_MAX_FACTOR, sparsity_factor
from matcher.extensions import db
from matcher.models import Offer
from matcher.services import offers, places
from matcher.services.errors import ServiceError
from matcher.services.offers import OfferInput
from tests import factories

KRAKOW, LVIV, WARSAW, KYIV, BELGRADE = 3094802, 702550, 756135, 703448, 792680
FRANKFURT_MAIN, FRANKFURT_ODER = 2925533, 2925535


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def offer_input(**overrides) -> OfferInput:
    values = {
        "title": "Room",
        "address": "ul. Floriańska 1",
        "country": "PL",
        "beds": 2,
        "kind": "room",
        "available_from": datetime.now(UTC).date(),
        "place": "Kraków",
    }
    values.update(overrides)
    return OfferInput(**values)


def km(a, b) -> float:
    return float(haversine_km(a[0], a[1], b[0], b[1]))


@pytest.mark.parametrize(
    ("name", "country", "geoname_id", "stored_name"),
    [
        ("Краків", "PL", KRAKOW, "Kraków"),
        ("Krakow", "PL", KRAKOW, "Kraków"),
        ("KRAKÓW", "pl", KRAKOW, "Kraków"),
        ("Krakau", "PL", KRAKOW, "Kraków"),
        ("Lwów", "UA", LVIV, "Львів"),
        ("Львів", "UA", LVIV, "Львів"),
        ("Lemberg", "UA", LVIV, "Львів"),
        ("Warszawa", "PL", WARSAW, "Warszawa"),
        ("Warsaw", "PL", WARSAW, "Warszawa"),
        ("Варшава", "PL", WARSAW, "Warszawa"),
        ("Warschau", "PL", WARSAW, "Warszawa"),
        ("Kyiv", "UA", KYIV, "Київ"),
        ("Kiev", "UA", KYIV, "Київ"),
        ("Киев", "UA", KYIV, "Київ"),
        ("Київ (Kyiv)", "UA", KYIV, "Київ"),
        ("Beograd", "RS", BELGRADE, "Београд"),
    ],
)
def test_every_spelling_resolves_to_one_stored_place(ctx, name, country, geoname_id, stored_name):
    place = places.resolve_name(name, country)
    assert (place.geoname_id, place.place_name, place.country) == (geoname_id, stored_name, country.upper())


def test_an_ambiguous_name_offers_its_options_and_accepts_a_chosen_one(ctx):
    with pytest.raises(places.AmbiguousPlace) as caught:
        places.resolve_name("Frankfurt", "DE")
    assert caught.value.field == "place_choice"
    assert [p.geoname_id for p in caught.value.options] == [FRANKFURT_MAIN, FRANKFURT_ODER]
    assert places.resolve_name("Frankfurt", "DE", choice=FRANKFURT_ODER).geoname_id == FRANKFURT_ODER


def test_a_choice_that_is_not_among_the_options_asks_again(ctx):
    # A stale id (the name changed since) or a forged one never picks an unrelated place.
    with pytest.raises(places.AmbiguousPlace):
        places.resolve_name("Frankfurt", "DE", choice=KRAKOW)


def test_the_country_decides_between_namesakes(ctx):
    assert places.resolve_name("Lemberg", "UA").geoname_id == LVIV
    assert places.resolve_name("Lemberg", "DE").country == "DE"


@pytest.mark.parametrize("pin_hint", [True, False])
def test_an_unknown_place_gets_a_clear_error_that_suggests_a_way_out(ctx, pin_hint):
    with pytest.raises(ServiceError) as caught:
        places.resolve_name("Qwertzuiopville", "PL", pin_hint=pin_hint)
    message = str(caught.value.message)
    assert caught.value.field == "place"
    assert "We could not find “Qwertzuiopville” in Poland" in message
    assert "nearest bigger town" in message
    assert ("exact pin" in message) is pin_hint


def test_a_known_place_in_another_country_is_unknown_there(ctx):
    with pytest.raises(ServiceError, match="in Poland"):
        places.resolve_name("Lviv", "PL")


@pytest.mark.parametrize("country", ["US", "", "XX", None])
def test_only_european_countries_are_accepted(ctx, country):
    with pytest.raises(ServiceError) as caught:
        places.resolve_name("Paris", country)
    assert caught.value.field == "country"


def test_a_pin_is_labelled_with_the_nearest_town_and_wins_over_the_city(ctx):
    place = places.resolve_offer_place("Kraków", "PL", choice=None, lat=52.2300, lon=21.0100)
    assert (place.place_name, place.country, place.lat, place.lon) == ("Warszawa", "PL", 52.23, 21.01)


@pytest.mark.parametrize(
    ("locale", "warsaw", "kyiv", "belgrade"),
    [("en", "Warszawa", "Київ (Kyiv)", "Beograd"), ("uk", "Warszawa", "Київ", "Београд"),
     ("pl", "Warszawa", "Київ (Kyiv)", "Beograd")],
)  # fmt: skip
def test_display_name_follows_the_readers_script_and_names_old_rows_locally(app, locale, warsaw, kyiv, belgrade):
    with app.test_request_context(headers={"Accept-Language": locale}):
        # Rows stored before local names ("Warsaw", "Kyiv") read the same as new ones.
        assert places.display_name("Warsaw", WARSAW) == places.display_name("Warszawa", WARSAW) == warsaw
        assert places.display_name("Kyiv", KYIV) == places.display_name("Київ", KYIV) == kyiv
        assert places.display_name("Београд", BELGRADE) == belgrade
        assert places.display_name("Kraków", KRAKOW) == "Kraków"
        assert places.display_name("Somewhere", None) == "Somewhere"  # found by Nominatim


def test_suggestions_find_a_city_in_any_script(ctx):
    for prefix in ("Warsz", "Warsa", "Варш", "Warsch"):
        assert places.suggest(prefix)[0].geoname_id == WARSAW
    assert places.suggest("Ки", "UA")[0].geoname_id == KYIV
    assert {p.country for p in places.suggest("Kra", "pl")} == {"PL"}
    assert len({p.country for p in places.suggest("Kra", "XX")}) > 1  # an unknown country filters nothing
    assert places.suggest("") == places.suggest(None) == []
    assert len(places.suggest("a")) == places.SUGGESTIONS_MAX


def test_ids_named_matches_any_spelling(ctx):
    assert places.ids_named("Warsaw")[0] == places.ids_named("Варшава")[0] == WARSAW
    assert places.ids_named("   ") == places.ids_named(None) == []


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [(91, 20, "lat"), (-90.5, 20, "lat"), (50, 180.5, "lon"), (50, -181, "lon"), (float("nan"), 20, "lat"),
     (50, float("inf"), "lon"), (50, None, "lon"), (None, 20, "lat")],
)  # fmt: skip
def test_a_pin_outside_the_globe_is_refused_on_its_field(ctx, lat, lon, field):
    with pytest.raises(ServiceError) as caught:
        places.check_pin(lat, lon)
    assert caught.value.field == field


def test_a_pin_far_from_any_european_town_is_refused(ctx):
    with pytest.raises(ServiceError, match="not near any town we know in Europe"):
        places.resolve_pin(0.0, -30.0)  # the middle of the Atlantic


# --- the approximate public point, through the offers service ---------------------------------------------------


def test_the_public_point_lies_1_to_3_km_from_a_city_offer_and_stays_put_across_other_edits(app, ctx):
    host = factories.make_user(role="host")
    offer = offers.create_offer(host, offer_input())
    exact, public = (offer.lat, offer.lon), (offer.approx_lat, offer.approx_lon)
    assert APPROX_MIN_KM - 0.01 <= km(exact, public) <= APPROX_MAX_KM + 0.01
    for change in ({"beds": 5, "title": "Bigger room"}, {"place": "Kraków", "description": "New words"}):
        offers.update_offer(host, offer.id, offer_input(**change))
        db.session.expire_all()
        again = db.session.get(Offer, offer.id)
        assert (again.approx_lat, again.approx_lon) == public
        assert (again.lat, again.lon) == exact


def test_moving_the_exact_point_moves_the_public_point_within_bounds(app, ctx):
    host = factories.make_user(role="host")
    offer = offers.create_offer(host, offer_input())
    before = (offer.approx_lat, offer.approx_lon)
    moved = offers.update_offer(host, offer.id, offer_input(lat=50.0700, lon=19.9500))
    assert (moved.lat, moved.lon) == (50.07, 19.95)
    assert (moved.approx_lat, moved.approx_lon) != before
    assert APPROX_MIN_KM - 0.01 <= km((moved.lat, moved.lon), (moved.approx_lat, moved.approx_lon)) <= 3.01
    # Re-saving the same pin keeps both points.
    same = offers.update_offer(host, offer.id, offer_input(lat=50.0700, lon=19.9500, beds=3))
    assert (same.approx_lat, same.approx_lon) == (moved.approx_lat, moved.approx_lon)


def test_one_hosts_offers_at_one_address_share_one_public_point_and_other_hosts_differ(app, ctx):
    host, other = factories.make_user(role="host"), factories.make_user(role="host")
    first = offers.create_offer(host, offer_input())
    second = offers.create_offer(host, offer_input(title="Second room"))
    third = offers.create_offer(other, offer_input())
    assert (first.approx_lat, first.approx_lon) == (second.approx_lat, second.approx_lon)
    assert (third.approx_lat, third.approx_lon) != (first.approx_lat, first.approx_lon)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(50.0614, 19.9366), (69.65, 18.95), (68.35, 25.50), (64.2, 28.5), (46.5, 6.6), (61.2, 8.5)],
)  # a city, the far north, Lapland, Finnish forest, a lakeside town, Norwegian mountains
def test_the_public_point_widens_with_sparsity_but_stays_within_its_bounds(app, ctx, lat, lon):
    host = factories.make_user(role="host")
    country = places.resolve_pin(lat, lon).country
    offer = offers.create_offer(host, offer_input(country=country, lat=lat, lon=lon))
    factor = sparsity_factor(places.geocoder().distance_to_town_km(lat, lon))
    assert 1.0 <= factor <= SPARSE_MAX_FACTOR
    distance = km((offer.lat, offer.lon), (offer.approx_lat, offer.approx_lon))
    assert APPROX_MIN_KM * factor - 0.01 <= distance <= APPROX_MAX_KM * factor + 0.01


def test_the_public_point_depends_on_the_secret_key(app, ctx):
    point = places.public_point(50.0614, 19.9366, salt="7")
    with app.test_request_context():
        app.config["SECRET_KEY"], saved = "another-secret", app.config["SECRET_KEY"]
        try:
            assert places.public_point(50.0614, 19.9366, salt="7") != point
        finally:
            app.config["SECRET_KEY"] = saved


def test_an_unchanged_place_is_not_geocoded_again(app, ctx, monkeypatch):
    host = factories.make_user(role="host")
    offer = offers.create_offer(host, offer_input(place="Krakow"))
    assert offer.place_name == "Kraków"

    def fail(*args, **kwargs):
        raise AssertionError("geocoded again")

    monkeypatch.setattr(places, "resolve_name", fail)
    offers.update_offer(host, offer.id, replace(offer_input(), place="Kraków", beds=4))
