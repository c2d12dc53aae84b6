"""The OpenAPI 3.0 document of /api/v1, written by hand and served at /api/v1/openapi.json.

tests/web/test_api_openapi.py checks it against app.url_map (every /api/v1 rule is described, and nothing
else is), and runs schemathesis against it in-process: no 500s, and every response matches its schema.
"""

from __future__ import annotations

from flask import jsonify

from matcher.domain.vocabulary import LANGUAGE_CODES, VULNERABILITY_FLAGS, OfferStatus, PlaceKind, RequestStatus
from matcher.web.api import bp
from matcher.web.api.common import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE

VERSION = "1.0.0"
MAX_ID = 2**31 - 1


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
STAMP = {"type": "string", "format": "date-time"}
STRS = {"type": "array", "items": STR}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _object(properties: dict, required: tuple[str, ...] = (), **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


ERROR = _object(
    {"error": STR, "message": STR, "fields": {"type": "object", "additionalProperties": STR}},
    ("error", "message", "fields"),
)

OFFER = _object(
    {
        "id": INT,
        "host_id": INT,
        "external_id": _nullable(STR),
        "title": STR,
        "description": STR,
        "city": STR,
        "country": STR,
        "approx_lat": NUM,
        "approx_lon": NUM,
        "beds": INT,
        "free_beds": INT,
        "shareable": BOOL,
        "kind": {"type": "string", "enum": [k.value for k in PlaceKind]},
        "available_from": DATE,
        "available_until": _nullable(DATE),
        "pets_ok": BOOL,
        "children_ok": BOOL,
        "step_free": BOOL,
        "smoking_ok": BOOL,
        "languages": STRS,
        "notes": STR,
        "status": {"type": "string", "enum": [s.value for s in OfferStatus]},
        "last_confirmed_at": STAMP,
        "created_at": STAMP,
        "updated_at": STAMP,
        "private_included": {
            "type": "boolean",
            "description": "Whether address, lat and lon are filled: for the host, or for staff with ?reveal=.",
        },
        "address": _nullable(STR),
        "lat": _nullable(NUM),
        "lon": _nullable(NUM),
    },
    ("id", "host_id", "title", "city", "country", "beds", "free_beds", "kind", "status", "private_included"),
)

OFFER_INPUT = _object(
    {
        "title": STR,
        "description": STR,
        "address": STR,
        "city": {"type": "string", "description": "A city or town; lat/lon win over it when both are given."},
        "country": {"type": "string", "description": "ISO 3166-1 alpha-2"},
        "place_choice": {"type": "integer", "description": "GeoNames id picked from an ambiguous_place error."},
        "lat": NUM,
        "lon": NUM,
        "beds": INT,
        "kind": {"type": "string", "enum": [k.value for k in PlaceKind]},
        "shareable": BOOL,
        "available_from": DATE,
        "available_until": _nullable(DATE),
        "pets_ok": BOOL,
        "children_ok": BOOL,
        "step_free": BOOL,
        "smoking_ok": BOOL,
        "languages": {"type": "array", "items": {"type": "string", "enum": list(LANGUAGE_CODES)}},
        "notes": STR,
        "status": {
            "type": "string",
            "enum": ["active", "paused", "withdrawn"],
            "description": "PATCH only: resume, pause or withdraw.",
        },
    }
)

REQUEST = _object(
    {
        "id": INT,
        "refugee_id": INT,
        "owner_id": _nullable(INT),
        "external_id": _nullable(STR),
        "adults": INT,
        "children": INT,
        "child_ages": {"type": "array", "items": INT},
        "pets": BOOL,
        "step_free_needed": BOOL,
        "other_needs": STR,
        "languages": STRS,
        "city": STR,
        "country": STR,
        "lat": NUM,
        "lon": NUM,
        "max_distance_km": INT,
        "needed_from": DATE,
        "duration_days": INT,
        "vulnerabilities": STRS,
        "status": {"type": "string", "enum": [s.value for s in RequestStatus]},
        "created_at": STAMP,
        "updated_at": STAMP,
        "private_included": {
            "type": "boolean",
            "description": "Whether contact_name, phone and email are filled: for the person, or staff with ?reveal=.",
        },
        "contact_name": _nullable(STR),
        "phone": _nullable(STR),
        "email": _nullable(STR),
        "claim_code": {"type": "string", "description": "POST by staff only: the person's one-time claim code."},
    },
    ("id", "refugee_id", "adults", "children", "city", "country", "status", "private_included"),
)

REQUEST_INPUT = _object(
    {
        "contact_name": STR,
        "phone": {"type": "string", "description": "International format; staff registering a person: required."},
        "email": STR,
        "language": {"type": "string", "description": "Staff registering a person: their language (ISO 639-1)."},
        "adults": INT,
        "children": INT,
        "child_ages": {"type": "array", "items": INT},
        "pets": BOOL,
        "step_free_needed": BOOL,
        "other_needs": STR,
        "languages": {"type": "array", "items": {"type": "string", "enum": list(LANGUAGE_CODES)}},
        "city": STR,
        "country": STR,
        "place_choice": INT,
        "max_distance_km": INT,
        "needed_from": DATE,
        "duration_days": INT,
        "vulnerabilities": {"type": "array", "items": {"type": "string", "enum": list(VULNERABILITY_FLAGS)}},
    }
)

TRANSITIONS = ["accepted", "broken_down", "cancelled", "confirmed", "declined", "ended", "guest_accepted",
               "host_accepted", "moved_in"]  # fmt: skip
MATCH = _object(
    {
        "id": INT,
        "request_id": INT,
        "offer_id": INT,
        "status": STR,
        "beds_held": INT,
        "score": _nullable(NUM),
        "hold_expires_at": _nullable(STAMP),
        "proposed_by_id": _nullable(INT),
        "host_accepted_at": _nullable(STAMP),
        "guest_accepted_at": _nullable(STAMP),
        "confirmed_at": _nullable(STAMP),
        "moved_in_at": _nullable(STAMP),
        "ended_at": _nullable(STAMP),
        "decline_reason": _nullable(STR),
        "created_at": STAMP,
        "updated_at": STAMP,
        "transitions": {"type": "array", "items": STR, "description": "Values of `to` the caller may send now."},
    },
    ("id", "request_id", "offer_id", "status", "beds_held", "transitions"),
)
MATCH_INPUT = _object(
    {"request_id": ID_SCHEMA, "offer_id": ID_SCHEMA, "score": {"type": "number", "minimum": 0, "maximum": 100}},
    ("request_id", "offer_id"),
)
TRANSITION_INPUT = _object(
    {
        "to": {"type": "string", "enum": TRANSITIONS},
        "reason": {"type": "string", "description": "A reason code: declines, cancellations, breakdowns."},
        "reason_text": STR,
        "on_behalf_of": {"type": "string", "enum": ["host", "guest"], "description": "Staff recording an answer."},
    },
    ("to",),
)
CANDIDATES = _object(
    {
        "request_id": INT,
        "candidate_count": INT,
        "candidates": {
            "type": "array",
            "items": _object(
                {
                    "offer_id": INT,
                    "score": NUM,
                    "distance_km": NUM,
                    "components": {"type": "object", "additionalProperties": NUM},
                    "reasons": STRS,
                    "verified": BOOL,
                    "free_beds": INT,
                },
                ("offer_id", "score", "distance_km", "components", "reasons"),
            ),
        },
        "near_misses": {
            "type": "array",
            "items": _object(
                {"offer_id": INT, "rule": STR, "reason": STR, "distance_km": NUM}, ("offer_id", "rule", "reason")
            ),
        },
    },
    ("request_id", "candidate_count", "candidates", "near_misses"),
)
PAIR = _object(
    {
        "row_id": INT,
        "request_id": INT,
        "offer_id": INT,
        "score": NUM,
        "people": INT,
        "distance_km": NUM,
        "state": {"type": "string", "enum": ["proposed", "accepted", "rejected", "skipped"]},
        "match_id": _nullable(INT),
        "note": _nullable(STR),
    },
    ("row_id", "request_id", "offer_id", "score", "people", "state"),
)
BATCH = _object(
    {
        "batch_id": INT,
        "id": INT,
        "households_open": INT,
        "households_placed": INT,
        "people_open": INT,
        "people_placed": INT,
        "objective": NUM,
        "bound": _nullable(NUM),
        "gap": _nullable(NUM),
        "optimal": BOOL,
        "seconds": NUM,
        "total_score": NUM,
        "created_at": STAMP,
        "created_by_id": _nullable(INT),
        "states": {"type": "object", "additionalProperties": INT},
        "pairs": {"type": "array", "items": PAIR},
        "page": INT,
        "per_page": INT,
        "total": INT,
        "next": _nullable(STR),
    },
    ("batch_id", "households_open", "households_placed", "people_open", "people_placed", "optimal", "pairs"),
)
BATCH_INPUT = _object({"time_limit_s": {"type": "number", "minimum": 0.1, "maximum": 60}})


def _page_of(item: str) -> dict:
    return _object(
        {
            "items": {"type": "array", "items": _ref(item)},
            "page": INT,
            "per_page": INT,
            "total": INT,
            "next": _nullable({"type": "string", "description": "The next page's path, or null on the last."}),
        },
        ("items", "page", "per_page", "total", "next"),
    )


def _map_schema() -> dict:
    return {"type": "object", "description": "GeoJSON-like points or grid cells; see the map pages."}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {
        400: "Bad query argument or body",
        401: "Not logged in, or the token is not valid",
        403: "The caller's role may not do this",
        404: "No such record, or not the caller's",
        409: "Refused by the current state (beds gone, a rule fails, a wrong transition)",
        415: "The body is not JSON",
        422: "A value the rules refuse; `fields` says which",
    }
    return {str(code): {"description": text[code], **_json(_ref("Error"))} for code in codes}


def _ok(status: int, description: str, schema: dict) -> dict:
    return {str(status): {"description": description, **_json(schema)}}


def _id_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}),
]
REVEAL = _query(
    "reveal",
    {"type": "string", "minLength": 3, "maxLength": 500},
    "Staff only: why you need the exact address or contact details. Each reveal is audited.",
)
MAP_ARGS = [
    _query("bbox", STR, "west,south,east,north in degrees"),
    _query("zoom", {"type": "integer", "minimum": 0, "maximum": 18}),
]
READ_ERRORS = (400, 401, 403, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 415, 422)


def _record_paths(plural: str, schema: str, id_name: str, statuses, *, list_: str, create: str, change: str) -> dict:
    """Listing, adding, reading and changing offers or requests: the same operations, in other words."""
    noun = schema.lower()
    one = _ok(200, f"The {noun}", _ref(schema))
    return {
        f"/api/v1/{plural}": {
            "get": {
                "summary": list_,
                "operationId": f"list{schema}s",
                "parameters": [_query("status", {"type": "string", "enum": [s.value for s in statuses]}), *PAGING],
                "responses": {**_ok(200, f"A page of {plural}", _page_of(schema)), **_errors(*READ_ERRORS)},
            },
            "post": {
                "summary": create,
                "operationId": f"create{schema}",
                "requestBody": {"required": True, **_json(_ref(f"{schema}Input"))},
                "responses": {**_ok(201, f"The new {noun}", _ref(schema)), **_errors(*WRITE_ERRORS)},
            },
        },
        f"/api/v1/{plural}/{{{id_name}}}": {
            "parameters": [_id_param(id_name)],
            "get": {
                "summary": f"One {noun}",
                "operationId": f"get{schema}",
                "parameters": [REVEAL],
                "responses": {**one, **_errors(400, 401, 403, 404, 422)},
            },
            "patch": {
                "summary": change,
                "operationId": f"patch{schema}",
                "requestBody": {"required": True, **_json(_ref(f"{schema}Input"))},
                "responses": {**one, **_errors(*WRITE_ERRORS)},
            },
        },
    }


def build() -> dict:
    """The whole document."""
    paths = {
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": _ok(200, "The OpenAPI document", {"type": "object"}),
            }
        },
        **_record_paths(
            "offers",
            "Offer",
            "offer_id",
            OfferStatus,
            list_="Offers: a host's own, or all for staff",
            create="Add an offer (hosts)",
            change="Change an offer, or pause, resume or withdraw it (its host)",
        ),
        **_record_paths(
            "requests",
            "Request",
            "request_id",
            RequestStatus,
            list_="Housing requests: a refugee's own, or all for staff",
            create="File a request (refugees), or register a person at the desk (staff)",
            change="Change an open request (its person)",
        ),
        "/api/v1/requests/{request_id}/candidates": {
            "parameters": [_id_param("request_id")],
            "get": {
                "summary": "Ranked candidates with reasons, and near-misses (staff)",
                "operationId": "requestCandidates",
                "parameters": [_query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 20})],
                "responses": {**_ok(200, "Candidates", _ref("Candidates")), **_errors(*READ_ERRORS)},
            },
        },
        "/api/v1/matches": {
            "post": {
                "summary": "Propose an offer for a request, holding its beds (staff)",
                "operationId": "createMatch",
                "requestBody": {"required": True, **_json(_ref("MatchInput"))},
                "responses": {**_ok(201, "The proposed match", _ref("Match")), **_errors(*WRITE_ERRORS)},
            }
        },
        "/api/v1/matches/{match_id}": {
            "parameters": [_id_param("match_id")],
            "get": {
                "summary": "One match (its host, its guest, or staff)",
                "operationId": "getMatch",
                "responses": {**_ok(200, "The match", _ref("Match")), **_errors(*READ_ERRORS)},
            },
        },
        "/api/v1/matches/{match_id}/transitions": {
            "parameters": [_id_param("match_id")],
            "post": {
                "summary": "Accept, decline, cancel, record move-in, end or breakdown",
                "description": "Hosts and guests accept or decline their side; staff record an answer with "
                "on_behalf_of, or cancel, moved_in, ended, broken_down.",
                "operationId": "transitionMatch",
                "requestBody": {"required": True, **_json(_ref("TransitionInput"))},
                "responses": {**_ok(200, "The match after the transition", _ref("Match")), **_errors(*WRITE_ERRORS)},
            },
        },
        "/api/v1/batches": {
            "post": {
                "summary": "Run and store a batch proposal over all open requests (staff)",
                "operationId": "runBatch",
                "parameters": PAGING,
                "requestBody": {"required": False, **_json(_ref("BatchInput"))},
                "responses": {**_ok(201, "The stored batch", _ref("Batch")), **_errors(*WRITE_ERRORS)},
            }
        },
        "/api/v1/batches/{batch_id}": {
            "parameters": [_id_param("batch_id")],
            "get": {
                "summary": "A stored batch: the summary of `match-batch --json` and its proposed pairs (staff)",
                "operationId": "getBatch",
                "parameters": PAGING,
                "responses": {**_ok(200, "The batch", _ref("Batch")), **_errors(*READ_ERRORS)},
            },
        },
        "/api/v1/map/offers": {
            "get": {
                "summary": "Offers at approximate points, or grid cells (staff)",
                "operationId": "mapOffers",
                "parameters": [
                    *MAP_ARGS,
                    _query("min_free_beds", {"type": "integer", "minimum": 0, "maximum": 50}),
                    _query("pets", {"type": "string", "enum": ["0", "1"]}),
                    _query("step_free", {"type": "string", "enum": ["0", "1"]}),
                    _query("language", {"type": "string", "enum": list(LANGUAGE_CODES)}),
                    _query("status", {"type": "string", "enum": ["active", "paused", "any"]}),
                ],
                "responses": {**_ok(200, "Map data", _map_schema()), **_errors(*READ_ERRORS)},
            }
        },
        "/api/v1/map/requests": {
            "get": {
                "summary": "Open requests per desired place, or grid cells (staff)",
                "operationId": "mapRequests",
                "parameters": MAP_ARGS,
                "responses": {**_ok(200, "Map data", _map_schema()), **_errors(*READ_ERRORS)},
            }
        },
        "/api/v1/map/cities": {
            "get": {
                "summary": "Open offers and free beds per city (anyone)",
                "operationId": "mapCities",
                "security": [],
                "parameters": MAP_ARGS,
                "responses": {**_ok(200, "Map data", _map_schema()), **_errors(400)},
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "matcher API",
            "version": VERSION,
            "description": (
                "Authenticate with `Authorization: Bearer <token>` (create one at /account/tokens or with "
                "`flask --app wsgi create-token --email E`) or the session cookie. With the cookie, POST and PATCH "
                "calls must also send the session's CSRF token in an `X-CSRFToken` header. Authorization is the "
                "UI's: hosts see their own offers, refugees their own requests, staff everything; another "
                "person's record is a 404. Exact addresses and contact details are shown to their owner, and to "
                "staff only with `?reveal=<reason>` (audited). Errors are JSON: "
                '{"error": code, "message": text, "fields": {field: message}}.'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Error": ERROR,
                "Offer": OFFER,
                "OfferInput": OFFER_INPUT,
                "Request": REQUEST,
                "RequestInput": REQUEST_INPUT,
                "Match": MATCH,
                "MatchInput": MATCH_INPUT,
                "TransitionInput": TRANSITION_INPUT,
                "Candidates": CANDIDATES,
                "Batch": BATCH,
                "BatchInput": BATCH_INPUT,
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(build())
