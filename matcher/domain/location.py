"""The approximate public point of an offer: a secret-keyed, stable offset from the exact, private point.

The offset's bearing and distance come from HMAC-SHA256(secret, "salt|lat|lon"), so the public point:
- stays put while the exact point and salt stay the same (edits to beds or dates don't move it);
- moves to a fresh, unrelated spot when the place changes;
- can't be recomputed, or inverted, by anyone without the server's secret.

Pass the host's user id as the salt, not the offer id: all of one host's offers at one address then share one
public point, where per-offer points would scatter around the address and their centroid would betray it.
"""

from __future__ import annotations

import hashlib
import hmac
import math

from matcher.domain.geo import EARTH_RADIUS_KM

APPROX_MIN_KM = 1.0  # the public point is never nearer the exact point than this...
APPROX_MAX_KM = 3.0  # ...nor farther than this, where hosts are dense

# Sparsity: a 1-3 km offset hides a flat in a town, not a farm in empty country. Where the nearest town of
# matcher.geocoding.TOWN_MIN_POPULATION (15k) people is far, both bounds scale up, linearly from factor 1 at
# SPARSE_NEAR_KM to SPARSE_MAX_FACTOR at SPARSE_FAR_KM and beyond (2.5-7.5 km with the defaults).
SPARSE_NEAR_KM = 10.0
SPARSE_FAR_KM = 40.0
SPARSE_MAX_FACTOR = 2.5

PUBLIC_POINT_DECIMALS = 5  # ~1 m: the stored public point carries no false precision
# Rounding to PUBLIC_POINT_DECIMALS moves a point by at most ~0.8 m; the offset keeps this much clear of each
# bound so the rounded point still lies within [min_km, max_km] as haversine_km measures it.
_BOUND_MARGIN_KM = 0.002
_MAX_OFFSET_KM = 1000.0  # beyond this an "approximate point" is no longer near anything


def sparsity_factor(town_km: float) -> float:
    """Scale for the offset bounds from the km to the nearest town: 1 near towns, up to SPARSE_MAX_FACTOR."""
    if not math.isfinite(town_km) or town_km >= SPARSE_FAR_KM:
        return SPARSE_MAX_FACTOR
    share = max(0.0, town_km - SPARSE_NEAR_KM) / (SPARSE_FAR_KM - SPARSE_NEAR_KM)
    return 1.0 + share * (SPARSE_MAX_FACTOR - 1.0)


def destination_point(lat: float, lon: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    """The point `distance_km` along a great circle from (lat, lon) at `bearing_deg`, lon wrapped to [-180, 180)."""
    phi1, lam1 = math.radians(lat), math.radians(lon)
    theta = math.radians(bearing_deg)
    delta = distance_km / EARTH_RADIUS_KM
    sin_phi2 = math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    phi2 = math.asin(min(1.0, max(-1.0, sin_phi2)))
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * sin_phi2
    )
    return math.degrees(phi2), _wrap_lon(math.degrees(lam2))


def _wrap_lon(lon: float) -> float:
    wrapped = (lon + 180.0) % 360.0 - 180.0
    return -180.0 if wrapped >= 180.0 else wrapped


def _unit_floats(secret: bytes, message: str) -> tuple[float, float]:
    digest = hmac.new(secret, message.encode("utf-8"), hashlib.sha256).digest()
    # 53 bits each: the full precision of a float in [0, 1).
    first = int.from_bytes(digest[:8], "big") >> 11
    second = int.from_bytes(digest[8:16], "big") >> 11
    return first / 2.0**53, second / 2.0**53


def approximate_point(
    lat: float,
    lon: float,
    *,
    secret: bytes,
    salt: str,
    min_km: float = APPROX_MIN_KM,
    max_km: float = APPROX_MAX_KM,
    sparsity: float = 1.0,
) -> tuple[float, float]:
    """Stable public point between sparsity*min_km and sparsity*max_km from the exact point, keyed by `secret`."""
    if not secret:
        raise ValueError("secret must be non-empty bytes")
    if not (math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"not a coordinate: ({lat}, {lon})")
    if not (sparsity >= 1.0 and 0.0 < min_km <= max_km and max_km * sparsity <= _MAX_OFFSET_KM):
        raise ValueError(f"bad offset bounds: min_km={min_km}, max_km={max_km}, sparsity={sparsity}")
    low, high = min_km * sparsity, max_km * sparsity
    if high - low > 2 * _BOUND_MARGIN_KM:
        low, high = low + _BOUND_MARGIN_KM, high - _BOUND_MARGIN_KM
    else:
        low = high = (low + high) / 2.0

    # The message pins the place to ~1 m, and -0.0 and 0.0 to one spelling.
    message = f"{salt}|{round(lat, 5) + 0.0:.5f}|{round(lon, 5) + 0.0:.5f}"
    u_bearing, u_area = _unit_floats(secret, message)
    # Uniform over the annulus's area, not its radius, so points don't crowd the inner ring.
    distance_km = math.sqrt(low**2 + u_area * (high**2 - low**2))
    new_lat, new_lon = destination_point(lat, lon, 360.0 * u_bearing, distance_km)
    return round(new_lat, PUBLIC_POINT_DECIMALS) + 0.0, _wrap_lon(round(new_lon, PUBLIC_POINT_DECIMALS)) + 0.0
