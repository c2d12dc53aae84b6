"""Importing offers: one row per place, its host found or invited by host_email."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from matcher.domain.lifecycle_states import HOLDING_STATES
from matcher.domain.vocabulary import LANGUAGE_CODES, PLACE_KIND_LABELS, OfferStatus, PlaceKind
from matcher.extensions import db
from matcher.models import ADDRESS_MAX, EXTERNAL_ID_MAX, NAME_MAX, TEXT_MAX, TITLE_MAX, Match, Offer, Role, User
from matcher.services import places
from matcher.services.offers import BEDS_MAX, BEDS_MIN
from matcher.services.transfer.imports import Cells, Importer, account_locale, near, public_points, users_by

MAX_DUPLICATE_COMPARISONS = 200  # per row: a host with hundreds of offers is compared with its nearest few only


@dataclass
class OfferRow:
    number: int
    external_id: str | None
    host_email: str
    host_name: str
    host_phone: str | None
    values: dict  # Offer columns from the file
    place: object = None  # a ResolvedPlace, or a PendingPin until settle_places
    host_id: int | None = None
    existing: tuple | None = None  # (id, host_id, status, lat, lon, approx_lat, approx_lon) when updating

    @property
    def point(self) -> tuple[float, float]:
        return self.values["lat"], self.values["lon"]


class OfferImporter(Importer):
    kind = "offers"
    audit_action = "import.offers"

    def parse(self, cells: Cells) -> OfferRow | None:
        external_id = cells.text("external_id", EXTERNAL_ID_MAX) or None
        self.claim_external_id(cells, external_id)
        email = cells.email("host_email")
        if email is None and not cells.raw("host_email").strip():
            cells.fail("host_email", _l("This field is required."))
        host_name = cells.text("host_name", NAME_MAX)
        host_phone = cells.phone("host_phone")
        beds = cells.bounded(
            "beds", BEDS_MIN, BEDS_MAX, _l("Give between %(low)d and %(high)d beds.", low=BEDS_MIN, high=BEDS_MAX)
        )
        kind = cells.raw("kind").strip().lower() or PlaceKind.ROOM.value
        if kind not in {k.value for k in PlaceKind}:
            cells.fail("kind", _l("Choose room, flat or house."))
        available_from = cells.window_day("available_from", default=self.today)
        available_until = cells.window_day("available_until", default=None)
        if available_from and available_until and available_until < available_from:
            cells.fail("available_until", _l("“Until” cannot be before “from”."))
        values = {
            "title": cells.text("title", TITLE_MAX),
            "address": cells.text("address", ADDRESS_MAX),
            "beds": beds,
            "shareable": cells.boolean("shareable"),
            "kind": kind,
            "available_from": available_from,
            "available_until": available_until,
            "pets_ok": cells.boolean("pets_ok"),
            "children_ok": cells.boolean("children_ok"),
            "step_free": cells.boolean("step_free"),
            "smoking_ok": cells.boolean("smoking_ok"),
            "languages": cells.codes(
                "languages", LANGUAGE_CODES, _l("Use two-letter language codes from the list, such as uk;pl;en.")
            ),
            "notes": cells.text("notes", TEXT_MAX),
        }
        place = cells.place(pin_hint=True)
        if cells.bad or place is None or email is None:
            return None
        values["kind"] = PlaceKind(kind)
        name = host_name or email.split("@")[0][:NAME_MAX]
        return OfferRow(cells.number, external_id, email, name, host_phone, values, place)

    # --- checks against the database, then the writes ------------------------------------------------------

    def apply(self, rows: list[OfferRow]) -> None:
        rows = self.settle_places(rows)
        for row in rows:
            if not row.values["title"]:
                kind_label = PLACE_KIND_LABELS[row.values["kind"]]
                row.values["title"] = f"{kind_label} in {row.values['place_name']}"[:TITLE_MAX]
        rows = self._resolve_hosts(rows)
        rows = self._match_existing(rows)
        self._warn_duplicates(rows)
        self._write(rows)

    def _resolve_hosts(self, rows: list[OfferRow]) -> list[OfferRow]:
        known = users_by(User.email, (r.host_email for r in rows))
        phones = users_by(User.phone, (r.host_phone for r in rows if r.host_email not in known))
        new_accounts: dict[str, dict] = {}
        new_phones: set[str] = set()
        kept = []
        for row in rows:
            if row.host_email in known:
                user_id, role = known[row.host_email]
                if role is not Role.HOST:
                    self.report.error(
                        row.number, "host_email", _l("This email belongs to an account that is not a host.")
                    )
                    continue
                row.host_id = user_id
            elif row.host_email not in new_accounts:
                phone = row.host_phone
                if phone and (phone in phones or phone in new_phones):
                    self.report.warn(
                        row.number,
                        "host_phone",
                        _l("This phone number belongs to another account; the new host is created without it."),
                    )
                    phone = None
                if phone:
                    new_phones.add(phone)
                new_accounts[row.host_email] = {
                    "email": row.host_email,
                    "phone": phone,
                    "name": row.host_name,
                    "role": Role.HOST,
                    "locale": account_locale(row.values["country"]),
                }
            kept.append(row)
        self._new_accounts = new_accounts
        return kept

    def _match_existing(self, rows: list[OfferRow]) -> list[OfferRow]:
        ids = [r.external_id for r in rows if r.external_id]
        if not ids:
            return rows
        columns = (Offer.external_id, Offer.id, Offer.host_id, Offer.status, Offer.lat, Offer.lon)
        found = {
            row[0]: row[1:]
            for row in db.session.execute(
                select(*columns, Offer.approx_lat, Offer.approx_lon).where(Offer.external_id.in_(ids))
            )
        }
        held = (
            dict(
                db.session.execute(
                    select(Match.offer_id, func.sum(Match.beds_held))
                    .where(Match.offer_id.in_([f[0] for f in found.values()]), Match.status.in_(HOLDING_STATES))
                    .group_by(Match.offer_id)
                ).all()
            )
            if found
            else {}
        )
        kept = []
        for row in rows:
            existing = found.get(row.external_id) if row.external_id else None
            if existing is not None:
                offer_id, host_id, status = existing[0], existing[1], existing[2]
                if host_id != row.host_id:
                    self.report.error(
                        row.number, "external_id", _l("This external_id belongs to another host's offer.")
                    )
                    continue
                if status is OfferStatus.WITHDRAWN:
                    self.report.warn(row.number, "external_id", _l("This offer is withdrawn; the row is skipped."))
                    self.report.skipped += 1
                    continue
                beds_held = int(held.get(offer_id) or 0)
                if row.values["beds"] < beds_held:
                    self.report.error(
                        row.number,
                        "beds",
                        _l("%(n)d beds are held by open proposals; keep at least that many.", n=beds_held),
                    )
                    continue
                row.existing = existing
            kept.append(row)
        return kept

    def _warn_duplicates(self, rows: list[OfferRow]) -> None:
        host_ids = {r.host_id for r in rows if r.host_id is not None}
        others: dict[int | str, list[tuple[str, tuple[float, float]]]] = {}
        if host_ids:
            stmt = select(Offer.host_id, Offer.id, Offer.external_id, Offer.lat, Offer.lon).where(
                Offer.host_id.in_(host_ids), Offer.status != OfferStatus.WITHDRAWN
            )
            for host_id, offer_id, external_id, lat, lon in db.session.execute(stmt):
                others.setdefault(host_id, []).append((external_id or f"#{offer_id}", (lat, lon)))
        for row in rows:
            key = row.host_id if row.host_id is not None else row.host_email
            candidates = others.setdefault(key, [])
            for label, point in candidates[-MAX_DUPLICATE_COMPARISONS:]:
                if label == row.external_id:
                    continue
                km = near(row.point, point)
                if km is not None:
                    self.report.warn(
                        row.number,
                        "host_email",
                        _l(
                            "Possible duplicate: the same host has offer “%(other)s” %(km)s km away.",
                            other=label,
                            km=f"{km:.1f}",
                        ),
                    )
                    break
            candidates.append((row.external_id or f"row {row.number}", row.point))

    def _write(self, rows: list[OfferRow]) -> None:
        created_ids = self.create_accounts(list(self._new_accounts.values()))
        new_hosts = dict(zip(self._new_accounts, created_ids, strict=True))
        inserts, updates, moved = [], [], []
        for row in rows:
            host_id = row.host_id if row.host_id is not None else new_hosts[row.host_email]
            values = row.values
            if row.existing is None:
                inserts.append(
                    {
                        **values,
                        "host_id": host_id,
                        "external_id": row.external_id,
                        "description": "",
                        "status": OfferStatus.ACTIVE,
                        "last_confirmed_at": self.now,
                        "created_at": self.now,
                        "updated_at": self.now,
                    }
                )
                moved.append(inserts[-1])
                self.remember_preview(
                    row.number, "create", {"external_id": row.external_id, "host_email": row.host_email, **values}
                )
            else:
                offer_id, _, _, lat, lon, approx_lat, approx_lon = row.existing
                update_row = {**values, "id": offer_id, "host_id": host_id, "approx_lat": approx_lat,
                              "approx_lon": approx_lon, "updated_at": self.now}  # fmt: skip
                if not places.same_point((values["lat"], values["lon"]), (lat, lon)):
                    moved.append(update_row)  # the public point moves only when the exact point moves
                updates.append(update_row)
                self.remember_preview(
                    row.number, "update", {"external_id": row.external_id, "host_email": row.host_email, **values}
                )
        points = public_points([(r["lat"], r["lon"]) for r in moved], [str(r["host_id"]) for r in moved])
        for record, (approx_lat, approx_lon) in zip(moved, points, strict=True):
            record["approx_lat"], record["approx_lon"] = approx_lat, approx_lon
        for record in updates:
            del record["host_id"]
        if inserts:
            db.session.execute(Offer.__table__.insert(), inserts)
        if updates:
            db.session.execute(update(Offer), updates)
        self.report.created += len(inserts)
        self.report.updated += len(updates)
