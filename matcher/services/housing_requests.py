"""Housing requests: a refugee files, edits and withdraws one; a coordinator registers one at a reception desk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from config import SUPPORTED_LOCALES
from matcher.domain.vocabulary import LANGUAGE_CODES, VULNERABILITY_FLAGS, RequestStatus
from matcher.extensions import db
from matcher.models import EMAIL_MAX, NAME_MAX, TEXT_MAX, HousingRequest, Role, User
from matcher.services import accounts, audit, claims, places, submissions
from matcher.services.errors import Conflict, NotFound, ServiceError
from matcher.services.inputs import check_codes, check_date, check_int, check_text

ADULTS_MIN, ADULTS_MAX = 1, 20
CHILDREN_MIN, CHILDREN_MAX = 0, 20
CHILD_AGE_MAX_YEARS = 17
DEFAULT_MAX_DISTANCE_KM = 150
MAX_DISTANCE_KM_MIN, MAX_DISTANCE_KM_MAX = 1, 3000
DURATION_DAYS_MIN, DURATION_DAYS_MAX = 1, 730
# "For how long" presets offered by the form, in days: 1 week, 1 month, 3 months, 6 months, 1 year.
DURATION_PRESETS_DAYS = (7, 30, 90, 180, 365)
DESK_DURATION_DAYS = 90  # a desk registration asks no duration; the coordinator refines it later
# A household has at most one request being worked on; a closed or housed one may be followed by a new one.
ACTIVE_STATUSES = frozenset({RequestStatus.OPEN, RequestStatus.MATCHED})


@dataclass
class RequestInput:
    """What a household states about its need, as plain values (from a form, the API or an import)."""

    contact_name: str
    adults: int
    country: str
    place: str
    needed_from: date | None
    duration_days: int
    phone: str | None = None
    email: str | None = None
    children: int = 0
    child_ages: list[int] = field(default_factory=list)  # years, one per child; empty: not known yet
    pets: bool = False
    step_free_needed: bool = False
    other_needs: str = ""
    languages: list[str] = field(default_factory=list)
    place_choice: int | None = None  # GeoNames id picked after an ambiguous place name
    max_distance_km: int = DEFAULT_MAX_DISTANCE_KM
    vulnerabilities: list[str] = field(default_factory=list)


@dataclass
class DeskInput:
    """The short form a coordinator fills in at a reception desk for a person without an account."""

    name: str
    phone: str
    language: str
    adults: int
    children: int
    place: str
    country: str
    needed_from: date | None
    place_choice: int | None = None


def parse_child_ages(text: str | None, children: int | None) -> list[int]:
    """Ages typed as "7, 12" for the stated number of children, each 0-17; ServiceError on "child_ages"."""
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]
    ages = []
    for part in parts:
        if not part.isdecimal() or len(part) > 3:
            raise ServiceError(
                _l("“%(value)s” is not an age. Write each age in years, as a number, separated by commas.", value=part),
                "child_ages",
            )
        ages.append(int(part))
    return check_child_ages(ages, children or 0)


def check_child_ages(ages: list[int], children: int) -> list[int]:
    """One age from 0 to 17 per child; an empty list when no child is stated."""
    if len(ages) != children:
        raise ServiceError(
            _l("Give one age for each child: %(expected)d, separated by commas.", expected=children), "child_ages"
        )
    for age in ages:
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= CHILD_AGE_MAX_YEARS:
            raise ServiceError(_l("A child is 0 to 17 years old; %(age)s is not a child's age.", age=age), "child_ages")
    return list(ages)


def _contact(data_phone: str | None, data_email: str | None) -> tuple[str | None, str | None]:
    phone = accounts.normalise_phone(data_phone)
    email = accounts.normalise_email(data_email)
    if email and (len(email) > EMAIL_MAX or "@" not in email.strip("@")):
        raise ServiceError(_l("Enter a valid email address."), "email")
    if not phone and not email:
        raise ServiceError(_l("Give a phone number or an email address, so that we can reach you."), "phone")
    return phone, email


def _household(adults, children) -> dict:
    return {
        "adults": check_int(adults, "adults", ADULTS_MIN, ADULTS_MAX, _l("Give between 1 and 20 adults.")),
        "children": check_int(children, "children", CHILDREN_MIN, CHILDREN_MAX, _l("Give between 0 and 20 children.")),
    }


def _validated(data: RequestInput) -> dict:
    """Column values for everything but the place, after the domain rules; ServiceError on the first problem."""
    values = {"contact_name": check_text(data.contact_name, "contact_name", NAME_MAX, required=True)}
    values["phone"], values["email"] = _contact(data.phone, data.email)
    values.update(_household(data.adults, data.children))
    ages = list(data.child_ages or [])
    if ages or values["children"]:
        ages = check_child_ages(ages, values["children"])
    values.update(
        child_ages=[str(age) for age in ages],
        pets=bool(data.pets),
        step_free_needed=bool(data.step_free_needed),
        other_needs=check_text(data.other_needs, "other_needs", TEXT_MAX),
        languages=check_codes(data.languages, LANGUAGE_CODES, "languages", _l("Choose languages from the list.")),
        max_distance_km=check_int(
            data.max_distance_km,
            "max_distance_km",
            MAX_DISTANCE_KM_MIN,
            MAX_DISTANCE_KM_MAX,
            _l("Give a distance from 1 to 3,000 km."),
        ),
        needed_from=check_date(data.needed_from, "needed_from"),
        duration_days=check_int(
            data.duration_days,
            "duration_days",
            DURATION_DAYS_MIN,
            DURATION_DAYS_MAX,
            _l("Give a number of days from 1 to 730."),
        ),
        vulnerabilities=check_codes(
            data.vulnerabilities, VULNERABILITY_FLAGS, "vulnerabilities", _l("Choose from the list.")
        ),
    )
    return values


def _place_values(resolved: places.ResolvedPlace) -> dict:
    return {
        "place_name": resolved.place_name,
        "country": resolved.country,
        "geoname_id": resolved.geoname_id,
        "lat": resolved.lat,
        "lon": resolved.lon,
    }


def refugee_requests(user: User) -> list[HousingRequest]:
    """The person's own requests, newest first."""
    return list(
        db.session.scalars(
            select(HousingRequest).where(HousingRequest.refugee_id == user.id).order_by(HousingRequest.id.desc())
        )
    )


def active_request(user: User) -> HousingRequest | None:
    """The person's request being worked on (open or matched), if any."""
    return db.session.scalar(
        select(HousingRequest)
        .where(HousingRequest.refugee_id == user.id, HousingRequest.status.in_(ACTIVE_STATUSES))
        .order_by(HousingRequest.id.desc())
        .limit(1)
    )


def owned_request(user: User, request_id: int) -> HousingRequest:
    """The person's own request; NotFound for anyone else's, so that ids reveal nothing."""
    found = db.session.scalar(
        select(HousingRequest).where(HousingRequest.id == request_id, HousingRequest.refugee_id == user.id)
    )
    if found is None:
        raise NotFound(_l("There is no such request."))
    return found


def view_request(viewer: User, request_id: int) -> HousingRequest:
    """A request with its contact details, for its person or for staff; each staff view is audited and committed."""
    if not viewer.is_staff:
        return owned_request(viewer, request_id)
    found = db.session.get(HousingRequest, request_id)
    if found is None:
        raise NotFound(_l("There is no such request."))
    audit.record("request.contact_viewed", "request", found.id, actor=viewer, refugee_id=found.refugee_id)
    db.session.commit()
    return found


def create_request(refugee: User, data: RequestInput, *, nonce: str | None = None) -> HousingRequest:
    """File the person's request; refused while another is open; the same nonce twice returns the first."""
    if refugee.role is not Role.REFUGEE:
        raise ServiceError(_l("Only a person looking for a place can file a request."))
    values = _validated(data)
    resolved = places.resolve_name(data.place, data.country, choice=data.place_choice)
    nonce = submissions.clean_nonce(nonce)
    refugee_id = refugee.id
    submissions.lock_actor(refugee_id)
    earlier = submissions.earlier_subject(refugee_id, "request.created", nonce)
    if earlier is not None and (existing := db.session.get(HousingRequest, earlier)) is not None:
        db.session.rollback()  # a repeated submission: nothing to write, release the lock
        return existing
    active = db.session.scalar(
        select(HousingRequest.id).where(
            HousingRequest.refugee_id == refugee_id, HousingRequest.status.in_(ACTIVE_STATUSES)
        )
    )
    if active is not None:
        db.session.rollback()
        raise Conflict(_l("You already have an open request. You can change it instead of filing a new one."))
    found = HousingRequest(
        refugee_id=refugee_id,
        created_by_id=refugee_id,
        status=RequestStatus.OPEN,
        **values,
        **_place_values(resolved),
    )
    db.session.add(found)
    db.session.flush()
    audit.record("request.created", "request", found.id, actor=refugee, nonce=nonce)
    db.session.commit()
    return found


def update_request(actor: User, request_id: int, data: RequestInput) -> HousingRequest:
    """Change the person's open request; the place is geocoded again only when it changed."""
    found = owned_request(actor, request_id)
    if found.status is not RequestStatus.OPEN:
        raise Conflict(_l("This request can no longer be changed here. Please contact your coordinator."))
    values = _validated(data)
    same_place = (data.place or "").strip() == found.place_name and (data.country or "").strip().upper() == (
        found.country
    )
    if not same_place:
        values.update(_place_values(places.resolve_name(data.place, data.country, choice=data.place_choice)))
    changed = sorted(name for name, value in values.items() if getattr(found, name) != value)
    for name in changed:
        setattr(found, name, values[name])
    audit.record("request.updated", "request", found.id, actor=actor, changed=changed)
    db.session.commit()
    return found


def withdraw_request(actor: User, request_id: int) -> HousingRequest:
    """Close the person's open request at their wish."""
    found = owned_request(actor, request_id)
    if found.status is not RequestStatus.OPEN:
        raise Conflict(_l("This request can no longer be withdrawn here. Please contact your coordinator."))
    found.status = RequestStatus.CLOSED
    audit.record("request.withdrawn", "request", found.id, actor=actor, reason="withdrawn by the person")
    db.session.commit()
    return found


def register_at_desk(coordinator: User, data: DeskInput, *, nonce: str | None = None) -> tuple[HousingRequest, str]:
    """Create an unclaimed refugee account and its request in one go; returns the request and the claim code.

    A repeated submission (same nonce) returns the first request with a fresh code for the same account, as the
    code shown the first time may never have reached the screen.
    """
    if not coordinator.is_staff:
        raise ServiceError(_l("Only coordinators register people at the desk."))
    name = check_text(data.name, "name", NAME_MAX, required=True)
    phone = accounts.normalise_phone(data.phone)
    if not phone:
        raise ServiceError(_l("Enter the person's phone number."), "phone")
    if data.language not in LANGUAGE_CODES:
        raise ServiceError(_l("Choose a language from the list."), "language")
    household = _household(data.adults, data.children)
    needed_from = check_date(data.needed_from, "needed_from")
    resolved = places.resolve_name(data.place, data.country, choice=data.place_choice)
    nonce = submissions.clean_nonce(nonce)
    coordinator_id = coordinator.id
    submissions.lock_actor(coordinator_id)
    earlier = submissions.earlier_subject(coordinator_id, "request.desk_registered", nonce)
    if earlier is not None and (existing := db.session.get(HousingRequest, earlier)) is not None:
        if existing.refugee.password_hash is None:
            code = claims.issue_claim_code(existing.refugee)
            audit.record("user.claim_code_issued", "user", existing.refugee_id, actor=coordinator)
            db.session.commit()
            return existing, code
        db.session.rollback()
        raise Conflict(_l("This person has already set up their account."))
    if db.session.scalar(select(User.id).where(User.phone == phone)):
        db.session.rollback()
        raise Conflict(_l("An account with this phone number already exists."), "phone")
    person = User(
        name=name,
        phone=phone,
        role=Role.REFUGEE,
        locale=data.language if data.language in SUPPORTED_LOCALES else "en",
        password_hash=None,
    )
    code = claims.issue_claim_code(person)
    db.session.add(person)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_l("An account with this phone number already exists."), "phone") from None
    found = HousingRequest(
        refugee_id=person.id,
        created_by_id=coordinator_id,
        status=RequestStatus.OPEN,
        contact_name=name,
        phone=phone,
        languages=[data.language],
        max_distance_km=DEFAULT_MAX_DISTANCE_KM,
        needed_from=needed_from,
        duration_days=DESK_DURATION_DAYS,
        **household,
        **_place_values(resolved),
    )
    db.session.add(found)
    db.session.flush()
    audit.record("user.created", "user", person.id, actor=coordinator, role=Role.REFUGEE.value, at_desk=True)
    audit.record("request.desk_registered", "request", found.id, actor=coordinator, nonce=nonce)
    db.session.commit()
    return found, code


def as_input(found: HousingRequest) -> RequestInput:
    """The request's current values, to fill an edit form."""
    return RequestInput(
        contact_name=found.contact_name,
        adults=found.adults,
        country=found.country,
        place=found.place_name,
        needed_from=found.needed_from,
        duration_days=found.duration_days,
        phone=found.phone,
        email=found.email,
        children=found.children,
        child_ages=[int(age) for age in found.child_ages if age.isdecimal()],
        pets=found.pets,
        step_free_needed=found.step_free_needed,
        other_needs=found.other_needs,
        languages=list(found.languages),
        place_choice=found.geoname_id,
        max_distance_km=found.max_distance_km,
        vulnerabilities=list(found.vulnerabilities),
    )
