"""The map grid: Web Mercator cells aligned like tiles, bounded per viewport, and group sums."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.domain import mapgrid
from matcher.domain.mapgrid import MAX_CELLS_PER_AXIS, WORLD, BBox


@pytest.mark.parametrize(
    "values",
    [(0, 0, 0, 1), (10, 0, 5, 1), (-181, 0, 1, 1), (0, -91, 1, 1), (0, 0, 1, 91), (float("nan"), 0, 1, 1)],
)
def test_a_bbox_refuses_empty_inverted_or_out_of_range_values(values):
    with pytest.raises(ValueError):
        BBox(*values)


def test_mercator_round_trips_and_matches_the_tile_convention():
    lat = np.array([-80.0, -33.9, 0.0, 52.2297, 85.0])
    lon = np.array([-179.9, 18.4, 0.0, 21.0122, 179.9])
    x, y = mapgrid.mercator(lat, lon)
    back_lat, back_lon = mapgrid.inverse_mercator(x, y)
    assert np.allclose(back_lat, lat) and np.allclose(back_lon, lon)
    # Warsaw lies in OSM tile 9/285/168.
    wx, wy = mapgrid.mercator(52.2297, 21.0122)
    assert (int(wx * 2**9), int(wy * 2**9)) == (285, 168)


def test_each_point_lies_inside_its_cell():
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(-80, 80, 500), rng.uniform(-180, 180, 500)
    for level in (0, 3, 9, 17):
        keys = mapgrid.cell_keys(lat, lon, level)
        west, south, east, north = mapgrid.cell_bounds(keys, level)
        assert np.all((west <= lon + 1e-9) & (lon <= east + 1e-9) & (south <= lat + 1e-9) & (lat <= north + 1e-9))


def test_the_grid_follows_the_zoom_and_never_exceeds_the_cells_per_axis():
    warsaw = BBox(20.8, 52.1, 21.2, 52.35)
    assert mapgrid.grid_level(warsaw, 11) == 13  # 64 px cells: two levels finer than the 256 px tiles
    assert mapgrid.grid_level(WORLD, 19) <= 5  # 2**5 = 32 <= 48 cells across the world
    for zoom in range(20):
        level = mapgrid.grid_level(WORLD, zoom)
        assert 2**level <= MAX_CELLS_PER_AXIS


def test_groups_sum_average_and_pick_leaders():
    groups = mapgrid.group_by(np.array([7, 3, 7, 7, 3]))
    assert groups.keys.tolist() == [3, 7] and groups.size.tolist() == [2, 3]
    assert groups.total([1, 2, 3, 4, 5]).tolist() == [7.0, 8.0]
    assert groups.mean([1, 2, 3, 4, 5]).tolist() == [3.5, 8 / 3]
    assert groups.leader([1, 9, 5, 5, 2]).tolist() == [1, 2]  # ties go to the first position
    assert [m.tolist() for m in groups.members()] == [[1, 4], [0, 2, 3]]
    lone = mapgrid.group_by(np.array([5, 1, 5, 9]))
    assert lone.lone_members().tolist() == [1, -1, 3]


def test_point_keys_join_coinciding_points_only():
    keys = mapgrid.point_keys(np.array([52.1, 52.1, 52.10001]), np.array([21.0, 21.0, 21.0]))
    assert keys[0] == keys[1] != keys[2]
