"""Importing housing requests: one row per household, its person found by phone or email, or registered."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

from matcher.domain.vocabulary import LANGUAGE_CODES, VULNERABILITY_FLAGS, RequestStatus
from matcher.extensions import db
from matcher.models import EXTERNAL_ID_MAX, NAME_MAX, TEXT_MAX, HousingRequest, Role, User
from matcher.services import housing_requests as hr
from matcher.services.transfer.formats import CellError, parse_bool
from matcher.services.transfer.imports import Cells, Importer, account_locale, near, users_by

ACTIVE = (RequestStatus.OPEN, RequestStatus.MATCHED, RequestStatus.HOUSED)


@dataclass
class RequestRow:
    number: int
    external_id: str | None
    values: dict  # HousingRequest columns from the file
    place: object = None  # a ResolvedPlace, or a PendingPin until settle_places
    refugee_id: int | None = None
    pending: int | None = None  # index of a new account to create in this chunk
    existing_id: int | None = None

    @property
    def point(self) -> tuple[float, float]:
        return self.values["lat"], self.values["lon"]

    @property
    def contacts(self) -> list[str]:
        return [c for c in (self.values["phone"], self.values["email"]) if c]


class RequestImporter(Importer):
    kind = "requests"
    audit_action = "import.requests"

    def parse(self, cells: Cells) -> RequestRow | None:
        external_id = cells.text("external_id", EXTERNAL_ID_MAX) or None
        self.claim_external_id(cells, external_id)
        contact_name = cells.text("contact_name", NAME_MAX, required=True)
        phone, email = cells.phone("phone"), cells.email("email")
        if not phone and not email and not (cells.raw("phone").strip() or cells.raw("email").strip()):
            cells.fail("phone", _l("Give a phone number or an email address (at least one)."))
        adults = cells.bounded("adults", hr.ADULTS_MIN, hr.ADULTS_MAX, _l("Give between 1 and 20 adults."))
        children = cells.bounded(
            "children", hr.CHILDREN_MIN, hr.CHILDREN_MAX, _l("Give between 0 and 20 children."), default=0
        )
        ages = self._ages(cells, children)
        values = {
            "contact_name": contact_name,
            "phone": phone,
            "email": email,
            "adults": adults,
            "children": children,
            "child_ages": [str(age) for age in ages],
            "pets": cells.boolean("pets"),
            "step_free_needed": cells.boolean("step_free_needed"),
            "languages": cells.codes(
                "languages", LANGUAGE_CODES, _l("Use two-letter language codes from the list, such as uk;pl;en.")
            ),
            "max_distance_km": cells.bounded(
                "max_distance_km",
                hr.MAX_DISTANCE_KM_MIN,
                hr.MAX_DISTANCE_KM_MAX,
                _l("Give a distance from 1 to 3,000 km."),
                default=hr.DEFAULT_MAX_DISTANCE_KM,
            ),
            "needed_from": cells.window_day("needed_from", default=self.today),
            "duration_days": cells.bounded(
                "duration_days",
                hr.DURATION_DAYS_MIN,
                hr.DURATION_DAYS_MAX,
                _l("Give a number of days from 1 to 730."),
                default=hr.DESK_DURATION_DAYS,
            ),
            "vulnerabilities": self._vulnerabilities(cells),
            "other_needs": cells.text("notes", TEXT_MAX),
        }
        place = cells.place(pin_hint=False)
        if cells.bad or place is None:
            return None
        return RequestRow(cells.number, external_id, values, place)

    @staticmethod
    def _ages(cells: Cells, children: int | None) -> list[int]:
        ages = []
        for item in cells.items("child_ages"):
            if not item.isdecimal() or len(item) > 3:
                cells.fail(
                    "child_ages", _l("“%(value)s” is not an age. Write each age in years, separated by ;.", value=item)
                )
                return []
            ages.append(int(item))
        if children is None or not (ages or children):
            return ages
        return cells.check(lambda: hr.check_child_ages(ages, children), [])

    @staticmethod
    def _vulnerabilities(cells: Cells) -> list[str]:
        raw = cells.raw("vulnerable").strip()
        try:
            flag = parse_bool(raw)
        except CellError:
            flag = None
        if flag is False:
            return []
        if flag is True:
            cells.fail(
                "vulnerable",
                _l(
                    "Name the vulnerabilities instead, separated by ;: %(codes)s.", codes=", ".join(VULNERABILITY_FLAGS)
                ),
            )
            return []
        return cells.codes(
            "vulnerable",
            VULNERABILITY_FLAGS,
            _l("Use these codes, separated by ;: %(codes)s.", codes=", ".join(VULNERABILITY_FLAGS)),
        )

    # --- checks against the database, then the writes ------------------------------------------------------

    def apply(self, rows: list[RequestRow]) -> None:
        rows = self.settle_places(rows)
        rows = self._resolve_people(rows)
        rows = self._match_existing(rows)
        self._warn_duplicates(rows)
        self._write(rows)

    def _resolve_people(self, rows: list[RequestRow]) -> list[RequestRow]:
        by_email = users_by(User.email, (r.values["email"] for r in rows))
        by_phone = users_by(User.phone, (r.values["phone"] for r in rows))
        self._new_accounts: list[dict] = []
        pending_email: dict[str, int] = {}
        pending_phone: dict[str, int] = {}
        kept = []
        for row in rows:
            email, phone = row.values["email"], row.values["phone"]
            found_e, found_p = by_email.get(email), by_phone.get(phone)
            if found_e and found_p and found_e[0] != found_p[0]:
                self.report.error(row.number, "email", _l("The phone and the email belong to two different accounts."))
                continue
            found = found_e or found_p
            if found is not None:
                if found[1] is not Role.REFUGEE:
                    column = "email" if found_e else "phone"
                    self.report.error(row.number, column, _l("This belongs to an account that is not a refugee's."))
                    continue
                row.refugee_id = found[0]
                kept.append(row)
                continue
            index_e, index_p = pending_email.get(email), pending_phone.get(phone)
            if index_e is not None and index_p is not None and index_e != index_p:
                self.report.error(row.number, "email", _l("The phone and the email belong to two different people."))
                continue
            index = index_e if index_e is not None else index_p
            if index is None:
                index = len(self._new_accounts)
                self._new_accounts.append(
                    {
                        "email": email,
                        "phone": phone,
                        "name": row.values["contact_name"],
                        "role": Role.REFUGEE,
                        "locale": account_locale(None, row.values["languages"]),
                    }
                )
                if email:
                    pending_email[email] = index
                if phone:
                    pending_phone[phone] = index
            row.pending = index
            kept.append(row)
        return kept

    def _match_existing(self, rows: list[RequestRow]) -> list[RequestRow]:
        ids = [r.external_id for r in rows if r.external_id]
        if not ids:
            return rows
        stmt = select(HousingRequest.external_id, HousingRequest.id, HousingRequest.refugee_id, HousingRequest.status)
        found = {row[0]: row[1:] for row in db.session.execute(stmt.where(HousingRequest.external_id.in_(ids)))}
        kept = []
        for row in rows:
            existing = found.get(row.external_id) if row.external_id else None
            if existing is not None:
                request_id, refugee_id, status = existing
                if refugee_id != row.refugee_id:
                    self.report.error(
                        row.number, "external_id", _l("This external_id belongs to another person's request.")
                    )
                    continue
                if status is not RequestStatus.OPEN:
                    self.report.warn(
                        row.number, "external_id", _l("This request is no longer open; the row is skipped.")
                    )
                    self.report.skipped += 1
                    continue
                row.existing_id = request_id
            kept.append(row)
        return kept

    def _warn_duplicates(self, rows: list[RequestRow]) -> None:
        phones = {r.values["phone"] for r in rows if r.values["phone"]}
        emails = {r.values["email"] for r in rows if r.values["email"]}
        others: dict[str, list[tuple[str, tuple[float, float]]]] = {}
        if phones or emails:
            stmt = select(
                HousingRequest.id,
                HousingRequest.external_id,
                HousingRequest.phone,
                HousingRequest.email,
                HousingRequest.lat,
                HousingRequest.lon,
            ).where(
                or_(HousingRequest.phone.in_(phones), HousingRequest.email.in_(emails)),
                HousingRequest.status.in_(ACTIVE),
            )
            for request_id, external_id, phone, email, lat, lon in db.session.execute(stmt):
                entry = (external_id or f"#{request_id}", (lat, lon))
                for contact in (phone, email):
                    if contact:
                        others.setdefault(contact, []).append(entry)
        for row in rows:
            warned = False
            for contact in row.contacts:
                for label, point in others.get(contact, ()):
                    if warned or label == row.external_id:
                        continue
                    km = near(row.point, point)
                    if km is not None:
                        self.report.warn(
                            row.number,
                            "phone" if contact == row.values["phone"] else "email",
                            _l(
                                "Possible duplicate: request “%(other)s” has the same contact, %(km)s km away.",
                                other=label,
                                km=f"{km:.1f}",
                            ),
                        )
                        warned = True
            for contact in row.contacts:
                others.setdefault(contact, []).append((row.external_id or f"row {row.number}", row.point))

    def _write(self, rows: list[RequestRow]) -> None:
        created = self.create_accounts(self._new_accounts)
        creator = self.actor.id if self.actor is not None else None
        inserts, updates = [], []
        for row in rows:
            values = row.values
            if row.existing_id is None:
                inserts.append(
                    {
                        **values,
                        "refugee_id": row.refugee_id if row.refugee_id is not None else created[row.pending],
                        "created_by_id": creator,
                        "external_id": row.external_id,
                        "notes": "",
                        "status": RequestStatus.OPEN,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                self.remember_preview(row.number, "create", {"external_id": row.external_id, **values})
            else:
                updates.append({**values, "id": row.existing_id, "updated_at": self.now})
                self.remember_preview(row.number, "update", {"external_id": row.external_id, **values})
        if inserts:
            db.session.execute(HousingRequest.__table__.insert(), inserts)
        if updates:
            db.session.execute(update(HousingRequest), updates)
        self.report.created += len(inserts)
        self.report.updated += len(updates)
