"""Database models (SQLAlchemy 2.0 typed). Columns carrying a unit or a privacy rule say so."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcher.domain.lifecycle_states import HOLDING_STATES, MatchStatus
from matcher.domain.safeguarding import CheckInKind, CheckKind, HouseholdGender
from matcher.domain.vocabulary import OfferStatus, PlaceKind, RequestStatus
from matcher.extensions import CodeList, db

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
    # A deleted account keeps its row (placements keep their statistics) with every personal field erased.
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL", name="email_or_phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Private contact data: shown to the user, to coordinators (logged), and to a confirmed match's counterpart.
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX), unique=True)  # stored case-folded
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # None for accounts created on someone's behalf (invited hosts, desk registrations) until claimed.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # A desk registration's one-time claim code, hashed like a password; cleared once the account is claimed.
    claim_code_hash: Mapped[str | None] = mapped_column(String(255))
    claim_code_expires_at: Mapped[datetime | None]  # a code on paper can be lost: it stops working then
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)  # staff are a few among 100k+ hosts
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # Bumped on password change, so every other session of this user stops being valid.
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]  # the person deleted the account: name, email, phone and password erased

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


TITLE_MAX = 120
ADDRESS_MAX = 300
PLACE_MAX = 120
TEXT_MAX = 5000  # free-text fields (description, needs, notes), in characters
EXTERNAL_ID_MAX = 100


class Offer(db.Model):
    """A place a host offers. Exact address and point are private; the approximate point is what maps show."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("beds >= 1 AND beds <= 50", name="beds_range"),
        CheckConstraint("available_until IS NULL OR available_until >= available_from", name="dates_ordered"),
        CheckConstraint("lat >= -90 AND lat <= 90 AND lon >= -180 AND lon <= 180", name="exact_point_valid"),
        CheckConstraint(
            "household_adults IS NULL OR (household_adults >= 0 AND household_adults <= 20)",
            name="household_adults_range",
        ),
        Index("ix_offers_status_approx", "status", "approx_lat", "approx_lon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX), unique=True)  # from CSV imports
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    # Private: the owner, coordinators (each reveal audited) and, after confirmation, the matched guest.
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), default="")
    place_name: Mapped[str] = mapped_column(String(PLACE_MAX))  # the city as the gazetteer names it, public
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    geoname_id: Mapped[int | None]
    lat: Mapped[float]  # exact, private, degrees WGS84
    lon: Mapped[float]  # exact, private, degrees WGS84
    approx_lat: Mapped[float]  # public: 1-3 km (farther where sparse) from the exact point, stable per place
    approx_lon: Mapped[float]
    beds: Mapped[int]
    shareable: Mapped[bool] = mapped_column(default=False)  # more than one household may stay at once
    kind: Mapped[PlaceKind] = mapped_column(enum_column(PlaceKind))
    available_from: Mapped[date]
    available_until: Mapped[date | None]  # None: open-ended
    pets_ok: Mapped[bool] = mapped_column(default=False)
    children_ok: Mapped[bool] = mapped_column(default=True)
    step_free: Mapped[bool] = mapped_column(default=False)
    smoking_ok: Mapped[bool] = mapped_column(default=False)
    languages: Mapped[list[str]] = mapped_column(CodeList(120), default=list)  # ISO 639-1 codes
    notes: Mapped[str] = mapped_column(Text, default="")
    # Who lives at the place, for the safeguarding risk rules (coordinators only): adults living there (0 for a
    # place of its own, None while not recorded) and whether they are women, men or both.
    household_adults: Mapped[int | None]
    household_gender: Mapped[HouseholdGender | None] = mapped_column(enum_column(HouseholdGender, 10))
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus), default=OfferStatus.ACTIVE, index=True)
    last_confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)  # drives freshness
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Indexed: the matching pool cache compares max(updated_at) to know when to reload.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    host: Mapped[User] = relationship()
    matches: Mapped[list[Match]] = relationship(back_populates="offer", order_by="Match.id")

    @property
    def beds_held(self) -> int:
        """Beds held by open matches (proposed, accepted, confirmed or moved in)."""
        return sum(m.beds_held for m in self.matches if m.status in HOLDING_STATES)

    @property
    def free_beds(self) -> int:
        """Beds free now; a place that is not shareable has none while any match holds it."""
        open_matches = [m for m in self.matches if m.status in HOLDING_STATES]
        if open_matches and not self.shareable:
            return 0
        return max(self.beds - self.beds_held, 0)


class HousingRequest(db.Model):
    """A household's need for a place. Contact details are private to the person and coordinators."""

    __tablename__ = "housing_requests"
    __table_args__ = (
        CheckConstraint("adults >= 1 AND adults <= 20", name="adults_range"),
        CheckConstraint("children >= 0 AND children <= 20", name="children_range"),
        CheckConstraint("max_distance_km >= 1 AND max_distance_km <= 3000", name="distance_range"),
        CheckConstraint("duration_days >= 1", name="duration_positive"),
        CheckConstraint("lat >= -90 AND lat <= 90 AND lon >= -180 AND lon <= 180", name="point_valid"),
        Index("ix_housing_requests_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refugee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX), unique=True)
    # Private contact details: the person, coordinators (audited) and, after confirmation, the host.
    contact_name: Mapped[str] = mapped_column(String(NAME_MAX))
    phone: Mapped[str | None] = mapped_column(String(PHONE_MAX))  # E.164
    email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    adults: Mapped[int]
    children: Mapped[int] = mapped_column(default=0)
    child_ages: Mapped[list[str]] = mapped_column(CodeList(80), default=list)  # years, one per child
    pets: Mapped[bool] = mapped_column(default=False)
    step_free_needed: Mapped[bool] = mapped_column(default=False)
    other_needs: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(CodeList(120), default=list)  # ISO 639-1 codes
    place_name: Mapped[str] = mapped_column(String(PLACE_MAX))  # desired city, as the gazetteer names it
    country: Mapped[str] = mapped_column(String(2))
    geoname_id: Mapped[int | None]
    lat: Mapped[float]  # the desired city's point (a city centre, not a home), degrees
    lon: Mapped[float]
    max_distance_km: Mapped[int]  # km the household can travel from the desired place
    needed_from: Mapped[date]
    duration_days: Mapped[int]
    vulnerabilities: Mapped[list[str]] = mapped_column(CodeList(120), default=list)
    women_only: Mapped[bool] = mapped_column(default=False)  # a women-only household (safeguarding risk rules)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus), default=RequestStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Contact details and free text erased (account deleted, or the retention period passed); counts stay.
    anonymised_at: Mapped[datetime | None]

    refugee: Mapped[User] = relationship(foreign_keys=[refugee_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    matches: Mapped[list[Match]] = relationship(back_populates="request", order_by="Match.id")
    open_concerns: Mapped[list[Concern]] = relationship(
        primaryjoin="and_(Concern.request_id == HousingRequest.id, Concern.status == 'open')",
        viewonly=True,
        order_by="Concern.id",
    )

    @property
    def household_size(self) -> int:
        return self.adults + self.children

    @property
    def first_name(self) -> str:
        """What a host may see before confirmation: the first word of the contact name."""
        return (self.contact_name or "").split(" ")[0]


class Match(db.Model):
    """One request placed in one offer; it holds beds while its status is open."""

    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint("beds_held >= 1", name="beds_held_positive"),
        CheckConstraint("beds_held <= 50", name="beds_held_max"),
        CheckConstraint("ended_at IS NULL OR moved_in_at IS NULL OR ended_at >= moved_in_at", name="stay_ordered"),
        # One signer is one coordinator: whoever proposed cannot also give the second sign-off.
        CheckConstraint(
            "signed_off_by_id IS NULL OR proposed_by_id IS NULL OR signed_off_by_id <> proposed_by_id",
            name="signoff_not_proposer",
        ),
        Index("ix_matches_offer_status", "offer_id", "status"),
        Index("ix_matches_request_status", "request_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("housing_requests.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    status: Mapped[MatchStatus] = mapped_column(enum_column(MatchStatus), default=MatchStatus.PROPOSED)
    beds_held: Mapped[int]  # the household's size at proposal time
    score: Mapped[float | None]  # 0-100, as ranked when proposed
    hold_expires_at: Mapped[datetime | None]
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    host_accepted_at: Mapped[datetime | None]
    guest_accepted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    moved_in_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(40))  # a reason code
    decline_text: Mapped[str | None] = mapped_column(Text)
    # Set while an open concern holds this pending proposal: nobody can accept it and its hold does not run out.
    paused_at: Mapped[datetime | None]
    # The second coordinator's sign-off that a risk rule asks for before confirmation.
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_off_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    request: Mapped[HousingRequest] = relationship(back_populates="matches")
    offer: Mapped[Offer] = relationship(back_populates="matches")


class Setting(db.Model):
    """An admin-editable setting (scoring weights, matching slack), stored as JSON by key."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BatchRun(db.Model):
    """A stored batch proposal: the solver's summary and its proposed pairs, for coordinators to review."""

    __tablename__ = "batch_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # households/people open and placed, bound, gap...

    rows: Mapped[list[BatchRow]] = relationship(back_populates="batch", order_by="BatchRow.id")


class BatchRow(db.Model):
    """One proposed pair of a batch. The updated_at snapshots reveal rows whose data changed since the run."""

    __tablename__ = "batch_rows"
    __table_args__ = (Index("ix_batch_rows_batch_state", "batch_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch_runs.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(ForeignKey("housing_requests.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    score: Mapped[float]  # 0-100
    people: Mapped[int]
    distance_km: Mapped[float]
    request_updated_at: Mapped[datetime]
    offer_updated_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default="proposed")  # proposed, accepted, rejected, skipped
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(200))  # why a row was skipped

    batch: Mapped[BatchRun] = relationship(back_populates="rows")
    request: Mapped[HousingRequest] = relationship()
    offer: Mapped[Offer] = relationship()


class Note(db.Model):
    """A coordinator's note on a case; visible to coordinators only."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("housing_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Notification(db.Model):
    """The outbox: a message to one person, written in the same transaction as the change it reports.

    The jobs mail it when the person has an email address (sent_at, attempts, last_error record delivery);
    everyone, including phone-only guests, also sees it in the app. Bodies never hold contact details.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_unsent", "sent_at", "attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))  # e.g. match.proposed, offer.freshness, case.stalled
    subject: Mapped[str] = mapped_column(String(200))  # rendered in the recipient's language
    body: Mapped[str] = mapped_column(Text)  # plain text, rendered from templates/mail/<kind>.txt
    link: Mapped[str | None] = mapped_column(String(500))  # a path on this site; mail prefixes APP_BASE_URL
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="SET NULL"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("housing_requests.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # mailed; stays None for people without email (in-app only)
    attempts: Mapped[int] = mapped_column(default=0)  # mail attempts so far
    last_error: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class SignedLink(db.Model):
    """The server side of a signed link: single use (used_at), expiring, bound to one person and one purpose."""

    __tablename__ = "signed_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(43), unique=True)  # the only thing the signed token carries
    purpose: Mapped[str] = mapped_column(String(30))  # match.answer, offer.confirm or checkin.answer
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


# --- safeguarding ------------------------------------------------------------------------------------------------


class HostCheck(db.Model):
    """One safeguarding check of a host, recorded by a coordinator: what, when, by whom, until when it counts."""

    __tablename__ = "host_checks"
    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= done_on", name="dates_ordered"),
        CheckConstraint("NOT unavailable OR kind = 'criminal_record'", name="unavailable_only_criminal_record"),
        Index("ix_host_checks_host_kind", "host_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[CheckKind] = mapped_column(enum_column(CheckKind))
    done_on: Mapped[date]
    expires_on: Mapped[date | None]  # the last day the check counts; None: it does not expire
    # Criminal-record check only: the host's country has no such check, which satisfies the requirement.
    unavailable: Mapped[bool] = mapped_column(default=False)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")  # coordinators only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])


class ConcernStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Concern(db.Model):
    """A concern a host or guest reported about their match. Coordinators only; every view of it is audited."""

    __tablename__ = "concerns"
    __table_args__ = (
        CheckConstraint("resolved_at IS NULL OR resolved_at >= created_at", name="dates_ordered"),
        CheckConstraint("reporter_role IN ('host', 'guest')", name="reporter_role_valid"),
        Index("ix_concerns_request_status", "request_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("housing_requests.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reporter_role: Mapped[str] = mapped_column(String(10))  # host or guest
    body: Mapped[str] = mapped_column(Text)  # private: coordinators only
    status: Mapped[ConcernStatus] = mapped_column(enum_column(ConcernStatus, 10), default=ConcernStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    match: Mapped[Match] = relationship()
    request: Mapped[HousingRequest] = relationship(foreign_keys=[request_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class CheckIn(db.Model):
    """One "are you safe, and is this working?" question after a move-in, to the host or the guest."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("match_id", "user_id", "kind", name="one_per_person_and_kind"),
        CheckConstraint("answered_at IS NULL OR answered_at >= sent_at", name="answered_after_sent"),
        CheckConstraint("answer_by > sent_at", name="answer_by_after_sent"),
        CheckConstraint("party IN ('host', 'guest')", name="party_valid"),
        Index("ix_checkins_unanswered", "answered_at", "alerted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    party: Mapped[str] = mapped_column(String(10))  # host or guest
    kind: Mapped[CheckInKind] = mapped_column(enum_column(CheckInKind, 12))
    sent_at: Mapped[datetime]
    answer_by: Mapped[datetime]  # no answer by then alerts the case owner
    answered_at: Mapped[datetime | None]
    ok: Mapped[bool | None]  # the answer: yes (safe and working) or no
    alerted_at: Mapped[datetime | None]  # the case owner was alerted (a "no", or no answer in time)

    match: Mapped[Match] = relationship()
    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A personal API token (`Authorization: Bearer ...`). Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the whole token
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to recognise it in the list
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]  # stamped at most once a minute
    revoked_at: Mapped[datetime | None]  # a revoked token never authenticates again

    user: Mapped[User] = relationship()
