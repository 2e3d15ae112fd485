"""Data in and out: import ice-agreements, import jms, agreements (as of a day), export (the ledger or a table)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from custody_ledger.app import listings
from custody_ledger.app.tables import EXPORTABLE
from custody_ledger.domain.errors import DomainError
from custody_ledger.interop import export as exports
from custody_ledger.interop import jms_csv, jms_mapping
from custody_ledger.interop.ice_agreements import import_edition

from . import common
from .common import DbOption, PolicyOption, err, fail


def import_ice_agreements(
    file: Annotated[Path, typer.Argument(help="One edition of ICE's list: .xlsx or .csv.")],
    as_of: Annotated[str, typer.Option("--as-of", help="The edition's date (YYYY-MM-DD): what it says was true "
                                                         "that day.")],
    field_office: Annotated[str, typer.Option("--field-office", help="The field office new agencies are "
                                                                      "registered under (the lists name none).")],
    pending: Annotated[bool, typer.Option("--pending", help="The list of pending agencies (default: "
                                                             "participating).")] = False,
    db: DbOption = None,
    policy: PolicyOption = None,
) -> None:
    """Record what one edition of ICE's list of participating (or pending) agencies says, compared with the
    ledger: created, amended, unchanged, delisted (inferred) and rejected rows, each named by row and column.
    Exit 0 when every row was read, 1 when some were rejected, 2 when nothing was imported."""
    day = common.day(as_of, "--as-of")
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read: {exc}")
    engine = common.engine(db)
    rules = common.policy(policy)
    try:
        report = import_edition(engine, file.name, data, as_of=day, pending=pending, field_office_id=field_office,
                                now=common.now(), policy=rules, actor="cli:import")
    except DomainError as error:
        fail(error.message)
    summary = report.summary()
    for problem in report.rejected:
        err.print(f"{file.name}: {problem}", highlight=False, markup=False)
    err.print(f"{file.name} as of {day}: {summary['created']} created, {summary['amended']} amended, "
              f"{summary['unchanged']} unchanged, {summary['delisted']} delisted, {summary['rejected']} rejected "
              f"({summary['documents']} documents attached)", highlight=False)
    if report.held_back:
        err.print(f"delisting held back for {', '.join(report.held_back)}: a rejected row there may be the "
                  "missing agreement", highlight=False)
    sys.stdout.write(json.dumps(summary, sort_keys=True) + "\n")
    raise typer.Exit(1 if report.rejected else 0)


def import_jms(
    file: Annotated[Path, typer.Argument(help="A jail management system's CSV export: one booking per row.")],
    facility: Annotated[str, typer.Option("--facility", help="The facility the export is of (its zone reads the "
                                                              "local times).")],
    mapping: Annotated[Path, typer.Option("--mapping", help="YAML: columns, code values and time formats "
                                                            "(docs/jms-import.md).")],
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Write bad rows to FILE.rejects.csv and apply the "
                                                              "rest (default: stop at the first).")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="The export's date (YYYY-MM-DD) its records name; "
                                                               "default today (UTC).")] = None,
    db: DbOption = None,
    policy: PolicyOption = None,
) -> None:
    """Book and release people as a JMS export says, in batches; a row already recorded is unchanged. Exit 0
    when every row was applied or unchanged, 1 when a row was rejected, 2 when nothing was imported."""
    try:
        rules_text = mapping.read_text(encoding="utf-8")
        sha256, lines = jms_csv.digest(file)
    except OSError as exc:
        fail(f"cannot read: {exc}")
    try:
        reading = jms_mapping.load(rules_text)
    except jms_mapping.MappingError as exc:
        fail(f"{mapping}: {exc}")
    source = jms_csv.Source(file.name, sha256, common.now().date() if as_of is None else common.day(as_of, "--as-of"))
    engine = common.engine(db)
    rules = common.policy(policy)
    rejects_path = file.with_name(f"{file.stem}.rejects.csv")
    try:
        with (file.open(encoding=reading.encoding, newline="") as handle,
              _rejects(rejects_path, skip_bad, reading) as on_reject,
              common.progress(max(lines, 1), f"importing {file.name}") as bar):
            report = jms_csv.import_rows(
                engine, jms_csv.read(handle, reading), mapping=reading, facility_id=facility, source=source,
                now=common.now(), policy=rules, skip_bad=skip_bad, on_reject=on_reject, actor="cli:import",
                progress=lambda line: bar.update(bar.task_ids[0], completed=line))
    except DomainError as error:
        fail(error.message)
    except (UnicodeDecodeError, LookupError) as exc:
        fail(f"{file.name}: not readable as {reading.encoding} ({exc}); set `encoding:` in the mapping")
    _jms_summary(file, report, rejects_path if skip_bad else None)


@contextmanager
def _rejects(path: Path, skip_bad: bool, reading: jms_mapping.Mapping) -> Iterator[jms_csv.OnReject]:
    """Bad rows as they were, their header first and why last, so the file imports again with the same mapping
    once fixed; written as they come, never held. A run without rejects leaves no file (nor a stale one)."""
    if not skip_bad:
        yield lambda header, bad: None
        return
    written = False
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=reading.delimiter)

        def write(header: list[str], bad: jms_csv.Reject) -> None:
            nonlocal written
            if not written:
                writer.writerow([*header, "reject_line", "reject_column", "reject_reason"])
                written = True
            writer.writerow([*bad.cells, *[""] * (len(header) - len(bad.cells)), bad.line, bad.column, bad.reason])

        yield write
    if not written:
        path.unlink()


def _jms_summary(file: Path, report: jms_csv.Report, rejects: Path | None) -> None:
    if report.stopped is not None:
        err.print(f"{file.name}: {report.stopped}", highlight=False, markup=False)
    summary = report.summary()
    err.print(f"{file.name}: {report.booked} booked, {report.released} released, {report.unchanged} unchanged, "
              f"{report.rejected} rejected", highlight=False, markup=False)
    if report.stopped is not None:
        err.print(f"stopped at line {report.stopped.line}: nothing of it or after it was applied; the rows before it "
                  "were (importing again after the fix reports them unchanged), or use --skip-bad",
                  highlight=False, markup=False)
    if rejects is not None and report.rejected and rejects.exists():
        err.print(f"rejected rows, with why: {rejects}", highlight=False, markup=False)
    sys.stdout.write(json.dumps(summary, sort_keys=True) + "\n")
    raise typer.Exit(1 if report.rejected else 0)


_COLUMNS = ("agreement_id", "state", "agency", "county", "model", "status", "listed", "signed_on", "listed_on",
            "delisted_on")


def agreements(
    as_of: Annotated[str | None, typer.Option("--as-of", help="The day (YYYY-MM-DD); default today (UTC).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    db: DbOption = None,
) -> None:
    """Every agreement as it stood at the end of a day: agency, model, status, and its place on ICE's list."""
    if fmt not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json; got {fmt!r}")
    day = common.now().date() if as_of is None else common.day(as_of, "--as-of")
    lines = listings.as_of(common.engine(db, upgrade=False), day)
    if fmt == "json":
        for line in lines:
            sys.stdout.write(json.dumps({k: _plain(line[k]) for k in _COLUMNS}) + "\n")
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(_COLUMNS)
        writer.writerows([[_plain(line[k]) for k in _COLUMNS] for line in lines])
    else:
        table = Table(*_COLUMNS[1:], title=f"Agreements as of {day}")
        for line in lines:
            table.add_row(*("" if line[k] is None else str(_plain(line[k])) for k in _COLUMNS[1:]))
        Console().print(table)
    err.print(f"{len(lines)} agreements, {sum(1 for x in lines if x['listed'])} on ICE's list", highlight=False)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def export(
    what: Annotated[str, typer.Argument(help="ledger (default), holds, agreements or officers.")] = "ledger",
    first: Annotated[int | None, typer.Option("--from", help="ledger: the first sequence number.")] = None,
    last: Annotated[int | None, typer.Option("--to", help="ledger: the last sequence number.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="a table: csv or parquet (parquet needs --out).")] = "csv",
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """The ledger as JSON Lines (one event per line, with its hashes: tools/check_export.py checks it without the
    database; no person's data), or the holds, agreements or officers table as CSV or Parquet."""
    if what != "ledger" and what not in EXPORTABLE:
        fail(f"export what: ledger, {', '.join(EXPORTABLE)}; got {what!r}")
    if what != "ledger" and (first is not None or last is not None):
        fail("--from and --to are sequence numbers of the ledger: only for `export ledger`")
    if fmt not in ("csv", "parquet"):
        fail(f"--format must be csv or parquet; got {fmt!r}")
    if fmt == "parquet" and out is None:
        fail("a Parquet export is binary: name a file with --out")
    engine = common.engine(db, upgrade=False)
    try:
        if what == "ledger":
            chunks = exports.ledger(engine, first=first, last=last)
        else:
            chunks = exports.table(engine, what, exports.TableFormat(fmt))
        lines = _write(chunks, out)
    except DomainError as error:
        fail(error.message)
    if what == "ledger":
        err.print(f"exported {lines} events", highlight=False)
    elif fmt == "csv":
        err.print(f"exported {lines - 1} {what}", highlight=False)
    else:
        err.print(f"exported {what} as Parquet to {out}", highlight=False)


def _write(chunks: Any, out: Path | None) -> int:
    """Write the stream; the count is of its newlines (meaningful for JSON Lines and CSV only)."""
    lines = 0
    handle = sys.stdout.buffer if out is None else out.open("wb")
    try:
        for chunk in chunks:
            handle.write(chunk)
            lines += chunk.count(b"\n")
    finally:
        if out is not None:
            handle.close()
        else:
            handle.flush()
    return lines
