"""The coordinators' import (upload, preview, import) and export pages, and the export/import round trip."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from matcher.extensions import db
from matcher.models import AuditEvent, HousingRequest, Offer, Role, User
from matcher.services.transfer.imports import run_import
from tests import factories
from tests.conftest import fresh_database_url, make_app
from tests.transfer.samples import csv_bytes, offer_row, offers_csv, requests_csv

UPLOAD_ID = re.compile(r'name="upload_id" type="hidden" value="([^"]+)"')


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def upload(client, data: bytes, kind: str = "offers", name: str = "file.csv"):
    # Encoded here, in memory: the test client would spool a big body to a temporary file it never closes.
    boundary, body = encode_multipart({"kind": kind, "file": FileStorage(io.BytesIO(data), filename=name)})
    return client.post("/csv/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def upload_id(html: str) -> str:
    found = UPLOAD_ID.search(html) or re.search(r'value="([A-Za-z0-9_-]{22})"', html)
    assert found, html[:3000]
    return found.group(1)


@pytest.mark.slow
def test_a_coordinator_previews_then_imports_a_10000_row_file(app, client, login_as):
    login_as("coordinator")
    response = upload(client, offers_csv(10_000))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert 'data-count="rows">10000<' in html and 'data-count="errors">0<' in html
    assert "ngo-offer-0" in html and "host0@hosts.example" in html and "Kraków" in html  # the first rows
    assert count(app, Offer) == 0  # a preview writes nothing
    response = client.post("/csv/import/confirm", data={"upload_id": upload_id(html)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Import done" in html
    assert count(app, Offer) == 10_000 and count(app, User, User.role == Role.HOST) == 10_000


def test_a_broken_file_shows_every_error_and_no_import_button(app, client, login_as):
    login_as("coordinator")
    rows = [offer_row(0), offer_row(1, beds="many"), offer_row(2, host_email="not-an-email", kind="tent")]
    response = upload(client, csv_bytes(list(rows[0]) + ["colour"], rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-count="errors">3<' in html and "nothing will be imported" in html
    for cell in ("<td>3</td>", "beds", "host_email", "kind", "colour"):
        assert cell in html
    assert "/csv/import/confirm" not in html
    assert count(app, Offer) == 0 and count(app, User) == 1


def test_the_import_button_imports_only_this_sessions_upload(app, client, login_as):
    login_as("coordinator")
    upload(client, offers_csv(2))
    response = client.post("/csv/import/confirm", data={"upload_id": "A" * 22})
    assert response.status_code == 409 and count(app, Offer) == 0


def test_only_staff_import_and_export(client, login_as):
    assert client.get("/csv/").status_code == 302
    login_as("host")
    assert client.get("/csv/").status_code == 403
    assert upload(client, offers_csv(1)).status_code == 403
    assert client.post("/csv/export", data={"kind": "offers"}).status_code == 403


def test_export_leaves_out_contacts_unless_asked_with_a_purpose_and_audits_the_choice(app, client, login_as):
    login_as("coordinator")
    with app.app_context():
        host = factories.make_user(Role.HOST, email="anna@host.example", phone="+48601000111")
        factories.make_offer(host, address="ul. Secret 1")
    plain = client.post("/csv/export", data={"kind": "offers"})
    text = plain.get_data(as_text=True)
    assert plain.status_code == 200 and plain.mimetype == "text/csv"
    assert "anna@host.example" not in text and "Secret" not in text and "Kraków" in text
    refused = client.post("/csv/export", data={"kind": "offers", "include_private": "y"})
    assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
    full = client.post("/csv/export", data={"kind": "offers", "include_private": "y", "purpose": "hand-over"})
    assert "anna@host.example" in full.get_data(as_text=True) and "ul. Secret 1" in full.get_data(as_text=True)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export.offers")).all()
        assert [(e.details["include_private"], e.reason) for e in events] == [(False, None), (True, "hand-over")]


OFFER_FIELDS = ("title", "address", "place_name", "country", "lat", "lon", "beds", "shareable", "kind",
                "available_from", "available_until", "pets_ok", "children_ok", "step_free", "smoking_ok",
                "languages", "notes")  # fmt: skip
REQUEST_FIELDS = ("contact_name", "phone", "email", "adults", "children", "child_ages", "pets", "step_free_needed",
                  "languages", "place_name", "country", "lat", "lon", "max_distance_km", "needed_from",
                  "duration_days", "vulnerabilities", "other_needs")  # fmt: skip


def snapshot(app) -> dict:
    """Every offer and request by its exported external id, with its host's contact."""
    with app.app_context():
        offers = {
            (o.external_id or f"offer-{o.id}"): (tuple(getattr(o, f) for f in OFFER_FIELDS), o.host.email, o.host.name)
            for o in db.session.scalars(select(Offer))
        }
        requests = {
            (r.external_id or f"request-{r.id}"): tuple(getattr(r, f) for f in REQUEST_FIELDS)
            for r in db.session.scalars(select(HousingRequest))
        }
    return {"offers": offers, "requests": requests}


def test_round_trip_export_then_import_into_an_empty_database_gives_the_same_records(
    app, client, login_as, tmp_path_factory
):
    login_as("coordinator")
    with app.app_context():
        assert run_import("offers", io.BytesIO(offers_csv(12, notes="Quiet, near a park"))).imported
        assert run_import("requests", io.BytesIO(requests_csv(6, vulnerable="pregnancy;elderly"))).imported
        host = factories.make_user(Role.HOST, phone="+48601000999", name="Zofia Nowak")
        factories.make_offer(host, available_until=factories._today().replace(year=factories._today().year + 1))
        factories.make_request(factories.make_user(Role.REFUGEE), children=2, child_ages=["3", "9"])
    files = {}
    for kind in ("offers", "requests"):
        response = client.post("/csv/export", data={"kind": kind, "include_private": "y", "purpose": "round trip"})
        assert response.status_code == 200
        files[kind] = response.get_data()

    elsewhere = make_app(fresh_database_url(tmp_path_factory, "roundtrip"))
    try:
        with elsewhere.app_context():
            db.create_all()
            for kind in ("offers", "requests"):
                report = run_import(kind, io.BytesIO(files[kind]))
                assert report.imported, report.errors
        assert snapshot(elsewhere) == snapshot(app)
        assert len(snapshot(app)["offers"]) == 13 and len(snapshot(app)["requests"]) == 7
    finally:
        with elsewhere.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def test_matches_export(app, client, login_as):
    login_as("coordinator")
    with app.app_context():
        match = factories.make_match()
        match_id = match.id
    text = client.post("/csv/export", data={"kind": "matches"}).get_data(as_text=True)
    header, row = text.splitlines()[:2]
    assert header.startswith("match_id,request_external_id,offer_external_id,status")
    assert row.startswith(f"{match_id},request-") and ",proposed," in row
