"""The safeguarding and privacy pages through the test client: host checks, sign-off, concerns, check-ins, the
admin's settings and audit log, and a person's export and deletion."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matcher.domain.lifecycle_states import MatchStatus
from matcher.extensions import db
from matcher.models import AuditEvent, CheckIn, Concern, HostCheck, Match, Offer, Role, User, utcnow
from matcher.services import jobs, links, matches
from tests import factories
from tests.conftest import TEST_PASSWORD


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def placement(app):
    """A household with children proposed to an unverified host living alone; plain ids and log-in names."""
    with app.app_context():
        case = factories.make_case(
            verified=False,
            offer={"household_adults": 1, "household_gender": "men", "beds": 3},
            request={"adults": 1, "children": 2, "child_ages": ["3", "7"]},
        )
        match = matches.propose(case.coordinator, case.request.id, case.offer.id)
        matches.accept(case.host, match.id)
        return {
            "match": match.id,
            "request": case.request.id,
            "offer": case.offer.id,
            "host_id": case.host.id,
            "host": case.host.email,
            "guest": case.refugee.email,
            "coordinator": case.coordinator.email,
            "address": case.offer.address,
        }


def test_the_second_acceptance_is_refused_with_the_missing_checks_and_the_host_page_records_them(
    app, client, auth, login_as, placement
):
    auth.login(placement["guest"])
    page = client.get(f"/matches/{placement['match']}").get_data(as_text=True)
    assert "complete the host&#39;s safety checks: ID seen, Video call" in page
    response = client.post(f"/matches/{placement['match']}/accept", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "cannot be confirmed yet" in html and "Home visit" in html and "Nothing was accepted" in html
    auth.logout()
    auth.login(placement["coordinator"])
    host_page = client.get(f"/coordinator/hosts/{placement['host_id']}").get_data(as_text=True)
    assert "Not verified" in host_page and placement["address"] not in host_page
    today = utcnow().date().isoformat()
    bad = client.post(f"/coordinator/hosts/{placement['host_id']}/checks", data={"kind": "id_seen"})
    assert bad.status_code == 422 and "Say when the check was done." in bad.get_data(as_text=True)
    future = (utcnow().date() + timedelta(days=2)).isoformat()
    bad = client.post(f"/coordinator/hosts/{placement['host_id']}/checks", data={"kind": "id_seen", "done_on": future})
    assert bad.status_code == 422 and "cannot be done in the future" in bad.get_data(as_text=True)
    assert _count(app, HostCheck) == 0
    for kind in ("id_seen", "video_call", "home_visit", "references", "criminal_record", "briefing"):
        response = client.post(
            f"/coordinator/hosts/{placement['host_id']}/checks",
            data={"kind": kind, "done_on": today, "note": "ok"},
        )
        assert response.status_code == 302
    assert "Verified host" in client.get(f"/coordinator/hosts/{placement['host_id']}").get_data(as_text=True)
    assert client.get(f"/coordinator/hosts/{placement['match']}999").status_code == 404


def test_a_second_coordinator_signs_off_on_the_case_page(app, client, auth, login_as, placement):
    with app.app_context():
        factories.verify_host(db.session.get(User, placement["host_id"]))
    auth.login(placement["coordinator"])
    case_page = client.get(f"/coordinator/requests/{placement['request']}").get_data(as_text=True)
    assert "a household with children" in case_page and "a host household of one adult man" in case_page
    assert "another coordinator must sign it off" in case_page
    response = client.post(f"/coordinator/matches/{placement['match']}/sign-off", follow_redirects=True)
    assert "another coordinator must give the second sign-off" in response.get_data(as_text=True)
    auth.logout()
    login_as("coordinator")
    assert "Sign off as second coordinator" in client.get(f"/coordinator/requests/{placement['request']}").get_data(
        as_text=True
    )
    response = client.post(f"/coordinator/matches/{placement['match']}/sign-off")
    assert response.status_code == 302 and response.headers["Location"].endswith("#safeguarding")
    assert client.post("/coordinator/matches/999999/sign-off").status_code == 404
    auth.logout()
    auth.login(placement["guest"])
    client.post(f"/matches/{placement['match']}/accept")
    with app.app_context():
        assert db.session.get(Match, placement["match"]).status is MatchStatus.CONFIRMED


def test_women_only_household_and_host_household_are_set_by_coordinators(app, client, login_as, placement):
    login_as("coordinator")
    assert (
        client.post(f"/coordinator/requests/{placement['request']}/women-only", data={"women_only": "x"}).status_code
        == 400
    )
    client.post(f"/coordinator/requests/{placement['request']}/women-only", data={"women_only": "1"})
    assert "Women-only household: yes" in client.get(f"/coordinator/requests/{placement['request']}").get_data(
        as_text=True
    )
    prefix = f"o{placement['offer']}-"
    response = client.post(
        f"/coordinator/offers/{placement['offer']}/household",
        data={"host_id": placement["host_id"], prefix + "adults": "2", prefix + "gender": "mixed"},
    )
    assert response.status_code == 302
    with app.app_context():
        offer = db.session.get(Offer, placement["offer"])
        assert (offer.household_adults, offer.household_gender.value) == (2, "mixed")
    bad = client.post(
        f"/coordinator/offers/{placement['offer']}/household",
        data={"host_id": placement["host_id"], prefix + "adults": "-3", prefix + "gender": "men"},
    )
    assert bad.status_code == 302
    with app.app_context():
        assert db.session.get(Offer, placement["offer"]).household_adults == 2


def test_a_hosts_contact_is_revealed_with_a_logged_reason(app, client, login_as, placement):
    login_as("coordinator")
    response = client.post(f"/coordinator/hosts/{placement['host_id']}/reveal", data={"reason": "home visit"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and placement["address"] in html and placement["host"] in html
    assert _count(app, AuditEvent, AuditEvent.action == "contact.revealed", AuditEvent.subject_type == "user") == 1
    empty = client.post(f"/coordinator/hosts/{placement['host_id']}/reveal", data={"reason": ""})
    assert empty.status_code == 302
    assert _count(app, AuditEvent, AuditEvent.action == "contact.revealed") == 1


def test_a_guest_reports_a_concern_and_the_case_jumps_to_the_top_of_the_queue(app, client, auth, placement):
    with app.app_context():
        for _ in range(3):
            factories.make_request(vulnerabilities=["infant"])
    auth.login(placement["guest"])
    assert "Report a concern" in client.get(f"/matches/{placement['match']}").get_data(as_text=True)
    empty = client.post(f"/matches/{placement['match']}/concern", data={"body": "  "})
    assert empty.status_code == 422 and "Tell us what worries you." in empty.get_data(as_text=True)
    response = client.post(f"/matches/{placement['match']}/concern", data={"body": "He asked for our passports."})
    assert response.status_code == 302
    page = client.get(f"/matches/{placement['match']}").get_data(as_text=True)
    assert "on hold" in page and "Yes, I accept" not in page
    auth.logout()
    auth.login(placement["coordinator"])
    queue = client.get("/coordinator/queue").get_data(as_text=True)
    first_case = queue.index(f"/coordinator/requests/{placement['request']}")
    assert 'data-testid="flagged"' in queue and all(
        first_case < queue.index(f"/coordinator/requests/{other}") for other in range(1, placement["request"])
    )
    case_page = client.get(f"/coordinator/requests/{placement['request']}").get_data(as_text=True)
    assert "passports" not in case_page and "Read (logged)" in case_page
    with app.app_context():
        concern_id = db.session.scalar(select(Concern.id))
    assert "passports" in client.get(f"/coordinator/concerns/{concern_id}").get_data(as_text=True)
    assert _count(app, AuditEvent, AuditEvent.action == "concern.viewed") == 1
    bad = client.post(f"/coordinator/concerns/{concern_id}/resolve", data={"resolution": ""})
    assert bad.status_code == 422
    client.post(f"/coordinator/concerns/{concern_id}/resolve", data={"resolution": "Spoke to the host."})
    assert _count(app, AuditEvent, AuditEvent.action.like("concern.%")) == 3
    assert client.get("/coordinator/concerns/999999").status_code == 404


def test_the_host_cannot_read_concerns_and_strangers_cannot_report(app, client, auth, login_as, placement):
    auth.login(placement["guest"])
    client.post(f"/matches/{placement['match']}/concern", data={"body": "worried"})
    auth.logout()
    auth.login(placement["host"])
    with app.app_context():
        concern_id = db.session.scalar(select(Concern.id))
    assert client.get(f"/coordinator/concerns/{concern_id}").status_code == 403
    auth.logout()
    login_as("refugee")
    assert client.post(f"/matches/{placement['match']}/concern", data={"body": "x"}).status_code == 404


def test_check_ins_are_answered_in_the_app_or_by_link(app, client, auth, placement):
    with app.app_context():
        factories.verify_host(db.session.get(User, placement["host_id"]))
        match = db.session.get(Match, placement["match"])
        match.signed_off_by_id = factories.make_user(Role.COORDINATOR).id
        db.session.commit()
        guest = db.session.scalar(select(User).where(User.email == placement["guest"]))
        matches.accept(guest, match.id)
        coordinator = db.session.scalar(select(User).where(User.email == placement["coordinator"]))
        matches.record_move_in(coordinator, match.id)
        jobs.run(utcnow() + timedelta(days=3, hours=1), send_mail=False)
        host_link = db.session.scalar(select(links.SignedLink).where(links.SignedLink.purpose == "checkin.answer"))
        token = links._serializer().dumps(host_link.nonce)
        other_user, guest_id = host_link.user_id, guest.id
    landing = client.get(f"/links/{token}")
    assert landing.status_code == 200 and "Are you safe, and is this working?" in landing.get_data(as_text=True)
    done = client.post(f"/links/{token}", data={"action": "no"})
    assert done.status_code == 200 and "Your coordinator will contact you soon" in done.get_data(as_text=True)
    assert client.post(f"/links/{token}", data={"action": "yes"}).status_code == 410
    login = placement["guest"] if other_user != guest_id else placement["host"]
    auth.login(login)
    page = client.get(f"/matches/{placement['match']}").get_data(as_text=True)
    assert "Yes, all is well" in page
    with app.app_context():
        checkin_id = db.session.scalar(select(CheckIn.id).where(CheckIn.answered_at.is_(None)))
    assert client.post(f"/matches/{placement['match']}/checkins/{checkin_id}", data={"answer": "?"}).status_code == 400
    response = client.post(f"/matches/{placement['match']}/checkins/{checkin_id}", data={"answer": "yes"})
    assert response.status_code == 302
    assert _count(app, CheckIn, CheckIn.answered_at.is_not(None)) == 2


def test_the_admin_sets_the_required_checks_and_reads_the_audit_log(app, client, login_as, placement):
    admin = login_as("admin")
    page = client.get("/admin/safeguarding").get_data(as_text=True)
    assert "Checks a host needs to be verified" in page and "checked" in page
    response = client.post("/admin/safeguarding", data={"required": ["id_seen"], "guest": ["children"], "host": []})
    assert response.status_code == 302
    bad = client.post("/admin/safeguarding", data={"required": ["astrology"]})
    assert bad.status_code == 422
    with app.app_context():
        for n in range(60):
            db.session.add(
                AuditEvent(action="contact.revealed", subject_type="request", subject_id=n, actor_id=admin.id)
            )
        db.session.commit()
    html = client.get("/admin/audit?action=contact.&actor=" + admin.email).get_data(as_text=True)
    assert "60 events" in html and "Page 1 of 2" in html
    assert "1 event" in client.get("/admin/audit?action=settings.").get_data(as_text=True)
    assert "No events match" in client.get("/admin/audit?actor=nobody@example.org").get_data(as_text=True)
    assert "Page 2 of 2" in client.get("/admin/audit?action=contact.&page=2").get_data(as_text=True)


def test_a_person_downloads_their_data_then_deletes_their_account(app, client, auth, login_as):
    user = login_as("host")
    with app.app_context():
        factories.make_offer(db.session.get(User, user.id), address="ul. Długa 5, Kraków")
    response = client.get("/account/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="matcher-data-{user.id}.json"'
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == user.email and data["offers"][0]["address"] == "ul. Długa 5, Kraków"
    assert "Delete my account" in client.get("/account/privacy").get_data(as_text=True)
    wrong = client.post("/account/delete", data={"password": "not it at all"})
    assert wrong.status_code == 422 and "The password is not right." in wrong.get_data(as_text=True)
    response = client.post("/account/delete", data={"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302  # logged out
    assert auth.login(user.email).status_code == 422  # the email is gone
    with app.app_context():
        assert db.session.get(User, user.id).deleted_at is not None
