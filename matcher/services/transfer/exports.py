"""CSV export of offers, requests and matches, in the import's columns so that a file can be imported elsewhere.

Exact addresses and contact details are written only when the coordinator asks for them and gives a purpose;
every export is audited with that choice. Rows are read with yield_per and written as they come, so an export of
100,000 offers streams in constant memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from matcher.extensions import db
from matcher.models import HousingRequest, Match, Offer, User
from matcher.place_names import local_name
from matcher.services import audit
from matcher.services.errors import ServiceError
from matcher.services.inputs import check_text
from matcher.services.transfer.formats import (
    MATCH_COLUMNS,
    OFFER_COLUMNS,
    PRIVATE_COLUMNS,
    REQUEST_COLUMNS,
    format_value,
)

EXPORT_KINDS = ("offers", "requests", "matches")
PURPOSE_MIN, PURPOSE_MAX = 3, 500
YIELD_ROWS = 2_000


def offer_external_id(offer_id: int, external_id: str | None) -> str:
    """The id an exported offer carries: its own external_id, else one made from its id (stable across exports)."""
    return external_id or f"offer-{offer_id}"


def request_external_id(request_id: int, external_id: str | None) -> str:
    return external_id or f"request-{request_id}"


def record_export(coordinator: User, kind: str, *, include_private: bool, purpose: str | None) -> None:
    """Check the choice and audit it before any row is written: with contact details, a purpose is required."""
    if kind not in EXPORT_KINDS:
        raise ServiceError(_l("Choose what to export."), "kind")
    if not coordinator.is_staff:
        raise ServiceError(_l("Only coordinators export data."))
    purpose = check_text(purpose, "purpose", PURPOSE_MAX)
    if include_private and len(purpose) < PURPOSE_MIN:
        raise ServiceError(_l("Say why the export needs addresses and contact details."), "purpose")
    private = include_private and kind != "matches"
    audit.record(f"export.{kind}", "export", None, actor=coordinator, reason=purpose or None, include_private=private)
    db.session.commit()


def _offer_rows(include_private: bool) -> Iterator[list]:
    host = aliased(User)
    stmt = (
        select(Offer, host.email, host.name, host.phone)
        .join(host, host.id == Offer.host_id)
        .order_by(Offer.id)
        .execution_options(yield_per=YIELD_ROWS)
    )
    hidden = set() if include_private else PRIVATE_COLUMNS["offers"]
    for offer, email, name, phone in db.session.execute(stmt):
        values = {
            "external_id": offer_external_id(offer.id, offer.external_id),
            "host_email": email,
            "host_name": name,
            "host_phone": phone,
            "title": offer.title,
            "address": offer.address,
            "city": local_name(offer.geoname_id, offer.place_name),
            "country": offer.country,
            "lat": offer.lat,
            "lon": offer.lon,
            "beds": offer.beds,
            "shareable": offer.shareable,
            "kind": offer.kind,
            "available_from": offer.available_from,
            "available_until": offer.available_until,
            "pets_ok": offer.pets_ok,
            "children_ok": offer.children_ok,
            "step_free": offer.step_free,
            "smoking_ok": offer.smoking_ok,
            "languages": offer.languages,
            "notes": offer.notes,
        }
        db.session.expunge(offer)
        yield [None if name in hidden else values[name] for name in OFFER_COLUMNS]


def _request_rows(include_private: bool) -> Iterator[list]:
    stmt = select(HousingRequest).order_by(HousingRequest.id).execution_options(yield_per=YIELD_ROWS)
    hidden = set() if include_private else PRIVATE_COLUMNS["requests"]
    for (found,) in db.session.execute(stmt):
        values = {
            "external_id": request_external_id(found.id, found.external_id),
            "contact_name": found.contact_name,
            "phone": found.phone,
            "email": found.email,
            "adults": found.adults,
            "children": found.children,
            "child_ages": found.child_ages,
            "pets": found.pets,
            "step_free_needed": found.step_free_needed,
            "languages": found.languages,
            "city": local_name(found.geoname_id, found.place_name),
            "country": found.country,
            "lat": found.lat,
            "lon": found.lon,
            "max_distance_km": found.max_distance_km,
            "needed_from": found.needed_from,
            "duration_days": found.duration_days,
            "vulnerable": found.vulnerabilities,
            "notes": found.other_needs,
        }
        db.session.expunge(found)
        yield [None if name in hidden else values[name] for name in REQUEST_COLUMNS]


def _match_rows() -> Iterator[list]:
    stmt = (
        select(Match, HousingRequest.external_id, Offer.external_id)
        .join(HousingRequest, HousingRequest.id == Match.request_id)
        .join(Offer, Offer.id == Match.offer_id)
        .order_by(Match.id)
        .execution_options(yield_per=YIELD_ROWS)
    )
    for match, request_ext, offer_ext in db.session.execute(stmt):
        yield [
            match.id,
            request_external_id(match.request_id, request_ext),
            offer_external_id(match.offer_id, offer_ext),
            match.status,
            match.beds_held,
            None if match.score is None else round(match.score, 2),
            match.created_at.isoformat(),
            *(
                None if v is None else v.isoformat()
                for v in (
                    match.host_accepted_at,
                    match.guest_accepted_at,
                    match.confirmed_at,
                    match.moved_in_at,
                    match.ended_at,
                )
            ),  # fmt: skip
            match.decline_reason,
        ]
        db.session.expunge(match)


def rows(kind: str, *, include_private: bool) -> Iterator[list]:
    """The header, then one list of values per record."""
    if kind == "offers":
        yield list(OFFER_COLUMNS)
        yield from _offer_rows(include_private)
    elif kind == "requests":
        yield list(REQUEST_COLUMNS)
        yield from _request_rows(include_private)
    else:
        yield list(MATCH_COLUMNS)
        yield from _match_rows()


def csv_text(kind: str, *, include_private: bool, batch_rows: int = 1_000) -> Iterator[str]:
    """The export as pieces of CSV text (UTF-8 without a byte-order mark, CRLF line ends as RFC 4180 says)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    count = 0
    for values in rows(kind, include_private=include_private):
        writer.writerow([format_value(value) for value in values])
        count += 1
        if count % batch_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
