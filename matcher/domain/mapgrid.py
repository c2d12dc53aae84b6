"""Map aggregation over a viewport: Web Mercator grid cells, vectorised with numpy.

Pure functions: no Flask, no SQLAlchemy. The grid is global and aligned to powers of two, like map tiles, so a
cell keeps its members while the map pans and only splits (into four) when the map zooms in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_MERCATOR_LAT = 85.05112878  # Web Mercator's edge: the square world of map tiles
TILE_PX = 256  # a map tile's side in screen pixels: the world is TILE_PX * 2**zoom pixels wide
CELL_PX = 64  # a grid cell's side on screen at the request's zoom, in pixels
MAX_CELLS_PER_AXIS = 48  # a viewport never holds more than about this many cells per side (48**2 = 2304 cells)
MAX_ZOOM = 19


@dataclass(frozen=True)
class BBox:
    """A viewport in degrees: west < east within [-180, 180], south < north within [-90, 90]."""

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        values = (self.west, self.south, self.east, self.north)
        if not all(math.isfinite(v) for v in values):
            raise ValueError("bbox values must be finite numbers")
        if not (-180.0 <= self.west < self.east <= 180.0):
            raise ValueError("bbox needs -180 <= west < east <= 180")
        if not (-90.0 <= self.south < self.north <= 90.0):
            raise ValueError("bbox needs -90 <= south < north <= 90")

    def contains(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Which points lie inside, edges included."""
        return (lat >= self.south) & (lat <= self.north) & (lon >= self.west) & (lon <= self.east)


WORLD = BBox(-180.0, -90.0, 180.0, 90.0)


def mercator(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator position in [0, 1] x [0, 1], y growing southwards (the tile convention)."""
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT)
    x = (np.asarray(lon, dtype=np.float64) + 180.0) / 360.0
    y = 0.5 - np.log(np.tan(np.pi / 4.0 + np.radians(lat) / 2.0)) / (2.0 * np.pi)
    return np.clip(x, 0.0, 1.0), np.clip(y, 0.0, 1.0)


def inverse_mercator(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Degrees (lat, lon) of a Web Mercator position."""
    lon = np.asarray(x, dtype=np.float64) * 360.0 - 180.0
    lat = np.degrees(2.0 * np.arctan(np.exp((0.5 - np.asarray(y, dtype=np.float64)) * 2.0 * np.pi)) - np.pi / 2.0)
    return lat, lon


def grid_level(bbox: BBox, zoom: int, *, cell_px: int = CELL_PX, max_cells_per_axis: int = MAX_CELLS_PER_AXIS) -> int:
    """The grid has 2**level cells along each axis of the world.

    About `cell_px` screen pixels per cell at this zoom, made coarser whenever the viewport would need more than
    `max_cells_per_axis` cells on a side: a huge bbox sent with a high zoom still gets a bounded answer.
    """
    level = max(0, zoom + round(math.log2(TILE_PX / cell_px)))
    x0, y0 = mercator(bbox.north, bbox.west)
    x1, y1 = mercator(bbox.south, bbox.east)
    span = max(float(x1 - x0), float(y1 - y0), 1e-12)
    while level > 0 and span * 2**level > max_cells_per_axis:
        level -= 1
    return level


def cell_keys(lat: np.ndarray, lon: np.ndarray, level: int) -> np.ndarray:
    """The grid cell of each point, as one int64 key (column * 2**level + row)."""
    n = 2**level
    x, y = mercator(lat, lon)
    ix = np.minimum((x * n).astype(np.int64), n - 1)
    iy = np.minimum((y * n).astype(np.int64), n - 1)
    return ix * n + iy


def cell_bounds(keys: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(west, south, east, north) of each cell key, in degrees."""
    n = 2**level
    ix, iy = np.divmod(np.asarray(keys, dtype=np.int64), n)
    north, west = inverse_mercator(ix / n, iy / n)
    south, east = inverse_mercator((ix + 1) / n, (iy + 1) / n)
    return west, south, east, north


@dataclass(frozen=True)
class Groups:
    """Points grouped by a key: the distinct keys, each point's group, and each group's size."""

    keys: np.ndarray
    of: np.ndarray  # group index of each point
    size: np.ndarray

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def total(self, values) -> np.ndarray:
        """Sum of a per-point value over each group."""
        return np.bincount(self.of, weights=np.asarray(values, dtype=np.float64), minlength=len(self))

    def mean(self, values) -> np.ndarray:
        """Mean of a per-point value over each group."""
        return self.total(values) / np.maximum(self.size, 1)

    def leader(self, score) -> np.ndarray:
        """The point with the highest score in each group (the lowest position on ties)."""
        order = np.lexsort((np.arange(self.of.shape[0]), -np.asarray(score, dtype=np.float64), self.of))
        first = np.searchsorted(self.of[order], np.arange(len(self)), side="left")
        return order[first]

    def lone_members(self) -> np.ndarray:
        """For each group, its point if it has exactly one, else -1 (no sort, unlike members())."""
        out = np.full(len(self), -1, dtype=np.int64)
        alone = np.flatnonzero(self.size[self.of] == 1)
        out[self.of[alone]] = alone
        return out

    def members(self, order_by=None) -> list[np.ndarray]:
        """Point positions of each group, in order_by order (positions when None)."""
        rank = np.arange(self.of.shape[0]) if order_by is None else np.asarray(order_by)
        order = np.lexsort((np.arange(self.of.shape[0]), rank, self.of))
        bounds = np.searchsorted(self.of[order], np.arange(len(self) + 1), side="left")
        return [order[bounds[i] : bounds[i + 1]] for i in range(len(self))]


def group_by(keys: np.ndarray) -> Groups:
    """Group points by an integer key."""
    unique, inverse, counts = np.unique(np.asarray(keys, dtype=np.int64), return_inverse=True, return_counts=True)
    return Groups(keys=unique, of=inverse.reshape(-1), size=counts)


def point_keys(lat: np.ndarray, lon: np.ndarray, decimals: int = 5) -> np.ndarray:
    """One int64 key per distinct (lat, lon) at this many decimals: points that coincide share a key."""
    scale = 10.0**decimals
    ilat = np.rint((np.asarray(lat, dtype=np.float64) + 90.0) * scale).astype(np.int64)
    ilon = np.rint((np.asarray(lon, dtype=np.float64) + 180.0) * scale).astype(np.int64)
    return ilat * int(360 * scale + 1) + ilon
