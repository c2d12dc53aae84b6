"""The JSON API under /api/v1: the UI's authorization, JSON errors only, described at /api/v1/openapi.json.

Callers authenticate with a bearer token (`Authorization: Bearer mt_...`, see matcher.web.api.auth) or the
session cookie; state-changing calls made with the cookie also send an `X-CSRFToken` header. Errors are
{"error": code, "message": text, "fields": {field: message}} with a 4xx status, never an HTML page.
"""

from __future__ import annotations

from flask import Blueprint

from matcher.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # cookie callers send X-CSRFToken instead (auth.check_csrf); token callers need none

from matcher.web.api import auth, common, openapi, resources, workflow  # noqa: E402,F401  the routes

bp.before_request(auth.check_csrf)
