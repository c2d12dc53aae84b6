"""The case page's history says in words what happened, in the reader's language."""

from __future__ import annotations

from flask_babel import force_locale, gettext
from sqlalchemy import update

from matcher.extensions import db
from matcher.models import User
from matcher.services import matching
from tests import factories
from tests.conftest import TEST_PASSWORD


def test_history_names_each_step_in_words_not_codes(app, client):
    with app.app_context():
        matching.forget_pool()
        case = factories.make_case()
        login, request_id, offer_id = case.coordinator.email, case.request.id, case.offer.id
    client.post("/auth/login", data={"login": login, "password": TEST_PASSWORD})

    client.post(f"/coordinator/requests/{request_id}/propose", data={"offer_id": offer_id})
    client.post(f"/coordinator/requests/{request_id}/notes", data={"body": "Called the host."})
    html = client.get(f"/coordinator/requests/{request_id}").get_data(as_text=True)

    history = html[html.index('id="history-heading"') :]
    assert "Offer proposed" in history and "Note added" in history
    assert "match.propose" not in history and "case.note_added" not in history

    with app.app_context():
        db.session.execute(update(User).where(User.email == login).values(locale="uk"))
        db.session.commit()
        with app.test_request_context(), force_locale("uk"):
            proposed_in_ukrainian = gettext("Offer proposed")
    assert proposed_in_ukrainian != "Offer proposed"
    html = client.get(f"/coordinator/requests/{request_id}").get_data(as_text=True)
    assert proposed_in_ukrainian in html[html.index('id="history-heading"') :]
