"""Every form and every JSON endpoint, fed random input (Hypothesis): random Unicode, huge strings, negatives, wrong
types, missing and extra fields. The answer is never a 500, and a refused submission leaves the database exactly
as it was (a checksum of every table).

A submission counts as refused when the answer is 4xx, or a redirect or page that flashes only a warning or an
error. Accepted ones may change the database: that is their job. The form fields come from the form classes and
the JSON fields from the OpenAPI document, so they follow the code; every POST and PATCH route must have a row in
FORMS (a new form without one fails), and every GET under /api/ is fuzzed through its query string.

One data set per module, in its own database, as in test_authorization_matrix.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.extensions import db
from matcher.services.matching import forget_pool
from tests.test_authorization_matrix import world  # noqa: F401  the module's data set (a fixture)

EXAMPLES = 25

# endpoint -> (who submits, field names or "module:FormClass", [more fields]). Objects are "A"'s, as in the matrix.
FORMS: dict[str, tuple[str, object]] = {
    "account.create_token": ("host_a", "matcher.web.account:TokenForm"),
    "account.revoke_token": ("host_b", []),
    "account.set_password_post": ("anon", "matcher.web.account:SetPasswordForm"),
    "admin.matching_settings_post": ("admin", "matcher.web.auth_forms:MatchingSettingsForm"),
    "admin.safeguarding_settings_post": ("admin", "matcher.web.safeguarding_forms:SafeguardingSettingsForm"),
    "admin.users_post": ("admin", "matcher.web.auth_forms:StaffUserForm"),
    "auth.change_password_post": ("host_b", "matcher.web.auth_forms:ChangePasswordForm"),
    "auth.claim_post": ("anon", "matcher.web.auth_forms:ClaimForm"),
    "auth.login_post": ("anon", ["login", "password", "remember", "next"]),
    "auth.logout": ("host_b", []),
    "auth.signup_post": ("anon", "matcher.web.auth_forms:SignupForm"),
    "consent.accept": ("refugee_a", []),
    "consent.answer_checkin": ("host_a", ["answer"]),
    "consent.decline": ("refugee_a", ["reason_code", "reason_text"]),
    "consent.link_post": ("anon", ["action", "reason_code", "reason_text"]),
    "consent.report_concern": ("refugee_a", "matcher.web.safeguarding_forms:ConcernForm"),
    "coordinator.add_note": ("coordinator", ["body"]),
    "coordinator.assign": ("coordinator", ["request_id", "owner_id", "next"]),
    "coordinator.batch_decide": ("coordinator", ["action", "row_id"]),
    "coordinator.batches_run": ("coordinator", []),
    "coordinator.match_step": ("coordinator", ["reason_code", "reason_text"]),
    "coordinator.propose": ("coordinator", ["offer_id", "score"]),
    "coordinator.reveal": ("coordinator", ["reason"]),
    "coordinator.take": ("coordinator", []),
    "csv.confirm": ("coordinator", "matcher.web.csv_files:ConfirmForm"),
    "csv.export": ("coordinator", "matcher.web.csv_files:ExportForm"),
    "csv.upload": ("coordinator", "matcher.web.csv_files:ImportForm"),
    "desk.new_request_post": ("coordinator", "matcher.web.request_forms:DeskRequestForm"),
    "main.set_language": ("host_b", ["locale", "next"]),
    "offers.confirm": ("host_a", "matcher.web.offer_forms:ConfirmOfferForm"),
    "offers.edit_post": ("host_a", "matcher.web.offer_forms:OfferForm"),
    "offers.new_post": ("host_b", "matcher.web.offer_forms:OfferForm"),
    "offers.status": ("host_a", "matcher.web.offer_forms:OfferStatusForm"),
    "privacy.delete": ("refugee_b", "matcher.web.privacy:DeleteAccountForm"),
    "requests.edit_post": ("refugee_a", "matcher.web.request_forms:RequestForm"),
    "requests.new_post": ("refugee_b", "matcher.web.request_forms:RequestForm"),
    "requests.withdraw": ("refugee_a", []),
    "safeguarding.record_check": ("coordinator", "matcher.web.safeguarding_forms:CheckForm"),
    "safeguarding.resolve_concern": ("coordinator", "matcher.web.safeguarding_forms:ResolveForm"),
    "safeguarding.reveal_host": ("coordinator", ["reason"]),
    "safeguarding.set_household": ("coordinator", ["host_id", "o{offer_id}-adults", "o{offer_id}-gender"]),
    "safeguarding.set_women_only": ("coordinator", ["women_only"]),
    "safeguarding.sign_off": ("coordinator", []),
}
# JSON endpoints: who calls them (the fields come from the OpenAPI document).
API_CALLERS = {
    "api.create_offer": "host_a",
    "api.patch_offer": "host_a",
    "api.create_request": "refugee_b",
    "api.patch_request": "refugee_a",
    "api.create_match": "coordinator",
    "api.transition": "coordinator",
    "api.run_batch": "coordinator",
}

SPECIAL = [
    "", " ", "0", "-1", "-2147483649", "99999999999999999999", "1e309", "NaN", "-0.0", "null", "true", "[]", "{}",
    "<script>alert(1)</script>", "' OR 1=1 --", "\u202egnp.exe", "\u200b", "2024-02-30", "0000-00-00", "9999-12-31",
    "../../etc/passwd", "%00", "\x00", "\ud7ff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "Львів", "http://evil.example/", "//evil.example",
]  # fmt: skip
huge = st.builds(lambda n, ch: ch * n, st.integers(5_001, 20_000), st.sampled_from(["a", "é", "Ж", "😀", "\x00"]))
scalar_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(SPECIAL),
    st.integers(-(10**15), 10**15).map(str),
    st.floats().map(str),
    huge,
)
form_value = st.one_of(scalar_text, st.lists(scalar_text, min_size=2, max_size=3))
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=30), huge
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _fields(spec) -> list[str]:
    if isinstance(spec, list):
        return spec
    module, _, name = spec.partition(":")
    form_class = getattr(importlib.import_module(module), name)
    from flask import current_app

    with current_app.test_request_context():
        form = form_class(meta={"csrf": False})
        return [field.name for field in form]


def _checksum() -> str:
    """Every row of every table, hashed: a refused submission must leave it unchanged (raw SQL: it runs twice per
    example)."""
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.exec_driver_sql(f'SELECT * FROM "{table.name}" ORDER BY 1'):
                digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
            digest.update(b"|")
    return digest.hexdigest()


def _refused(response, flashes) -> bool:
    if response.status_code >= 400:
        return True
    categories = {category for category, _ in flashes or ()}
    return bool(categories & {"danger", "warning"}) and "success" not in categories


def _client(app, cookies, person):
    client = app.test_client()
    if cookies[person] is not None:
        client.set_cookie("session", cookies[person])
    return client


def _url(app, endpoint, values) -> tuple[str, str]:
    from flask import url_for

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    with app.test_request_context():
        return method, url_for(endpoint, **{name: values[name] for name in rule.arguments})


def _send(app, cookies, person, method, url, **kwargs):
    with app.app_context():
        before = _checksum()
    client = _client(app, cookies, person)
    response = client.open(url, method=method, **kwargs)
    with client.session_transaction() as session:
        flashes = session.get("_flashes", [])
    status = response.status_code
    response.close()
    assert status < 500, f"{method} {url} answered {status}"
    if _refused(response, flashes):
        with app.app_context():
            assert _checksum() == before, f"{method} {url} refused ({status}, {flashes}) but changed the database"


def _mutating_endpoints():
    from tests.test_authorization_matrix import _endpoints

    return _endpoints()


PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_every_form_route_has_a_row(world):  # noqa: F811
    app, _, _ = world
    posts = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.methods & {"POST", "PATCH", "PUT", "DELETE"} and not r.endpoint.startswith("api.")
    }
    assert not sorted(posts - set(FORMS)), "forms without a property test: add them to FORMS"
    api_writes = {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.methods & {"POST", "PATCH"}
    }
    assert not sorted(api_writes - set(API_CALLERS)), "JSON endpoints without a property test: add to API_CALLERS"


@pytest.mark.parametrize("endpoint", sorted(FORMS))
@PROPERTY
@given(data=st.data())
def test_forms_never_fail_and_refusals_change_nothing(world, endpoint, data):  # noqa: F811
    app, values, cookies = world
    person, spec = FORMS[endpoint]
    forget_pool()
    with app.app_context():
        fields = [name.format(**values) for name in _fields(spec)]
    known = data.draw(
        st.dictionaries(st.sampled_from(fields), form_value, max_size=len(fields)) if fields else st.just({})
    )
    extra = data.draw(st.dictionaries(st.text(min_size=1, max_size=12), form_value, max_size=2))
    method, url = _url(app, endpoint, values)
    _send(app, cookies, person, method, url, data={**extra, **known})


def _openapi(app) -> dict:
    with app.test_client() as client:
        return client.get("/api/v1/openapi.json").get_json()


def _api_operations(app):
    """(endpoint, method, path template, body fields, query parameters) for each JSON operation."""
    doc = _openapi(app)
    schemas = doc.get("components", {}).get("schemas", {})
    by_rule = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                by_rule[(rule.endpoint, method)] = rule
    found = []
    for (endpoint, method), rule in sorted(by_rule.items()):
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        op = doc["paths"].get(path, {}).get(method.lower(), {})
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema", {})
        body = schemas.get(body.get("$ref", "").rsplit("/", 1)[-1], body)
        query = [p["name"] for p in op.get("parameters", []) if isinstance(p, dict) and p.get("in") == "query"]
        found.append((endpoint, method, list(body.get("properties", {})), query))
    return found


def _api_endpoints():
    from tests.test_authorization_matrix import _endpoints

    return [e for e in _endpoints() if e.startswith(("api.", "maps_api."))]


@pytest.mark.parametrize("endpoint", _api_endpoints())
@PROPERTY
@given(data=st.data())
def test_json_endpoints_never_fail_and_refusals_change_nothing(world, endpoint, data):  # noqa: F811
    app, values, cookies = world
    forget_pool()
    operations = [op for op in _api_operations(app) if op[0] == endpoint]
    assert operations, f"{endpoint} is not in the OpenAPI document"
    for _, method, fields, query in operations:
        person = API_CALLERS.get(endpoint, "coordinator")
        args = data.draw(
            st.dictionaries(st.sampled_from(query or ["q"]), scalar_text.filter(lambda s: len(s) < 3000), max_size=3)
        )
        from flask import url_for

        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        with app.test_request_context():
            url = url_for(endpoint, **{name: values[name] for name in rule.arguments})
        kwargs = {"query_string": args}
        if method in ("POST", "PATCH"):
            body = data.draw(
                st.one_of(
                    st.fixed_dictionaries({}, optional={f: json_value for f in fields}),
                    json_value,
                    st.dictionaries(st.text(max_size=10), json_value, max_size=4),
                )
            )
            raw = data.draw(st.booleans())
            if raw:
                kwargs["data"] = data.draw(st.one_of(st.text(max_size=50), st.just(json.dumps(body)[:-1])))
                kwargs["content_type"] = "application/json"
            else:
                kwargs["json"] = body
        _send(app, cookies, person, method, url, **kwargs)
