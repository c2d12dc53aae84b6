"""What the maps show: offers at their approximate points, open requests at their desired places, and the public
per-city counts, aggregated into grid cells by viewport and zoom.

Every answer is built from cached columns (numpy arrays), never a query per offer:
- the matching engine's offer pool (free beds, status, pets, step-free, languages), rebuilt when offers or
  matches change;
- this module's own columns of approximate points and hosts, reloaded when offers change.
The exact, private point of an offer is never read here. Places are named for the reader (`locale`): in their
local form, with the Latin name for readers of another script (matcher.place_names).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import func, select

from matcher.domain import mapgrid
from matcher.domain.geo import chord_for_km, unit_vectors
from matcher.domain.mapgrid import BBox
from matcher.domain.matching.pool import STATUS_ACTIVE, STATUS_PAUSED, LanguageTable, OfferPool
from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.extensions import db
from matcher.geocoding import TOWN_MIN_POPULATION, GazetteerGeocoder, load_gazetteer
from matcher.models import HousingRequest, Offer
from matcher.place_names import place_label
from matcher.services.matching import matching_settings, offer_pool

# The map may lag the database by this many seconds: within it, answers reuse the cached columns without even
# asking whether offers, matches or requests changed (that check alone costs ~20-40 ms at 100k offers on SQLite).
# Proposals re-check every rule in their own transaction, so a map a moment old can never double-book.
RECHECK_S = 2.0

# Offers are shown one by one from this zoom on (a city fills the screen), if the view holds no more than
# MAX_POINTS of them; otherwise, and below this zoom, they are counted in grid cells.
POINTS_MIN_ZOOM = 10
MAX_POINTS = 500
COORD_DECIMALS = 5  # ~1 m: approximate points carry no more precision than they are stored with
CASES_PER_PLACE = 10  # a request place lists this many of its oldest cases; the queue has the rest

# The public map counts open offers (active, with a free bed) per city of at least TOWN_MIN_POPULATION (15k)
# people, placed at the city's own gazetteer point. A city is shown only when at least PUBLIC_MIN_HOSTS
# distinct hosts make up its numbers: below that, "1 offer, 4 beds in Ełk" points at one household.
# Suppressed cities are left out of every total and cluster too, so no difference between two answers
# (two zooms, two viewports) can bring them back. We suppress rather than round: a rounded "about 5" still
# shows that someone is there, and rounding small counts barely hides a single host.
PUBLIC_CITY_MIN_POPULATION = TOWN_MIN_POPULATION
PUBLIC_MIN_HOSTS = 3
# GeoNames lists big cities' districts as cities of their own (Mokotów, Wola... in Warsaw), and offline data has
# no feature codes to tell a district from a town. A 15k+ place is counted with the most populous city within
# METRO_KM that has at least METRO_RATIO times its people: "Warsaw" rather than a dozen districts of it, and
# larger groups, which protect hosts better. A separate town farther out (Pruszków, 15 km) keeps its own count.
METRO_KM = 12.0
METRO_RATIO = 5.0

STATUS_NAMES = {STATUS_ACTIVE: OfferStatus.ACTIVE.value, STATUS_PAUSED: OfferStatus.PAUSED.value}
STATUS_FILTERS = ("active", "paused", "any")


@dataclass(frozen=True)
class OfferFilter:
    """The coordinator map's filters."""

    min_free_beds: int = 0
    pets: bool = False
    step_free: bool = False
    language: str = ""  # an ISO 639-1 code, "" for any
    status: str = "active"  # active, paused or any

    def __post_init__(self) -> None:
        if self.status not in STATUS_FILTERS:
            raise ValueError(f"status must be one of {', '.join(STATUS_FILTERS)}")
        if self.min_free_beds < 0:
            raise ValueError("min_free_beds must not be negative")


# --- cached columns -------------------------------------------------------------------------------------------


@dataclass
class _ApproxPoints:
    """Approximate points and hosts of the non-withdrawn offers, sorted by offer id."""

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    host: np.ndarray
    _city_rows: np.ndarray | None = None  # gazetteer row of each point's nearest 15k+ city, computed on first use

    def city_rows(self) -> np.ndarray:
        if self._city_rows is None:
            gaz = load_gazetteer()
            ids = GazetteerGeocoder().nearest_city_ids(self.lat, self.lon, min_population=PUBLIC_CITY_MIN_POPULATION)
            nearest = np.searchsorted(gaz.ids, ids)  # gazetteer rows are sorted by GeoNames id
            self._city_rows = metro_rows()[nearest]
        return self._city_rows


_metro: np.ndarray | None = None


def metro_rows() -> np.ndarray:
    """For each gazetteer row, the row of the city it is counted with on the public map (itself, or its metropolis)."""
    global _metro
    if _metro is None:
        gaz = load_gazetteer()
        rows = np.flatnonzero(gaz.population >= PUBLIC_CITY_MIN_POPULATION)
        tree = cKDTree(unit_vectors(gaz.lat[rows], gaz.lon[rows]))
        near = tree.query_ball_point(tree.data, r=float(chord_for_km(METRO_KM)))
        out = np.arange(len(gaz.ids))
        pop = gaz.population[rows]
        for i, neighbours in enumerate(near):
            neighbours = np.asarray(neighbours, dtype=np.int64)
            biggest = int(neighbours[np.argmax(pop[neighbours])])
            if pop[biggest] >= METRO_RATIO * pop[i]:
                out[rows[i]] = rows[biggest]
        _metro = out
    return _metro


@dataclass(frozen=True)
class OfferLayer:
    """One row per mappable offer: the pool's columns joined to the approximate points, exact points left out."""

    ids: np.ndarray
    lat: np.ndarray  # approximate, public
    lon: np.ndarray
    beds: np.ndarray
    free_beds: np.ndarray
    status: np.ndarray  # pool STATUS_* codes
    last_confirmed: np.ndarray  # day numbers
    pets_ok: np.ndarray
    step_free: np.ndarray
    lang: np.ndarray  # (n, words) language masks
    languages: LanguageTable
    host: np.ndarray
    city: np.ndarray  # positions into _ApproxPoints, for the lazily computed city rows
    points: _ApproxPoints
    _public: dict = field(default_factory=dict)  # the PublicCities built from this layer, by (day, freshness)


@dataclass(frozen=True)
class PublicCities:
    """Cities with enough hosts to be shown publicly, and their counts."""

    lat: np.ndarray
    lon: np.ndarray
    ids: list[int]  # GeoNames ids, which name the cities for each reader
    names: list[str]  # GeoNames' main names
    countries: list[str]
    offers: np.ndarray
    free_beds: np.ndarray


@dataclass(frozen=True)
class RequestLayer:
    """Open requests, oldest first, at their desired places (city points, never homes)."""

    version: tuple
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    people: np.ndarray
    vulnerable: np.ndarray
    place_names: list[str]  # as stored
    geoname_ids: list[int | None]


@dataclass
class _Cache:
    points: _ApproxPoints | None = None
    points_of: np.ndarray | None = None  # the pool's ids array the points were loaded alongside
    pool: OfferPool | None = None
    layer: OfferLayer | None = None
    layer_checked: float = 0.0
    requests: RequestLayer | None = None
    requests_checked: float = 0.0


_cache = _Cache()
_lock = threading.Lock()


def _requests_version() -> tuple:
    return tuple(db.session.execute(select(func.count(HousingRequest.id), func.max(HousingRequest.updated_at))).one())


def _load_points() -> _ApproxPoints:
    rows = db.session.execute(
        select(Offer.id, Offer.approx_lat, Offer.approx_lon, Offer.host_id)
        .where(Offer.status != OfferStatus.WITHDRAWN)
        .order_by(Offer.id)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    return _ApproxPoints(
        ids=np.asarray(columns[0], dtype=np.int64),
        lat=np.asarray(columns[1], dtype=np.float64),
        lon=np.asarray(columns[2], dtype=np.float64),
        host=np.asarray(columns[3], dtype=np.int64),
    )


def _join(pool: OfferPool, points: _ApproxPoints) -> OfferLayer:
    at = np.searchsorted(points.ids, pool.ids)
    clipped = np.minimum(at, max(len(points.ids) - 1, 0))
    # An offer only the pool or only the points know was added or withdrawn between the two loads: left out
    # until both caught up.
    keep = np.flatnonzero(points.ids[clipped] == pool.ids) if len(points.ids) else np.zeros(0, dtype=np.int64)
    src = clipped[keep]
    return OfferLayer(
        ids=pool.ids[keep],
        lat=points.lat[src],
        lon=points.lon[src],
        beds=pool.beds[keep],
        free_beds=pool.free_beds[keep],
        status=pool.status[keep],
        last_confirmed=pool.last_confirmed[keep],
        pets_ok=pool.pets_ok[keep],
        step_free=pool.step_free[keep],
        lang=pool.lang[keep],
        languages=pool.languages,
        host=points.host[src],
        city=src,
        points=points,
    )


def offer_layer() -> OfferLayer:
    """The mappable offers: rejoined when the pool's holds changed, reloaded when the pool reloaded its offers."""
    with _lock:
        if _cache.layer is not None and time.monotonic() - _cache.layer_checked < RECHECK_S:
            return _cache.layer
    pool = offer_pool()
    with _lock:
        # The pool keeps its ids array while only holds change, and loads a new one when offers changed.
        if _cache.points is None or _cache.points_of is not pool.ids:
            _cache.points = _load_points()
            _cache.points_of = pool.ids
            _cache.layer = None
        if _cache.layer is None or _cache.pool is not pool:
            _cache.layer = _join(pool, _cache.points)
            _cache.pool = pool
        _cache.layer_checked = time.monotonic()
        return _cache.layer


def request_layer() -> RequestLayer:
    """The open requests, reloaded when any request changed."""
    with _lock:
        if _cache.requests is not None and time.monotonic() - _cache.requests_checked < RECHECK_S:
            return _cache.requests
        version = _requests_version()
        _cache.requests_checked = time.monotonic()
        if _cache.requests is None or _cache.requests.version != version:
            rows = db.session.execute(
                select(
                    HousingRequest.id,
                    HousingRequest.lat,
                    HousingRequest.lon,
                    HousingRequest.adults + HousingRequest.children,
                    HousingRequest.vulnerabilities,
                    HousingRequest.place_name,
                    HousingRequest.geoname_id,
                )
                .where(HousingRequest.status == RequestStatus.OPEN)
                .order_by(HousingRequest.created_at, HousingRequest.id)
            ).all()
            ids, lat, lon, people, flags, names, geoname_ids = zip(*rows, strict=True) if rows else ([],) * 7
            _cache.requests = RequestLayer(
                version=version,
                ids=np.asarray(ids, dtype=np.int64),
                lat=np.asarray(lat, dtype=np.float64),
                lon=np.asarray(lon, dtype=np.float64),
                people=np.asarray(people, dtype=np.int64),
                vulnerable=np.asarray([bool(f) for f in flags], dtype=bool),
                place_names=list(names),
                geoname_ids=list(geoname_ids),
            )
        return _cache.requests


def forget_map_cache() -> None:
    """Drop the cached columns (tests switch databases under them)."""
    with _lock:
        _cache.points = _cache.points_of = _cache.pool = _cache.layer = _cache.requests = None
        _cache.layer_checked = _cache.requests_checked = 0.0


# --- GeoJSON-ish answers --------------------------------------------------------------------------------------


def _point(lat: float, lon: float) -> dict:
    return {"type": "Point", "coordinates": [round(float(lon), COORD_DECIMALS), round(float(lat), COORD_DECIMALS)]}


def _bounds(west, south, east, north) -> list[float]:
    return [round(float(v), COORD_DECIMALS) for v in (west, south, east, north)]


def _collection(mode: str, zoom: int, level: int | None, features: list[dict], **totals) -> dict:
    return {"type": "FeatureCollection", "mode": mode, "zoom": zoom, "level": level, "totals": totals,
            "features": features}  # fmt: skip


def offer_mask(layer: OfferLayer, flt: OfferFilter) -> np.ndarray:
    """Which offers pass the filters."""
    mask = layer.free_beds >= flt.min_free_beds
    if flt.status == "active":
        mask &= layer.status == STATUS_ACTIVE
    elif flt.status == "paused":
        mask &= layer.status == STATUS_PAUSED
    if flt.pets:
        mask &= layer.pets_ok
    if flt.step_free:
        mask &= layer.step_free
    if flt.language:
        if flt.language not in layer.languages.codes:
            return np.zeros_like(mask)
        mask &= (layer.lang & layer.languages.mask([flt.language])).any(axis=1)
    return mask


def _offer_details(layer: OfferLayer, positions: np.ndarray, decoded: dict) -> list[dict]:
    out = []
    for p in positions.tolist():
        mask = layer.lang[p]
        key = mask.tobytes()
        if key not in decoded:
            decoded[key] = list(layer.languages.decode(mask))
        out.append(
            {
                "id": int(layer.ids[p]),
                "free_beds": int(layer.free_beds[p]),
                "beds": int(layer.beds[p]),
                "status": STATUS_NAMES.get(int(layer.status[p]), "active"),
                "pets_ok": bool(layer.pets_ok[p]),
                "step_free": bool(layer.step_free[p]),
                "languages": decoded[key],
            }
        )
    return out


def _offer_point_feature(layer: OfferLayer, positions: np.ndarray, decoded: dict) -> dict:
    offers = _offer_details(layer, positions, decoded)
    first = int(positions[0])
    return {
        "type": "Feature",
        "geometry": _point(layer.lat[first], layer.lon[first]),
        "properties": {
            "kind": "point",
            "count": len(offers),
            "free_beds": sum(o["free_beds"] for o in offers),
            "paused": all(o["status"] == "paused" for o in offers),
            "offers": offers,
        },
    }


def offer_map(bbox: BBox, zoom: int, flt: OfferFilter) -> dict:
    """Offers in the viewport that pass the filters: one by one when zoomed in and few, else grid cells."""
    layer = offer_layer()
    sel = np.flatnonzero(bbox.contains(layer.lat, layer.lon) & offer_mask(layer, flt))
    lat, lon, free = layer.lat[sel], layer.lon[sel], layer.free_beds[sel]
    totals = {"offers": int(sel.size), "free_beds": int(free.sum())}
    decoded: dict = {}
    if zoom >= POINTS_MIN_ZOOM and sel.size <= MAX_POINTS:
        # Offers of one host at one address share their approximate point: one marker lists them all.
        groups = mapgrid.group_by(mapgrid.point_keys(lat, lon, COORD_DECIMALS))
        features = [_offer_point_feature(layer, sel[members], decoded) for members in groups.members()]
        return _collection("points", zoom, None, features, **totals)

    level = mapgrid.grid_level(bbox, zoom)
    groups = mapgrid.group_by(mapgrid.cell_keys(lat, lon, level))
    lone = groups.lone_members()
    free_sum = groups.total(free)
    paused = groups.total(layer.status[sel] == STATUS_PAUSED)
    mean_lat, mean_lon = groups.mean(lat), groups.mean(lon)
    west, south, east, north = mapgrid.cell_bounds(groups.keys, level)
    features = []
    for i in range(len(groups)):
        if lone[i] >= 0:  # a cell of one offer is that offer's point
            features.append(_offer_point_feature(layer, sel[lone[i : i + 1]], decoded))
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": _point(mean_lat[i], mean_lon[i]),
                "properties": {
                    "kind": "cell",
                    "count": int(groups.size[i]),
                    "free_beds": int(free_sum[i]),
                    "paused": int(paused[i]),
                    "bounds": _bounds(west[i], south[i], east[i], north[i]),
                },
            }
        )
    return _collection("cells", zoom, level, features, **totals)


def request_map(bbox: BBox, zoom: int, locale: str = "en") -> dict:
    """Open requests in the viewport, per desired place; nearby places share a grid cell when zoomed out."""
    layer = request_layer()
    sel = np.flatnonzero(bbox.contains(layer.lat, layer.lon))
    lat, lon = layer.lat[sel], layer.lon[sel]
    places = mapgrid.group_by(mapgrid.point_keys(lat, lon, COORD_DECIMALS))
    place_members = places.members()  # oldest request first: the layer is sorted that way
    first = np.array([m[0] for m in place_members], dtype=np.int64)
    p_lat, p_lon = lat[first] if first.size else lat[:0], lon[first] if first.size else lon[:0]
    p_people = places.total(layer.people[sel])
    p_vulnerable = places.total(layer.vulnerable[sel])

    level = mapgrid.grid_level(bbox, zoom)
    cells = mapgrid.group_by(mapgrid.cell_keys(p_lat, p_lon, level))
    west, south, east, north = mapgrid.cell_bounds(cells.keys, level)
    requests_in_cell = cells.total(places.size)
    people_in_cell = cells.total(p_people)
    features = []
    for i, members in enumerate(cells.members()):
        if cells.size[i] == 1:
            p = int(members[0])
            cases = sel[place_members[p]]
            first_case = int(cases[0])
            features.append(
                {
                    "type": "Feature",
                    "geometry": _point(p_lat[p], p_lon[p]),
                    "properties": {
                        "kind": "place",
                        "name": place_label(layer.geoname_ids[first_case], layer.place_names[first_case], locale),
                        "count": int(places.size[p]),
                        "people": int(p_people[p]),
                        "vulnerable": int(p_vulnerable[p]),
                        "cases": layer.ids[cases[:CASES_PER_PLACE]].tolist(),
                    },
                }
            )
            continue
        leader = int(members[np.argmax(places.size[members])])
        features.append(
            {
                "type": "Feature",
                "geometry": _point(p_lat[leader], p_lon[leader]),
                "properties": {
                    "kind": "cell",
                    "count": int(requests_in_cell[i]),
                    "people": int(people_in_cell[i]),
                    "places": int(cells.size[i]),
                    "bounds": _bounds(west[i], south[i], east[i], north[i]),
                },
            }
        )
    return _collection("cells", zoom, level, features, requests=int(sel.size), people=int(layer.people[sel].sum()))


def public_cities(layer: OfferLayer | None = None, today: date | None = None) -> PublicCities:
    """Per-city counts of open offers and their free beds, for cities with at least PUBLIC_MIN_HOSTS hosts.

    An open offer is one matching could propose today: active, confirmed recently enough, with a free bed.
    """
    layer = layer or offer_layer()
    day = (today or date.today()).toordinal()
    freshness = matching_settings().freshness_days
    if (day, freshness) in layer._public:
        return layer._public[(day, freshness)]
    gaz = load_gazetteer()
    is_open = (layer.status == STATUS_ACTIVE) & (layer.free_beds >= 1) & (day - layer.last_confirmed <= freshness)
    open_offers = np.flatnonzero(is_open)
    rows = layer.points.city_rows()[layer.city[open_offers]]
    cities = mapgrid.group_by(rows)
    offers = cities.size
    free = cities.total(layer.free_beds[open_offers]).astype(np.int64)
    # Distinct hosts per city: distinct (city, host) pairs, counted per city.
    pairs = np.unique(cities.of.astype(np.int64) * (int(layer.host.max(initial=0)) + 1) + layer.host[open_offers])
    hosts = np.bincount(pairs // (int(layer.host.max(initial=0)) + 1), minlength=len(cities))
    shown = np.flatnonzero(hosts >= PUBLIC_MIN_HOSTS)
    city_rows = cities.keys[shown]
    result = PublicCities(
        lat=gaz.lat[city_rows],
        lon=gaz.lon[city_rows],
        ids=[int(i) for i in gaz.ids[city_rows]],
        names=[gaz.names[r] for r in city_rows.tolist()],
        countries=[str(c) for c in gaz.countries[city_rows]],
        offers=offers[shown],
        free_beds=free[shown],
    )
    layer._public[(day, freshness)] = result
    return result


def public_map(bbox: BBox, zoom: int, locale: str = "en") -> dict:
    """Open offers and free beds per city in the viewport; nearby cities share a cluster when zoomed out.

    Every feature sits on a gazetteer city's own point: a cluster sits on its city with the most offers.
    """
    cities = public_cities()
    sel = np.flatnonzero(bbox.contains(cities.lat, cities.lon))
    lat, lon = cities.lat[sel], cities.lon[sel]
    offers, free = cities.offers[sel], cities.free_beds[sel]
    level = mapgrid.grid_level(bbox, zoom)
    cells = mapgrid.group_by(mapgrid.cell_keys(lat, lon, level))
    leaders = cells.leader(offers) if len(cells) else np.zeros(0, dtype=np.int64)
    offer_sum, free_sum = cells.total(offers), cells.total(free)
    west, south, east, north = mapgrid.cell_bounds(cells.keys, level)
    features = []
    for i in range(len(cells)):
        lead = int(leaders[i])
        city = int(sel[lead])
        single = cells.size[i] == 1
        properties = {
            "kind": "city" if single else "cluster",
            "name": place_label(cities.ids[city], cities.names[city], locale),
            "country": cities.countries[city],
            "offers": int(offer_sum[i]),
            "free_beds": int(free_sum[i]),
        }
        if not single:
            properties["cities"] = int(cells.size[i])
            properties["bounds"] = _bounds(west[i], south[i], east[i], north[i])
        features.append({"type": "Feature", "geometry": _point(lat[lead], lon[lead]), "properties": properties})
    return _collection("cities", zoom, level, features, offers=int(offers.sum()), free_beds=int(free.sum()))
