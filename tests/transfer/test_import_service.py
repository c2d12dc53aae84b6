"""The CSV import service: all or nothing, every problem reported, idempotent, same rules as the forms."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import AuditEvent, HousingRequest, Notification, Offer, Role, SignedLink, User
from matcher.services.transfer.formats import OFFER_COLUMNS, REQUEST_COLUMNS
from matcher.services.transfer.imports import run_import
from tests import factories
from tests.transfer.samples import csv_bytes, in_days, offer_row, offers_csv, request_row, requests_csv


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def run(kind: str, data: bytes, **kwargs):
    return run_import(kind, io.BytesIO(data), **kwargs)


def test_offers_import_creates_hosts_without_passwords_and_invites_them(app_ctx):
    report = run("offers", offers_csv(6))
    assert report.ok and report.imported, report.errors
    assert (report.rows, report.created, report.updated, report.accounts_created) == (6, 6, 0, 6)
    host = db.session.scalar(select(User).where(User.email == "host1@hosts.example"))
    assert host.role is Role.HOST and host.password_hash is None
    offer = db.session.scalar(select(Offer).where(Offer.external_id == "ngo-offer-1"))
    assert offer.host_id == host.id and offer.beds == 2 and offer.kind.value == "flat" and offer.pets_ok
    assert offer.languages == ["pl", "en"] and offer.available_until is None
    assert (offer.approx_lat, offer.approx_lon) != (offer.lat, offer.lon)
    invitation = db.session.scalar(select(Notification).where(Notification.user_id == host.id))
    assert invitation.kind == "account.invited" and "Host 1" in invitation.body
    assert invitation.link.startswith("/account/set-password/") and invitation.link in invitation.body
    assert count(SignedLink, SignedLink.user_id == host.id, SignedLink.purpose == "account.set_password") == 1
    assert count(AuditEvent, AuditEvent.action == "import.offers") == 1


def test_a_broken_file_reports_every_problem_by_row_and_column_and_imports_nothing(app_ctx):
    factories.make_user(Role.REFUGEE, email="guest@x.example")
    rows = [
        offer_row(0),
        offer_row(1, beds="0", kind="castle"),
        offer_row(2, host_email="", available_from="2024-02-30", lat="91"),
        offer_row(3, city="Frankfurt", country="DE", lat="", lon=""),
        offer_row(4, host_email="guest@x.example"),
        offer_row(5, external_id="ngo-offer-0", available_until=in_days(-3000), languages="pl;xx", pets_ok="maybe"),
    ]
    report = run("offers", csv_bytes(OFFER_COLUMNS, rows))
    assert not report.ok and not report.imported
    found = {(p.row, p.column) for p in report.errors}
    assert found >= {
        (3, "beds"),
        (3, "kind"),
        (4, "host_email"),
        (4, "available_from"),
        (4, "lat"),
        (5, "city"),
        (6, "host_email"),
        (7, "languages"),
        (7, "pets_ok"),
        (7, "external_id"),
        (7, "available_until"),
    }, report.errors
    assert all(p.message for p in report.errors)
    assert count(Offer) == 0 and count(User, User.role == Role.HOST) == 0 and count(Notification) == 0


def test_reimporting_updates_instead_of_duplicating(app_ctx):
    assert run("offers", offers_csv(5)).imported
    first = {o.external_id: (o.id, o.approx_lat) for o in db.session.scalars(select(Offer))}
    again = run("offers", offers_csv(5, beds="3", title="Renamed"))
    assert again.imported and (again.created, again.updated, again.accounts_created) == (0, 5, 0)
    db.session.expire_all()
    offers = db.session.scalars(select(Offer)).all()
    assert len(offers) == 5 and all(o.beds == 3 and o.title == "Renamed" for o in offers)
    assert {o.external_id: (o.id, o.approx_lat) for o in offers} == first  # same rows, public points unmoved
    assert count(Notification) == 5  # hosts are invited once


def test_requests_import_registers_people_and_is_idempotent(app_ctx):
    report = run("requests", requests_csv(4))
    assert report.imported, report.errors
    assert (report.created, report.accounts_created, report.invitations) == (4, 4, 0)  # phone only: no mail
    found = db.session.scalar(select(HousingRequest).where(HousingRequest.external_id == "ngo-request-2"))
    assert found.refugee.role is Role.REFUGEE and found.refugee.password_hash is None
    assert (found.place_name, found.adults, found.children, found.child_ages) == ("Berlin", 2, 1, ["7"])
    assert found.phone == "+48601000002" and found.duration_days == 90 and found.languages == ["uk", "ru"]
    again = run("requests", requests_csv(4, adults="3"))
    assert again.imported and (again.created, again.updated) == (0, 4)
    assert count(HousingRequest) == 4 and count(HousingRequest, HousingRequest.adults == 3) == 4


def test_possible_duplicates_are_warnings(app_ctx):
    rows = [
        request_row(0),
        request_row(1, phone="+48601000000", external_id="other", city="Kraków", country="PL"),
        request_row(2),
    ]
    report = run("requests", csv_bytes(REQUEST_COLUMNS, rows))
    assert report.imported
    assert [(w.row, w.column) for w in report.warnings] == [(3, "phone")]
    assert "ngo-request-0" in report.warnings[0].message


def test_bom_any_column_order_unknown_columns_and_lat_lon_over_city(app_ctx):
    header = ["beds", "favourite_colour", "lon", "lat", "city", "country", "host_email"]
    rows = [["2", "blue", "13.41053", "52.52437", "Kraków", "PL", "a@b.example"]]
    report = run("offers", csv_bytes(header, rows, bom=True))
    assert report.imported, report.errors
    assert [(w.row, w.column) for w in report.warnings] == [(1, "favourite_colour")]
    offer = db.session.scalar(select(Offer))
    assert offer.place_name == "Berlin" and offer.title == "Room in Berlin" and offer.kind.value == "room"


def test_file_level_problems(app_ctx):
    assert [p.column for p in run("offers", b"host_email,title\n").errors] == ["beds"]
    assert run("offers", b"").errors[0].row == 1
    assert "UTF-8" in run("offers", "host_email,beds\nö@x.example,2\n".encode("latin-1")).errors[0].message
    assert not run("offers", b"host_email,beds\n").ok  # a header and nothing else


def test_dry_run_writes_nothing(app_ctx):
    report = run("offers", offers_csv(3), dry_run=True)
    assert report.ok and not report.imported and report.created == 3 and len(report.preview) == 3
    assert count(Offer) == 0 and count(User) == 0


@pytest.mark.parametrize("kind", ["offers", "requests"])
def test_cli_imports_and_fails_loudly(app, tmp_path, kind):
    good = tmp_path / "good.csv"
    good.write_bytes(offers_csv(3) if kind == "offers" else requests_csv(3))
    runner = app.test_cli_runner()
    result = runner.invoke(args=[f"import-{kind}", str(good)])
    assert result.exit_code == 0, result.output
    assert f"{kind}: 3 rows; imported: 3 created" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(offers_csv(2, beds="x") if kind == "offers" else requests_csv(2, adults="0"))
    result = runner.invoke(args=[f"import-{kind}", str(bad)])
    assert result.exit_code == 1
    assert "error: row 2, column" in result.output and "imported nothing" in result.output
