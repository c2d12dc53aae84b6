"""The application factory: a short list of register_* steps."""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, abort, g, has_request_context, request, session
from flask_login import current_user

from config import SUPPORTED_LOCALES, get_config, tile_origin
from matcher.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate, render_migration_item

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: {tiles}; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class ConfigurationError(RuntimeError):
    """The app refuses to start with this configuration."""


def create_app(config: type | dict | None = None) -> Flask:
    """Build a configured app: config class from MATCHER_ENV, then optional overrides."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "matcher" / "static"),
        instance_path=str(ROOT / "instance"),
    )
    register_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_security_headers(app)
    register_input_guards(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_config(app: Flask, config: type | dict | None) -> None:
    """Load the config class, apply overrides, and refuse unsafe production settings."""
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(get_config())
        if config:
            app.config.update(config)
    if app.config["ENV_NAME"] == "production" and not app.config.get("SECRET_KEY"):
        raise ConfigurationError("SECRET_KEY must be set in production: export SECRET_KEY to a long random value.")
    zone = app.config["BABEL_DEFAULT_TIMEZONE"]
    try:
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigurationError(f"MATCHER_TIMEZONE {zone!r} is not a time zone; use one like Europe/Warsaw.") from None
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO)


def select_locale() -> str:
    """The user's saved language, then the switcher's choice, then the browser's, then English."""
    if not has_request_context():
        return "en"  # CLI and jobs pick each recipient's language explicitly with force_locale
    if current_user and current_user.is_authenticated and current_user.locale in SUPPORTED_LOCALES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en"


def register_extensions(app: Flask) -> None:
    """Bind every extension to this app."""
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations"))
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    from matcher.web.api.auth import load_session_user, load_user_from_request

    login_manager.user_loader(load_session_user)  # the session's user, unless an API bearer token says otherwise
    login_manager.request_loader(load_user_from_request)  # `Authorization: Bearer` on /api/ paths only

    import matcher.models  # noqa: F401  registers the models with the metadata, for migrations


def register_blueprints(app: Flask) -> None:
    """Mount every web area."""
    from matcher.web.access import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter
    from matcher.web import admin, api, auth, coordinator, errors, housing, main, maps, offers

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    from matcher.web import consent, outbox  # the match lifecycle's consent pages and signed links

    app.register_blueprint(consent.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(offers.bp)
    app.register_blueprint(housing.bp)
    app.register_blueprint(housing.desk_bp)
    app.register_blueprint(coordinator.bp)
    app.register_blueprint(api.bp)
    from matcher.web import account, csv_files  # API tokens, invitations; CSV import and export

    app.register_blueprint(account.bp)
    app.register_blueprint(csv_files.bp)
    from matcher.web import privacy, safeguarding  # host checks, concerns, sign-off; data export and deletion

    app.register_blueprint(safeguarding.bp)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(maps.bp)
    app.register_blueprint(maps.api_bp)
    app.register_blueprint(maps.leaflet_bp)
    from matcher.web import place_search  # the place pickers' autocomplete

    app.register_blueprint(place_search.bp)
    errors.register(app)


def register_security_headers(app: Flask) -> None:
    """CSP limited to self, no framing, no sniffing, a strict referrer policy; HSTS behind TLS."""
    # tile_origin() also vets an explicit MAP_TILE_ORIGIN: only a scheme and a host can reach the policy.
    tiles = tile_origin(app.config.get("MAP_TILE_ORIGIN") or app.config.get("MAP_TILE_URL") or "")
    csp = CONTENT_SECURITY_POLICY.format(tiles=tiles)

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        if app.config.get("SEND_HSTS"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if getattr(g, "private_page", False) or (current_user and current_user.is_authenticated):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_input_guards(app: Flask) -> None:
    """Refuse (400) any query, form or JSON text holding a NUL character: nobody types one, and PostgreSQL cannot
    store or even compare it (it would fail deep inside a query instead)."""

    def holds_nul(values) -> bool:
        return any("\x00" in key or any("\x00" in value for value in items) for key, items in values.lists())

    @app.before_request
    def refuse_nul_characters():
        if "\x00" in request.path or holds_nul(request.args):
            abort(400)
        if request.method in ("POST", "PUT", "PATCH"):
            if request.is_json:
                if b"\\u0000" in request.get_data(cache=True):
                    abort(400)
            elif holds_nul(request.form):
                abort(400)


def register_template_helpers(app: Flask) -> None:
    """Values every template can use."""
    from matcher.web.i18n import country_name, language_name, template_globals

    app.context_processor(template_globals)
    app.add_template_filter(language_name)
    app.add_template_filter(country_name)


def register_commands(app: Flask) -> None:
    """The `flask --app wsgi ...` commands."""
    from matcher.cli import register

    register(app)
