"""Who is calling the API: a bearer token (`Authorization: Bearer mt_...`) or the session cookie.

Flask-Login asks `load_user_from_request` when the request has no session user, and the session loader is
wrapped so that a bearer token on an /api/ path wins over any cookie sent along: the token alone decides who
the caller is, so current_user works the same in every API view. Tokens count on /api/ paths only.

CSRF: the API blueprint is exempt from form CSRF. A state-changing call authenticated by the session cookie
must instead send the session's CSRF token in an `X-CSRFToken` header (`check_csrf`); a call with a bearer
token needs none, since a browser never attaches that header to a cross-site request on its own.
"""

from __future__ import annotations

from flask import abort, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from matcher.services import tokens
from matcher.services.accounts import load_user_by_session_id

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header on an /api/ path, else None."""
    if not request.path.startswith(API_PREFIX):
        return None
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def _token_user():
    found = tokens.user_for_token(bearer_token())
    if found is None:
        g.api_token_rejected = True
        return None
    user, token = found
    g.api_token_id = token.id
    return user


def load_user_from_request(_request):
    """Flask-Login's request loader: the user of a valid bearer token on an /api/ path."""
    return _token_user() if bearer_token() is not None else None


def load_session_user(session_id: str):
    """Flask-Login's user loader: the session's user, unless a bearer token on an /api/ path says otherwise."""
    if bearer_token() is not None:
        return _token_user()
    return load_user_by_session_id(session_id)


def by_token() -> bool:
    """True when this request was authenticated by a bearer token."""
    return g.get("api_token_id") is not None


def check_csrf() -> None:
    """Refuse a state-changing call made with the session cookie but without a valid X-CSRFToken header."""
    if request.method in SAFE_METHODS or not current_user.is_authenticated or by_token():
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError:
        response = jsonify(
            error="csrf",
            message=_("Send the session's CSRF token in an X-CSRFToken header, or use a bearer token."),
            fields={},
        )
        response.status_code = 400
        abort(response)
