"""The factory, configuration and the response headers every page carries."""

from __future__ import annotations

import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from config import ProductionConfig, TestConfig, get_config
from matcher.app import ConfigurationError, create_app
from matcher.extensions import db


def test_factory_builds_independent_apps_from_config_classes(app):
    assert app.config["TESTING"] is True
    other = create_app(type("C", (ProductionConfig,), {"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}))
    assert other is not app
    assert other.config["SESSION_COOKIE_SECURE"] is True
    assert other.config["TESTING"] is False


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set in production"):
        create_app(type("C", (ProductionConfig,), {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}))


def test_production_refusal_through_the_cli_is_one_clear_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MATCHER_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], capture_output=True, text=True, env=env, cwd=str(_root())
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_config_is_chosen_by_matcher_env_and_importing_it_never_raises(monkeypatch):
    assert get_config("production") is ProductionConfig
    monkeypatch.setenv("MATCHER_ENV", "test")
    assert get_config().ENV_NAME == "test"
    with pytest.raises(ValueError, match="MATCHER_ENV must be one of"):
        get_config("staging")
    result = subprocess.run(
        [sys.executable, "-c", "import config"],
        env={"PATH": "/usr/bin:/bin", "MATCHER_ENV": "nonsense"},
        cwd=str(_root()),
    )
    assert result.returncode == 0


def test_database_url_defaults_to_sqlite_under_instance(monkeypatch):
    result = subprocess.run(
        [sys.executable, "-c", "from config import Config; print(Config.SQLALCHEMY_DATABASE_URI)"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        cwd=str(_root()),
    )
    assert result.stdout.strip() == f"sqlite:///{_root() / 'instance' / 'matcher.db'}"


def test_security_headers_on_every_page(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_bootstrap_is_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert "/bootstrap/static/css/bootstrap.min.css" in page
    with client.get("/bootstrap/static/css/bootstrap.min.css") as css:
        assert css.status_code == 200
        assert css.content_type.startswith("text/css")


def test_unknown_page_gives_the_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)


def test_server_error_page_rolls_back_the_session(app, database_url, app_factory):
    from matcher.extensions import db
    from matcher.models import Role, User

    failing = app_factory(TESTING=False)

    @failing.get("/_boom_for_test")
    def _boom():
        db.session.add(User(name="half", email="half@example.org", role=Role.HOST))
        db.session.flush()
        raise RuntimeError("boom")

    response = failing.test_client().get("/_boom_for_test")
    assert response.status_code == 500
    assert "Nothing was saved." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "half@example.org")) is None


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def test_an_unknown_time_zone_is_refused_at_start():
    with pytest.raises(ConfigurationError, match="MATCHER_TIMEZONE 'Europe/Atlantis' is not a time zone"):
        create_app(type("C", (TestConfig,), {"BABEL_DEFAULT_TIMEZONE": "Europe/Atlantis"}))


def test_times_are_shown_in_the_configured_zone(app, app_factory):  # app: the shared database is emptied after
    from babel.dates import format_datetime

    from matcher.models import Match
    from matcher.services.matching import forget_pool
    from tests import factories

    warsaw = app_factory(BABEL_DEFAULT_TIMEZONE="Europe/Warsaw")
    with warsaw.app_context():
        forget_pool()
        case = factories.make_case()
        login, request_id, offer_id = case.coordinator.email, case.request.id, case.offer.id
    client = warsaw.test_client()
    client.post("/auth/login", data={"login": login, "password": factories.TEST_PASSWORD})
    client.post(f"/coordinator/requests/{request_id}/propose", data={"offer_id": offer_id})
    page = client.get(f"/coordinator/requests/{request_id}").get_data(as_text=True)
    with warsaw.app_context():
        hold = db.session.scalar(select(Match.hold_expires_at).where(Match.request_id == request_id))
    in_warsaw = format_datetime(hold, "short", tzinfo=ZoneInfo("Europe/Warsaw"), locale="en")
    in_utc = format_datetime(hold, "short", tzinfo=ZoneInfo("UTC"), locale="en")
    assert in_warsaw != in_utc
    assert f"hold until {in_warsaw}" in page and in_utc not in page
