"""Open holds as a records unit reads them: by time left, full dates in facility time, 80 columns, plain lines
off a terminal; and the one reader behind the CLI and the API's `/holds`, paged in the same order."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from rich.console import Console
from typer.testing import CliRunner

from custody_ledger.app import reads
from custody_ledger.app.auth import Principal, Role
from custody_ledger.cli import app, board
from custody_ledger.ledger import db

RUNNER = CliRunner()
NOW = datetime(2025, 2, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "shown"), [
    (-(2 * 86400 + 4 * 3600 + 59), "overdue by 2 d 4 h"), (-(15963 * 3600 + 12 * 60), "overdue by 665 d 3 h"),
    (3 * 3600 + 5 * 60 + 9, "3 h 05 m"), (249, "4 m 09 s"), (86400 + 3600, "1 d 1 h"), (None, "IGSA: no limit"),
])
def test_time_left_reads_in_days_hours_minutes(seconds: int | None, shown: str) -> None:
    assert board.left(seconds) == shown


def _row(hold_id: str, hours_left: float | None, facility: str = "Naples Jail", alert: tuple[str, str] | None = None
         ) -> dict[str, object]:
    deadline = None if hours_left is None else NOW + timedelta(hours=hours_left)
    kind, threshold = alert or (None, None)
    return {"hold_id": hold_id, "facility_name": facility, "alert_kind": kind, "alert_threshold": threshold,
            "seconds_left": None if deadline is None else int((deadline - NOW).total_seconds()),
            "deadline_local": None if deadline is None else deadline.astimezone(ZoneInfo("America/New_York"))}


def test_the_board_fits_80_columns_with_every_deadline_whole() -> None:
    rows = [_row("H-IN-ELKHART-000006", -391.2, "Elkhart County Correctional Facility and Annex (North Wing)"),
            _row("H-2", 5.5), _row("H-3", None)]
    console = Console(width=80, record=True, file=open("/dev/null", "w"))  # noqa: SIM115 - closed with the console
    console.print(board.table(rows, NOW))
    text = console.export_text()
    assert (max(map(len, text.splitlines())), "2025-01-16 23:48 EST" in text, "overdue by 16 d 7 h" in text,
            "2025-02-02 12:30 EST" in text) == (80, True, True, True)


def test_plain_lines_carry_the_same_facts_without_a_table() -> None:
    text = board.lines([_row("H-1", -52.25, alert=("limit_exceeded", "exceeded")),
                        _row("H-2", 1, alert=("alert_raised", "4h")), _row("H-3", 30)], NOW)
    assert text.splitlines()[1:] == ["overdue by 2 d 4 h  H-1  2025-01-31 02:45 EST  Naples Jail  PAST THE LIMIT",
                                     "1 h 00 m  H-2  2025-02-02 08:00 EST  Naples Jail  4h alert",
                                     "1 d 6 h  H-3  2025-02-03 13:00 EST  Naples Jail  -"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("board") / "demo.db")
    RUNNER.invoke(app, ["init", "--db", path])
    run = RUNNER.invoke(app, ["seed", "--db", path, "--agencies", "3", "--years", "0.3", "--bookings", "20"])
    assert run.exit_code == 0, run.output
    return path


def test_holds_and_board_off_a_terminal_print_plain_lines_by_time_left(seeded: str) -> None:
    holds = RUNNER.invoke(app, ["holds", "--db", seeded])
    once = RUNNER.invoke(app, ["board", "--db", seeded])
    rows = [line for line in holds.stdout.splitlines() if "  H-" in line]
    dates = [re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} [A-Z]{3,4}", line) for line in rows]
    assert (holds.exit_code, once.exit_code, len(rows) > 2, "│" in holds.stdout, once.stdout.count("  H-"),
            all(dates)) == (0, 0, True, False, len(rows), True)


def test_the_cli_reader_orders_open_holds_by_deadline(seeded: str) -> None:
    rows = reads.open_holds(db.make_engine(seeded), datetime.now(UTC))
    deadlines = [r["deadline"] for r in rows if r["deadline"] is not None]
    assert (len(deadlines) > 2, deadlines == sorted(deadlines)) == (True, True)


def test_python_dash_m_runs_the_same_command_line() -> None:
    run = subprocess.run([sys.executable, "-m", "custody_ledger", "--help"], capture_output=True, text=True,
                         check=False)
    assert (run.returncode, "policy" in run.stdout, "commands" in run.stdout) == (0, True, True)


def test_the_api_list_of_holds_pages_by_time_left(db_url: str) -> None:
    seeded = RUNNER.invoke(app, ["seed", "--db", db_url, "--agencies", "2", "--years", "0.1", "--bookings", "10"])
    engine = db.make_engine(db_url, poolclass=sa.NullPool)
    who, now = Principal("auditor-1", Role.PROGRAM_ADMIN, mfa_passed=True), datetime.now(UTC)
    seen: list[str] = []
    after = None
    while True:
        page = reads.run(engine, reads.holds, who, now=now, mfa_required=False, status="open", after=after, limit=3)
        seen += [item["hold_id"] for item in page.items]
        if page.next is None:
            break
        after = str(page.next)
    expected = [r["hold_id"] for r in reads.open_holds(engine, now)]
    engine.dispose()
    assert (seeded.exit_code, len(seen) > 3, seen) == (0, True, expected)
