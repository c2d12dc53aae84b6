"""Log-in hardening not covered in test_auth: a fresh session at log-in (no fixation), and the password policy
on every way of setting a password."""

from __future__ import annotations

import pytest

from matcher.services.accounts import password_problem
from tests import factories


def test_logging_in_starts_a_fresh_session(app, client):
    with app.app_context():
        user = factories.make_user(email="fixation@example.org")
        user_id = user.get_id()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["_user_id"] = "999:1"  # a forged identity is never honoured either
    before = client.get_cookie("session").value
    response = client.post("/auth/login", data={"login": "fixation@example.org", "password": factories.TEST_PASSWORD})
    assert response.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == user_id
    # The cookie from before the log-in is anonymous: replaying it gets no one logged in.
    replay = app.test_client()
    replay.set_cookie("session", before)
    assert replay.get("/dashboard").status_code == 302


def test_logging_out_forgets_the_session(app, client, auth):
    with app.app_context():
        factories.make_user(email="leaver@example.org")
    auth.login("leaver@example.org")
    with client.session_transaction() as session:
        session["kept"] = "x"
    auth.logout()
    with client.session_transaction() as session:
        assert "kept" not in session and "_user_id" not in session


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10"),
        ("x" * 201, "at most 200"),
        ("password123", "too common"),
        ("qwertyuiop", "too common"),
        ("a long test passphrase", None),
    ],
)
def test_the_password_policy(app_ctx, password, problem):
    found = password_problem(password)
    assert (problem is None and found is None) or (problem is not None and problem in str(found))


def test_a_new_password_follows_the_policy_too(app, client, login_as):
    login_as("host")
    response = client.post(
        "/auth/password",
        data={"current_password": factories.TEST_PASSWORD, "new_password": "1234567890", "confirm": "1234567890"},
    )
    assert response.status_code == 422 and "too common" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/auth/login", {"data": {"login": "a\x00b@example.org", "password": "x" * 12}}),
        ("GET", "/coordinator/queue?q=a%00", {}),
        ("GET", "/api/v1/map/cities?bbox=%00", {}),
        ("POST", "/api/v1/offers", {"json": {"title": "Room\x00"}}),
    ],
)
def test_nul_characters_are_refused_before_any_query(client, method, path, kwargs):
    # PostgreSQL cannot hold or compare a NUL: without the guard these were 500s there.
    assert client.open(path, method=method, **kwargs).status_code == 400
