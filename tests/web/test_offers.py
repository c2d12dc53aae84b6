"""A host's offers through the real forms: every field rule, the geocoder, status changes, privacy and authorization."""

from __future__ import annotations

import html as html_lib
import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from matcher.domain.lifecycle_states import MatchStatus
from matcher.domain.vocabulary import OfferStatus
from matcher.extensions import db
from matcher.models import AuditEvent, Match, Offer, User
from matcher.services import offers
from tests import factories

TODAY = datetime.now(UTC).date()
KRAKOW, FRANKFURT_ODER, WARSAW, KYIV = 3094802, 2925535, 756135, 703448


def offer_data(**overrides):
    data = {
        "title": "Bright room near the tram",
        "kind": "room",
        "beds": "2",
        "description": "A quiet room with a desk.",
        "place": "Краків",
        "country": "PL",
        "place_choice": "",
        "lat": "",
        "lon": "",
        "address": "ul. Floriańska 1, 31-019 Kraków",
        "available_from": TODAY.isoformat(),
        "available_until": "",
        "children_ok": "y",
        "languages": ["pl", "uk"],
        "notes": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def field_error(html: str, field: str) -> str:
    """The unescaped text of one field's error block, to prove the message sits beside the right field."""
    match = re.search(rf'id="{field}-error"[^>]*>\s*((?:<div>.*?</div>\s*)+)', html, re.S)
    assert match, f"no error shown beside {field}"
    return html_lib.unescape(match.group(1))


def count(app, model=Offer) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored(app, offer_id: int) -> Offer:
    with app.app_context():
        offer = db.session.get(Offer, offer_id)
        db.session.expunge(offer)
        return offer


def sign_in(app, client, role: str = "host", **fields):
    """A new user of that role, signed in through the session (the log-in form itself is tested in test_auth)."""
    with app.app_context():
        user = factories.make_user(role=role, **fields)
        db.session.refresh(user)
        db.session.expunge(user)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return user


@pytest.fixture
def host(app, client):
    return sign_in(app, client, "host", name="Anna Schmidt")


def test_host_adds_an_offer_in_krakow_spelled_in_ukrainian(app, client, host):
    response = client.post("/offers/new", data=offer_data(nonce="nonce-krakow-1"))
    assert response.status_code == 302
    offer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    offer = stored(app, offer_id)
    assert (offer.place_name, offer.country, offer.geoname_id) == ("Kraków", "PL", KRAKOW)
    assert (offer.lat, offer.lon) == (50.06143, 19.93658)  # the city centre, as no pin was given
    assert (offer.approx_lat, offer.approx_lon) != (offer.lat, offer.lon)
    assert offer.host_id == host.id and offer.status is OfferStatus.ACTIVE
    assert offer.languages == ["pl", "uk"] and offer.children_ok and not offer.pets_ok
    assert offer.available_until is None
    assert offer.last_confirmed_at is not None
    with app.app_context():
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offer.created"))
        assert (event_.subject_id, event_.actor_id) == (offer_id, host.id)
    page = client.get(f"/offers/{offer_id}").get_data(as_text=True)
    assert "Kraków, Poland" in page and "ul. Floriańska 1" in page
    assert "No proposals yet" in page


def test_the_dashboard_lists_offers_with_free_beds_status_and_buttons(app, client, host):
    with app.app_context():
        offer = factories.make_offer(host=host, title="Flat by the river", beds=4)
        guest_request = factories.make_request(adults=1, children=0)
        db.session.add(Match(request_id=guest_request.id, offer_id=offer.id, beds_held=1, status=MatchStatus.PROPOSED))
        db.session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Hello, Anna Schmidt" in page and "Flat by the river" in page
    assert "0 beds free now, of 4" in page  # not shareable: any open match blocks it
    assert "1 open proposal" in page
    assert "Still available" in page and "Pause" in page and "Withdraw" in page
    assert client.get("/offers").get_data(as_text=True).count("Flat by the river") == 1


def test_the_dashboard_loads_matches_in_one_query_whatever_the_number_of_offers(app, client, host):
    def queries_for_dashboard() -> int:
        statements = []
        with app.app_context():
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert client.get("/dashboard").status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    with app.app_context():
        offer = factories.make_offer(host=host)
        db.session.add(Match(request_id=factories.make_request().id, offer_id=offer.id, beds_held=2))
        db.session.commit()
    one = queries_for_dashboard()
    with app.app_context():
        for _ in range(6):
            offer = factories.make_offer(host=host)
            db.session.add(Match(request_id=factories.make_request().id, offer_id=offer.id, beds_held=2))
        db.session.commit()
    assert queries_for_dashboard() == one


def test_edit_changes_the_offer_and_keeps_the_public_point(app, client, host):
    client.post("/offers/new", data=offer_data())
    offer = stored(app, 1)
    form = client.get("/offers/1/edit").get_data(as_text=True)
    assert 'value="Bright room near the tram"' in form and 'value="Kraków"' in form
    response = client.post("/offers/1/edit", data=offer_data(place="Kraków", beds="3", title="Two rooms", pets_ok="y"))
    assert response.status_code == 302
    edited = stored(app, 1)
    assert (edited.beds, edited.title, edited.pets_ok) == (3, "Two rooms", True)
    assert (edited.approx_lat, edited.approx_lon) == (offer.approx_lat, offer.approx_lon)


def test_pause_resume_withdraw_and_still_available(app, client, host):
    with app.app_context():
        offer_id = factories.make_offer(host=host, last_confirmed_at=datetime.now(UTC) - timedelta(days=40)).id
    assert "Please confirm it is still available." in client.get("/dashboard").get_data(as_text=True)
    before = stored(app, offer_id).last_confirmed_at

    response = client.post(f"/offers/{offer_id}/confirm", data={"next": "/dashboard"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert stored(app, offer_id).last_confirmed_at > before
    assert "confirmed as still available" in client.get("/dashboard").get_data(as_text=True)

    client.post(f"/offers/{offer_id}/status", data={"action": "pause"})
    assert stored(app, offer_id).status is OfferStatus.PAUSED
    client.post(f"/offers/{offer_id}/status", data={"action": "pause"})  # not from paused: refused, no change
    assert "cannot be changed that way" in client.get(f"/offers/{offer_id}").get_data(as_text=True)
    client.post(f"/offers/{offer_id}/status", data={"action": "resume"})
    assert stored(app, offer_id).status is OfferStatus.ACTIVE
    client.post(f"/offers/{offer_id}/status", data={"action": "withdraw"})
    assert stored(app, offer_id).status is OfferStatus.WITHDRAWN
    client.post(f"/offers/{offer_id}/status", data={"action": "resume"})
    assert stored(app, offer_id).status is OfferStatus.WITHDRAWN
    assert client.get(f"/offers/{offer_id}/edit").status_code == 302
    assert client.post(f"/offers/{offer_id}/edit", data=offer_data()).status_code == 422
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["offer.confirmed", "offer.paused", "offer.resumed", "offer.withdrawn"]


def test_still_available_resumes_a_paused_offer(app, client, host):
    with app.app_context():
        offer_id = factories.make_offer(host=host, status=OfferStatus.PAUSED).id
    client.post(f"/offers/{offer_id}/confirm")
    assert stored(app, offer_id).status is OfferStatus.ACTIVE


@pytest.mark.parametrize("action", ["explode", "", "activate"])
def test_a_forged_status_action_changes_nothing_and_never_fails(app, client, host, action):
    with app.app_context():
        offer_id = factories.make_offer(host=host).id
    assert client.post(f"/offers/{offer_id}/status", data={"action": action}).status_code == 302
    assert stored(app, offer_id).status is OfferStatus.ACTIVE


LATER = (TODAY + timedelta(days=10)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"beds": "0"}, "beds", "Give between 1 and 50 beds."),
        ({"beds": "-3"}, "beds", "Give between 1 and 50 beds."),
        ({"beds": "10000"}, "beds", "Give between 1 and 50 beds."),
        ({"beds": "two"}, "beds", "Not a valid integer value."),
        ({"beds": ""}, "beds", "Give between 1 and 50 beds."),
        ({"available_from": LATER, "available_until": str(TODAY)}, "available_until", "“Until” cannot be before"),
        ({"available_from": "1900-01-01"}, "available_from", "This date is more than a year ago."),
        ({"available_from": "2200-01-01"}, "available_from", "This date is more than two years ahead."),
        ({"available_until": "2200-01-01"}, "available_until", "This date is more than two years ahead."),
        ({"available_from": "31/02/2026"}, "available_from", "Not a valid date value."),
        ({"available_from": ""}, "available_from", "Enter a date."),
        ({"lat": "91", "lon": "20"}, "lat", "Latitude is a number from -90 to 90."),
        ({"lat": "-90.01", "lon": "20"}, "lat", "Latitude is a number from -90 to 90."),
        ({"lat": "50", "lon": "181"}, "lon", "Longitude is a number from -180 to 180."),
        ({"lat": "50", "lon": "-180.5"}, "lon", "Longitude is a number from -180 to 180."),
        ({"lat": "nan", "lon": "20"}, "lat", "Latitude is a number from -90 to 90."),
        ({"lat": "50", "lon": "inf"}, "lon", "Longitude is a number from -180 to 180."),
        ({"lat": "50", "lon": ""}, "lon", "Give the longitude too"),
        ({"lat": "north", "lon": "20"}, "lat", "Not a valid float value."),
        ({"languages": ["pl", "xx"]}, "languages", "Choose languages from the list."),
        ({"languages": ["<script>"]}, "languages", "Choose languages from the list."),
        ({"notes": "x" * 50_000}, "notes", "Field cannot be longer than 5000 characters."),
        ({"description": "y" * 5001}, "description", "Field cannot be longer than 5000 characters."),
        ({"title": ""}, "title", "This field is required."),
        ({"title": "t" * 121}, "title", "Field cannot be longer than 120 characters."),
        ({"title": "Room\u202e"}, "title", "Remove invisible control characters"),
        ({"address": ""}, "address", "This field is required."),
        ({"kind": "castle"}, "kind", "Choose room, flat or house."),
        ({"country": "US"}, "country", "Choose a country from the list."),
        ({"country": ""}, "country", "Choose a country."),
        ({"place": ""}, "place", "Enter a city or town, or give an exact pin."),
        ({"place": "Qwertzuiopville"}, "place", "We could not find “Qwertzuiopville” in Poland."),
        ({"place": "Lviv"}, "place", "try the nearest bigger town, or give an exact pin"),
        ({"lat": "0", "lon": "-30"}, "lat", "This pin is not near any town we know in Europe."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_beside_its_field_and_stores_nothing(app, client, host, overrides, field, message):
    response = client.post("/offers/new", data=offer_data(**overrides))
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert count(app) == 0


def test_html_in_text_fields_is_stored_as_text_and_shown_escaped(app, client, host):
    script = "<script>alert('x')</script>"
    client.post(
        "/offers/new", data=offer_data(title="<b>Room</b>", description=script, notes="<img src=x onerror=alert(1)>")
    )
    offer = stored(app, 1)
    assert (offer.title, offer.description) == ("<b>Room</b>", script)
    for page in (client.get("/offers/1"), client.get("/dashboard"), client.get("/offers/1/edit")):
        html = page.get_data(as_text=True)
        assert script not in html and "<b>Room</b>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in client.get("/offers/1").get_data(as_text=True)


def test_a_repeated_submission_creates_one_offer(app, client, host):
    data = offer_data(nonce="one-time-nonce-123")
    first = client.post("/offers/new", data=data)
    second = client.post("/offers/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app) == 1
    # A fresh form (a new nonce) is a new offer.
    client.post("/offers/new", data=offer_data(nonce="another-nonce-456"))
    assert count(app) == 2


def test_two_simultaneous_submissions_with_one_nonce_create_one_offer(app):
    with app.app_context():
        host_id = factories.make_user(role="host").id
    data = offer_data(nonce="double-click-nonce")
    results = []

    def submit():
        with app.test_request_context():
            host = db.session.get(factories.User, host_id)
            form_input = offers.OfferInput(
                title=data["title"], address=data["address"], country="PL", beds=2, kind="room",
                available_from=TODAY, place="Kraków",
            )  # fmt: skip
            results.append(offers.create_offer(host, form_input, nonce=data["nonce"]).id)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and results[0] == results[1]
    assert count(app) == 1


def test_a_pin_wins_over_the_city_and_is_labelled_with_the_nearest_town(app, client, host):
    response = client.post("/offers/new", data=offer_data(place="Kraków", lat="52.2300", lon="21.0100"))
    assert response.status_code == 302
    offer = stored(app, 1)
    assert (offer.place_name, offer.lat, offer.lon) == ("Warszawa", 52.23, 21.01)
    edit = client.get("/offers/1/edit").get_data(as_text=True)
    assert 'value="52.23"' in edit and '<details class="mb-3" open>' in edit
    assert "Exact pin: 52.23, 21.01" in client.get("/offers/1").get_data(as_text=True)


def test_a_pin_without_a_city_is_enough(app, client, host):
    assert client.post("/offers/new", data=offer_data(place="", lat="50.0614", lon="19.9366")).status_code == 302
    assert stored(app, 1).place_name == "Kraków"


def test_an_ambiguous_city_asks_which_one_and_the_choice_is_kept(app, client, host):
    response = client.post("/offers/new", data=offer_data(place="Frankfurt", country="DE"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There are several places called “Frankfurt”." in field_error(html, "place_choice")
    assert 'type="radio" value="2925533"' in html and "Frankfurt (Oder) — 80 km from Berlin, Germany" in html
    assert count(app) == 0
    response = client.post("/offers/new", data=offer_data(place="Frankfurt", country="DE", place_choice="2925535"))
    assert response.status_code == 302
    assert (stored(app, 1).geoname_id, stored(app, 1).place_name) == (FRANKFURT_ODER, "Frankfurt (Oder)")
    # Editing without touching the place keeps the choice, without asking again.
    assert (
        client.post("/offers/1/edit", data=offer_data(place="Frankfurt (Oder)", country="DE", beds="3")).status_code
        == 302
    )
    assert stored(app, 1).geoname_id == FRANKFURT_ODER


def test_a_city_typed_in_english_is_stored_and_shown_in_its_local_form(app, client, host):
    response = client.post("/offers/new", data=offer_data(place="Warsaw", address="ul. Marszałkowska 1"))
    assert response.status_code == 302
    offer = stored(app, 1)
    assert (offer.place_name, offer.geoname_id) == ("Warszawa", WARSAW)
    assert "Warszawa, Poland" in client.get("/offers/1").get_data(as_text=True)
    assert "Warszawa, Poland" in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize(
    ("locale", "shown"), [("en", "Київ (Kyiv), Ukraine"), ("pl", "Київ (Kyiv), Ukraina"), ("uk", "Київ, Україна")]
)
def test_a_city_in_another_script_carries_its_latin_name_for_other_readers(app, client, host, locale, shown):
    assert (
        client.post("/offers/new", data=offer_data(place="Kiev", country="UA", address="вул. Хрещатик 1")).status_code
        == 302
    )
    assert (stored(app, 1).place_name, stored(app, 1).geoname_id) == ("Київ", KYIV)
    client.post("/language", data={"locale": locale})
    assert shown in client.get("/offers/1").get_data(as_text=True)
    # The edit form keeps the stored name, so saving it again changes nothing.
    assert 'value="Київ"' in client.get("/offers/1/edit").get_data(as_text=True)


def test_an_offer_stored_before_local_names_reads_locally_too(app, client, host):
    with app.app_context():
        factories.make_offer(host=db.session.get(User, host.id), place_name="Warsaw", geoname_id=WARSAW, country="PL")
    assert "Warszawa, Poland" in client.get("/dashboard").get_data(as_text=True)


def test_ambiguous_options_name_the_nearest_big_city_for_the_reader(app, client, host):
    html = client.post("/offers/new", data=offer_data(place="Vyshneve", country="UA")).get_data(as_text=True)
    assert "Vyshneve — 13 km from Київ (Kyiv), Ukraine" in html
    client.post("/language", data={"locale": "uk"})
    html = client.post("/offers/new", data=offer_data(place="Vyshneve", country="UA")).get_data(as_text=True)
    assert "13 км від Київ, Україна" in html


def test_the_offer_page_lists_open_proposals_with_household_composition_only(app, client, host):
    with app.app_context():
        offer = factories.make_offer(host=host, beds=5, shareable=True)
        refugee = factories.make_user(
            role="refugee", name="Olena Secret", phone="+380671112233", email="olena@example.org"
        )
        household = factories.make_request(refugee=refugee, adults=2, children=2, child_ages=["4", "9"], pets=True)
        db.session.add_all([
            Match(request_id=household.id, offer_id=offer.id, beds_held=4, status=MatchStatus.PROPOSED),
            Match(request_id=factories.make_request().id, offer_id=offer.id, beds_held=2, status=MatchStatus.DECLINED),
        ])  # fmt: skip
        db.session.commit()
        offer_id = offer.id
    html = client.get(f"/offers/{offer_id}").get_data(as_text=True)
    assert "2 adults, 2 children (ages 4, 9)" in html and "with a pet" in html
    assert "Proposed, waiting for answers" in html and "Declined" not in html
    assert "1 bed free now, of 5" in html
    for private in ("Olena", "+380671112233", "olena@example.org"):
        assert private not in html


def test_beds_cannot_drop_below_those_held_by_open_proposals(app, client, host):
    with app.app_context():
        offer = factories.make_offer(host=host, beds=4)
        db.session.add(Match(request_id=factories.make_request().id, offer_id=offer.id, beds_held=3))
        db.session.commit()
        offer_id = offer.id
    response = client.post(f"/offers/{offer_id}/edit", data=offer_data(place="Kraków", beds="2"))
    assert response.status_code == 422
    assert "3 beds are held by open proposals" in field_error(response.get_data(as_text=True), "beds")
    assert stored(app, offer_id).beds == 4


# --- authorization --------------------------------------------------------------------------------------------


@pytest.fixture
def other_hosts_offer(app):
    with app.app_context():
        owner = factories.make_user(role="host")
        return factories.make_offer(host=owner, title="Not yours", address="Secret street 5").id


def test_a_host_cannot_see_or_change_another_hosts_offer(app, client, host, other_hosts_offer):
    with app.app_context():
        factories.make_offer(host=host, title="Mine")
    oid = other_hosts_offer
    assert client.get(f"/offers/{oid}").status_code == 404
    assert client.get(f"/offers/{oid}/edit").status_code == 404
    assert client.post(f"/offers/{oid}/edit", data=offer_data(title="Hijacked")).status_code == 404
    assert client.post(f"/offers/{oid}/edit", data={"title": ""}).status_code == 404
    assert client.post(f"/offers/{oid}/status", data={"action": "withdraw"}).status_code == 404
    assert client.post(f"/offers/{oid}/confirm").status_code == 404
    assert client.get("/offers/999999").status_code == 404
    offer = stored(app, oid)
    assert (offer.title, offer.status) == ("Not yours", OfferStatus.ACTIVE)
    listing = client.get("/offers").get_data(as_text=True)
    assert "Mine" in listing and "Not yours" not in listing and "Secret street" not in listing


def test_a_refugee_gets_403_and_anonymous_is_sent_to_log_in(app, client, other_hosts_offer):
    for path in ("/offers/new", "/offers", f"/offers/{other_hosts_offer}/edit"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post("/offers/new", data=offer_data()).status_code == 302
    sign_in(app, client, "refugee")
    for path in ("/offers/new", "/offers", f"/offers/{other_hosts_offer}", f"/offers/{other_hosts_offer}/edit"):
        assert client.get(path).status_code == 403
    assert client.post("/offers/new", data=offer_data()).status_code == 403
    assert client.post(f"/offers/{other_hosts_offer}/status", data={"action": "pause"}).status_code == 403
    assert count(app) == 1


def test_a_coordinator_sees_the_address_and_each_view_is_audited(app, client, other_hosts_offer):
    coordinator = sign_in(app, client, "coordinator")
    for _ in range(2):
        html = client.get(f"/offers/{other_hosts_offer}").get_data(as_text=True)
        assert "Secret street 5" in html and "recorded in the audit log" in html
    assert client.get(f"/offers/{other_hosts_offer}/edit").status_code == 403
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "offer.address_viewed")).all()
    assert [(e.actor_id, e.subject_id) for e in events] == [(coordinator.id, other_hosts_offer)] * 2


def test_the_owner_viewing_their_own_address_is_not_audited(app, client, host):
    with app.app_context():
        offer_id = factories.make_offer(host=host).id
    client.get(f"/offers/{offer_id}")
    assert count(app, AuditEvent) == 0


def test_dates_default_to_today_and_open_ended(app, client, host):
    html = client.get("/offers/new").get_data(as_text=True)
    assert f'value="{TODAY.isoformat()}"' in html
    assert isinstance(TODAY, date)
