"""Great-circle geometry on a sphere, vectorised with numpy."""

from __future__ import annotations

import numpy as np

# Mean Earth radius (IUGG), in km: the sphere every distance in matcher is measured on.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km; every argument may be a scalar or a numpy array."""
    lat1r, lon1r, lat2r, lon2r = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lat1, lon1, lat2, lon2))
    dlat = lat2r - lat1r
    dlon = lon2r - lon1r
    a = np.sin(dlat / 2.0) ** 2 + np.cos(lat1r) * np.cos(lat2r) * np.sin(dlon / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(lat, lon) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3), for chord-distance spatial indexes."""
    latr = np.radians(np.asarray(lat, dtype=np.float64))
    lonr = np.radians(np.asarray(lon, dtype=np.float64))
    cos_lat = np.cos(latr)
    return np.column_stack((cos_lat * np.cos(lonr), cos_lat * np.sin(lonr), np.sin(latr)))


def chord_for_km(distance_km):
    """Straight-line chord on the unit sphere matching a great-circle distance in km."""
    return 2.0 * np.sin(
        np.minimum(np.asarray(distance_km, dtype=np.float64), np.pi * EARTH_RADIUS_KM) / (2.0 * EARTH_RADIUS_KM)
    )


def haversine_from_radians(lat1r, coslat1, lon1r, lat2r, coslat2, lon2r):
    """Great-circle distance in km from radians and cosines of latitude: haversine_km's arithmetic, precomputed."""
    a = np.sin((lat2r - lat1r) / 2.0) ** 2 + coslat1 * coslat2 * np.sin((lon2r - lon1r) / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
