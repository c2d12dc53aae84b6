"""The OpenAPI document matches the routes, and schemathesis finds no 500s and no response that breaks it."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from matcher.models import Role
from matcher.services import tokens
from matcher.services.matching import forget_pool
from tests import factories

MAX_EXAMPLES = 25  # per operation: enough to reach every error path, quick on 2 cores
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def rule_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /offers/<int(max=...):offer_id> becomes /offers/{offer_id}."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_every_api_rule_is_documented_and_nothing_else(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item
                  if method != "parameters"}  # fmt: skip
    routed = {
        (rule_path(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routed


def operations() -> list[tuple[str, str]]:
    """(path, method) of every documented operation, from the document itself (it needs no app)."""
    from matcher.web.api.openapi import build

    return sorted(
        (path, method) for path, item in build()["paths"].items() for method in item if method != "parameters"
    )


@pytest.fixture
def seeded_token(app) -> str:
    """A coordinator's token, on a database seeded with a few records of each kind."""
    with app.app_context():
        forget_pool()
        coordinator = factories.make_user(Role.COORDINATOR)
        for _ in range(3):
            factories.make_case(coordinator=coordinator)
        factories.make_match()
        _, token = tokens.create_token(coordinator, "schemathesis")
    return token


# pytest 9 and schemathesis' lazy fixture loader (schemathesis.pytest.from_fixture) do not get along, so each
# operation is its own test: Hypothesis draws cases from schemathesis' strategy for it, in-process over WSGI.
@pytest.mark.parametrize(("path", "method"), operations())
def test_the_api_keeps_its_document(app, seeded_token, path, method):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method.upper()]
    headers = {"Authorization": f"Bearer {seeded_token}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
