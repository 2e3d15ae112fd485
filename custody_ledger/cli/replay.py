"""`replay`: the recorded history re-judged under another policy file, per agency; nothing is written."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from custody_ledger.domain.errors import DomainError
from custody_ledger.domain.policy import Policy, PolicyError
from custody_ledger.policy import load_policy
from custody_ledger.reports.replay import AgencyFigures, Finding, Replay
from custody_ledger.reports.replay import replay as run_replay

from . import common
from .common import DbOption, err, fail

COLUMNS = ("agency", "holds judged", "acts judged", "refusals judged", "would breach",
           "of which not breaching today", "breaching today only", "accepted→refused", "refused→allowed",
           "undetermined", "alerts recorded", "alerts under other")
SHORT = ("holds\njudged", "acts\njudged", "refusals\njudged", "would\nbreach", "not\ntoday", "today\nonly",
         "accepted\n→refused", "refused\n→allowed", "undeter-\nmined", "alerts\nrecorded", "alerts\nother")
CAPTION = ("not today: would breach, of which not breaching today; today only: breaching today only (docs/replay.md)")
FINDING_COLUMNS = ("agency", "kind", "id", "outcome", "rule id", "citation", "what")
FORMATS = ("text", "csv", "json")


def _figures(a: AgencyFigures) -> list[str]:
    counts = (a.holds, a.acts, a.refusals, a.would_breach, a.breach_new, a.breach_gone, a.accepted_refused,
              a.refused_allowed, a.undetermined, a.alerts_recorded, a.alerts_other)
    return [a.agency_id, *(str(n) for n in counts)]


def _finding(f: Finding) -> list[str]:
    return [f.agency_id or "", f.kind, f.ident, f.outcome, f.rule_id or "", f.citation or "", f.what]


def _title(result: Replay) -> str:
    return (f"What if: {result.policy}, acts of {result.start} to {result.end} (until {result.until:%Y-%m-%d %H:%M} "
            f"UTC), {result.events} events read up to head {result.head[:12]}; {result.changes} changes")


def lines(result: Replay) -> str:
    """Plain lines for a pipe or a file: the per-agency figures, then one finding per line."""
    out = [_title(result), "  ".join(COLUMNS)]
    out += ["  ".join(_figures(a)) for a in result.agencies]
    out += ["", "Findings:" if result.findings else "No findings."]
    out += [f"{f.agency_id}  {f.kind} {f.ident}  {f.outcome}  {f.rule_id or '-'}: {f.what}" for f in result.findings]
    return "\n".join(out) + "\n"


def csv_text(result: Replay) -> str:
    """Two tables, each with its header, a blank line between: the figures per agency, then the findings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_figures(a) for a in result.agencies)
    writer.writerow([])
    writer.writerow(FINDING_COLUMNS)
    writer.writerows(_finding(f) for f in result.findings)
    return buffer.getvalue()


def _show(result: Replay) -> None:
    console = Console()
    if not console.is_terminal:
        sys.stdout.write(lines(result))
        return
    # The agency id never wraps; on a narrow terminal the headers of the counts fold rather than lose words.
    figures = Table(title=_title(result), caption=CAPTION, box=box.SIMPLE_HEAD)
    figures.add_column(COLUMNS[0], no_wrap=True)
    for name in SHORT:
        figures.add_column(name, justify="right", overflow="fold")
    for a in result.agencies:
        figures.add_row(*_figures(a))
    console.print(figures)
    details = Table(title="Findings", show_lines=True)
    for name in (*FINDING_COLUMNS[:5], "what"):
        details.add_column(name, overflow="fold", no_wrap=name == "agency")
    for f in result.findings:
        row = _finding(f)
        details.add_row(*row[:5], row[6])
    if result.findings:
        console.print(details)


def _policy(path: Path) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        fail(f"--policy: {exc}")


def replay(
    policy: Annotated[Path, typer.Option("--policy", help="The OTHER policy YAML to judge history under.")],
    start: Annotated[str, typer.Option("--from", help="The first day of acts judged (YYYY-MM-DD, the act's "
                                                      "calendar: the facility's or the field office's).")],
    end: Annotated[str, typer.Option("--to", help="The last day judged; a hold still open at its end is judged "
                                                  "then.")],
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency's acts.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, csv or json.")] = "text",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
    db: DbOption = None,
) -> None:
    """What if another policy had been in force: holds that would have breached its limit and acts whose
    refusal would have changed, per agency (docs/replay.md). Reads the ledger only; writes nothing."""
    if fmt not in FORMATS:
        fail(f"--format must be text, csv or json; got {fmt!r}")
    first, last = common.period(start, end)
    other = _policy(policy)
    engine = common.engine(db, upgrade=False)
    try:
        result = run_replay(engine, other, first, last, now=common.now(), agency=agency)
    except DomainError as error:
        fail(f"--agency: {error.message}" if agency is not None and error.field == "agency_id" else error.message)
    finally:
        engine.dispose()
    text = (json.dumps(result.to_dict(), indent=2) + "\n" if fmt == "json"
            else csv_text(result) if fmt == "csv" else lines(result) if out is not None else None)
    if text is None:
        _show(result)
    elif out is not None:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    err.print(f"{len(result.agencies)} agencies, {result.changes} changes, "
              f"{sum(a.undetermined for a in result.agencies)} undetermined", highlight=False)
