"""Who may call what: every route of the URL map, with every method, as seven people, on objects of "A".

The routes come from ``app.url_map``, so a new route without a row in EXPECTED fails this test until someone
decides who may call it. Objects in URLs belong to host A, refugee A and their match, so host B and refugee B
act on objects that are not theirs (404 where the object is someone else's, 403 where their role has no
business there), anonymous callers are sent to log in (401 on the JSON API), and the owners and staff get in.

One data set per module, in its own database; the test client only (no browser). Run with MATRIX_PRINT=1 to
print what the app answers now, as a starting point for a new row.
"""

from __future__ import annotations

import os

import pytest

from matcher.domain.lifecycle_states import MatchStatus
from matcher.extensions import db
from matcher.models import CheckIn, Concern, Role, utcnow
from matcher.services import matches
from matcher.services.matching import forget_pool
from tests import factories
from tests.conftest import TEST_PASSWORD, fresh_database_url, make_app

PEOPLE = ("anon", "host_a", "host_b", "refugee_a", "refugee_b", "coordinator", "admin")
LOGIN = "login"  # a 302 to the log-in page
OK_POST = frozenset({200, 201, 302, 400, 409, 422})  # the view ran and answered the (empty) submission


def row(anon=LOGIN, host_a=403, host_b=403, refugee_a=403, refugee_b=403, coordinator=403, admin=403):
    return dict(zip(PEOPLE, (anon, host_a, host_b, refugee_a, refugee_b, coordinator, admin), strict=True))


def everyone(code):
    return row(code, code, code, code, code, code, code)


def logged_in(code):
    return row(LOGIN, code, code, code, code, code, code)


def staff(code=200, anon=LOGIN):
    return row(anon, coordinator=code, admin=code)


def admin_only(code=200):
    return row(admin=code)


def hosts(code=200):
    return row(host_a=code, host_b=code)


def refugees(code=200):
    return row(refugee_a=code, refugee_b=code)


def host_a_owns(code=200, staff_code=403):
    """An offer of host A: host B gets 404, refugees 403; staff as given."""
    return row(host_a=code, host_b=404, coordinator=staff_code, admin=staff_code)


def refugee_a_owns(code=200, staff_code=403):
    return row(refugee_a=code, refugee_b=404, coordinator=staff_code, admin=staff_code)


def match_parties(code, anon=LOGIN):
    """Match A: its host and guest get in; everyone else, staff included, gets 404 (the consent pages)."""
    return row(anon, host_a=code, host_b=404, refugee_a=code, refugee_b=404, coordinator=404, admin=404)


def api(code=200, anon=401, others=403):
    return row(anon, others, others, others, others, code, code)


EXPECTED: dict[str, dict[str, object]] = {
    # account: API tokens and invitations
    "account.token_list": logged_in(200),
    "account.create_token": logged_in(422),
    "account.revoke_token": row(LOGIN, {302, 404}, 404, 404, 404, 404, 404),
    "account.set_password": everyone(400),
    "account.set_password_post": everyone(400),
    # admin
    "admin.audit_log": admin_only(),
    "admin.matching_settings": admin_only(),
    "admin.matching_settings_post": admin_only(422),
    "admin.safeguarding_settings": admin_only(),
    "admin.safeguarding_settings_post": admin_only(302),
    "admin.users": admin_only(),
    "admin.users_post": admin_only(422),
    "outbox.index": admin_only(),
    # the JSON API: 401 for anonymous callers, never a redirect
    "api.openapi": everyone(200),
    "api.list_offers": row(401, 200, 200, 403, 403, 200, 200),
    "api.get_offer": row(401, 200, 404, 404, 404, 200, 200),  # the API hides whose records exist
    "api.create_offer": row(401, 415, 415, 403, 403, 403, 403),
    "api.patch_offer": row(401, 415, 404, 403, 403, 403, 403),
    "api.list_requests": row(401, 403, 403, 200, 200, 200, 200),
    "api.get_request": row(401, 404, 404, 200, 404, 200, 200),
    "api.create_request": row(401, 403, 403, 415, 415, 415, 415),
    "api.patch_request": row(401, 403, 403, 415, 404, 403, 403),
    "api.get_match": row(401, 200, 404, 200, 404, 200, 200),
    "api.create_match": api(415),
    "api.transition": row(401, 415, 404, 415, 404, 415, 415),
    "api.get_batch": api(200),
    "api.run_batch": api({200, 201}),
    "api.request_candidates": api(200),
    "maps_api.cities_json": everyone(200),
    "maps_api.offers_json": api(200),
    "maps_api.requests_json": api(200),
    "place_search.search": logged_in(200),  # the place pickers' autocomplete: public gazetteer names only
    # log-in and sign-up
    "auth.login": row(200, 302, 302, 302, 302, 302, 302),
    "auth.login_post": everyone(422),
    "auth.signup": row(200, 302, 302, 302, 302, 302, 302),
    "auth.signup_post": everyone(422),
    "auth.claim": row(200, 302, 302, 302, 302, 302, 302),
    "auth.claim_post": everyone(422),
    "auth.logout": everyone(302),
    "auth.change_password": logged_in(200),
    "auth.change_password_post": logged_in(422),
    # consent: the host and the guest of match A only
    "consent.match_page": match_parties(200),
    "consent.accept": match_parties(302),
    "consent.decline": match_parties(422),
    "consent.report_concern": match_parties(422),
    "consent.answer_checkin": row(LOGIN, 400, 404, 400, 404, 404, 404),
    "consent.link": everyone(400),
    "consent.link_post": everyone(400),
    # the coordinators' area
    "coordinator.outcomes": staff(),
    "coordinator.queue": staff(),
    "coordinator.assign": staff(302),
    "coordinator.case_page": staff(),
    "coordinator.reveal": staff(302),
    "coordinator.add_note": staff(302),
    "coordinator.take": staff(302),
    "coordinator.propose": staff(400),
    "coordinator.match_step": staff(302),
    "coordinator.batches_list": staff(),
    "coordinator.batches_run": staff(302),
    "coordinator.batch_review": staff(),
    "coordinator.batch_decide": staff(400),
    "desk.new_request": staff(),
    "desk.new_request_post": staff(422),
    "maps.coordinator_map": staff(),
    "csv.index": staff(),
    "csv.upload": staff({400, 422}),
    "csv.confirm": staff(409),
    "csv.export": staff({200, 400, 422}),
    "safeguarding.host_page": staff(),
    "safeguarding.record_check": staff(422),
    "safeguarding.reveal_host": staff(302),
    "safeguarding.set_household": staff(302),
    "safeguarding.set_women_only": staff(400),
    "safeguarding.sign_off": staff(302),
    "safeguarding.concern_page": staff(),
    "safeguarding.resolve_concern": staff(422),
    # hosts' offers
    "offers.index": hosts(),
    "offers.new": hosts(),
    "offers.new_post": hosts(422),
    "offers.detail": host_a_owns(200, staff_code=200),
    "offers.edit": host_a_owns(),
    "offers.edit_post": host_a_owns(422),
    "offers.status": host_a_owns(302),
    "offers.confirm": host_a_owns(302),
    # refugees' requests
    "requests.new": refugees(302),  # both already have a request: sent to it
    "requests.new_post": refugees(422),
    "requests.detail": refugee_a_owns(200, staff_code=200),
    "requests.edit": refugee_a_owns({200, 302}),
    "requests.edit_post": refugee_a_owns({302, 422}),
    "requests.withdraw": refugee_a_owns(302),
    # everyone's pages
    "main.index": everyone(200),
    "main.dashboard": row(LOGIN, 200, 200, 200, 200, 302, 200),
    "main.set_language": everyone(302),
    "maps.public_map": everyone(200),
    "privacy.index": logged_in(200),
    "privacy.export": logged_in(200),
    "privacy.delete": logged_in(422),
    # static files
    "static": everyone(200),
    "bootstrap.static": everyone(200),
    "leaflet.static": everyone(200),
}

STATIC_FILES = {
    "static": "css/app.css",
    "bootstrap.static": "css/bootstrap.min.css",
    "leaflet.static": "leaflet.js",
}
URL_VALUES = {"step": "cancel", "token": "not-a-real-token"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The module's own app and database, with two of everyone and the objects of "A"."""
    app = make_app(fresh_database_url(tmp_path_factory, "matrix"))
    with app.app_context():
        db.create_all()
        forget_pool()
        people = {
            "host_a": factories.make_user(Role.HOST),
            "host_b": factories.make_user(Role.HOST),
            "refugee_a": factories.make_user(Role.REFUGEE),
            "refugee_b": factories.make_user(Role.REFUGEE),
            "coordinator": factories.make_user(Role.COORDINATOR),
            "admin": factories.make_user(Role.ADMIN),
        }
        offer_a = factories.make_offer(people["host_a"])
        factories.make_offer(people["host_b"])
        request_a = factories.make_request(people["refugee_a"], **factories.KRAKOW, owner_id=people["coordinator"].id)
        factories.make_request(people["refugee_b"], **factories.KRAKOW)
        match = matches.propose(people["coordinator"], request_a.id, offer_a.id)
        concern = Concern(
            match_id=match.id, request_id=request_a.id, reporter_id=people["refugee_a"].id, reporter_role="guest",
            body="worried",
        )  # fmt: skip
        checkin = CheckIn(
            match_id=match.id, user_id=people["host_a"].id, party="host", kind="day_3", sent_at=utcnow(),
            answer_by=utcnow().replace(year=utcnow().year + 1),
        )  # fmt: skip
        db.session.add_all([concern, checkin])
        db.session.commit()
        from matcher.services import batches, tokens

        batch, _ = batches.propose(people["coordinator"])

        token_row, _ = tokens.create_token(people["host_a"], "matrix")
        values = {
            "offer_id": offer_a.id,
            "request_id": request_a.id,
            "match_id": match.id,
            "host_id": people["host_a"].id,
            "concern_id": concern.id,
            "checkin_id": checkin.id,
            "batch_id": batch.id,
            "token_id": token_row.id,
            **URL_VALUES,
        }
        logins = {name: user.email for name, user in people.items()}
        assert match.status is MatchStatus.PROPOSED
    cookies = {"anon": None}
    for name, login in logins.items():
        client = app.test_client()
        response = client.post("/auth/login", data={"login": login, "password": TEST_PASSWORD})
        assert response.status_code == 302, name
        with client.session_transaction() as session:
            session.pop("_flashes", None)  # "You are logged in." would otherwise ride along on every request
        cookies[name] = client.get_cookie("session").value
    yield app, values, cookies
    with app.app_context():
        forget_pool()
        db.session.remove()
        db.engine.dispose()


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(app, rule, values) -> str:
    arguments = {name: values[name] for name in rule.arguments if name != "filename"}
    if "filename" in rule.arguments:
        arguments["filename"] = STATIC_FILES[rule.endpoint]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **arguments)


def _outcome(response):
    if response.status_code == 302 and "/auth/login" in response.headers.get("Location", ""):
        return LOGIN
    return response.status_code


def _call(app, method, url, cookie):
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("session", cookie)
    response = client.open(url, method=method)
    try:
        return _outcome(response)
    finally:
        response.close()


def _matches(expected, observed) -> bool:
    if isinstance(expected, set | frozenset):
        return observed in expected
    return observed == expected


def _endpoints():
    from matcher.app import create_app
    from tests.conftest import TestConfig

    app = create_app(type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()})


def test_every_route_has_an_expected_row_and_every_row_a_route(world):
    app, _, _ = world
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(EXPECTED))
    assert not missing, f"routes without a row in EXPECTED (decide who may call them): {missing}"
    assert not sorted(set(EXPECTED) - endpoints), "rows for routes that no longer exist"


@pytest.mark.parametrize("endpoint", _endpoints())
def test_who_may_call_what(world, endpoint):
    app, values, cookies = world
    expected = EXPECTED.get(endpoint)
    assert expected is not None, f"{endpoint} has no row in EXPECTED: decide who may call it"
    forget_pool()  # other tests in this worker use another database
    failures = []
    for rule, method in _rules(app):
        if rule.endpoint != endpoint:
            continue
        url = _url(app, rule, values)
        for person in PEOPLE:
            observed = _call(app, method, url, cookies[person])
            if os.environ.get("MATRIX_PRINT"):
                print(f"MATRIX {endpoint} {method} {person} {observed}")
            assert observed != 500
            if not _matches(expected[person], observed):
                failures.append(f"{method} {url} as {person}: expected {expected[person]}, got {observed}")
    assert not failures, "\n".join(failures)
