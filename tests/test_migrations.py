"""The schema comes only from migrations: upgrading a fresh database must give exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint

from matcher.extensions import db
from tests.conftest import fresh_database_url, make_app


def test_migrations_build_the_same_schema_as_the_models(tmp_path_factory):
    app = make_app(fresh_database_url(tmp_path_factory, "migrations"))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            drift = compare_metadata(context, db.metadata)
        assert drift == [], f"models and migrations differ: {drift}"
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


def test_migrations_build_the_same_check_constraints_as_the_models(tmp_path_factory):
    # Alembic's comparison ignores CHECK constraints, and they are this schema's guards against nonsense data.
    app = make_app(fresh_database_url(tmp_path_factory, "checks"))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            inspector = db.inspect(connection)
            for table in db.metadata.sorted_tables:
                in_database = {c["name"] for c in inspector.get_check_constraints(table.name)}
                in_models = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
                assert in_models <= in_database, f"{table.name}: migrations lack {in_models - in_database}"
        db.engine.dispose()
