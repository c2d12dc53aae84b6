"""Maps: the coordinators' offer map, the public map of counts per city, the case map's data, and Leaflet.

Leaflet is served from the XStatic-Leaflet package, never a CDN. Every script lives in static/js/map.js; the
pages hand it its settings and translated strings in data- attributes, so the CSP can stay at script-src 'self'.
"""

from __future__ import annotations

import math

import xstatic.pkg.leaflet
from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from matcher.domain.mapgrid import MAX_ZOOM, WORLD, BBox
from matcher.domain.vocabulary import LANGUAGE_CODES
from matcher.extensions import csrf
from matcher.models import STAFF_ROLES
from matcher.services import maps
from matcher.web.access import roles_required
from matcher.web.i18n import language_name, place_label

bp = Blueprint("maps", __name__, url_prefix="/maps")
api_bp = Blueprint("maps_api", __name__, url_prefix="/api/v1/map")
csrf.exempt(api_bp)
leaflet_bp = Blueprint(
    "leaflet", __name__, static_folder=xstatic.pkg.leaflet.BASE_DIR, static_url_path="/static/vendor/leaflet"
)

EUROPE_VIEW = (50.5, 15.0, 4)  # lat, lon, zoom of the first view
MAX_FREE_BEDS_FILTER = 50  # the most beds an offer can have
DEFAULT_ZOOM = 4
_TRUE, _FALSE = {"1", "true", "on", "yes"}, {"0", "false", "off", "no", ""}
_ID_PLACEHOLDER = 987654321


# --- query arguments ------------------------------------------------------------------------------------------


class _Args:
    """Reads query arguments, collecting one message per bad field; bad() answers 400 with all of them."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def bbox(self) -> BBox:
        raw = request.args.get("bbox")
        if raw is None:
            return WORLD
        try:
            values = [float(v) for v in raw.split(",")]
            if len(values) != 4:
                raise ValueError
            return BBox(*values)
        except ValueError:
            self.fields["bbox"] = _(
                "must be four numbers west,south,east,north with -180 ≤ west < east ≤ 180 and -90 ≤ south < north ≤ 90"
            )
            return WORLD

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = request.args.get(name)
        if raw is None:
            return default
        raw = raw.strip()
        if raw.isascii() and raw.isdigit() and len(raw) <= 3 and low <= int(raw) <= high:
            return int(raw)
        self.fields[name] = _("must be a whole number from %(low)d to %(high)d", low=low, high=high)
        return default

    def flag(self, name: str) -> bool:
        raw = request.args.get(name, "").strip().lower()
        if raw in _TRUE:
            return True
        if raw not in _FALSE:
            self.fields[name] = _("must be 1 or 0")
        return False

    def choice(self, name: str, options, default: str, message: str) -> str:
        raw = request.args.get(name, default).strip().lower() or default
        if raw == default or raw in options:
            return raw
        self.fields[name] = message
        return default

    def check(self) -> None:
        if self.fields:
            response = jsonify(
                error="invalid_argument", message=_("Some map parameters are not valid."), fields=self.fields
            )
            response.status_code = 400
            abort(response)


def _offer_filter(args: _Args) -> maps.OfferFilter:
    return maps.OfferFilter(
        min_free_beds=args.integer("min_free_beds", 0, 0, MAX_FREE_BEDS_FILTER),
        pets=args.flag("pets"),
        step_free=args.flag("step_free"),
        language=args.choice("language", LANGUAGE_CODES, "", _("is not a known language code")),
        status=args.choice("status", maps.STATUS_FILTERS, "active", _("must be active, paused or any")),
    )


def _locale() -> str:
    """The reader's language, which decides how city names read ("Київ (Kyiv)" or "Київ")."""
    return str(get_locale() or "en")


def _require_staff() -> None:
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role not in STAFF_ROLES:
        abort(403)


# --- the JSON API ---------------------------------------------------------------------------------------------


@api_bp.get("/offers")
def offers_json():
    """Staff only: offers at approximate points, or grid cells with counts and free-bed sums."""
    _require_staff()
    args = _Args()
    bbox, zoom, flt = args.bbox(), args.integer("zoom", DEFAULT_ZOOM, 0, MAX_ZOOM), _offer_filter(args)
    args.check()
    return jsonify(maps.offer_map(bbox, zoom, flt))


@api_bp.get("/requests")
def requests_json():
    """Staff only: open requests per desired place (a city point), or per grid cell."""
    _require_staff()
    args = _Args()
    bbox, zoom = args.bbox(), args.integer("zoom", DEFAULT_ZOOM, 0, MAX_ZOOM)
    args.check()
    return jsonify(maps.request_map(bbox, zoom, _locale()))


@api_bp.get("/cities")
def cities_json():
    """Open to anyone: open offers and free beds per city, at the city's point; never an offer or a person."""
    args = _Args()
    bbox, zoom = args.bbox(), args.integer("zoom", DEFAULT_ZOOM, 0, MAX_ZOOM)
    args.check()
    return jsonify(maps.public_map(bbox, zoom, _locale()))


# --- pages ----------------------------------------------------------------------------------------------------


def _initial_view() -> tuple[float, float, int]:
    """The first view from ?lat=&lon=&zoom= (links and reloads keep their place), else Europe."""
    lat, lon, zoom = EUROPE_VIEW
    try:
        lat_arg, lon_arg = float(request.args["lat"]), float(request.args["lon"])
        if math.isfinite(lat_arg) and math.isfinite(lon_arg) and abs(lat_arg) <= 85 and abs(lon_arg) <= 180:
            lat, lon = lat_arg, lon_arg
    except (KeyError, ValueError):
        pass
    raw_zoom = request.args.get("zoom", "")
    if raw_zoom.isascii() and raw_zoom.isdigit() and 2 <= int(raw_zoom) <= MAX_ZOOM:
        zoom = int(raw_zoom)
    return lat, lon, zoom


def _url_template(endpoint: str, fallback: str, **values) -> str:
    """A URL with "{id}" where the id goes, for the script to fill in."""
    if endpoint not in current_app.view_functions:
        return fallback
    return url_for(endpoint, **values).replace(str(_ID_PLACEHOLDER), "{id}")


def _messages() -> dict[str, str]:
    """Every string map.js shows, translated here; {name} marks where the script puts a value."""
    return {
        "loading": _("Loading the map…"),
        "error": _("The map could not load its data. Please try again."),
        "summaryOffers": _("Offers in view: %(n)s · Free beds: %(free)s", n="{n}", free="{free}"),
        "summaryRequests": _("Open requests in view: %(n)s", n="{n}"),
        "summaryCities": _("Open offers in view: %(n)s · Free beds: %(free)s", n="{n}", free="{free}"),
        "zoomHint": _("%(label)s. Select to zoom in.", label="{label}"),
        "cellOffers": _("Offers: %(n)s · Free beds: %(free)s", n="{n}", free="{free}"),
        "cellRequests": _("Open requests: %(n)s in %(places)s places", n="{n}", places="{places}"),
        "point": _("Offers here: %(n)s · Free beds: %(free)s", n="{n}", free="{free}"),
        "freeOfBeds": _("Free beds: %(free)s of %(beds)s", free="{free}", beds="{beds}"),
        "active": _("Active"),
        "paused": _("Paused"),
        "pets": _("Pets welcome"),
        "stepFree": _("Step-free access"),
        "languages": _("Languages: %(list)s", list="{list}"),
        "openOffer": _("Open offer %(id)s", id="{id}"),
        "place": _("%(name)s: open requests: %(n)s", name="{name}", n="{n}"),
        "people": _("People: %(n)s", n="{n}"),
        "vulnerable": _("Vulnerable households: %(n)s", n="{n}"),
        "openCase": _("Case %(id)s", id="{id}"),
        "moreCases": _("All %(n)s in the queue", n="{n}"),
        "city": _("%(name)s: open offers: %(n)s · Free beds: %(free)s", name="{name}", n="{n}", free="{free}"),
        "cluster": _(
            "%(name)s and nearby (%(cities)s places): open offers: %(n)s · Free beds: %(free)s",
            name="{name}",
            cities="{cities}",
            n="{n}",
            free="{free}",
        ),
        "wanted": _("Wanted place: %(name)s, up to %(km)s km", name="{name}", km="{km}"),
        "candidate": _(
            "Candidate %(rank)s · score %(score)s/100 · free beds: %(free)s",
            rank="{rank}",
            score="{score}",
            free="{free}",
        ),  # fmt: skip
        "noneInView": _("Nothing to show here. Zoom out or change the filters."),
    }


def _map_settings(kind: str) -> dict:
    lat, lon, zoom = _initial_view()
    config = current_app.config
    return {
        "kind": kind,
        "lat": lat,
        "lon": lon,
        "zoom": zoom,
        "tile_url": config.get("MAP_TILE_URL", ""),
        "tile_attribution": config.get("MAP_TILE_ATTRIBUTION", ""),
        "messages": _messages(),
    }


@bp.get("/")
def public_map():
    """For anyone: where hosts have room, as counts per city."""
    return render_template("maps/public.html", settings=_map_settings("public"), min_hosts=maps.PUBLIC_MIN_HOSTS)


@bp.get("/coordinator")
@roles_required(*STAFF_ROLES)
def coordinator_map():
    """For coordinators: offers and open requests, with filters."""
    args = _Args()
    flt = _offer_filter(args)  # a bad value in the address falls back to its default on the page
    show_requests = request.args.get("requests", "1").strip().lower() not in _FALSE
    languages = sorted(((code, language_name(code)) for code in LANGUAGE_CODES), key=lambda pair: pair[1])
    settings = _map_settings("coordinator")
    settings["language_names"] = dict(languages)
    settings["offer_url"] = _url_template("offers.detail", "/offers/{id}", offer_id=_ID_PLACEHOLDER)
    settings["case_url"] = _url_template("coordinator.case_page", "", request_id=_ID_PLACEHOLDER)
    settings["queue_url"] = url_for("coordinator.queue")
    return render_template(
        "maps/coordinator.html",
        settings=settings,
        flt=flt,
        show_requests=show_requests,
        languages=languages,
        max_free_beds=MAX_FREE_BEDS_FILTER,
    )


@bp.app_template_global()
def case_map_settings(case, ranking, offers) -> dict:
    """What the small map on a case page needs: the wanted place and the ranked candidates' approximate points."""
    candidates = []
    for rank, candidate in enumerate(ranking.candidates, start=1):
        offer = offers.get(candidate.offer_id)
        if offer is None:
            continue
        candidates.append(
            {
                "rank": rank,
                "id": offer.id,
                "lat": round(offer.approx_lat, maps.COORD_DECIMALS),
                "lon": round(offer.approx_lon, maps.COORD_DECIMALS),
                "score": round(candidate.score),
                "free_beds": candidate.free_beds,
            }
        )
    return {
        "kind": "case",
        "lat": case.lat,
        "lon": case.lon,
        "zoom": 8,
        "place": place_label(case.place_name, case.geoname_id),
        "max_km": case.max_distance_km,
        "candidates": candidates,
        "tile_url": current_app.config.get("MAP_TILE_URL", ""),
        "tile_attribution": current_app.config.get("MAP_TILE_ATTRIBUTION", ""),
        "offer_url": _url_template("offers.detail", "/offers/{id}", offer_id=_ID_PLACEHOLDER),
        "messages": _messages(),
    }
