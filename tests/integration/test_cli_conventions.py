"""Command-line conventions (issue 8): only `init` creates, moments as a person writes them, help without
placeholders, choices that list themselves, apply's summary and exit codes, a port checked before it is announced."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from custody_ledger.app.seeding import load_history
from custody_ledger.cli import app, common
from custody_ledger.demo.generator import generate
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.db import make_engine
from tests.support.backends import pg_admin, pg_url, require_postgres

RUNNER = CliRunner()
READERS = [["holds"], ["board"], ["verify"], ["demo-accounts"], ["key", "add", "k", "--agency", "A"],
           ["user", "disable", "u"], ["seed", "--agencies", "1", "--years", "0.01"]]


@pytest.fixture(params=["sqlite", "postgresql"])
def schemaless(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that exists but where `init` never ran."""
    if request.param == "sqlite":
        path = tmp_path / "empty.db"
        sqlite3.connect(path).close()
        yield str(path)
        return
    require_postgres()
    name = f"cl_test_{uuid.uuid4().hex[:10]}"
    with pg_admin().connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        with pg_admin().connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c[:2]))
def test_a_command_other_than_init_refuses_a_missing_file_in_one_line_and_creates_nothing(
        command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "nothere.db"
    run = RUNNER.invoke(app, [*command, "--db", str(missing)], input="")
    assert (run.exit_code, run.stderr.count("\n"), str(missing) in run.stderr, missing.exists()) == (
        2, 1, True, False)


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c[:2]))
def test_a_command_other_than_init_refuses_a_database_without_schema_naming_it(
        command: list[str], schemaless: str) -> None:
    run = RUNNER.invoke(app, [*command, "--db", schemaless], input="")
    assert (run.exit_code, run.stderr.count("\n"), "no Custody Ledger schema" in run.stderr) == (2, 1, True)


def test_init_creates_the_schema_then_holds_reads_it(schemaless: str) -> None:
    created = RUNNER.invoke(app, ["init", "--db", schemaless])
    holds = RUNNER.invoke(app, ["holds", "--db", schemaless])
    assert (created.exit_code, holds.exit_code) == (0, 0)


def test_the_default_database_is_refused_when_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = RUNNER.invoke(app, ["holds"], env={"CUSTODY_LEDGER_DB": None})
    assert (run.exit_code, "custody_ledger.db" in run.stderr, (tmp_path / "custody_ledger.db").exists()) == (
        2, True, False)


# --- moments: --at and --now ------------------------------------------------------------------------------


@pytest.mark.parametrize(("at", "extra", "day"), [
    ("2015-01-01", [], "2015-01-01"),                                      # a date: that day on --zone's calendar
    ("2019-05-05T23:30", ["--tz", "America/Chicago"], "2019-05-06"),     # local, read in --tz: 04:30 UTC
    ("2019-05-05T23:30-05:00", [], "2019-05-06"),                        # an instant
    ("2019-05-06T04:30:00Z", ["--zone", "America/Chicago"], "2019-05-05"),  # the agency's day
])
def test_policy_show_at_takes_a_date_a_local_time_or_an_instant(at: str, extra: list[str], day: str) -> None:
    run = RUNNER.invoke(app, ["policy", "show", "--at", at, *extra], env={"COLUMNS": "250", "TZ": "UTC"})
    assert (run.exit_code, f"Policy in force on {day}" in run.stdout) == (0, True)


@pytest.mark.parametrize(("args", "option"), [
    (["--at", "yesterday"], "--at"), (["--at", "2015-13-01"], "--at"),
    (["--at", "2015-01-01T10:00", "--tz", "Mars/Olympus"], "--tz"), (["--zone", "Nowhere"], "--zone"),
])
def test_a_moment_or_zone_it_cannot_read_is_one_line_naming_the_option(args: list[str], option: str) -> None:
    run = RUNNER.invoke(app, ["policy", "show", *args])
    assert (run.exit_code, run.stderr.count("\n"), option in run.stderr, run.exception is None or
            isinstance(run.exception, SystemExit)) == (2, 1, True, True)


def test_policy_show_gives_every_value_its_unit_or_rule() -> None:
    run = RUNNER.invoke(app, ["policy", "show"], env={"COLUMNS": "300"})
    rows = [line.split("│") for line in run.stdout.splitlines() if line.startswith("│ ") and "." in line[:25]]
    values = {cells[1].strip(): cells[2].strip() for cells in rows}
    assert (values["custody.limit"], values["time.future_skew"], values["training.jem"], values["training.exam"][:16],
            values["training.refresher"], values["custody.violation"], "" in values.values()) == (
        "48 hours, elapsed", "300 seconds", "160 hours", "70 percent to pa", "12 months", "rule", False)


# --- help, choices -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["user", "add"], ["apply"], ["seed"], ["holds"], ["policy", "show"],
                                     ["user"], ["key", "add"], ["commands"]])
def test_help_shows_no_value_placeholder_for_flags(command: list[str]) -> None:
    run = RUNNER.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert (run.exit_code, "<bool>" in run.stdout, "--help" in run.stdout) == (0, False, True)


def test_an_invalid_role_lists_the_valid_ones() -> None:
    run = RUNNER.invoke(app, ["user", "add", "x", "--role", "sheriff"], env={"COLUMNS": "300"})
    assert (run.exit_code, all(r in run.output for r in ("facility_staff", "ice_supervisor", "auditor"))) == (2, True)


@pytest.mark.parametrize("text", ["4", "14400", "soon"])
def test_due_within_requires_a_unit(text: str, tmp_path: Path) -> None:
    run = RUNNER.invoke(app, ["holds", "--db", str(tmp_path / "x.db"), "--due-within", text])
    assert (run.exit_code, "30m, 4h, 2d" in run.stderr) == (2, True)


# --- apply: summary line and exit codes ---------------------------------------------------------------------


def _office(key: str, office: str = "FO-1") -> str:
    return json.dumps({"command": "register_field_office", "idempotency_key": key, "actor": "t",
                       "field_office_id": office, "name": "Miami ERO", "timezone": "America/New_York"})


def _apply(tmp_path: Path, db_url: str, *lines: str) -> tuple[int, str]:
    file = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    file.write_text("\n".join(lines) + "\n")
    run = RUNNER.invoke(app, ["apply", str(file), "--db", db_url])
    return run.exit_code, run.stderr


def test_apply_exits_zero_when_every_line_is_ok_or_replayed_with_a_summary(tmp_path: Path, db_url: str) -> None:
    first = _apply(tmp_path, db_url, _office("k1"))
    again = _apply(tmp_path, db_url, _office("k1"), _office("k2", "FO-2"))
    assert (first, again) == ((0, "1 lines: ok 1, replayed 0, refused 0, invalid 0, not found 0, conflict 0\n"),
                              (0, "2 lines: ok 1, replayed 1, refused 0, invalid 0, not found 0, conflict 0\n"))


def test_apply_exits_one_when_every_line_is_invalid(tmp_path: Path, db_url: str) -> None:
    bad = json.dumps({"command": "no_such_command", "idempotency_key": "x", "actor": "t"})
    code, summary = _apply(tmp_path, db_url, bad, bad.replace('"x"', '"y"'))
    assert (code, "invalid 2" in summary) == (1, True)


def test_apply_exits_one_on_a_conflict(tmp_path: Path, db_url: str) -> None:
    code, summary = _apply(tmp_path, db_url, _office("k1"), _office("k2"))
    assert (code, "ok 1" in summary, "conflict 1" in summary) == (1, True, True)


def test_apply_exits_two_for_a_file_it_cannot_read(tmp_path: Path, db_url: str) -> None:
    run = RUNNER.invoke(app, ["apply", str(tmp_path / "none.jsonl"), "--db", db_url])
    assert (run.exit_code, "cannot read" in run.stderr) == (2, True)


# --- serve, commands ----------------------------------------------------------------------------------------


def test_serve_on_a_busy_port_says_so_and_announces_no_url(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    RUNNER.invoke(app, ["init", "--db", db])
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = RUNNER.invoke(app, ["serve", "--db", db, "--port", str(port)])
    assert (run.exit_code, f"127.0.0.1:{port}" in run.stderr, "http://" in run.stderr) == (2, True, False)


def test_commands_prints_the_vocabulary_and_one_command_on_request() -> None:
    every = RUNNER.invoke(app, ["commands"])
    one = RUNNER.invoke(app, ["commands", "serve_warrant"])
    assert (every.exit_code, "serve_warrant" in every.stdout, "book_person" in every.stdout,
            one.exit_code, "serve_warrant" in one.stdout, "book_person" in one.stdout) == (
        0, True, True, 0, True, False)


def test_an_unknown_command_name_lists_the_commands() -> None:
    run = RUNNER.invoke(app, ["commands", "arrest_everyone"])
    assert (run.exit_code, "serve_warrant" in run.stderr, run.stderr.count("\n")) == (2, True, 1)


def test_seeding_reports_progress_for_every_command(db_url: str, policy: Policy) -> None:
    commands = list(generate(3, datetime.now(UTC).replace(microsecond=0), agencies=1, years=0.05,
                             bookings_per_agency_month=5))
    told: list[int] = []
    engine = make_engine(db_url, poolclass=sa.NullPool)
    load_history(engine, commands, policy, now=datetime.now(UTC), batch=50, progress=told.append)
    assert (sum(told), len(told) > 1) == (len(commands), True)


def test_apply_draws_a_progress_bar_only_on_a_terminal(tmp_path: Path, db_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "one.jsonl"
    file.write_text(_office("k1") + "\n")
    monkeypatch.setattr(common.err, "_force_terminal", True)
    shown: list[bool] = []
    real = common.Progress

    def spy(*args: Any, **kwargs: Any) -> Any:
        shown.append(not kwargs["disable"])
        return real(*args, **kwargs)

    monkeypatch.setattr(common, "Progress", spy)
    RUNNER.invoke(app, ["apply", str(file), "--db", db_url])
    monkeypatch.setattr(common.err, "_force_terminal", False)
    RUNNER.invoke(app, ["apply", str(file), "--db", db_url])
    assert shown == [True, False]


def test_the_start_script_prints_the_export_line_for_the_database_it_serves(tmp_path: Path) -> None:
    database = str(tmp_path / "kept.db")
    RUNNER.invoke(app, ["init", "--db", database])
    RUNNER.invoke(app, ["seed", "--db", database, "--agencies", "1", "--years", "0.05", "--bookings", "5"])
    script = Path(__file__).parents[2] / "scripts" / "start.sh"
    with socket.socket() as busy:  # serve refuses a busy port, so the script ends instead of serving
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env = {**os.environ, "CUSTODY_LEDGER_DB": database, "PORT": str(busy.getsockname()[1])}
        run = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, check=False, timeout=120)
    export = run.stdout.splitlines()[1].strip()
    assert (run.returncode, export, "ledger verified" in run.stderr) == (2, f"export CUSTODY_LEDGER_DB={database}",
                                                                         True)


def test_seed_draws_a_progress_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = str(tmp_path / "s.db")
    RUNNER.invoke(app, ["init", "--db", database])
    monkeypatch.setattr(common.err, "_force_terminal", True)
    drawn: list[bool] = []
    advanced: list[float] = []
    real = common.Progress

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            drawn.append(not kwargs["disable"])
            super().__init__(*args, **kwargs)

        def advance(self, task_id: Any, advance: float = 1) -> None:
            advanced.append(advance)
            super().advance(task_id, advance)

    monkeypatch.setattr(common, "Progress", Spy)
    run = RUNNER.invoke(app, ["seed", "--db", database, "--agencies", "1", "--years", "0.05", "--bookings", "5"])
    assert (run.exit_code, drawn, sum(advanced) >= 10) == (0, [True], True)
