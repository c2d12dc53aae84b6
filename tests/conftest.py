"""Shared fixtures: one app and database per xdist worker, emptied after each test.

TEST_DATABASE_URL (a PostgreSQL URL) switches the whole suite to PostgreSQL; each worker then
gets its own database on that server. Without it, each worker uses its own SQLite file.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager, suppress

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from config import TestConfig
from matcher.app import create_app
from matcher.extensions import db, limiter
from tests import factories

TEST_PASSWORD = factories.TEST_PASSWORD


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _admin_url(url: str) -> str:
    return re.sub(r"/[^/?]+(\?|$)", r"/postgres\1", url, count=1)


def fresh_database_url(tmp_path_factory, label: str) -> str:
    """A new empty database for this worker: a PostgreSQL database when testing PostgreSQL, else a SQLite file."""
    pg_url = os.environ.get("TEST_DATABASE_URL")
    if not pg_url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / (label + '.sqlite')}"
    name = f"matcher_{label}_{_worker_id()}".lower()
    engine = sa.create_engine(_admin_url(pg_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return re.sub(r"/[^/?]+(\?|$)", rf"/{name}\1", pg_url, count=1)


def is_postgres() -> bool:
    return bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return fresh_database_url(tmp_path_factory, "test")


def make_app(database_url: str, **overrides):
    """An app on the test database; overrides switch on CSRF, rate limits and the like."""
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    config = type("Config", (TestConfig,), settings)
    return create_app(config)


@pytest.fixture
def app_factory(database_url):
    """Make extra apps on the test database (CSRF on, limits on...); their connections are closed afterwards."""
    made = []

    def _make(**overrides):
        extra = make_app(database_url, **overrides)
        made.append(extra)
        return extra

    yield _make
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    app = make_app(database_url)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_all_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" in request.fixturenames or "live_server" in request.fixturenames:
        _empty_all_tables(request.getfixturevalue("app"))
        # One Limiter serves every app in the process; it has no storage until an app enables it.
        with suppress(AssertionError):
            limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


class AuthActions:
    """Log in through the real form, as a person would."""

    def __init__(self, client):
        self.client = client

    def login(self, login: str, password: str = TEST_PASSWORD, **extra):
        return self.client.post("/auth/login", data={"login": login, "password": password, **extra})

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(app, client):
    """login_as("host") creates a user of that role, logs the test client in, and returns the user."""

    def _login_as(role: str = "host", **fields):
        with app.app_context():
            user = factories.make_user(role=role, **fields)
            login = user.email or user.phone
            user_id = user.id
        response = client.post("/auth/login", data={"login": login, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        with app.app_context():
            return db.session.get(type(user), user_id)

    return _login_as


@contextmanager
def serving(app):
    """Serve the app on a free loopback port in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_app(database_url, app):
    """The same database as `app`, but configured as in production use: CSRF and rate limits on."""
    return make_app(database_url, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True)


@pytest.fixture(scope="session")
def live_server(live_app):
    with serving(live_app) as url:
        yield url
