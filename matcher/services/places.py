"""Geocoding glue: a form's place (city and country, a chosen option, or an exact pin) to stored coordinates.

Places are geocoded once, when a record is written; ranking works on the stored coordinates. The geocoder named
by MATCHER_GEOCODER is built once per process. An offer's approximate public point is computed here too.
A record stores its place's local name ("Warszawa", "Київ"); pages show it through display_name, which adds the
Latin name for readers of another script ("Київ (Kyiv)") and names older rows stored as "Warsaw" locally too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from matcher.domain.location import approximate_point, sparsity_factor
from matcher.geocoding import Geocoder, Place, country_name, european_countries, get_geocoder
from matcher.place_names import place_label
from matcher.services.errors import ServiceError
from matcher.services.inputs import check_text, point_problems

PLACE_NAME_MAX = 120  # matcher.models.PLACE_MAX
# A pin farther than this from every town in the gazetteer is not a place in Europe we can label.
PIN_MAX_KM_FROM_TOWN = 100.0
# Two points closer than this (degrees, ~1 cm) are one point: a re-saved form does not move anything.
SAME_POINT_DEG = 1e-7
SUGGESTIONS_MAX = 10  # places an autocomplete answer lists
NAMED_IDS_MAX = 500  # gazetteer places a search by name may match ("Novoselivka" names a hundred villages)

_GEOCODERS: dict[tuple[str, str], Geocoder] = {}
_GEOCODERS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ResolvedPlace:
    """Where a record is: the place's local name (matcher.place_names) and the point to store."""

    place_name: str
    country: str  # ISO 3166-1 alpha-2
    geoname_id: int | None
    lat: float
    lon: float


class AmbiguousPlace(ServiceError):
    """Several places carry this name: the person must choose one of `options`."""

    def __init__(self, message, field: str, options: tuple[Place, ...]):
        super().__init__(message, field)
        self.options = options


def geocoder() -> Geocoder:
    """The configured geocoder, built once per process (it holds the gazetteer index and the rate limiter)."""
    name = current_app.config.get("MATCHER_GEOCODER", "gazetteer")
    agent = current_app.config.get("NOMINATIM_USER_AGENT", "")
    key = (name, agent)
    if key not in _GEOCODERS:
        with _GEOCODERS_LOCK:
            if key not in _GEOCODERS:
                kwargs = {"user_agent": agent} if agent else {}
                _GEOCODERS[key] = get_geocoder(name, **kwargs)
    return _GEOCODERS[key]


def country_codes() -> frozenset[str]:
    """ISO codes of the countries a place may be in."""
    return european_countries()


def check_country(code: str | None, field: str = "country") -> str:
    """An upper-case code of a country the gazetteer covers."""
    code = (code or "").strip().upper()
    if code not in country_codes():
        raise ServiceError(_l("Choose a country from the list."), field)
    return code


def _country_label(code: str) -> str:
    return country_name(code, str(get_locale() or "en"))


def _from_place(place: Place) -> ResolvedPlace:
    return ResolvedPlace(place.name[:PLACE_NAME_MAX], place.country, place.geoname_id, place.lat, place.lon)


def resolve_name(
    name: str | None, country: str | None, *, choice: int | None = None, pin_hint: bool = False
) -> ResolvedPlace:
    """The place called `name` in `country`; raises AmbiguousPlace (with options) or ServiceError on "place".

    `choice` is the GeoNames id the person picked among the options of an earlier ambiguous answer; it only
    counts when it is still one of the options for this name, so a stale or forged id changes nothing.
    """
    country = check_country(country)
    name = check_text(name, "place", PLACE_NAME_MAX)
    if not name:
        message = _l("Enter a city or town, or give an exact pin.") if pin_hint else _l("Enter a city or town.")
        raise ServiceError(message, "place")
    result = geocoder().geocode(name, country)
    if result.status == "found" and result.place is not None:
        return _from_place(result.place)
    if result.status == "ambiguous":
        offered = {p.geoname_id for p in result.options}
        chosen = geocoder().place_by_id(choice) if choice is not None and choice in offered else None
        if chosen is not None:
            return _from_place(chosen)
        raise AmbiguousPlace(
            _l("There are several places called “%(name)s”. Choose the one you mean.", name=name),
            "place_choice",
            result.options,
        )
    if pin_hint:
        message = _l(
            "We could not find “%(name)s” in %(country)s. Check the spelling, try the nearest bigger town, "
            "or give an exact pin (latitude and longitude).",
            name=name,
            country=_country_label(country),
        )
    else:
        message = _l(
            "We could not find “%(name)s” in %(country)s. Check the spelling or try the nearest bigger town.",
            name=name,
            country=_country_label(country),
        )
    raise ServiceError(message, "place")


def check_pin(lat: float | None, lon: float | None) -> tuple[float, float] | None:
    """A valid exact pin as floats, None when neither coordinate is given; ServiceError on "lat" or "lon"."""
    problems = point_problems(lat, lon)
    if problems:
        field, message = next(iter(problems.items()))
        raise ServiceError(message, field)
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def resolve_pin(lat: float, lon: float) -> ResolvedPlace:
    """An exact pin, labelled with the nearest gazetteer town and its country."""
    town = geocoder().nearest_city(lat, lon, max_km=PIN_MAX_KM_FROM_TOWN)
    if town is None:
        raise ServiceError(_l("This pin is not near any town we know in Europe. Check the numbers."), "lat")
    return ResolvedPlace(town.name[:PLACE_NAME_MAX], town.country, town.geoname_id, float(lat), float(lon))


def resolve_offer_place(
    name: str | None, country: str | None, *, choice: int | None, lat: float | None, lon: float | None
) -> ResolvedPlace:
    """An offer's place: an exact pin wins over the city; otherwise the city (a city centre) in its country."""
    pin = check_pin(lat, lon)
    if pin is not None:
        check_country(country)
        return resolve_pin(*pin)
    return resolve_name(name, country, choice=choice, pin_hint=True)


def same_point(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """True when two points are the same to about a centimetre."""
    return abs(a[0] - b[0]) <= SAME_POINT_DEG and abs(a[1] - b[1]) <= SAME_POINT_DEG


def is_pinned(geoname_id: int | None, lat: float, lon: float) -> bool:
    """Whether a stored point is an exact pin rather than the centre of its gazetteer town."""
    if geoname_id is None:
        return False
    town = geocoder().place_by_id(geoname_id)
    return town is None or not same_point((town.lat, town.lon), (lat, lon))


def public_point(lat: float, lon: float, *, salt: str) -> tuple[float, float]:
    """The approximate point maps may show: a stable, secret-keyed offset, wider where towns are far apart."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    sparsity = sparsity_factor(geocoder().distance_to_town_km(lat, lon))
    return approximate_point(lat, lon, secret=secret, salt=salt, sparsity=sparsity)


def display_name(name: str, geoname_id: int | None, locale: str | None = None) -> str:
    """How a stored or found place reads to the current user: "Київ (Kyiv)" in English, "Київ" in Ukrainian.

    Gazetteer places are named through their GeoNames id, so older rows stored as "Warsaw" read "Warszawa" too;
    a place the local-name list does not know, or one Nominatim found, keeps `name`.
    """
    return place_label(geoname_id, name or "", locale or str(get_locale() or "en"))


def suggest(prefix: str | None, country: str | None = None) -> list[Place]:
    """Places whose name in any script or spelling starts with `prefix`, for autocomplete; most populous first."""
    prefix = (prefix or "").strip()[:PLACE_NAME_MAX]
    code = (country or "").strip().upper()
    return geocoder().search(prefix, code if code in country_codes() else None, SUGGESTIONS_MAX)


def ids_named(text: str | None) -> list[int]:
    """GeoNames ids of the places any of whose names is `text` ("Lviv", "Львів", "Львів (Lviv)"), for searches."""
    text = (text or "").strip()[:PLACE_NAME_MAX]
    return geocoder().ids_named(text, limit=NAMED_IDS_MAX) if text else []
