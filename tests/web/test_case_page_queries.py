"""The case page asks the database the same number of questions however many placements a case has had."""

from __future__ import annotations

from sqlalchemy import event

from matcher.domain.lifecycle_states import MatchStatus
from matcher.extensions import db
from matcher.services import matching
from tests import factories
from tests.conftest import TEST_PASSWORD


def _queries_for_case_page(app, client, extra_matches: int) -> int:
    with app.app_context():
        matching.forget_pool()
        case = factories.make_case()
        for _ in range(extra_matches):  # earlier placements that fell through, each in another home
            factories.make_match(request=case.request, offer=factories.make_offer(), status=MatchStatus.DECLINED)
        login, request_id = case.coordinator.email, case.request.id
    client.post("/auth/login", data={"login": login, "password": TEST_PASSWORD})
    client.get(f"/coordinator/requests/{request_id}")  # warm the offer pool
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        page = client.get(f"/coordinator/requests/{request_id}")
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("data-match-id=") == extra_matches  # every placement is shown
    client.post("/auth/logout")
    return count


def test_the_case_page_has_no_query_per_placement(app, client):
    one = _queries_for_case_page(app, client, extra_matches=1)
    four = _queries_for_case_page(app, client, extra_matches=4)
    assert four == one
