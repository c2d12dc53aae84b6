"""Uploaded files go to a temporary folder, not instance/imports."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _upload_folder(request, tmp_path, monkeypatch):
    if "app" in request.fixturenames:
        monkeypatch.setitem(request.getfixturevalue("app").config, "CSV_UPLOAD_DIR", str(tmp_path / "uploads"))
