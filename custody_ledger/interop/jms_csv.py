"""Import bookings and releases from a jail management system's CSV export (docs/jms-import.md).

Each row becomes book_person and, when the row says the person left, release_from_criminal_custody, run through
the one write path in batches. Rows are read one at a time and a batch is the only thing held, so a file of
millions of rows imports in constant memory. Idempotency keys come from the facility, the JMS's booking id and
the event, never from the file: the next night's export repeats most rows, and they must not book twice.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from custody_ledger.app import facilities
from custody_ledger.app.execute import Result, execute_batch
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.policy import Policy

from . import jms_mapping as jm
from .jms_mapping import BadCell, Mapping, MappingError

BATCH = 1_000
_THEIR_ID_MAX = 60  # our booking id is the facility's id, a dot and theirs, within the ledger's 100 characters
# Which of our fields a refusal's field names, per command, so a refused row is reported by its column.
_FIELD_OF = {"book_person": {"booking_id": "booking_id", "person.name": "name", "person.dob": "dob",
                             "person.a_number": "a_number", "charge_status": "charge_status",
                             "occurred_at": "booked_at"},
             "release_from_criminal_custody": {"booking_id": "booking_id", "reason": "release_reason",
                                               "occurred_at": "released_at"}}


@dataclass(frozen=True)
class Reject:
    line: int
    column: str
    reason: str
    cells: list[str]

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


@dataclass
class Report:
    file: str
    sha256: str
    facility_id: str
    booked: int = 0
    released: int = 0
    unchanged: int = 0
    rejected: int = 0  # a count: with --skip-bad the rows themselves go to the reject file, never to memory
    stopped: Reject | None = None  # the bad row an import without --skip-bad ended at
    last_line: int = 0  # the last line whose row was applied or reported

    def summary(self) -> dict[str, Any]:
        stop = self.stopped
        return {"file": self.file, "sha256": self.sha256, "facility_id": self.facility_id, "booked": self.booked,
                "released": self.released, "unchanged": self.unchanged, "rejected": self.rejected,
                "stopped_at": None if stop is None else {"line": stop.line, "column": stop.column,
                                                         "reason": stop.reason}}


@dataclass(frozen=True)
class Source:
    """What every command of the import names as its origin (domain/provenance.py)."""

    file: str
    sha256: str
    as_of: date


OnReject = Callable[[list[str], Reject], None]  # (the file's header, the bad row)


@dataclass
class _Row:
    line: int
    cells: list[str]
    commands: list[dict[str, Any]]


def digest(path: Path) -> tuple[str, int]:
    """The file's SHA-256 (every command names it) and its line count (the progress bar's total), read in
    chunks so the file is never in memory."""
    sha, lines = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            lines += chunk.count(b"\n")
    return sha.hexdigest(), lines


def read(handle: TextIO, mapping: Mapping) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) per record: a quoted cell may span lines, and a report names where the
    record starts."""
    reader = csv.reader(handle, delimiter=mapping.delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def column_name(mapping: Mapping, name: str) -> str:
    """The export's column(s) behind one of our fields, as a report names them."""
    return "+".join(mapping.columns.get(name, (name,)))


class _Header:
    def __init__(self, cells: list[str], mapping: Mapping) -> None:
        where = {c.strip().casefold(): i for i, c in reversed(list(enumerate(cells)))}
        missing = [c for cols in mapping.columns.values() for c in cols if c.casefold() not in where]
        if missing:
            raise MappingError(f"the header lacks the mapped columns {', '.join(repr(c) for c in missing)} "
                               f"(it has {', '.join(repr(c.strip()) for c in cells)})")
        self.index = {f: tuple(where[c.casefold()] for c in cols) for f, cols in mapping.columns.items()}

    def read(self, cells: list[str]) -> dict[str, str]:
        """Our fields of one record; absent cells read as empty, doubled and non-breaking spaces collapse."""
        out: dict[str, str] = {}
        width = len(cells)
        for name, where in self.index.items():
            parts = [cells[i] if i < width else "" for i in where]
            text = parts[0] if len(parts) == 1 else " ".join(parts)
            out[name] = " ".join(text.split()) if "  " in text or "\xa0" in text or len(parts) > 1 else text.strip()
        return out


@dataclass(frozen=True)
class _Plan:
    mapping: Mapping
    header: _Header
    zone: ZoneInfo
    facility_id: str
    source: Source
    actor: str

    def row(self, line: int, cells: list[str]) -> _Row:
        fields = self.header.read(cells)

        def text(name: str) -> str:
            return fields.get(name, "")

        theirs = text("booking_id")
        if not theirs or len(theirs) > _THEIR_ID_MAX or not theirs.isprintable():
            raise BadCell("booking_id", f"a booking id is 1 to {_THEIR_ID_MAX} printable characters; got {theirs!r}")
        for name in ("name", "dob", "booked_at", "charge_status"):
            if not text(name):
                raise BadCell(name, "empty")
        booked = jm.instant(self.mapping, "booked_at", text("booked_at"), self.zone)
        person = {"name": text("name"), "dob": jm.day(self.mapping, "dob", text("dob")).isoformat()}
        if text("a_number"):
            person["a_number"] = text("a_number").replace("-", "").upper()
        commands = [self._command(line, theirs, "book", "book_person", booked, facility_id=self.facility_id,
                                  person=person, charge_status=jm.code(self.mapping, "charge_status",
                                                                       text("charge_status")))]
        released, reason = text("released_at"), text("release_reason")
        if released:
            if not reason:
                raise BadCell("release_reason", "a release without its reason")
            at = jm.instant(self.mapping, "released_at", released, self.zone)
            if at < booked:
                raise BadCell("released_at", f"{released!r} is before the booking ({text('booked_at')!r})")
            commands.append(self._command(line, theirs, "release", "release_from_criminal_custody", at,
                                          reason=jm.code(self.mapping, "release_reason", reason)))
        elif reason:
            raise BadCell("released_at", f"empty, yet the release reason says {reason!r}")
        return _Row(line, cells, commands)

    def _command(self, line: int, theirs: str, event: str, name: str, at: datetime, **payload: Any) -> dict[str, Any]:
        source = {"file": self.source.file, "sha256": self.source.sha256, "row": line,
                  "as_of": self.source.as_of.isoformat()}
        return {"command": name, "idempotency_key": f"jms:{self.facility_id}:{theirs}:{event}", "actor": self.actor,
                "occurred_at": at.isoformat(), "booking_id": f"{self.facility_id}.{theirs}", **payload,
                "source": source}

    def column(self, name: str) -> str:
        return column_name(self.mapping, name)


def plan(header: list[str], rows: Iterable[tuple[int, list[str]]], mapping: Mapping, zone: ZoneInfo,
         facility_id: str, source: Source, actor: str) -> Iterator[_Row | Reject]:
    """Each record's commands, or why it cannot be read; lazily, one record at a time."""
    planner = _Plan(mapping, _Header(header, mapping), zone, facility_id, source, actor)
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        try:
            yield planner.row(line, cells)
        except BadCell as bad:
            yield Reject(line, planner.column(bad.field), bad.message, cells)


def _already(result: Result) -> bool:
    """Recorded by an earlier import: replayed, or the same key from another export of the row (its source,
    the file and line, differs, so the fingerprint does)."""
    error = result.error or {}
    return result.replayed or (error.get("kind") == "conflict" and error.get("field") == "idempotency_key")


def _refused(result: Result) -> bool:
    return not result.ok and not _already(result)


@dataclass
class _Run:
    engine: Engine
    report: Report
    policy: Policy
    now: datetime
    skip_bad: bool
    on_reject: OnReject
    columns: Callable[[str], str]
    header: list[str] = field(default_factory=list)
    pending: list[_Row] = field(default_factory=list)

    def flush(self) -> bool:
        """Apply the pending rows; False when a refused row ends an import without --skip-bad."""
        rows, self.pending = self.pending, []
        commands = [c for r in rows for c in r.commands]
        if not commands:
            return True
        results = iter(execute_batch(self.engine, commands, now=self.now, policy=self.policy,
                                     until=None if self.skip_bad else _refused))
        for row in rows:
            outcome = [(c, r) for c, r in zip(row.commands, results, strict=False)]
            if not outcome:
                return False  # not run: the batch ended at a refused row before it
            self.report.last_line = row.line
            refused = next(((c, r) for c, r in outcome if _refused(r)), None)
            for command, result in outcome:
                if result.ok and not result.replayed:
                    if command["command"] == "book_person":
                        self.report.booked += 1
                    else:
                        self.report.released += 1
            if refused is None and all(_already(r) for _, r in outcome):
                self.report.unchanged += 1
            if refused is not None:
                error = refused[1].error or {}
                ours = _FIELD_OF[refused[0]["command"]].get(str(error.get("field")))
                reject = Reject(row.line, "-" if ours is None else self.columns(ours), str(error.get("message")),
                                row.cells)
                if not self.reject(reject):
                    return False
        return True

    def reject(self, reject: Reject) -> bool:
        self.report.rejected += 1
        if not self.skip_bad:
            self.report.stopped = reject
            return False
        self.on_reject(self.header, reject)
        return True


def import_rows(engine: Engine, rows: Iterable[tuple[int, list[str]]], *, mapping: Mapping, facility_id: str,
                source: Source, now: datetime, policy: Policy, skip_bad: bool = False,
                on_reject: OnReject = lambda header, bad: None,
                progress: Callable[[int], None] = lambda _: None, batch: int = BATCH,
                actor: str = "import:jms") -> Report:
    """Apply the rows (header first) in batches of about `batch` commands. A bad row ends the import unless
    `skip_bad`, after the rows before it are applied; nothing of it or after it is. An unknown facility or a
    header without the mapped columns is Invalid and changes nothing."""
    facility = facilities.get(engine, facility_id)
    if facility is None:
        raise Invalid(f"facility {facility_id} does not exist: register it first (register_facility)",
                      field="facility_id")
    report = Report(source.file, source.sha256, facility_id)
    records = iter(rows)
    first = next(records, None)
    if first is None:
        raise Invalid("the file is empty: no header", field="file")
    try:
        planned = plan(first[1], records, mapping, ZoneInfo(facility.timezone), facility_id, source, actor)
        run = _Run(engine, report, policy, now, skip_bad, on_reject, lambda name: column_name(mapping, name),
                   first[1])
        size = 0
        for item in planned:
            if isinstance(item, Reject):
                if not skip_bad and not run.flush():
                    break
                if not run.reject(item):
                    break
                report.last_line = item.line
                continue
            run.pending.append(item)
            size += len(item.commands)
            if size >= batch:
                size = 0
                if not run.flush():
                    break
                progress(report.last_line)
        else:
            run.flush()
    except MappingError as exc:
        raise Invalid(str(exc), field="mapping") from None
    progress(report.last_line)
    return report
