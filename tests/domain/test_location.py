"""The approximate public point: bounded, stable, secret-keyed."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.domain.geo import haversine_km
from matcher.domain.location import (
    APPROX_MAX_KM,
    APPROX_MIN_KM,
    SPARSE_MAX_FACTOR,
    approximate_point,
    destination_point,
    sparsity_factor,
)

SECRET = b"test-secret-key"
KRAKOW = (50.06143, 19.93658)

lats = st.floats(min_value=-90, max_value=90, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
salts = st.text(max_size=20)
secrets = st.binary(min_size=1, max_size=32)


def km(a, b) -> float:
    return float(haversine_km(a[0], a[1], b[0], b[1]))


@given(lat=lats, lon=lons, salt=salts, secret=secrets)
def test_offset_is_within_the_default_bounds(lat, lon, salt, secret):
    point = approximate_point(lat, lon, secret=secret, salt=salt)
    assert -90 <= point[0] <= 90 and -180 <= point[1] <= 180
    assert APPROX_MIN_KM <= km((lat, lon), point) <= APPROX_MAX_KM


@given(
    lat=lats,
    lon=lons,
    salt=salts,
    sparsity=st.floats(min_value=1, max_value=SPARSE_MAX_FACTOR),
    bounds=st.tuples(st.floats(0.1, 5), st.floats(0, 5)),
)
def test_offset_is_within_any_scaled_bounds(lat, lon, salt, sparsity, bounds):
    min_km, max_km = bounds[0], bounds[0] + bounds[1] + 0.01
    point = approximate_point(lat, lon, secret=SECRET, salt=salt, min_km=min_km, max_km=max_km, sparsity=sparsity)
    assert min_km * sparsity <= km((lat, lon), point) <= max_km * sparsity


@pytest.mark.parametrize(
    "origin", [(90.0, 0.0), (-90.0, 123.0), (89.9999, 180.0), (0.0, 180.0), (0.0, -180.0), (-45.0, 179.99999)]
)
def test_poles_and_antimeridian(origin):
    for salt in map(str, range(200)):
        point = approximate_point(*origin, secret=SECRET, salt=salt)
        assert -90 <= point[0] <= 90 and -180 <= point[1] < 180
        assert APPROX_MIN_KM <= km(origin, point) <= APPROX_MAX_KM


def test_bearings_spread_all_round():
    points = [approximate_point(*KRAKOW, secret=SECRET, salt=str(i)) for i in range(400)]
    quadrants = {(p[0] > KRAKOW[0], p[1] > KRAKOW[1]) for p in points}
    assert len(quadrants) == 4
    distances = [km(KRAKOW, p) for p in points]
    # Uniform over the annulus's area: more than half the points lie beyond its middle radius.
    assert sum(d > 2.0 for d in distances) > len(distances) / 2


def test_same_inputs_give_the_same_point():
    first = approximate_point(*KRAKOW, secret=SECRET, salt="host-7")
    assert approximate_point(*KRAKOW, secret=SECRET, salt="host-7") == first


def test_editing_fields_outside_the_place_keeps_the_point():
    offer = {"host_id": 7, "lat": KRAKOW[0], "lon": KRAKOW[1], "beds": 2}

    def public(o):
        return approximate_point(o["lat"], o["lon"], secret=SECRET, salt=str(o["host_id"]))

    assert public(offer | {"beds": 5}) == public(offer)


@pytest.mark.parametrize(
    "change",
    [
        {"secret": b"another-secret"},
        {"salt": "host-8"},
        {"lat": KRAKOW[0] + 0.001},
        {"lon": KRAKOW[1] - 0.001},
    ],
)
def test_changing_secret_salt_or_place_moves_the_point(change):
    base = {"lat": KRAKOW[0], "lon": KRAKOW[1], "secret": SECRET, "salt": "host-7"}
    moved = base | change

    def point(a):
        return approximate_point(a["lat"], a["lon"], secret=a["secret"], salt=a["salt"])

    assert km(point(base), point(moved)) > 0.05


def test_negative_zero_is_zero():
    assert approximate_point(0.0, -0.0, secret=SECRET, salt="s") == approximate_point(
        -0.0, 0.0, secret=SECRET, salt="s"
    )


@pytest.mark.parametrize(
    ("town_km", "factor"),
    [(0.0, 1.0), (10.0, 1.0), (25.0, 1.75), (40.0, SPARSE_MAX_FACTOR), (300.0, SPARSE_MAX_FACTOR)],
)
def test_sparsity_factor(town_km, factor):
    assert sparsity_factor(town_km) == pytest.approx(factor)


def test_sparsity_factor_without_any_town():
    assert sparsity_factor(math.inf) == SPARSE_MAX_FACTOR


def test_sparse_areas_get_larger_offsets():
    factor = sparsity_factor(60.0)
    for salt in map(str, range(100)):
        point = approximate_point(*KRAKOW, secret=SECRET, salt=salt, sparsity=factor)
        assert APPROX_MIN_KM * factor <= km(KRAKOW, point) <= APPROX_MAX_KM * factor


@pytest.mark.parametrize(
    "bad",
    [
        {"secret": b""},
        {"lat": 90.5},
        {"lon": -181.0},
        {"lat": math.nan},
        {"min_km": 0.0},
        {"min_km": 3.0, "max_km": 1.0},
        {"sparsity": 0.5},
        {"max_km": 5000.0},
    ],
)
def test_bad_arguments_are_refused(bad):
    args = {"lat": KRAKOW[0], "lon": KRAKOW[1], "secret": SECRET, "salt": "s"} | bad
    with pytest.raises(ValueError):
        approximate_point(args.pop("lat"), args.pop("lon"), **args)


@given(
    lat=lats,
    lon=lons,
    bearing=st.floats(min_value=0, max_value=360),
    distance=st.floats(min_value=0.001, max_value=500),
)
def test_destination_point_is_at_the_distance(lat, lon, bearing, distance):
    end = destination_point(lat, lon, bearing, distance)
    assert -90 <= end[0] <= 90 and -180 <= end[1] < 180
    assert km((lat, lon), end) == pytest.approx(distance, rel=1e-6, abs=1e-6)


def test_destination_point_crosses_the_antimeridian():
    lat, lon = destination_point(0.0, 179.99, 90.0, 10.0)
    assert lat == pytest.approx(0.0, abs=1e-9) and -180 < lon < -179.9
