"""Every account flow through the real forms, and the bad input each must refuse without storing anything."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import Role, User
from tests import factories

PASSWORD = "a sturdy passphrase 42"


def signup_data(**overrides):
    data = {
        "role": "host",
        "name": "Olena Kovalenko",
        "email": "olena@example.org",
        "phone": "",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "locale": "uk",
    }
    data.update(overrides)
    return data


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def field_error(html: str, field: str) -> str:
    """The text of one field's error block, to prove the message sits beside the right field."""
    marker = f'id="{field}-error"'
    assert marker in html, f"no error shown beside {field}"
    start = html.index(marker)
    return html[
        start : html.index("</div>\n    </div>", start) if "</div>\n    </div>" in html[start:] else start + 400
    ]


def test_host_signs_up_and_lands_on_the_dashboard(app, client):
    response = client.post("/auth/signup", data=signup_data())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Olena Kovalenko" in page
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role is Role.HOST
        assert user.locale == "uk"
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert PASSWORD not in user.password_hash


def test_refugee_signs_up_with_only_a_phone_and_logs_in_with_it(app, client, auth):
    data = signup_data(role="refugee", email="", phone="+380 67 123 4567")
    assert client.post("/auth/signup", data=data).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.phone, user.role) == (None, "+380671234567", Role.REFUGEE)
    auth.logout()
    assert client.get("/dashboard").status_code == 302
    assert auth.login("+380671234567", PASSWORD).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_login_is_case_insensitive_on_email_and_logout_ends_the_session(app, client, auth):
    with app.app_context():
        factories.make_user(email="mixed@example.org")
    assert auth.login("  MIXED@Example.ORG ").status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert auth.logout().status_code == 302
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_wrong_password_is_refused_beside_the_password_field(app, auth):
    with app.app_context():
        factories.make_user(email="h@example.org")
    response = auth.login("h@example.org", "not the password")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Wrong email, phone or password." in field_error(html, "password")


def test_change_password_keeps_this_session_and_ends_the_others(app, client, auth):
    with app.app_context():
        factories.make_user(email="h@example.org")
    other_device = app.test_client()
    other_device.post("/auth/login", data={"login": "h@example.org", "password": factories.TEST_PASSWORD})
    auth.login("h@example.org")
    response = client.post(
        "/auth/password",
        data={"current_password": factories.TEST_PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302
    auth.logout()
    assert auth.login("h@example.org", PASSWORD).status_code == 302


def test_change_password_refuses_a_wrong_current_password(app, client, login_as):
    login_as("host")
    response = client.post(
        "/auth/password", data={"current_password": "wrong one here", "new_password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 422
    assert "The current password is not right." in field_error(response.get_data(as_text=True), "current_password")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password": "short", "confirm": "short"}, "password", "Field must be between 10 and 200 characters long."),
        ({"password": "qwertyuiop", "confirm": "qwertyuiop"}, "password", "This password is too common."),
        ({"confirm": "something else entirely"}, "confirm", "The two passwords differ."),
        ({"name": "x" * 10_000}, "name", "Field cannot be longer than 120 characters."),
        ({"name": "Olena 🏠"}, "name", "Use letters, spaces, hyphens and apostrophes only."),
        ({"name": "Olena\u202eanelO"}, "name", "Use letters, spaces, hyphens and apostrophes only."),
        ({"name": "\u200f\u200f"}, "name", "Use letters, spaces, hyphens and apostrophes only."),
        ({"role": "admin"}, "role", "Not a valid choice."),
        ({"role": "coordinator"}, "role", "Not a valid choice."),
        ({"email": "", "phone": ""}, "email", "Give an email address or a phone number."),
        ({"email": "", "phone": "+48 601 234 567"}, "email", "Hosts need an email address."),
        ({"role": "refugee", "email": "", "phone": "12"}, "phone", "Enter the number with its country code"),
        ({"locale": "xx"}, "locale", "Not a valid choice."),
    ],
)
def test_bad_signup_input_is_refused_beside_its_field_and_stores_nothing(app, client, overrides, field, message):
    response = client.post("/auth/signup", data=signup_data(**overrides))
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert user_count(app) == 0


def test_duplicate_email_differing_only_in_case_is_refused(app, client):
    with app.app_context():
        factories.make_user(email="olena@example.org")
    response = client.post("/auth/signup", data=signup_data(email="OLENA@example.org"))
    assert response.status_code == 422
    assert "An account with this email already exists." in field_error(response.get_data(as_text=True), "email")
    assert user_count(app) == 1


def test_cyrillic_names_are_welcome_and_shown_escaped(app, client):
    assert client.post("/auth/signup", data=signup_data(name="Олена Коваленко-Шевчук")).status_code == 302
    assert "Олена Коваленко-Шевчук" in client.get("/dashboard").get_data(as_text=True)


def test_markup_in_a_name_is_refused_and_never_echoed_raw(app, client):
    response = client.post("/auth/signup", data=signup_data(name="<script>alert(1)</script>"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert user_count(app) == 0


def test_a_forged_role_cannot_create_staff(app, client):
    client.post("/auth/signup", data=signup_data(role="admin"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)) == 0


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/users", "/admin/users"),
        ("https://evil.example/steal", "/dashboard"),
        ("//evil.example/steal", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
    ],
)
def test_next_after_login_only_goes_to_this_site(app, client, target, expected):
    with app.app_context():
        factories.make_user(role="admin", email="a@example.org")
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"login": "a@example.org", "password": "a long test passphrase"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_role_gates_answer_403_to_other_roles_and_redirect_anonymous(app, client, login_as):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/auth/login?next=" in response.headers["Location"]
    login_as("coordinator")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data={}).status_code == 403


def test_admin_creates_a_coordinator_who_can_then_log_in(app, client, login_as):
    login_as("admin")
    response = client.post(
        "/admin/users",
        data={"name": "Marta Nowak", "email": "marta@ngo.example", "role": "coordinator", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "Marta Nowak" in client.get("/admin/users").get_data(as_text=True)
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"login": "marta@ngo.example", "password": PASSWORD}).status_code == 302
    assert "Open requests" in fresh.get("/dashboard", follow_redirects=True).get_data(as_text=True)


def test_csrf_is_enforced_when_enabled(database_url, app, app_factory):
    protected = app_factory(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    response = client.post("/auth/signup", data=signup_data())
    assert response.status_code == 400
    assert "The form expired or was sent from elsewhere." in response.get_data(as_text=True)
    assert user_count(app) == 0
    page = client.get("/auth/signup").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/auth/signup", data={**signup_data(), "csrf_token": token}).status_code == 302


def test_login_is_rate_limited_per_account_with_a_clear_message(database_url, app, app_factory):
    limited = app_factory(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    with app.app_context():
        factories.make_user(email="target@example.org")
    attacker = limited.test_client()
    for _ in range(3):
        assert (
            attacker.post("/auth/login", data={"login": "target@example.org", "password": "guess guess"}).status_code
            == 422
        )
    response = attacker.post("/auth/login", data={"login": "TARGET@example.org", "password": "guess again"})
    assert response.status_code == 429
    assert "Too many attempts. Please wait a minute and try again." in response.get_data(as_text=True)
    # The right password is refused too while the account is throttled.
    right = attacker.post("/auth/login", data={"login": "target@example.org", "password": factories.TEST_PASSWORD})
    assert right.status_code == 429
    # Another account from the same address is still fine.
    with app.app_context():
        factories.make_user(email="other@example.org")
    ok = attacker.post("/auth/login", data={"login": "other@example.org", "password": factories.TEST_PASSWORD})
    assert ok.status_code == 302


def test_login_is_rate_limited_per_ip_across_accounts(database_url, app, app_factory):
    limited = app_factory(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_IP="4 per minute")
    client = limited.test_client()
    statuses = [
        client.post("/auth/login", data={"login": f"user{n}@example.org", "password": "x" * 12}).status_code
        for n in range(5)
    ]
    assert statuses == [422, 422, 422, 422, 429]


def test_session_cookie_is_httponly_and_lax(app, client):
    client.post("/auth/signup", data=signup_data())
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only is True
    assert cookie.same_site == "Lax"


def test_language_switcher_remembers_the_choice_before_log_in(client):
    response = client.post("/language", data={"locale": "uk", "next": "/auth/signup"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/signup"
    assert '<html lang="uk">' in client.get("/auth/signup").get_data(as_text=True)
    assert client.post("/language", data={"locale": "uk", "next": "https://evil.example"}).headers["Location"] == "/"
