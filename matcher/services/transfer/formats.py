"""The CSV format shared by import and export: columns, value syntax, and reading a file as a stream.

UTF-8 with or without a byte-order mark, one header row, comma-separated, columns in any order. Booleans are
true/false, yes/no, 1/0, or empty (false). Dates are YYYY-MM-DD. Lists (languages, child ages, vulnerabilities)
are separated by ";". Unknown columns are reported and ignored.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO

from flask_babel import lazy_gettext as _l

OFFER_COLUMNS = (
    "external_id", "host_email", "host_name", "host_phone", "title", "address", "city", "country", "lat", "lon",
    "beds", "shareable", "kind", "available_from", "available_until", "pets_ok", "children_ok", "step_free",
    "smoking_ok", "languages", "notes",
)  # fmt: skip
REQUEST_COLUMNS = (
    "external_id", "contact_name", "phone", "email", "adults", "children", "child_ages", "pets", "step_free_needed",
    "languages", "city", "country", "lat", "lon", "max_distance_km", "needed_from", "duration_days", "vulnerable",
    "notes",
)  # fmt: skip
MATCH_COLUMNS = (
    "match_id", "request_external_id", "offer_external_id", "status", "beds_held", "score", "created_at",
    "host_accepted_at", "guest_accepted_at", "confirmed_at", "moved_in_at", "ended_at", "decline_reason",
)  # fmt: skip
COLUMNS = {"offers": OFFER_COLUMNS, "requests": REQUEST_COLUMNS}
REQUIRED_COLUMNS = {"offers": ("host_email", "beds"), "requests": ("contact_name", "adults")}
# Contact details and exact addresses: exported only when the coordinator asks, with a purpose (audited).
PRIVATE_COLUMNS = {
    "offers": frozenset({"host_email", "host_name", "host_phone", "address", "lat", "lon"}),
    "requests": frozenset({"contact_name", "phone", "email"}),
}
KINDS = tuple(COLUMNS)

LIST_SEPARATOR = ";"
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0", ""})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?\d{1,9}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
HEADER_ROW = 1  # rows are numbered as a spreadsheet shows them: the header is row 1
MAX_CELL_CHARS = 100_000


class CellError(ValueError):
    """A cell that does not parse; the message is for a person."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def parse_bool(raw: str) -> bool:
    """true/false, yes/no, 1/0, or empty (false); any case."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError(_l("Write true or false (or yes/no, 1/0)."))


def parse_date(raw: str) -> date | None:
    """YYYY-MM-DD, or None when empty."""
    value = raw.strip()
    if not value:
        return None
    if not _DATE.fullmatch(value):
        raise CellError(_l("Write the date as YYYY-MM-DD."))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError(_l("This date does not exist.")) from None


def parse_int(raw: str) -> int | None:
    """A whole number, or None when empty."""
    value = raw.strip()
    if not value:
        return None
    if not _INTEGER.fullmatch(value):
        raise CellError(_l("Write a whole number."))
    return int(value)


def parse_float(raw: str) -> float | None:
    """A decimal number with a point, or None when empty."""
    value = raw.strip()
    if not value:
        return None
    if not _NUMBER.fullmatch(value) or not math.isfinite(float(value)):
        raise CellError(_l("Write a number with a decimal point, for example 50.0614."))
    return float(value)


def parse_list(raw: str) -> list[str]:
    """Items separated by ";", trimmed, empty ones dropped."""
    return [item.strip() for item in raw.split(LIST_SEPARATOR) if item.strip()]


def format_value(value) -> str:
    """A stored value as a cell: the inverse of the parsers above."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(item) for item in value)
    if isinstance(value, float):
        return repr(value)
    return str(getattr(value, "value", value))


@dataclass(frozen=True)
class Problem:
    """One thing wrong (an error) or worth a look (a warning): its row, column and a message for a person."""

    row: int
    column: str
    message: str


class FileProblem(Exception):
    """The file as a whole cannot be read (not UTF-8, no header, a required column missing...)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass
class Header:
    columns: list[str]  # as normalised, one per cell of the header row
    unknown: list[str]  # not in the format: reported and ignored


def read_header(cells: list[str], kind: str) -> Header:
    """Check the header row: known, unique columns, with the required ones present."""
    names = [cell.strip().lower() for cell in cells]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]
    known = COLUMNS[kind]
    problems = []
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            problems.append(Problem(HEADER_ROW, name, str(_l("This column appears twice in the header."))))
        seen.add(name)
    for name in REQUIRED_COLUMNS[kind]:
        if name not in seen:
            problems.append(Problem(HEADER_ROW, name, str(_l("This required column is missing from the header."))))
    if problems:
        raise FileProblem(problems)
    unknown = [name or f"#{i + 1}" for i, name in enumerate(names) if name not in known]
    return Header(columns=names, unknown=unknown)


def text_stream(binary: IO[bytes]) -> io.TextIOWrapper:
    """A UTF-8 text stream over uploaded bytes, dropping a byte-order mark; newlines are left to csv."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")


def records(text: Iterable[str], kind: str) -> tuple[Header, Iterator[tuple[int, dict[str, str]]]]:
    """The header and a stream of (row number, {column: cell}) for every non-empty data row.

    A row with more cells than the header is an error, reported as a row with the column "*"; a row with
    fewer cells is padded with empty ones, as spreadsheets drop trailing empty cells.
    """
    reader = csv.reader(text, strict=False)
    try:
        first = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise FileProblem([_read_problem(error, HEADER_ROW)]) from None
    if not first or not any(cell.strip() for cell in first):
        raise FileProblem([Problem(HEADER_ROW, "", str(_l("The file is empty: it needs a header row.")))])
    header = read_header(first, kind)
    wanted = [(i, name) for i, name in enumerate(header.columns) if name in COLUMNS[kind]]
    width = len(header.columns)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        number = HEADER_ROW
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as error:
                yield number, {"*": str(_read_problem(error, number).message)}
                if isinstance(error, UnicodeDecodeError):
                    return  # the decoder cannot resynchronise: stop here, the file is refused anyway
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                yield number, {"*": str(_l("This row has more cells than the header has columns."))}
                continue
            if any(len(cell) > MAX_CELL_CHARS for cell in cells):
                yield number, {"*": str(_l("A cell in this row is too long."))}
                continue
            cells += [""] * (width - len(cells))
            yield number, {name: cells[i] for i, name in wanted}

    return header, rows()


def _read_problem(error: Exception, row: int) -> Problem:
    if isinstance(error, UnicodeDecodeError):
        return Problem(row, "", str(_l("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")))
    return Problem(row, "", str(_l("This row is not valid CSV: %(error)s", error=str(error))))


def is_utf8(sample: bytes) -> bool:
    """Whether the start of a file decodes as UTF-8 (an incomplete last character is allowed)."""
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True
