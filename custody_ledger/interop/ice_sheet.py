"""Reading one edition of ICE's list of 287(g) agencies (participating or pending), xlsx or csv, into rows.

Every edition since 2021 differs a little (docs/ice-lists.md): columns come and go and are found by header
name; cells carry trailing spaces, curly apostrophes, placeholders (#N/A, #NA, N/A), Excel dates, text dates
(some malformed), hyperlinks whose text is "MOA" and whose target is the URL. What cannot be read is reported
by row and column (`Problem`) and never guessed; the reading of each cell's meaning is ice_agreements.py's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

# Header names seen for each column, after normalisation (upper case, one space, no trailing punctuation).
COLUMNS: dict[str, tuple[str, ...]] = {
    "state": ("STATE",),
    "agency": ("LAW ENFORCEMENT AGENCY", "AGENCY", "AGENCY NAME", "LEA", "LEA NAME"),
    "county": ("COUNTY",),
    "type": ("TYPE", "AGENCY TYPE", "JURISDICTION TYPE", "JURISDICTION"),
    "model": ("SUPPORT TYPE", "MODEL", "287(G) MODEL", "PROGRAM", "PROGRAM MODEL"),
    "signed": ("SIGNED", "SIGNED DATE", "DATE SIGNED", "MOA SIGNED", "SIGNATURE DATE"),
    "moa": ("MOA", "MOA LINK", "LINK", "MOA LINKS"),
    "addendum": ("ADDENDUM", "ADDENDUMS", "ADDENDA", "ADDENDUM LINK"),
}
REQUIRED = ("state", "agency", "model")
_PLACEHOLDERS = {"", "#N/A", "#NA", "N/A", "NA", "-", "--", "NONE", "NULL"}
_HYPERLINK = re.compile(r'^=HYPERLINK\(\s*"([^"]+)"\s*(?:[,;]\s*"([^"]*)"\s*)?\)$', re.IGNORECASE)
_URL = re.compile(r"^https?://\S+$")
_TEXT_DATES = ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d-%b-%y", "%d-%b-%Y", "%m-%d-%Y",
               "%m.%d.%Y")
# Excel's day 0 (its serial dates count from 1899-12-30 on the 1900 date system, the one ICE's files use).
_EXCEL_EPOCH = date(1899, 12, 30)
_HEADER_SCAN_ROWS = 15


class SheetError(Exception):
    """The file as a whole cannot be read (not xlsx or csv, no header row, a required column missing)."""


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class Cell:
    text: str | None  # normalised text, None for a blank or placeholder
    url: str | None = None  # a hyperlink's target
    value: object = None  # what the file holds, for dates (datetime, number or text)


@dataclass
class Sheet:
    file: str
    sha256: str
    columns: dict[str, str]  # our column name -> the header as the file wrote it
    rows: list[tuple[int, dict[str, Cell]]] = field(default_factory=list)  # (row number, cells); blank rows skipped


def clean(text: object) -> str | None:
    """One reading of a text cell: NBSP and runs of spaces to one space, curly quotes to straight, placeholders
    to None."""
    if text is None:
        return None
    value = str(text).replace("\u00a0", " ").replace("\u2019", "'").replace("\u2018", "'")
    value = value.replace("\u201c", '"').replace("\u201d", '"')
    value = " ".join(value.split())
    return None if value.upper() in _PLACEHOLDERS else value


def _header_key(text: object) -> str:
    return " ".join(str(text or "").replace("\u00a0", " ").upper().split()).rstrip(":*.")


def read(name: str, data: bytes) -> Sheet:
    digest = hashlib.sha256(data).hexdigest()
    grid = _xlsx_rows(data) if data[:2] == b"PK" else _csv_rows(data)
    return _sheet(name, digest, grid)


def _sheet(name: str, digest: str, grid: Iterable[tuple[int, list[Cell]]]) -> Sheet:
    rows = iter(grid)
    header: list[Cell] | None = None
    for number, cells in rows:
        keys = {_header_key(c.text) for c in cells}
        if "STATE" in keys and keys & set(COLUMNS["agency"]):
            header = cells
            break
        if number >= _HEADER_SCAN_ROWS:
            break
    if header is None:
        raise SheetError(f"{name}: no header row with STATE and LAW ENFORCEMENT AGENCY in the first "
                         f"{_HEADER_SCAN_ROWS} rows")
    where: dict[str, int] = {}
    written: dict[str, str] = {}
    for index, cell in enumerate(header):
        key = _header_key(cell.text)
        for ours, names in COLUMNS.items():
            if key in names and ours not in where:
                where[ours], written[ours] = index, str(cell.text)
    missing = [c for c in REQUIRED if c not in where]
    if missing:
        raise SheetError(f"{name}: no column {', '.join(missing)} (headers: "
                         f"{', '.join(str(c.text) for c in header if c.text)})")
    sheet = Sheet(name, digest, written)
    for number, cells in rows:
        picked = {ours: cells[i] if i < len(cells) else Cell(None) for ours, i in where.items()}
        if all(c.text is None and c.url is None for c in picked.values()):
            continue  # a blank row, or a row of placeholders only
        sheet.rows.append((number, picked))
    return sheet


def _xlsx_rows(data: bytes) -> Iterable[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook  # only an xlsx needs it

    try:
        # Not read-only: hyperlinks are only read from a fully loaded sheet. Loaded twice: the cached values for
        # what a formula showed, the formulas for the URL of a =HYPERLINK(...) cell.
        values = load_workbook(io.BytesIO(data), data_only=True).worksheets[0]
        formulas = load_workbook(io.BytesIO(data)).worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SheetError(f"not a readable xlsx workbook: {exc}") from None
    for number, (shown, written) in enumerate(zip(values.iter_rows(), formulas.iter_rows(), strict=False), 1):
        yield number, [_xlsx_cell(c, f) for c, f in zip(shown, written, strict=False)]


def _xlsx_cell(cell: Any, formula: Any) -> Cell:
    link = getattr(cell, "hyperlink", None) or getattr(formula, "hyperlink", None)
    url = getattr(link, "target", None) if link is not None else None
    written = formula.value
    if isinstance(written, str):
        match = _HYPERLINK.match(written.strip())
        if match:
            return Cell(clean(cell.value if isinstance(cell.value, str) else match.group(2) or match.group(1)),
                        match.group(1), written)
    value = cell.value
    if isinstance(value, str) and url is None and _URL.match(value.strip()):
        url = value.strip()
    text = clean(value.isoformat() if isinstance(value, datetime | date) else value)
    return Cell(text, url, value)


def _csv_rows(data: bytes) -> Iterable[tuple[int, list[Cell]]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything; latin-1 below is the last word
        text = data.decode("latin-1")
    if "\x00" in text:
        raise SheetError("not a CSV or xlsx file (binary content)")
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
        yield number, [_csv_cell(v) for v in row]


def _csv_cell(value: str) -> Cell:
    raw = value.strip()
    match = _HYPERLINK.match(raw)
    if match:
        return Cell(clean(match.group(2) or match.group(1)), match.group(1), raw)
    return Cell(clean(raw), raw if _URL.match(raw) else None, raw)


def read_date(cell: Cell, row: int, column: str) -> date | Problem | None:
    """An Excel date, an Excel serial number or a text date in one of the forms the lists use; anything else is
    a problem named by row and column (2/30/2025 is not read as 3/2)."""
    value = cell.value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value, row, column)
    text = cell.text
    if text is None:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial(float(text), row, column)
    for form in _TEXT_DATES:
        try:
            return datetime.strptime(text, form).date()  # noqa: DTZ007 - a calendar day, no instant
        except ValueError:
            continue
    return Problem(row, column, f"{text!r} is not a date (expected e.g. 01/31/2025, 2025-01-31 or an Excel date)")


def _serial(value: float, row: int, column: str) -> date | Problem:
    # Serials of 1990-2100: anything else in a SIGNED column is a number typed by mistake.
    if not 32874 <= value <= 73051:
        return Problem(row, column, f"{value!r} is a number, not an Excel date of 1990-2100")
    return _EXCEL_EPOCH + timedelta(days=int(value))


def first_url(cells: Sequence[Cell]) -> str | None:
    return next((c.url for c in cells if c.url), None)
