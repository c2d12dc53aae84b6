"""Configuration classes fed by environment variables, chosen by MATCHER_ENV.

Nothing here reads a required variable or raises at import: production settings
are validated inside create_app, so a missing secret gives a clear one-line error.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = ROOT / "instance"

SUPPORTED_LOCALES = ("en", "uk", "pl", "de", "ru")


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else default


def tile_origin(url_template: str) -> str:
    """The CSP source for a tile URL template: its scheme and host, with a {s} subdomain as a wildcard.

    "https://{s}.tile.example.org/{z}/{x}/{y}.png" gives "https://*.tile.example.org". Anything that is not a
    plain http(s) host gives "", so a stray quote or semicolon can never widen the Content-Security-Policy.
    """
    match = re.match(r"^(https?)://([^/?#]+)", (url_template or "").strip())
    if not match:
        return ""
    scheme, host = match.groups()
    host = re.sub(r"^\{[a-z]\}\.", "*.", host)
    if not re.fullmatch(r"(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?", host):
        return ""
    return f"{scheme}://{host}"


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Development defaults: safe to run on a laptop, never to expose."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'matcher.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so a slow form on a phone still submits

    BABEL_DEFAULT_LOCALE = "en"
    # Times on pages and in mail are shown in this zone (the NGO's own, e.g. Europe/Warsaw); stored times are UTC.
    BABEL_DEFAULT_TIMEZONE = os.environ.get("MATCHER_TIMEZONE", "UTC")
    SUPPORTED_LOCALES = SUPPORTED_LOCALES

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "20 per minute;200 per day")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;50 per day")

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BTN_SIZE = "md"

    MATCHER_GEOCODER = os.environ.get("MATCHER_GEOCODER", "gazetteer")
    NOMINATIM_USER_AGENT = os.environ.get("NOMINATIM_USER_AGENT", "matcher-housing (self-hosted)")

    # Map background tiles: any {z}/{x}/{y} template and its attribution (HTML). An empty URL gives a plain
    # background; the points and counts still show. The CSP's img-src allows MAP_TILE_ORIGIN; left empty, it is
    # derived from MAP_TILE_URL when the app is created (see tile_origin).
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    MAP_TILE_ATTRIBUTION = os.environ.get(
        "MAP_TILE_ATTRIBUTION",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    )
    MAP_TILE_ORIGIN = os.environ.get("MAP_TILE_ORIGIN", "")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "matcher@localhost")
    MAIL_TIMEOUT_S = _env_int("MAIL_TIMEOUT_S", 10)  # seconds per SMTP connection
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 5)  # a message that failed this often is no longer retried
    # Links in mail are this base URL plus a path (jobs run without a request to take the host name from).
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000")
    OUTBOX_PAGE_ENABLED = _env_bool("OUTBOX_PAGE_ENABLED", True)  # /admin/outbox, for admins

    # The match lifecycle and the periodic jobs (`flask --app wsgi jobs`).
    MATCH_HOLD_HOURS = _env_int("MATCH_HOLD_HOURS", 72)  # a proposal holds the beds this long
    MATCH_REMINDER_HOURS = _env_int("MATCH_REMINDER_HOURS", 24)  # remind whoever has not answered after this
    SIGNED_LINK_MAX_AGE_HOURS = _env_int("SIGNED_LINK_MAX_AGE_HOURS", 168)  # accept/decline/confirm links
    OFFER_FRESHNESS_DAYS = _env_int("OFFER_FRESHNESS_DAYS", 14)  # ask the host after this long unconfirmed
    OFFER_PAUSE_GRACE_DAYS = _env_int("OFFER_PAUSE_GRACE_DAYS", 7)  # pause the offer if still no answer
    CASE_STALLED_DAYS = _env_int("CASE_STALLED_DAYS", 5)  # alert the case owner after this long unchanged
    CHECKIN_ANSWER_DAYS = _env_int("CHECKIN_ANSWER_DAYS", 3)  # an unanswered check-in alerts the owner after this
    # Closed cases are anonymised this many months after their last change (0 keeps them); run by the jobs.
    RETENTION_MONTHS = _env_int("RETENTION_MONTHS", 24)
    CLAIM_CODE_DAYS = _env_int("CLAIM_CODE_DAYS", 30)  # a help desk's claim code works this long

    # HSTS only makes sense behind TLS, which production has and development does not.
    SEND_HSTS = False


class DevelopmentConfig(Config):
    """The default: `make run` on the embedded SQLite database."""


class TestConfig(Config):
    """Used by the test suite; DATABASE_URL is set by the fixtures."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(Config):
    """Behind TLS, with secrets from the environment."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")  # validated in create_app
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SEND_HSTS = True
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    OUTBOX_PAGE_ENABLED = _env_bool("OUTBOX_PAGE_ENABLED", False)  # a development aid: off unless asked for


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> type[Config]:
    """The config class for MATCHER_ENV (development when unset)."""
    name = (name or os.environ.get("MATCHER_ENV") or "development").strip().lower()
    if name not in CONFIGS:
        raise ValueError(f"MATCHER_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
