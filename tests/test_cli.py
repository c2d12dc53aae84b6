"""The command-line interface, run the way an operator runs it (through Flask's CLI runner)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import BatchRow, BatchRun, HousingRequest, Offer, Role, User
from matcher.services.matching import forget_pool


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_user_makes_staff_and_refuses_duplicates_and_unknown_roles(app):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["create-user", "--email", "Boss@NGO.example", "--password", "a long admin passphrase",
                             "--role", "admin", "--name", "Chief"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "created admin boss@ngo.example" in ok.output
    duplicate = runner.invoke(args=["create-user", "--email", "boss@ngo.example", "--password", "another passphrase",
                                    "--role", "coordinator"])  # fmt: skip
    assert duplicate.exit_code != 0
    assert "An account with this email already exists." in duplicate.output
    unknown = runner.invoke(args=["create-user", "--email", "x@ngo.example", "--password", "a long passphrase here",
                                  "--role", "superuser"])  # fmt: skip
    assert unknown.exit_code != 0
    assert "unknown role 'superuser'" in unknown.output
    weak = runner.invoke(args=["create-user", "--email", "y@ngo.example", "--password", "short", "--role", "host"])
    assert weak.exit_code != 0 and "at least 10 characters" in weak.output
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "boss@ngo.example")) is Role.ADMIN
    assert count(app, User) == 1


def _snapshot(app):
    with app.app_context():
        offers = db.session.execute(
            select(
                Offer.place_name, Offer.beds, Offer.shareable, Offer.pets_ok, Offer.languages, Offer.approx_lat
            ).order_by(Offer.id)
        ).all()
        requests = db.session.execute(
            select(
                HousingRequest.place_name, HousingRequest.adults, HousingRequest.children, HousingRequest.pets
            ).order_by(HousingRequest.id)
        ).all()
    return [tuple(map(str, row)) for row in offers], [tuple(row) for row in requests]


def test_demo_data_is_seeded_realistic_and_reproducible(app):
    from tests.conftest import _empty_all_tables

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data", "--offers", "600", "--requests", "400", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "created 600 offers" in result.output and "400 requests" in result.output
    first = _snapshot(app)
    with app.app_context():
        sizes = [a + c for _, a, c, _ in first[1]]
        assert min(sizes) >= 1 and max(sizes) <= 6
        assert sum(s <= 2 for s in sizes) > len(sizes) / 2  # mostly small households
        pets = sum(p for *_, p in first[1]) / len(first[1])
        assert 0.08 < pets < 0.25
        countries = dict(
            db.session.execute(select(HousingRequest.country, func.count()).group_by(HousingRequest.country)).all()
        )
        assert countries.get("PL", 0) > 400 * 0.1  # demand gathers near the Ukrainian border
    _empty_all_tables(app)
    runner.invoke(args=["demo-data", "--offers", "600", "--requests", "400", "--seed", "5"])
    again = _snapshot(app)
    assert [row[:5] for row in again[0]] == [row[:5] for row in first[0]]
    assert again[1] == first[1]
    bad = runner.invoke(args=["demo-data", "--offers", "-3"])
    assert bad.exit_code != 0


def test_match_batch_prints_json_and_stores_the_proposal(app):
    runner = app.test_cli_runner()
    with app.app_context():
        forget_pool()
    runner.invoke(args=["demo-data", "--offers", "300", "--requests", "120", "--seed", "9"])
    dry = runner.invoke(args=["match-batch", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    summary = json.loads(dry.output)
    assert set(summary) >= {"households_open", "households_placed", "people_open", "people_placed",
                            "objective", "bound", "gap", "optimal", "seconds"}  # fmt: skip
    assert summary["households_open"] == 120
    assert 0 < summary["households_placed"] <= 120
    assert summary["objective"] <= summary["bound"] + 1e-6
    assert count(app, BatchRun) == 0
    stored = runner.invoke(args=["match-batch", "--json", "--time-limit", "5"])
    again = json.loads(stored.output)
    assert {k: v for k, v in again.items() if k not in {"seconds", "batch_id"}} == {
        k: v for k, v in summary.items() if k not in {"seconds", "batch_id"}
    }  # the same input gives the same proposal
    assert count(app, BatchRun) == 1
    assert count(app, BatchRow) == summary["households_placed"]
    text = runner.invoke(args=["match-batch", "--dry-run"])
    assert f"placed {summary['households_placed']} of 120 households" in text.output
