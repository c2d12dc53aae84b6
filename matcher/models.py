"""Database models (SQLAlchemy 2.0 typed). Columns carrying a unit or a privacy rule say so."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.extensions import db

EMAIL_MAX = 254
NAME_MAX = 120
PHONE_MAX = 20


def utcnow() -> datetime:
    """Aware UTC now; every timestamp in the database is UTC."""
    return datetime.now(UTC)


def enum_column(enum_cls: type[enum.Enum], length: int = 20) -> Enum:
    """Store an enum by its value as VARCHAR, with a CHECK constraint, identically on SQLite and PostgreSQL."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=enum_cls.__name__.lower(),
    )


class Role(enum.StrEnum):
    HOST = "host"
    REFUGEE = "refugee"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


SELF_SERVICE_ROLES = (Role.HOST, Role.REFUGEE)
STAFF_ROLES = (Role.COORDINATOR, Role.ADMIN)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="email_or_phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Private contact data: shown to the user, to coordinators (logged), and to a confirmed match's counterpart.
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), unique=True)  # stored case-folded
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # None for accounts created on someone's behalf (invited hosts, desk registrations) until claimed.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # Bumped on password change, so every other session of this user stops being valid.
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def login_name(self) -> str:
        return self.email or self.phone or ""

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class AuditEvent(db.Model):
    """Who did what, to which record, and why: state changes and every reveal of contact data."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
