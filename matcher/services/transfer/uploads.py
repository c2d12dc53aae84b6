"""Uploaded CSV files kept between the preview and the import: instance/imports/<random name>.csv.

The folder is CSV_UPLOAD_DIR when set. The web page stores the file under a random name (128 bits) and keeps
that name in the coordinator's signed session, so "Import" imports exactly the file that was previewed, and no
one else can name it. A file is deleted once imported; files older than UPLOAD_MAX_AGE_S (abandoned previews)
are swept at the next upload.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l

from matcher.services.errors import ServiceError

UPLOAD_MAX_AGE_S = 24 * 3600
COPY_CHUNK_BYTES = 1 << 16
_NAME = re.compile(r"[A-Za-z0-9_-]{22}")


def _folder() -> Path:
    folder = Path(current_app.config.get("CSV_UPLOAD_DIR") or Path(current_app.instance_path) / "imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(upload_id: str) -> Path:
    if not isinstance(upload_id, str) or not _NAME.fullmatch(upload_id):
        raise ServiceError(_l("This upload is no longer available. Please upload the file again."), "file")
    return _folder() / f"{upload_id}.csv"


def store(stream: IO[bytes], *, max_bytes: int) -> str:
    """Copy an uploaded file to the imports folder; returns its id. ServiceError when it is too big."""
    sweep()
    upload_id = secrets.token_urlsafe(16)
    path = _path(upload_id)
    size = 0
    with open(path, "wb") as out:
        while chunk := stream.read(COPY_CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                path.unlink(missing_ok=True)
                raise ServiceError(
                    _l("The file is larger than %(mb)d MB. Split it into smaller files.", mb=max_bytes // 1_000_000),
                    "file",
                )
            out.write(chunk)
    return upload_id


def open_upload(upload_id: str) -> IO[bytes]:
    """The stored file, for reading; ServiceError when it is gone."""
    path = _path(upload_id)
    if not path.is_file():
        raise ServiceError(_l("This upload is no longer available. Please upload the file again."), "file")
    return open(path, "rb")


def discard(upload_id: str | None) -> None:
    """Delete a stored upload, if it is still there."""
    if upload_id and _NAME.fullmatch(upload_id):
        (_folder() / f"{upload_id}.csv").unlink(missing_ok=True)


def sweep(max_age_s: float = UPLOAD_MAX_AGE_S) -> int:
    """Delete uploads older than max_age_s; returns how many."""
    cutoff = time.time() - max_age_s
    removed = 0
    for path in _folder().glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                os.unlink(path)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
