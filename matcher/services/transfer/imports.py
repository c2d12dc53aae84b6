"""The CSV import pipeline: stream the file, check every row, and write all of it in ONE transaction, or nothing.

- **Streaming.** The csv module reads a text stream over the file, and rows are checked and written in chunks of
  CHUNK_ROWS with Core executemany inserts and updates, so memory stays flat however long the file is (only the
  external ids seen so far, to catch repeats within the file, grow with it).
- **All or nothing.** Every chunk is written inside the same transaction, even after a problem is found, so the
  later checks see the earlier rows (a repeated phone, a duplicate place). At the end the transaction commits only
  when no row had an error; otherwise, or for a preview (dry_run), it is rolled back.
- **Idempotent.** A row whose external_id names an existing record updates it.
- **Same rules as the forms.** Cells are checked with matcher.services.inputs and the services' own limits and
  validators; places go through matcher.services.places (a pin wins over the city; an unknown or ambiguous
  city is a row error) and public points through places.public_point.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

import numpy as np
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from config import SUPPORTED_LOCALES
from matcher.domain.geo import EARTH_RADIUS_KM, haversine_km
from matcher.domain.location import approximate_point, sparsity_factor
from matcher.extensions import db
from matcher.geocoding import TOWN_MIN_POPULATION
from matcher.models import EMAIL_MAX, User, utcnow
from matcher.services import accounts, audit, invitations, places
from matcher.services.errors import ServiceError
from matcher.services.inputs import check_codes, check_date, check_int, check_text, today
from matcher.services.locking import begin_write
from matcher.services.transfer.formats import (
    HEADER_ROW,
    KINDS,
    CellError,
    FileProblem,
    Problem,
    parse_bool,
    parse_date,
    parse_float,
    parse_int,
    parse_list,
    records,
    text_stream,
)

CHUNK_ROWS = 2_000
PREVIEW_ROWS = 10
DUPLICATE_KM = 5.0  # the same phone or email with a place this close is reported as a possible duplicate
MAX_PROBLEMS = 20_000  # problems kept for the report; beyond this they are only counted
# Where a service's field name is not the CSV column it came from.
FIELD_COLUMNS = {"place": "city", "place_choice": "city"}
# New accounts get a supported language from what we know of them: their country's, else English.
COUNTRY_LOCALES = {"PL": "pl", "DE": "de", "AT": "de", "CH": "de", "LI": "de", "UA": "uk"}


@dataclass
class ImportReport:
    """What an import found and did: counts, every problem (row, column, message), and the first rows."""

    kind: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    accounts_created: int = 0
    invitations: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    errors_total: int = 0
    warnings_total: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    preview: list[dict[str, str]] = field(default_factory=list)
    imported: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.errors_total == 0

    def error(self, row: int, column: str, message) -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_PROBLEMS:
            self.errors.append(Problem(row, FIELD_COLUMNS.get(column, column), str(message)))

    def warn(self, row: int, column: str, message) -> None:
        self.warnings_total += 1
        if len(self.warnings) < MAX_PROBLEMS:
            self.warnings.append(Problem(row, FIELD_COLUMNS.get(column, column), str(message)))

    def summary(self) -> str:
        """One line for the command line."""
        verb = "would import" if self.dry_run and self.ok else ("imported" if self.imported else "imported nothing")
        return (
            f"{self.kind}: {self.rows} rows; {verb}: {self.created} created, {self.updated} updated, "
            f"{self.skipped} skipped; {self.accounts_created} accounts created; "
            f"{self.errors_total} errors, {self.warnings_total} warnings; {self.seconds:.1f} s"
        )


class Cells:
    """One row's cells, parsed column by column; each problem is reported and the row marked bad."""

    def __init__(self, number: int, cells: dict[str, str], report: ImportReport):
        self.number, self.cells, self.report = number, cells, report
        self.bad = False

    def raw(self, column: str) -> str:
        return self.cells.get(column, "") or ""

    def fail(self, column: str, message) -> None:
        self.bad = True
        self.report.error(self.number, column, message)

    def parse(self, column: str, parser: Callable[[str], object], default=None):
        try:
            value = parser(self.raw(column))
        except CellError as error:
            self.fail(column, error.message)
            return default
        return default if value is None else value

    def check(self, check: Callable[[], object], default=None, *, column: str | None = None):
        """Run a service validator; its ServiceError is reported on `column`, else on its field's column."""
        try:
            return check()
        except ServiceError as error:
            self.fail(column or error.field or "", error.message)
            return default

    def text(self, column: str, max_len: int, *, required: bool = False) -> str:
        """Trimmed, NFC-normalised text within max_len characters (matcher.services.inputs.check_text)."""
        return self.check(lambda: check_text(self.raw(column), column, max_len, required=required), "")

    def email(self, column: str) -> str | None:
        """A case-folded email address, or None when empty."""
        value = accounts.normalise_email(self.raw(column))
        if value and (len(value) > EMAIL_MAX or "@" not in value.strip("@") or " " in value):
            self.fail(column, _l("Enter a valid email address."))
            return None
        return value

    def phone(self, column: str) -> str | None:
        """An E.164 phone number, or None when empty."""
        return self.check(lambda: accounts.normalise_phone(self.raw(column)), column=column)

    def bounded(self, column: str, low: int, high: int, message, *, default: int | None = None) -> int | None:
        """A whole number within [low, high] (matcher.services.inputs.check_int); `default` when empty."""
        if not self.raw(column).strip():
            if default is None:
                self.fail(column, _l("This field is required."))
            return default
        value = self.integer(column)
        if value is None:
            return None
        return self.check(lambda: check_int(value, column, low, high, message))

    def codes(self, column: str, allowed, message) -> list[str]:
        """Known codes from a ";"-separated list (matcher.services.inputs.check_codes)."""
        items = [item.lower() for item in self.items(column)]
        return self.check(lambda: check_codes(items, allowed, column, message), [])

    def window_day(self, column: str, *, default: date | None) -> date | None:
        """A date within the accepted window (matcher.services.inputs.check_date); `default` when empty."""
        value = self.day(column, default)
        if value is None:
            return None
        return self.check(lambda: check_date(value, column))

    def boolean(self, column: str) -> bool:
        return bool(self.parse(column, parse_bool, False))

    def integer(self, column: str, default: int | None = None) -> int | None:
        return self.parse(column, parse_int, default)

    def decimal(self, column: str) -> float | None:
        return self.parse(column, parse_float)

    def day(self, column: str, default: date | None = None) -> date | None:
        return self.parse(column, parse_date, default)

    def items(self, column: str) -> list[str]:
        return parse_list(self.raw(column))

    def place(self, *, pin_hint: bool) -> places.ResolvedPlace | PendingPin | None:
        """lat/lon win over city/country; otherwise the gazetteer resolves the city (ambiguous: an error)."""
        bad_before, self.bad = self.bad, False
        lat, lon = self.decimal("lat"), self.decimal("lon")
        unreadable, self.bad = self.bad, self.bad or bad_before
        if unreadable:
            return None
        city, country = self.raw("city").strip(), self.raw("country").strip()
        if lat is not None or lon is not None:
            pin = self.check(lambda: places.check_pin(lat, lon))
            if pin is None:
                return None
            if country:
                self.check(lambda: places.check_country(country))
            return PendingPin(*pin)
        if not city and not country:
            self.fail("city", _l("Give city and country, or lat and lon."))
            return None
        try:
            return _cached_name(city, country)
        except places.AmbiguousPlace:
            self.fail(
                "city",
                _l("There are several places called “%(name)s” in this country. Give lat and lon instead.", name=city),
            )
        except ServiceError as error:
            self.fail(error.field or "city", error.message)
        return None


_NAME_CACHE: dict[tuple[str, str], places.ResolvedPlace | ServiceError] = {}
_NAME_CACHE_MAX = 5_000


def _cached_name(city: str, country: str) -> places.ResolvedPlace:
    key = (city.casefold(), country.upper())
    found = _NAME_CACHE.get(key)
    if found is None:
        try:
            found = places.resolve_name(city, country, pin_hint=False)
        except places.AmbiguousPlace as error:
            found = error
        except ServiceError as error:
            found = error
        if len(_NAME_CACHE) >= _NAME_CACHE_MAX:
            _NAME_CACHE.clear()
        _NAME_CACHE[key] = found
    if isinstance(found, ServiceError):
        raise found
    return found


@dataclass(frozen=True)
class PendingPin:
    """An exact pin from lat/lon, labelled with its nearest town for a whole chunk at once (resolve_pins)."""

    lat: float
    lon: float


_TOWNS: dict[int, places.Place | None] = {}
_TOWNS_MAX = 50_000


def _town(geoname_id: int) -> places.Place | None:
    if geoname_id not in _TOWNS:
        if len(_TOWNS) >= _TOWNS_MAX:
            _TOWNS.clear()
        _TOWNS[geoname_id] = places.geocoder().place_by_id(geoname_id) if geoname_id >= 0 else None
    return _TOWNS[geoname_id]


def resolve_pins(pins: list[PendingPin]) -> list[places.ResolvedPlace | None]:
    """places.resolve_pin for many pins in one vectorised lookup; None where no town is near enough."""
    if not pins:
        return []
    lats, lons = np.array([p.lat for p in pins]), np.array([p.lon for p in pins])
    towns = [_town(int(i)) for i in places.geocoder().nearest_city_ids(lats, lons)]
    town_lat = np.array([t.lat if t else np.nan for t in towns])
    town_lon = np.array([t.lon if t else np.nan for t in towns])
    km = haversine_km(lats, lons, town_lat, town_lon)
    out: list[places.ResolvedPlace | None] = []
    for pin, town, distance in zip(pins, towns, km, strict=True):
        if town is None or not distance <= places.PIN_MAX_KM_FROM_TOWN:
            out.append(None)
        else:
            name = town.name[: places.PLACE_NAME_MAX]
            out.append(places.ResolvedPlace(name, town.country, town.geoname_id, pin.lat, pin.lon))
    return out


def public_points(points: list[tuple[float, float]], salts: list[str]) -> list[tuple[float, float]]:
    """places.public_point for many points in one vectorised lookup of their nearest towns."""
    if not points:
        return []
    lats, lons = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    ids = places.geocoder().nearest_city_ids(lats, lons, min_population=TOWN_MIN_POPULATION)
    towns = [_town(int(i)) for i in ids]
    town_lat = np.array([t.lat if t else np.nan for t in towns])
    town_lon = np.array([t.lon if t else np.nan for t in towns])
    km = haversine_km(lats, lons, town_lat, town_lon)
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return [
        approximate_point(lat, lon, secret=secret, salt=salt, sparsity=sparsity_factor(float(d) if t else math.inf))
        for (lat, lon), salt, d, t in zip(points, salts, km, towns, strict=True)
    ]


def near(a: tuple[float, float], b: tuple[float, float]) -> float | None:
    """The km between two points when within DUPLICATE_KM, else None."""
    if abs(a[0] - b[0]) > 0.1 or abs(a[1] - b[1]) > 0.2:  # cheap reject: clearly more than 5 km apart
        return None
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
    return km if km <= DUPLICATE_KM else None


def account_locale(country: str | None, languages: list[str] | tuple[str, ...] = ()) -> str:
    """A new account's language: the first of theirs that the site speaks, else their country's, else English."""
    for code in languages:
        if code in SUPPORTED_LOCALES:
            return code
    return COUNTRY_LOCALES.get((country or "").upper(), "en")


class Importer:
    """What each kind of import implements: parse one row, then check and write a chunk of parsed rows."""

    kind = ""
    audit_action = ""

    def __init__(self, report: ImportReport, actor: User | None, now: datetime):
        self.report, self.actor, self.now, self.today = report, actor, now, today()
        self.seen_ids: dict[str, int] = {}  # external_id -> the row that first gave it

    def parse(self, cells: Cells):  # -> a parsed row, or None when the row has errors
        raise NotImplementedError

    def apply(self, rows: list) -> None:
        raise NotImplementedError

    def settle_places(self, rows: list) -> list:
        """Give each row with a pending pin its place (one lookup per chunk); a pin far from any town is an error."""
        pending = [row for row in rows if isinstance(row.place, PendingPin)]
        for row, resolved in zip(pending, resolve_pins([row.place for row in pending]), strict=True):
            row.place = resolved
            if resolved is None:
                self.report.error(
                    row.number, "lat", _l("This pin is not near any town we know in Europe. Check the numbers.")
                )
        kept = [row for row in rows if row.place is not None]
        for row in kept:
            place = row.place
            row.values.update(
                place_name=place.place_name,
                country=place.country,
                geoname_id=place.geoname_id,
                lat=place.lat,
                lon=place.lon,
            )
        return kept

    def claim_external_id(self, cells: Cells, external_id: str | None) -> None:
        if not external_id:
            return
        first = self.seen_ids.get(external_id)
        if first is not None:
            cells.fail("external_id", _l("This external_id is already used in row %(row)d of this file.", row=first))
        else:
            self.seen_ids[external_id] = cells.number

    def remember_preview(self, row_number: int, action: str, values: dict) -> None:
        if len(self.report.preview) < PREVIEW_ROWS:
            shown = {"row": str(row_number), "action": action}
            shown.update({name: _display(value) for name, value in values.items()})
            self.report.preview.append(shown)

    def create_accounts(self, accounts: list[dict]) -> list[int]:
        """Insert new accounts (no usable password) and queue an invitation for each one with an email."""
        if not accounts:
            return []
        rows = [
            {
                "email": a["email"],
                "phone": a["phone"],
                "name": a["name"],
                "role": a["role"],
                "locale": a["locale"],
                "password_hash": None,
                "session_version": 1,
                "active": True,
                "created_at": self.now,
            }
            for a in accounts
        ]
        result = db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), rows)
        ids = list(result.scalars())
        invitees = [
            invitations.Invitee(user_id, a["name"], a["email"], a["locale"])
            for user_id, a in zip(ids, accounts, strict=True)
            if a["email"]
        ]
        self.report.accounts_created += len(ids)
        self.report.invitations += invitations.invite_many(invitees, now=self.now)
        return ids


def users_by(column, values) -> dict:
    """Existing users keyed by email or phone: {value: (id, role)}."""
    values = [v for v in set(values) if v]
    if not values:
        return {}
    rows = db.session.execute(select(column, User.id, User.role).where(column.in_(values)))
    return {value: (user_id, role) for value, user_id, role in rows}


def _display(value) -> str:
    from matcher.services.transfer.formats import format_value

    if isinstance(value, float):
        return f"{value:.5f}"
    return format_value(value)


def importer_for(kind: str) -> type[Importer]:
    from matcher.services.transfer.offer_import import OfferImporter
    from matcher.services.transfer.request_import import RequestImporter

    return {"offers": OfferImporter, "requests": RequestImporter}[kind]


def run_import(
    kind: str, binary: IO[bytes], *, actor: User | None = None, dry_run: bool = False, now: datetime | None = None
) -> ImportReport:
    """Check a CSV file and import it in one transaction if every row is valid; a dry run checks and writes nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    started = time.perf_counter()
    report = ImportReport(kind=kind, dry_run=dry_run)
    importer = importer_for(kind)(report, actor, now or utcnow())
    text = text_stream(binary)
    try:
        _import_rows(importer, text, report, dry_run=dry_run)
    finally:
        text.detach()  # the caller owns (and closes) the binary file
    report.seconds = time.perf_counter() - started
    return report


def _import_rows(importer: Importer, text, report: ImportReport, *, dry_run: bool) -> None:
    try:
        header, rows = records(text, importer.kind)
    except FileProblem as problem:
        for p in problem.problems:
            report.error(p.row, p.column, p.message)
        return
    report.unknown_columns = header.unknown
    for name in header.unknown:
        report.warn(HEADER_ROW, name, _l("Unknown column: ignored."))
    try:
        begin_write()  # SQLite: hold the write lock from the start, so the file is checked against what it writes
        chunk: list = []
        for number, cells in rows:
            report.rows += 1
            if "*" in cells:
                report.error(number, "", cells["*"])
                continue
            parsed = importer.parse(Cells(number, cells, report))
            if parsed is not None:
                chunk.append(parsed)
            if len(chunk) >= CHUNK_ROWS:
                importer.apply(chunk)
                chunk = []
        if chunk:
            importer.apply(chunk)
        if report.rows == 0:
            report.error(HEADER_ROW + 1, "", _l("The file has a header but no rows."))
        if report.ok and not dry_run:
            audit.record(
                importer.audit_action,
                "import",
                None,
                actor=importer.actor,
                rows=report.rows,
                created=report.created,
                updated=report.updated,
                skipped=report.skipped,
                accounts_created=report.accounts_created,
            )
            db.session.commit()
            report.imported = True
        else:
            db.session.rollback()
    except Exception:
        db.session.rollback()
        raise
