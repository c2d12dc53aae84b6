"""Every message in the code and templates is translated, not fuzzy, in every shipped language."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("uk", "pl", "de", "ru")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "N_", "-k", "Nn_:1,2", "--ignore-dirs", ".* .venv node_modules",
         "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        return [m for m in read_po(handle) if m.id]


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_translates_every_extracted_message(extracted, language):
    po_path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    missing, fuzzy = [], []
    for message in extracted:
        entry = catalogue.get(message.id)
        strings = [] if entry is None else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if entry is None or not all(strings):
            missing.append(message.id)
        elif entry.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"{language}: {len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_answers_every_extracted_message(extracted, language):
    mo_path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), f"{mo_path} is missing: run `make translations`"
    with mo_path.open("rb") as handle:
        compiled = Translations(handle)
    for message in extracted:
        key = message.id if isinstance(message.id, str) else (message.id[0], 0)
        assert key in compiled._catalog, f"{language}: compiled catalogue lacks {message.id!r}"
