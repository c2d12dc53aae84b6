"""Housing requests through the real forms: filing, every field rule, status words, withdrawal, privacy,
authorization, and the reception desk with its claim code."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from matcher.domain.vocabulary import RequestStatus
from matcher.extensions import db
from matcher.models import AuditEvent, HousingRequest, Role, User, utcnow
from tests import factories

TODAY = datetime.now(UTC).date()
LVIV = 702550
PASSWORD = "a sturdy passphrase 42"


def request_data(**overrides):
    data = {
        "contact_name": "Olena Kovalenko",
        "phone": "+380 67 123 4567",
        "email": "",
        "adults": "2",
        "children": "2",
        "child_ages": "4, 9",
        "pets": "y",
        "other_needs": "",
        "languages": ["uk", "ru"],
        "place": "Lwów",
        "country": "UA",
        "place_choice": "",
        "max_distance_km": "200",
        "needed_from": TODAY.isoformat(),
        "duration": "90",
        "duration_days": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def desk_data(**overrides):
    data = {
        "name": "Iryna Bondarenko",
        "phone": "+380 50 765 4321",
        "language": "uk",
        "adults": "1",
        "children": "1",
        "place": "Краків",
        "country": "PL",
        "needed_from": TODAY.isoformat(),
    }
    data.update(overrides)
    return data


def field_error(html: str, field: str) -> str:
    """The unescaped text of one field's error block, to prove the message sits beside the right field."""
    match = re.search(rf'id="{field}-error"[^>]*>\s*((?:<div>.*?</div>\s*)+)', html, re.S)
    assert match, f"no error shown beside {field}"
    return html_lib.unescape(match.group(1))


def sign_in(app, client, role: str = "refugee", **fields) -> User:
    """A new user of that role, signed in through the session (the log-in form itself is tested in test_auth)."""
    with app.app_context():
        user = factories.make_user(role=role, **fields)
        db.session.refresh(user)
        db.session.expunge(user)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return user


def count(app, model=HousingRequest) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored(app, request_id: int) -> HousingRequest:
    with app.app_context():
        found = db.session.get(HousingRequest, request_id)
        db.session.expunge(found)
        return found


@pytest.fixture
def refugee(app, client):
    return sign_in(app, client, "refugee", name="Olena Kovalenko", email=None, phone="+380671234567")


def test_a_family_of_four_with_a_dog_asks_for_a_place_near_lwow(app, client, refugee):
    form = client.get("/requests/new").get_data(as_text=True)
    assert 'value="Olena Kovalenko"' in form and 'value="+380671234567"' in form  # pre-filled from the account
    response = client.post("/requests/new", data=request_data(nonce="request-nonce-1"))
    assert response.status_code == 302
    request_id = int(response.headers["Location"].rsplit("/", 1)[1])
    found = stored(app, request_id)
    assert (found.place_name, found.country, found.geoname_id) == ("Львів", "UA", LVIV)
    assert (found.adults, found.children, found.child_ages, found.pets) == (2, 2, ["4", "9"], True)
    assert (found.max_distance_km, found.duration_days, found.needed_from) == (200, 90, TODAY)
    assert (found.phone, found.email, found.languages) == ("+380671234567", None, ["uk", "ru"])
    assert found.status is RequestStatus.OPEN and found.created_by_id == refugee.id
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "We are looking for a place for you." in page
    assert "2 adults, 2 children (ages 4, 9)" in page and "Львів (Lviv), Ukraine, up to 200 km away" in page
    assert "3 months" in page and "With a pet" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Near Львів (Lviv)" in dashboard and "We are looking for a place for you." in dashboard
    assert "Ask for a place to stay" not in dashboard
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == request_id)) == (
            "request.created"
        )


def test_another_duration_and_vulnerabilities_are_stored(app, client, refugee):
    data = request_data(duration="other", duration_days="45", vulnerabilities=["pregnancy", "infant"], children="0",
                        child_ages="", email="olena@example.org", phone="")  # fmt: skip
    assert client.post("/requests/new", data=data).status_code == 302
    found = stored(app, 1)
    assert (found.duration_days, found.vulnerabilities, found.child_ages) == (45, ["pregnancy", "infant"], [])
    assert (found.email, found.phone) == ("olena@example.org", None)
    page = client.get("/requests/1").get_data(as_text=True)
    assert "45 days" in page and "Pregnancy, Baby under 2" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"adults": "0"}, "adults", "Give between 1 and 20 adults."),
        ({"adults": "21"}, "adults", "Give between 1 and 20 adults."),
        ({"adults": "two"}, "adults", "Not a valid integer value."),
        ({"children": "21", "child_ages": ""}, "children", "Give between 0 and 20 children."),
        ({"children": "-1"}, "children", "Give between 0 and 20 children."),
        ({"child_ages": "4, nine"}, "child_ages", "“nine” is not an age."),
        ({"child_ages": "4, 4.5"}, "child_ages", "“4.5” is not an age."),
        ({"child_ages": "4, 40"}, "child_ages", "A child is 0 to 17 years old; 40 is not a child's age."),
        ({"child_ages": "4, -1"}, "child_ages", "“-1” is not an age."),
        ({"child_ages": "4"}, "child_ages", "Give one age for each child: 2, separated by commas."),
        ({"child_ages": ""}, "child_ages", "Give one age for each child: 2, separated by commas."),
        ({"children": "0", "child_ages": "5"}, "child_ages", "Give one age for each child: 0"),
        ({"max_distance_km": "0"}, "max_distance_km", "Give a distance from 1 to 3,000 km."),
        ({"max_distance_km": "3001"}, "max_distance_km", "Give a distance from 1 to 3,000 km."),
        ({"needed_from": "1900-05-01"}, "needed_from", "This date is more than a year ago."),
        ({"needed_from": "2200-05-01"}, "needed_from", "This date is more than two years ahead."),
        ({"needed_from": "soon"}, "needed_from", "Not a valid date value."),
        ({"duration": "other", "duration_days": ""}, "duration_days", "Give a number of days from 1 to 730."),
        ({"duration": "other", "duration_days": "0"}, "duration_days", "Give a number of days from 1 to 730."),
        ({"duration": "other", "duration_days": "9999"}, "duration_days", "Give a number of days from 1 to 730."),
        ({"duration": "forever"}, "duration", "Choose how long from the list."),
        ({"languages": ["uk", "klingon"]}, "languages", "Choose languages from the list."),
        ({"vulnerabilities": ["vip"]}, "vulnerabilities", "Choose from the list."),
        ({"other_needs": "n" * 50_000}, "other_needs", "Field cannot be longer than 5000 characters."),
        ({"email": "not-an-email", "phone": ""}, "email", "Enter a valid email address."),
        ({"email": "", "phone": ""}, "phone", "Give a phone number or an email address"),
        ({"phone": "12"}, "phone", "Enter the number with its country code"),
        ({"contact_name": ""}, "contact_name", "This field is required."),
        ({"contact_name": "<script>x</script>"}, "contact_name", "Use letters, spaces, hyphens and apostrophes only."),
        ({"place": ""}, "place", "Enter a city or town."),
        ({"place": "Qwertzuiopville"}, "place", "We could not find “Qwertzuiopville” in Ukraine."),
        ({"country": "CN"}, "country", "Choose a country from the list."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_beside_its_field_and_stores_nothing(app, client, refugee, overrides, field, message):
    response = client.post("/requests/new", data=request_data(**overrides))
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert count(app) == 0


def test_markup_in_free_text_is_stored_as_text_and_shown_escaped(app, client, refugee):
    script = '<script>alert("needs")</script>'
    assert client.post("/requests/new", data=request_data(other_needs=script)).status_code == 302
    assert stored(app, 1).other_needs == script
    page = client.get("/requests/1").get_data(as_text=True)
    assert script not in page and "&lt;script&gt;alert(&#34;needs&#34;)&lt;/script&gt;" in page


def test_an_ambiguous_desired_place_asks_which_one(app, client, refugee):
    response = client.post("/requests/new", data=request_data(place="Frankfurt", country="DE"))
    assert response.status_code == 422
    assert "Choose the one you mean." in field_error(response.get_data(as_text=True), "place_choice")
    response = client.post("/requests/new", data=request_data(place="Frankfurt", country="DE", place_choice="2925533"))
    assert response.status_code == 302 and stored(app, 1).place_name == "Frankfurt am Main"


def test_a_repeated_submission_files_one_request_and_a_second_open_one_is_refused(app, client, refugee):
    data = request_data(nonce="same-nonce-twice")
    first, second = client.post("/requests/new", data=data), client.post("/requests/new", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    response = client.post("/requests/new", data=request_data(nonce="a-different-nonce"))
    assert response.status_code == 422
    assert "You already have an open request." in response.get_data(as_text=True)
    assert count(app) == 1
    assert client.get("/requests/new").headers["Location"] == "/requests/1"


def test_the_person_edits_then_withdraws_their_request(app, client, refugee):
    client.post("/requests/new", data=request_data())
    form = client.get("/requests/1/edit").get_data(as_text=True)
    assert 'value="4, 9"' in form and 'value="Львів"' in form
    edited = request_data(place="Lviv", adults="3", children="1", child_ages="12", duration="365", pets=None)
    assert client.post("/requests/1/edit", data=edited).status_code == 302
    found = stored(app, 1)
    assert (found.adults, found.children, found.child_ages, found.duration_days, found.pets) == (
        3,
        1,
        ["12"],
        365,
        False,
    )
    assert client.post("/requests/1/withdraw").status_code == 302
    assert stored(app, 1).status is RequestStatus.CLOSED
    page = client.get("/requests/1").get_data(as_text=True)
    assert "This request is closed." in page and "Withdraw the request" not in page
    assert client.get("/requests/1/edit").status_code == 302
    assert client.post("/requests/1/edit", data=edited).status_code == 422
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["request.created", "request.updated", "request.withdrawn"]
    # With the old one closed, a new request may be filed.
    assert client.post("/requests/new", data=request_data()).status_code == 302


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (RequestStatus.OPEN, "We are looking for a place for you."),
        (RequestStatus.MATCHED, "A place has been proposed to you."),
        (RequestStatus.HOUSED, "You have a place to stay."),
        (RequestStatus.CLOSED, "This request is closed."),
    ],
)
def test_the_status_page_says_where_the_case_stands_in_plain_words(app, client, refugee, status, words):
    with app.app_context():
        request_id = factories.make_request(refugee=db.session.get(User, refugee.id), status=status).id
    assert words in client.get(f"/requests/{request_id}").get_data(as_text=True)


def test_the_status_page_speaks_the_persons_language(app, client, refugee):
    with app.app_context():
        request_id = factories.make_request(refugee=db.session.get(User, refugee.id), place_name="Lviv").id
        db.session.get(User, refugee.id).locale = "uk"
        db.session.commit()
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert '<html lang="uk">' in page
    assert "Україна" in page  # country names come from Babel in the reader's language
    # A row stored before local names ("Lviv") reads in its local form, without the Latin name for a Ukrainian.
    assert "Львів, Україна" in page and "(Lviv)" not in page


def test_a_place_wanted_in_english_is_stored_in_its_local_form_and_found_by_either_name(app, client, refugee, login_as):
    response = client.post("/requests/new", data=request_data(place="Warsaw", country="PL"))
    assert response.status_code == 302
    assert stored(app, 1).place_name == "Warszawa"
    assert "Warszawa, Poland, up to 200 km away" in client.get("/requests/1").get_data(as_text=True)
    login_as("coordinator")
    for query in ("Warsaw", "Warszawa", "Варшава", "warschau"):
        assert "/coordinator/requests/1" in client.get("/coordinator/queue", query_string={"q": query}).get_data(
            as_text=True
        ), query
    assert "/coordinator/requests/1" not in client.get("/coordinator/queue?q=Kyiv").get_data(as_text=True)


# --- authorization and privacy -----------------------------------------------------------------------------


@pytest.fixture
def someone_elses_request(app):
    with app.app_context():
        other = factories.make_user(role="refugee", name="Maria Other", phone="+380509998877")
        return factories.make_request(refugee=other, contact_name="Maria Other", phone="+380509998877").id


def test_a_refugee_cannot_see_or_change_another_persons_request(app, client, refugee, someone_elses_request):
    rid = someone_elses_request
    assert client.get(f"/requests/{rid}").status_code == 404
    assert client.get(f"/requests/{rid}/edit").status_code == 404
    assert client.post(f"/requests/{rid}/edit", data=request_data(adults="9")).status_code == 404
    assert client.post(f"/requests/{rid}/withdraw").status_code == 404
    assert client.get("/requests/424242").status_code == 404
    found = stored(app, rid)
    assert (found.status, found.adults) == (RequestStatus.OPEN, 2)
    assert "Maria Other" not in client.get("/dashboard").get_data(as_text=True)


def test_other_roles_get_403_and_anonymous_is_sent_to_log_in(app, client, someone_elses_request):
    rid = someone_elses_request
    for path in ("/requests/new", f"/requests/{rid}", f"/requests/{rid}/edit", "/desk/requests/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    sign_in(app, client, "host")
    for path in ("/requests/new", f"/requests/{rid}", f"/requests/{rid}/edit", "/desk/requests/new"):
        assert client.get(path).status_code == 403
    assert client.post("/requests/new", data=request_data()).status_code == 403
    assert client.post(f"/requests/{rid}/withdraw").status_code == 403
    assert client.post("/desk/requests/new", data=desk_data()).status_code == 403
    sign_in(app, client, "refugee")
    assert client.get("/desk/requests/new").status_code == 403
    assert client.post("/desk/requests/new", data=desk_data()).status_code == 403
    assert count(app) == 1 and count(app, User) == 3


def test_a_coordinator_sees_contact_details_and_each_view_is_audited(app, client, someone_elses_request):
    coordinator = sign_in(app, client, "coordinator")
    for _ in range(2):
        page = client.get(f"/requests/{someone_elses_request}").get_data(as_text=True)
        assert "+380509998877" in page and "recorded in the audit log" in page
    assert client.get(f"/requests/{someone_elses_request}/edit").status_code == 403
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "request.contact_viewed")).all()
    assert [(e.actor_id, e.subject_id) for e in events] == [(coordinator.id, someone_elses_request)] * 2


# --- the reception desk and the claim code -----------------------------------------------------------------


def claim_code_on(page: str) -> str:
    match = re.search(r"data-claim-code>([A-Z0-9-]+)<", page)
    assert match, "no claim code shown"
    return match.group(1)


def test_a_coordinator_registers_a_person_at_the_desk_and_sees_the_claim_code_once(app, client):
    coordinator = sign_in(app, client, "coordinator")
    response = client.post("/desk/requests/new", data=desk_data(nonce="desk-nonce-1"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    code = claim_code_on(page)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code)
    assert "Claim code for Iryna Bondarenko" in page
    assert "data-claim-code" not in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        person = db.session.scalar(select(User).where(User.phone == "+380507654321"))
        found = db.session.scalar(select(HousingRequest))
        assert (person.role, person.password_hash, person.locale, person.name) == (
            Role.REFUGEE, None, "uk", "Iryna Bondarenko"
        )  # fmt: skip
        assert person.claim_code_hash and code.replace("-", "") not in person.claim_code_hash
        assert (found.refugee_id, found.created_by_id, found.languages) == (person.id, coordinator.id, ["uk"])
        assert (found.adults, found.children, found.place_name, found.country) == (1, 1, "Kraków", "PL")


def test_the_desk_form_refuses_bad_input_beside_its_field(app, client):
    sign_in(app, client, "coordinator")
    for overrides, field, message in [
        ({"phone": ""}, "phone", "Enter the person's phone number."),
        ({"phone": "12345"}, "phone", "Enter the number with its country code"),
        ({"language": "xx"}, "language", "Choose a language from the list."),
        ({"adults": "0"}, "adults", "Give between 1 and 20 adults."),
        ({"place": "Qwertzuiopville"}, "place", "We could not find"),
        ({"needed_from": "2200-01-01"}, "needed_from", "more than two years ahead"),
    ]:
        response = client.post("/desk/requests/new", data=desk_data(**overrides))
        assert response.status_code == 422, overrides
        assert message in field_error(response.get_data(as_text=True), field)
    assert count(app) == 0 and count(app, User) == 1


def test_a_repeated_desk_submission_registers_once_and_shows_a_fresh_working_code(app, client):
    sign_in(app, client, "coordinator")
    data = desk_data(nonce="desk-double-click")
    first = client.post("/desk/requests/new", data=data)
    first_code = claim_code_on(client.get(first.headers["Location"]).get_data(as_text=True))
    second = client.post("/desk/requests/new", data=data)
    assert second.headers["Location"] == first.headers["Location"]
    second_code = claim_code_on(client.get(second.headers["Location"]).get_data(as_text=True))
    assert count(app) == 1 and count(app, User) == 2
    person = app.test_client()
    refused = person.post("/auth/claim", data={"login": "+380507654321", "code": first_code, "password": PASSWORD,
                                                "confirm": PASSWORD})  # fmt: skip
    assert refused.status_code == 422 or first_code == second_code
    ok = person.post("/auth/claim", data={"login": "+380507654321", "code": second_code, "password": PASSWORD,
                                          "confirm": PASSWORD})  # fmt: skip
    assert ok.status_code == 302


def test_a_desk_registration_with_a_phone_that_has_an_account_is_refused(app, client):
    with app.app_context():
        factories.make_user(role="refugee", phone="+380507654321", email=None)
    sign_in(app, client, "coordinator")
    response = client.post("/desk/requests/new", data=desk_data())
    assert response.status_code == 422
    assert "already exists" in field_error(response.get_data(as_text=True), "phone")
    assert count(app) == 0


@pytest.fixture
def desk_registered(app, client):
    """A desk registration by a coordinator; returns the claim code and logs the coordinator out."""
    sign_in(app, client, "coordinator")
    response = client.post("/desk/requests/new", data=desk_data())
    code = claim_code_on(client.get(response.headers["Location"]).get_data(as_text=True))
    client.post("/auth/logout")
    return code


def test_a_claim_code_stops_working_after_claim_code_days(app, client, desk_registered):
    code = desk_registered
    with app.app_context():
        person = db.session.scalar(select(User).where(User.phone == "+380507654321"))
        days_left = person.claim_code_expires_at - utcnow()
        assert timedelta(days=29) < days_left <= timedelta(days=app.config["CLAIM_CODE_DAYS"])
        person.claim_code_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    late = client.post("/auth/claim", data={"login": "+380 50 765 4321", "code": code, "password": PASSWORD,
                                            "confirm": PASSWORD})  # fmt: skip
    assert late.status_code == 422
    assert "This code has expired." in field_error(late.get_data(as_text=True), "code")
    with app.app_context():
        person = db.session.scalar(select(User).where(User.phone == "+380507654321"))
        assert person.password_hash is None and person.claim_code_hash
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == person.id)).all()
        assert "user.claim_expired" in actions


def test_the_person_claims_the_account_with_phone_and_code(app, client, desk_registered):
    code = desk_registered
    wrong = client.post("/auth/claim", data={"login": "+380 50 765 4321", "code": "ABCD-EFGH", "password": PASSWORD,
                                             "confirm": PASSWORD})  # fmt: skip
    assert wrong.status_code == 422
    assert "This code does not match." in field_error(wrong.get_data(as_text=True), "code")
    typed = code.lower().replace("-", " ")  # read aloud and typed loosely
    response = client.post("/auth/claim", data={"login": "+380 50 765 4321", "code": typed, "password": PASSWORD,
                                                "confirm": PASSWORD})  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    dashboard = client.get("/dashboard").get_data(as_text=True)
    # The desk recorded Ukrainian as her language, so her first page is already in Ukrainian.
    assert '<html lang="uk">' in dashboard and "Iryna Bondarenko" in dashboard and "Kraków" in dashboard
    with app.app_context():
        person = db.session.scalar(select(User).where(User.phone == "+380507654321"))
        assert person.password_hash and person.claim_code_hash is None
    client.post("/auth/logout")
    again = client.post("/auth/claim", data={"login": "+380507654321", "code": code, "password": PASSWORD,
                                             "confirm": PASSWORD})  # fmt: skip
    assert again.status_code == 422  # the code worked once
    assert client.post("/auth/login", data={"login": "+380507654321", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"login": "+48 601 000 000"}, "code", "This code does not match."),
        ({"login": "nobody@example.org"}, "code", "This code does not match."),
        ({"password": "short", "confirm": "short"}, "password", "Field must be between 10 and 200 characters long."),
        ({"password": "qwertyuiop", "confirm": "qwertyuiop"}, "password", "This password is too common."),
        ({"confirm": "something else"}, "confirm", "The two passwords differ."),
        ({"code": ""}, "code", "This field is required."),
    ],
)
def test_bad_claims_are_refused_beside_their_field(app, client, desk_registered, overrides, field, message):
    data = {"login": "+380507654321", "code": desk_registered, "password": PASSWORD, "confirm": PASSWORD, **overrides}
    response = client.post("/auth/claim", data=data)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.phone == "+380507654321")).password_hash is None


def test_a_claimed_account_cannot_be_claimed_again_and_a_password_account_never_could(app, client):
    with app.app_context():
        factories.make_user(role="refugee", phone="+380501112233", email=None)
    response = client.post("/auth/claim", data={"login": "+380501112233", "code": "ABCDEFGH", "password": PASSWORD,
                                                "confirm": PASSWORD})  # fmt: skip
    assert response.status_code == 422


def test_claiming_is_rate_limited_per_account(database_url, app, app_factory):
    limited = app_factory(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    client = limited.test_client()
    data = {"login": "+380507654321", "code": "WRONG-CODE", "password": PASSWORD, "confirm": PASSWORD}
    statuses = [client.post("/auth/claim", data=data).status_code for _ in range(4)]
    with limited.app_context():
        db.engine.dispose()  # this app's own pool: close its connections now, not at garbage collection
    assert statuses == [422, 422, 422, 429]


def test_signing_up_with_a_desk_registered_phone_points_to_the_claim_page(app, client, desk_registered):
    response = client.post("/auth/signup", data={"role": "refugee", "name": "Iryna B", "email": "", "phone":
                           "+380507654321", "password": PASSWORD, "confirm": PASSWORD, "locale": "uk"})  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This number was registered at a help desk. Use the claim code you were given." in field_error(html, "phone")
    assert 'href="/auth/claim"' in html
    assert count(app, User) == 2


def test_the_request_dates_window_moves_with_today(app, client, refugee):
    a_year_ago = (TODAY - timedelta(days=365)).isoformat()
    assert client.post("/requests/new", data=request_data(needed_from=a_year_ago)).status_code == 302
