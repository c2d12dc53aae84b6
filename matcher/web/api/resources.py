"""Offers and housing requests over the API: list, create, read, change; the UI's rules for who may do what."""

from __future__ import annotations

from flask import jsonify

from matcher.domain.vocabulary import OfferStatus, RequestStatus
from matcher.models import HousingRequest, Offer, Role
from matcher.place_names import local_name
from matcher.services import housing_requests, offers, records
from matcher.services.housing_requests import DeskInput, RequestInput
from matcher.services.offers import OfferInput
from matcher.web.api import bp
from matcher.web.api.common import (
    ID,
    STAFF,
    Body,
    choice_arg,
    created,
    day,
    page_args,
    paged,
    require_user,
    stamp,
    text_arg,
)

OFFER_STATUSES = tuple(s.value for s in OfferStatus)
REQUEST_STATUSES = tuple(s.value for s in RequestStatus)
# PATCH {"status": ...} on an offer: the host's pause, resume and withdraw.
STATUS_ACTIONS = {"paused": "pause", "active": "resume", "withdrawn": "withdraw"}


# --- as JSON -------------------------------------------------------------------------------------------------


def offer_json(offer: Offer, private: bool) -> dict:
    """An offer; the exact address and point only when `private` (its host, or staff who gave a reason)."""
    return {
        "id": offer.id,
        "host_id": offer.host_id,
        "external_id": offer.external_id,
        "title": offer.title,
        "description": offer.description,
        "city": local_name(offer.geoname_id, offer.place_name),
        "country": offer.country,
        "approx_lat": offer.approx_lat,
        "approx_lon": offer.approx_lon,
        "beds": offer.beds,
        "free_beds": offer.free_beds,
        "shareable": offer.shareable,
        "kind": offer.kind.value,
        "available_from": day(offer.available_from),
        "available_until": day(offer.available_until),
        "pets_ok": offer.pets_ok,
        "children_ok": offer.children_ok,
        "step_free": offer.step_free,
        "smoking_ok": offer.smoking_ok,
        "languages": list(offer.languages),
        "notes": offer.notes,
        "status": offer.status.value,
        "last_confirmed_at": stamp(offer.last_confirmed_at),
        "created_at": stamp(offer.created_at),
        "updated_at": stamp(offer.updated_at),
        "private_included": private,
        "address": offer.address if private else None,
        "lat": offer.lat if private else None,
        "lon": offer.lon if private else None,
    }


def request_json(found: HousingRequest, private: bool) -> dict:
    """A request; the contact details only when `private` (its person, or staff who gave a reason)."""
    return {
        "id": found.id,
        "refugee_id": found.refugee_id,
        "owner_id": found.owner_id,
        "external_id": found.external_id,
        "adults": found.adults,
        "children": found.children,
        "child_ages": [int(age) for age in found.child_ages if age.isdecimal()],
        "pets": found.pets,
        "step_free_needed": found.step_free_needed,
        "other_needs": found.other_needs,
        "languages": list(found.languages),
        "city": local_name(found.geoname_id, found.place_name),
        "country": found.country,
        "lat": found.lat,  # the desired city's point, not a home
        "lon": found.lon,
        "max_distance_km": found.max_distance_km,
        "needed_from": day(found.needed_from),
        "duration_days": found.duration_days,
        "vulnerabilities": list(found.vulnerabilities),
        "status": found.status.value,
        "created_at": stamp(found.created_at),
        "updated_at": stamp(found.updated_at),
        "private_included": private,
        "contact_name": found.contact_name if private else None,
        "phone": found.phone if private else None,
        "email": found.email if private else None,
    }


# --- offers --------------------------------------------------------------------------------------------------


@bp.get("/offers")
def list_offers():
    user = require_user(Role.HOST, *STAFF)
    status = choice_arg("status", OFFER_STATUSES)
    page, per_page = page_args()
    found = records.offers_page(user, status=status, page=page, per_page=per_page)
    return jsonify(paged(found, lambda offer: offer_json(offer, offer.host_id == user.id)))


def _offer_input(body: Body, base: OfferInput) -> OfferInput:
    values = {
        "title": body.string("title", base.title),
        "description": body.string("description", base.description),
        "address": body.string("address", base.address),
        "place": body.string("city", base.place),
        "country": body.string("country", base.country),
        "place_choice": body.integer("place_choice", None if ("city" in body or "lat" in body) else base.place_choice),
        "lat": body.number("lat", base.lat),
        "lon": body.number("lon", base.lon),
        "beds": body.integer("beds", base.beds),
        "kind": body.string("kind", base.kind),
        "shareable": body.boolean("shareable", base.shareable),
        "available_from": body.day("available_from", base.available_from),
        "available_until": body.day("available_until", base.available_until),
        "pets_ok": body.boolean("pets_ok", base.pets_ok),
        "children_ok": body.boolean("children_ok", base.children_ok),
        "step_free": body.boolean("step_free", base.step_free),
        "smoking_ok": body.boolean("smoking_ok", base.smoking_ok),
        "languages": body.strings("languages", base.languages),
        "notes": body.string("notes", base.notes),
    }
    status = body.string("status")
    if status is not None and status not in STATUS_ACTIONS:
        body.errors["status"] = "must be one of: " + ", ".join(STATUS_ACTIONS)
    body.check()
    return OfferInput(**{k: ("" if v is None and k in _TEXT_FIELDS else v) for k, v in values.items()})


_TEXT_FIELDS = {"title", "description", "address", "place", "country", "kind", "notes"}
_BLANK_OFFER = OfferInput(title="", address="", country="", beds=None, kind="", available_from=None)


@bp.post("/offers")
def create_offer():
    user = require_user(Role.HOST)
    data = _offer_input(Body(), _BLANK_OFFER)
    offer = offers.create_offer(user, data)
    offer, _ = records.get_offer(user, offer.id)
    return created(offer_json(offer, True), "api.get_offer", offer_id=offer.id)


@bp.get(f"/offers/<{ID}:offer_id>")
def get_offer(offer_id: int):
    user = require_user()
    offer, private = records.get_offer(user, offer_id, reveal=text_arg("reveal"))
    return jsonify(offer_json(offer, private))


@bp.patch(f"/offers/<{ID}:offer_id>")
def patch_offer(offer_id: int):
    user = require_user(Role.HOST, *STAFF)
    offer, _ = records.get_offer(user, offer_id)  # 404 for someone else's offer, before any 403
    if offer.host_id != user.id:
        require_user(Role.HOST)  # staff read offers but do not edit them, as in the UI
    body = Body()
    data = _offer_input(body, offers.as_input(offer))
    if set(body.data) - {"status"}:
        offers.update_offer(user, offer_id, data)
    status = body.string("status")
    if status is not None and status != offers.owned_offer(user, offer_id).status.value:
        offers.change_status(user, offer_id, STATUS_ACTIONS[status])
    offer, private = records.get_offer(user, offer_id)
    return jsonify(offer_json(offer, private))


# --- requests ------------------------------------------------------------------------------------------------


@bp.get("/requests")
def list_requests():
    user = require_user(Role.REFUGEE, *STAFF)
    status = choice_arg("status", REQUEST_STATUSES)
    page, per_page = page_args()
    found = records.requests_page(user, status=status, page=page, per_page=per_page)
    return jsonify(paged(found, lambda item: request_json(item, item.refugee_id == user.id)))


def _request_input(body: Body, base: RequestInput) -> RequestInput:
    values = {
        "contact_name": body.string("contact_name", base.contact_name),
        "phone": body.string("phone", base.phone),
        "email": body.string("email", base.email),
        "adults": body.integer("adults", base.adults),
        "children": body.integer("children", base.children),
        "child_ages": body.integers("child_ages", base.child_ages),
        "pets": body.boolean("pets", base.pets),
        "step_free_needed": body.boolean("step_free_needed", base.step_free_needed),
        "other_needs": body.string("other_needs", base.other_needs),
        "languages": body.strings("languages", base.languages),
        "place": body.string("city", base.place),
        "country": body.string("country", base.country),
        "place_choice": body.integer("place_choice", None if "city" in body else base.place_choice),
        "max_distance_km": body.integer("max_distance_km", base.max_distance_km),
        "needed_from": body.day("needed_from", base.needed_from),
        "duration_days": body.integer("duration_days", base.duration_days),
        "vulnerabilities": body.strings("vulnerabilities", base.vulnerabilities),
    }
    body.check()
    for name in ("contact_name", "place", "country", "other_needs"):
        values[name] = values[name] or ""
    values["children"] = 0 if values["children"] is None else values["children"]
    values["child_ages"] = values["child_ages"] or []
    return RequestInput(**values)


_BLANK_REQUEST = RequestInput(contact_name="", adults=None, country="", place="", needed_from=None, duration_days=None)


def _desk_input(body: Body) -> DeskInput:
    languages = body.strings("languages", []) or []
    values = {
        "name": body.string("contact_name", "") or "",
        "phone": body.string("phone", "") or "",
        "language": body.string("language", languages[0] if languages else "") or "",
        "adults": body.integer("adults"),
        "children": body.integer("children", 0),
        "place": body.string("city", "") or "",
        "country": body.string("country", "") or "",
        "needed_from": body.day("needed_from"),
        "place_choice": body.integer("place_choice"),
    }
    body.check()
    values["children"] = 0 if values["children"] is None else values["children"]
    return DeskInput(**values)


@bp.post("/requests")
def create_request():
    """A refugee files their own request; a coordinator registers a person at the desk (as in the UI)."""
    user = require_user(Role.REFUGEE, *STAFF)
    body = Body()
    claim_code = None
    if user.is_staff:
        found, claim_code = housing_requests.register_at_desk(user, _desk_input(body))
    else:
        found = housing_requests.create_request(user, _request_input(body, _BLANK_REQUEST))
    found, private = records.get_request(user, found.id)
    payload = request_json(found, private)
    if claim_code is not None:
        from matcher.services.claims import format_claim_code

        payload["claim_code"] = format_claim_code(claim_code)  # shown once, for the person to claim the account
    return created(payload, "api.get_request", request_id=found.id)


@bp.get(f"/requests/<{ID}:request_id>")
def get_request(request_id: int):
    user = require_user()
    found, private = records.get_request(user, request_id, reveal=text_arg("reveal"))
    return jsonify(request_json(found, private))


@bp.patch(f"/requests/<{ID}:request_id>")
def patch_request(request_id: int):
    user = require_user(Role.REFUGEE, *STAFF)
    found, _ = records.get_request(user, request_id)  # 404 for someone else's request, before any 403
    if found.refugee_id != user.id:
        require_user(Role.REFUGEE)  # staff do not edit a household's own statement, as in the UI
    data = _request_input(Body(), housing_requests.as_input(found))
    housing_requests.update_request(user, request_id, data)
    found, private = records.get_request(user, request_id)
    return jsonify(request_json(found, private))
