"""What every API view shares: JSON errors, the caller's role, reading a JSON body, paging."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matcher.models import Role
from matcher.services.errors import Conflict, NotFound, ServiceError
from matcher.services.inputs import has_hidden_characters
from matcher.services.places import AmbiguousPlace
from matcher.web.api import bp

ID = "int(max=2147483647)"  # path ids: anything larger cannot exist, and must not reach the database
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_PAGE = 100_000
STRING_MAX = 10_000  # characters in any JSON string; the services apply each field's own limit
LIST_MAX = 100  # items in any JSON list
# Where a service's field is not the API's.
FIELD_NAMES = {"place": "city", "name": "contact_name", "reason_code": "reason"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def error_response(status: int, code: str, message, fields: dict | None = None, **extra):
    response = jsonify(error=code, message=str(message), fields=fields or {}, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="matcher"'
    return response


def fail(status: int, code: str, message, fields: dict | None = None):
    """Stop with a JSON error."""
    abort(error_response(status, code, message, fields))


def require_user(*roles: Role):
    """The caller: 401 when anonymous (or the bearer token is not valid), 403 when the role may not do this."""
    if not current_user.is_authenticated:
        fail(401, "unauthorized", _("Log in, or send a valid token as “Authorization: Bearer …”."))
    if roles and current_user.role not in roles:
        fail(403, "forbidden", _("Your account cannot do this."))
    return current_user._get_current_object()


STAFF = (Role.COORDINATOR, Role.ADMIN)


@bp.errorhandler(ServiceError)
def service_error(error: ServiceError):
    """A use case's refusal: 404 not found, 409 conflict, 422 for a value the rules refuse."""
    field = FIELD_NAMES.get(error.field or "", error.field)
    fields = {field: str(error.message)} if field else {}
    if isinstance(error, NotFound):
        return error_response(404, "not_found", error.message)
    if isinstance(error, Conflict):
        return error_response(409, "conflict", error.message, fields)
    if isinstance(error, AmbiguousPlace):
        options = [
            {"geoname_id": p.geoname_id, "name": p.name, "country": p.country, "near": p.near} for p in error.options
        ]
        return error_response(
            422, "ambiguous_place", error.message, {"place_choice": str(error.message)}, options=options
        )
    return error_response(422, "invalid", error.message, fields)


# --- query arguments -----------------------------------------------------------------------------------------


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A bounded whole-number query argument; 400 otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and low <= int(raw) <= high):
        message = f"must be a whole number from {low} to {high}"
        fail(400, "invalid_argument", f"{name} {message}", {name: message})
    return int(raw)


def choice_arg(name: str, options) -> str | None:
    """One of `options`, or None when absent; 400 otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in options:
        message = _("must be one of: %(options)s", options=", ".join(options))
        fail(400, "invalid_argument", f"{name} {message}", {name: message})
    return raw


def text_arg(name: str, max_len: int = 500) -> str | None:
    """A short free-text query argument without hidden characters, or None; 400 otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if len(raw) > max_len or has_hidden_characters(raw):
        message = _("must be plain text of at most %(n)d characters", n=max_len)
        fail(400, "invalid_argument", f"{name} {message}", {name: message})
    return raw


def page_args() -> tuple[int, int]:
    """?page= (from 1) and ?per_page= (1 to MAX_PER_PAGE)."""
    return int_arg("page", 1, 1, MAX_PAGE), int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def created(payload: dict, endpoint: str, **values):
    """201 Created with the new record, and its address in Location."""
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = url_for(endpoint, **values)
    return response


def paged(page, serialize) -> dict:
    """A page of items as JSON, with the total and a link to the next page (or null)."""
    next_url = None
    if page.has_next:
        args = {**request.args.to_dict(), "page": page.page + 1, "per_page": page.per_page}
        next_url = url_for(request.endpoint, **(request.view_args or {}), **args)
    return {
        "items": [serialize(item) for item in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "next": next_url,
    }


# --- JSON bodies ---------------------------------------------------------------------------------------------


class Body:
    """A JSON object body, read field by field; type problems are collected and answered together with 422."""

    def __init__(self, *, optional: bool = False):
        self.errors: dict[str, str] = {}
        if optional and not request.get_data(cache=True):
            self.data: dict = {}
            return
        if not request.is_json:
            fail(415, "unsupported_media_type", _("Send a JSON body with “Content-Type: application/json”."))
        data = request.get_json(silent=True)
        if data is None:
            fail(400, "invalid_json", _("The body is not valid JSON."))
        if not isinstance(data, dict):
            fail(422, "invalid", _("The body must be a JSON object."))
        self.data = data

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def _bad(self, name: str, message) -> None:
        self.errors.setdefault(name, str(message))

    def string(self, name: str, default=None):
        value = self.data.get(name, default)
        if value is None or value is default:
            return value
        if not isinstance(value, str):
            self._bad(name, _("must be text"))
            return default
        if len(value) > STRING_MAX or has_hidden_characters(value):
            self._bad(name, _("must be plain text of at most %(n)d characters", n=STRING_MAX))
            return default
        return value

    def integer(self, name: str, default=None):
        value = self.data.get(name, default)
        if value is None or value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            self._bad(name, _("must be a whole number"))
            return default
        return value

    def number(self, name: str, default=None):
        value = self.data.get(name, default)
        if value is None or value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self._bad(name, _("must be a number"))
            return default
        return float(value)

    def boolean(self, name: str, default=None):
        value = self.data.get(name, default)
        if value is default:
            return value
        if not isinstance(value, bool):
            self._bad(name, _("must be true or false"))
            return default
        return value

    def day(self, name: str, default=None):
        value = self.data.get(name, default)
        if value is None or isinstance(value, date):
            return value
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            self._bad(name, _("must be a date as YYYY-MM-DD"))
            return default
        try:
            return date.fromisoformat(value)
        except ValueError:
            self._bad(name, _("must be a date as YYYY-MM-DD"))
            return default

    def strings(self, name: str, default=None):
        value = self.data.get(name, default)
        if value is default:
            return value
        if not isinstance(value, list) or len(value) > LIST_MAX or not all(isinstance(v, str) for v in value):
            self._bad(name, _("must be a list of at most %(n)d texts", n=LIST_MAX))
            return default
        return list(value)

    def integers(self, name: str, default=None):
        value = self.data.get(name, default)
        if value is default:
            return value
        ok = isinstance(value, list) and len(value) <= LIST_MAX
        if not ok or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            self._bad(name, _("must be a list of at most %(n)d whole numbers", n=LIST_MAX))
            return default
        return list(value)

    def check(self) -> None:
        """Answer 422 with every type problem found so far."""
        if self.errors:
            fail(422, "invalid", _("Some fields are not valid."), self.errors)


# --- values as JSON ------------------------------------------------------------------------------------------


def stamp(value: datetime | None) -> str | None:
    """An aware UTC datetime as ISO 8601 with Z."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
