"""Fixtures for the match lifecycle: the people of one case, a compatible offer and request, a mail sink."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.extensions import db
from matcher.models import AuditEvent, Match, Notification
from tests import factories
from tests.smtp import smtp_server


@pytest.fixture
def case(app_ctx) -> factories.Case:
    return factories.make_case()


def count(model, *where) -> int:
    """Rows of a model, optionally filtered."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(subject_type: str, subject_id: int) -> list[str]:
    """The audit trail of one record, oldest first."""
    stmt = (
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(stmt))


def totals() -> tuple[int, int, int]:
    """(matches, audit events, notifications): what a refused use case must leave unchanged."""
    return count(Match), count(AuditEvent), count(Notification)


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on a free loopback port, with the app pointed at it."""
    with smtp_server() as sink:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
        monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
        monkeypatch.setitem(app.config, "MAIL_USERNAME", None)
        yield sink
