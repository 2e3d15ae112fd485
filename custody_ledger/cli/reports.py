"""Reports: `report oversight` (full detail, for auditors) and `report transparency` (the public's)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from custody_ledger.reports.render import TEXT_FORMATS, Format

from . import common
from .common import DbOption, fail

FromOption = Annotated[str, typer.Option("--from", help="The period's first day (YYYY-MM-DD), on each record's "
                                                         "local calendar.")]
ToOption = Annotated[str, typer.Option("--to", help="The period's last day (YYYY-MM-DD), included.")]
FormatOption = Annotated[Format, typer.Option("--format", help="html, pdf, csv or parquet.")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Write here; html and csv go to standard output "
                                                               "without it.")]
ThroughOption = Annotated[int | None, typer.Option("--through", min=1, help="Compute on ledger events 1..N (a "
                                                   "report's own range, to rerun it exactly); default: all.")]


def _emit(data: bytes, fmt: Format, out: Path | None) -> None:
    if out is not None:
        out.write_bytes(data)
        common.err.print(f"written: {out} ({len(data):,} bytes)", highlight=False)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _need_out(fmt: Format, out: Path | None) -> None:
    if out is None and fmt not in TEXT_FORMATS:
        fail(f"--out is required for --format {fmt.value} (only html and csv go to standard output)")


def oversight(
    start: FromOption, end: ToOption,
    fmt: FormatOption = Format.HTML,
    agency: Annotated[str | None, typer.Option("--agency", help="One agency's figures only.")] = None,
    out: OutOption = None, through: ThroughOption = None, db: DbOption = None,
) -> None:
    """Per agency, model and month: agreements, officers, WSO arrests, hold durations, releases at the limit,
    violations, refusals by rule, late entries, late alerts, costs by payer, complaints, steering committees;
    charts in html and pdf. Names the ledger range and chain head it was computed from."""
    period = common.period(start, end)
    _need_out(fmt, out)
    engine = common.engine(db)
    from custody_ledger.reports import publish  # DuckDB and Arrow load only for a report, not for every command

    try:
        data = publish.oversight_report(engine, common.settings(), period, agency, fmt, through)
    except ValueError as exc:
        fail(str(exc))
    _emit(data, fmt, out)


def transparency(
    start: FromOption, end: ToOption,
    fmt: FormatOption = Format.HTML,
    out: OutOption = None, through: ThroughOption = None, db: DbOption = None,
) -> None:
    """The public figures by state, model and quarter: agreements in force, arrests, transfers, releases,
    releases at the limit, holds past the limit, hold hours; every count below the threshold (setting
    CUSTODY_LEDGER_TRANSPARENCY_THRESHOLD, default 11) and what would reveal it withheld."""
    period = common.period(start, end)
    _need_out(fmt, out)
    engine = common.engine(db)
    from custody_ledger.reports import publish

    try:
        data = publish.transparency_report(engine, common.settings(), period, fmt, through)
    except ValueError as exc:
        fail(str(exc))
    _emit(data, fmt, out)
