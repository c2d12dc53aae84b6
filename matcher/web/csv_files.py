"""CSV import (upload, preview, import) and export, for coordinators.

The uploaded file is kept in instance/imports/ under a random name held in the session (see
matcher.services.transfer.uploads), so the "Import" button imports exactly the file the preview showed.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, session, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional

from matcher.models import STAFF_ROLES
from matcher.services.errors import ServiceError
from matcher.services.transfer import exports, uploads
from matcher.services.transfer.formats import OFFER_COLUMNS, REQUEST_COLUMNS
from matcher.services.transfer.imports import run_import
from matcher.web.access import roles_required
from matcher.web.forms import STRIP, PlainText, choices
from matcher.web.formtools import apply_service_error

bp = Blueprint("csv", __name__, url_prefix="/csv")
SESSION_KEY = "csv_upload"
DEFAULT_MAX_UPLOAD_BYTES = 100_000_000  # CSV_UPLOAD_MAX_BYTES; 100,000 offers are about 25 MB

IMPORT_KINDS = [("offers", _l("Offers")), ("requests", _l("Housing requests"))]
EXPORT_KINDS = [*IMPORT_KINDS, ("matches", _l("Matches"))]


class ImportForm(FlaskForm):
    kind = RadioField(_l("What does the file hold?"), choices=choices(IMPORT_KINDS), default="offers",
                      validators=[InputRequired()])  # fmt: skip
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a file."))],
        render_kw={"accept": ".csv,text/csv"},
        description=_l("UTF-8, comma-separated, with a header row. Nothing is imported before you confirm."),
    )


class ConfirmForm(FlaskForm):
    upload_id = HiddenField(validators=[InputRequired()])


class ExportForm(FlaskForm):
    kind = RadioField(_l("What to export"), choices=choices(EXPORT_KINDS), default="offers",
                      validators=[InputRequired()])  # fmt: skip
    include_private = BooleanField(
        _l("Include exact addresses and contact details"),
        description=_l("Only when the receiver needs them. Your choice and purpose are recorded in the audit log."),
    )
    purpose = StringField(
        _l("Purpose"),
        validators=[Optional(), Length(max=exports.PURPOSE_MAX), PlainText()],
        filters=STRIP,
        description=_l("Required with addresses and contact details, for example “hand-over to the Kraków office”."),
    )


def _index(import_form=None, export_form=None, status: int = 200):
    return render_template(
        "csv/index.html",
        import_form=import_form or ImportForm(),
        export_form=export_form or ExportForm(formdata=None),
        columns={"offers": OFFER_COLUMNS, "requests": REQUEST_COLUMNS},
    ), status


@bp.get("/")
@roles_required(*STAFF_ROLES)
def index():
    return _index()


@bp.post("/import")
@roles_required(*STAFF_ROLES)
def upload():
    """Keep the file and show what importing it would do: nothing is written yet."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _index(import_form=form, status=422)
    limit = int(current_app.config.get("CSV_UPLOAD_MAX_BYTES", DEFAULT_MAX_UPLOAD_BYTES))
    try:
        upload_id = uploads.store(form.file.data.stream, max_bytes=limit)
    except ServiceError as error:
        apply_service_error(form, error)
        return _index(import_form=form, status=422)
    finally:
        form.file.data.close()
    uploads.discard((session.get(SESSION_KEY) or {}).get("id"))  # one pending upload per session
    session[SESSION_KEY] = {"id": upload_id, "kind": form.kind.data, "name": (form.file.data.filename or "")[:200]}
    with uploads.open_upload(upload_id) as binary:
        report = run_import(form.kind.data, binary, actor=current_user, dry_run=True)
    return _result(report, upload_id, status=200 if report.ok else 422)


@bp.post("/import/confirm")
@roles_required(*STAFF_ROLES)
def confirm():
    """Import the previewed file, all or nothing."""
    form = ConfirmForm()
    pending = session.get(SESSION_KEY) or {}
    if not form.validate_on_submit() or form.upload_id.data != pending.get("id"):
        return _index(import_form=_expired_upload_form(), status=409)
    try:
        with uploads.open_upload(pending["id"]) as binary:
            report = run_import(pending["kind"], binary, actor=current_user)
    except ServiceError:
        return _index(import_form=_expired_upload_form(), status=409)
    if report.imported:
        uploads.discard(pending["id"])
        session.pop(SESSION_KEY, None)
    return _result(report, None if report.imported else pending["id"], status=200 if report.ok else 422)


def _expired_upload_form() -> ImportForm:
    form = ImportForm(formdata=None)
    form.file.errors = [str(_l("This upload is no longer available. Please upload the file again."))]
    return form


def _result(report, upload_id: str | None, status: int):
    return render_template(
        "csv/preview.html",
        report=report,
        confirm_form=ConfirmForm(upload_id=upload_id) if upload_id else None,
        file_name=(session.get(SESSION_KEY) or {}).get("name", ""),
    ), status


@bp.post("/export")
@roles_required(*STAFF_ROLES)
def export():
    form = ExportForm()
    if not form.validate_on_submit():
        return _index(export_form=form, status=422)
    try:
        exports.record_export(
            current_user, form.kind.data, include_private=form.include_private.data, purpose=form.purpose.data
        )
    except ServiceError as error:
        apply_service_error(form, error)
        return _index(export_form=form, status=422)
    body = exports.csv_text(form.kind.data, include_private=form.include_private.data)
    name = f"matcher-{form.kind.data}.csv"
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
