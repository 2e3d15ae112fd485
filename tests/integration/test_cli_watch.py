"""The watchdog as people run it: `watch --once [--now]`, `serve` with and without its watchdog, the outbox
commands; and a hold opened before the watchdog existed (migration 0006) still gets its moments."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from custody_ledger.app import watchdog
from custody_ledger.cli import app
from custody_ledger.ledger import db, migrate
from custody_ledger.ledger.schema import events, holds
from custody_ledger.policy import default_policy
from tests.support.world import T0, World, build_agency, certified_officer, open_hold

RUNNER = CliRunner()
WATCH_TYPES = ("alert_raised", "release_due", "limit_exceeded")


def _world(path: Path) -> str:
    """A SQLite file with one open hold released and arrested at T0 (deadline T0 + 48 h, Chicago)."""
    database = str(path / "watch.db")
    engine = db.make_engine(database)
    migrate.upgrade(engine)
    w = World(engine, default_policy())
    build_agency(w)
    certified_officer(w, "OFF-1")
    open_hold(w, "H-1", "OFF-1", released_at=T0, arrested_at=T0)
    engine.dispose()
    return database


def _raised(database: str) -> list[str]:
    engine = db.make_engine(database)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.payload).where(events.c.type.in_(WATCH_TYPES)).order_by(events.c.seq))
        found = [json.loads(r.payload)["threshold"] for r in rows]
    engine.dispose()
    return found


def test_watch_once_at_a_moment_raises_what_fell_due_and_says_so_in_facility_time(tmp_path: Path) -> None:
    database = _world(tmp_path)
    at = (T0 + timedelta(hours=44, minutes=30)).isoformat()
    first = RUNNER.invoke(app, ["watch", "--once", "--now", at, "--db", database])
    again = RUNNER.invoke(app, ["watch", "--once", "--now", at, "--db", database])
    lines = first.stdout.splitlines()
    assert (first.exit_code, [line.split("  ")[2] for line in lines], _raised(database)) == (
        0, ["24h", "12h", "4h"], ["24h", "12h", "4h"])
    assert "deadline 2026-03-04 08:00 CST, late by 20 h 30 m  [ok]" in lines[0]
    assert (again.exit_code, again.stdout, "0 raised" in again.stderr) == (0, "", True)


def test_a_pass_at_a_moment_still_ahead_is_refused_and_records_nothing(tmp_path: Path) -> None:
    database = _world(tmp_path)
    ahead = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    run = RUNNER.invoke(app, ["watch", "--once", "--now", ahead, "--db", database])
    assert (run.exit_code, "later than this machine's clock" in run.stderr, _raised(database)) == (2, True, [])


def test_now_goes_only_with_once(tmp_path: Path) -> None:
    run = RUNNER.invoke(app, ["watch", "--now", T0.isoformat(), "--db", _world(tmp_path)])
    assert (run.exit_code, "--now goes with --once" in run.stderr) == (2, True)


def test_a_second_watchdog_on_one_sqlite_database_says_so(tmp_path: Path) -> None:
    database = _world(tmp_path)
    engine = db.make_engine(database)
    with watchdog.file_lock(engine) as held:
        run = RUNNER.invoke(app, ["watch", "--once", "--db", database])
    engine.dispose()
    assert (held, run.exit_code, "another watchdog" in run.stderr, _raised(database)) == (True, 1, True, [])


def test_a_hold_opened_before_the_watchdog_gets_its_moments_and_then_leaves_the_index(tmp_path: Path) -> None:
    """Migration 0006 sets such a hold's next moment to its clock's start; the first pass puts it right."""
    database = _world(tmp_path)
    engine = db.make_engine(database)
    with engine.begin() as conn:  # as the migration leaves a hold whose opening recorded no schedule
        conn.execute(holds.update().values(next_alert_at=holds.c.clock_started_at))
    nothing_due = watchdog.run_pass(engine, now=T0 + timedelta(hours=1), policy=default_policy())
    with engine.connect() as conn:
        next_at = conn.execute(sa.select(holds.c.next_alert_at)).scalar_one()
    assert (nothing_due.raised, next_at) == ([], T0 + timedelta(hours=24))
    later = watchdog.run_pass(engine, now=T0 + timedelta(hours=25), policy=default_policy())
    assert [r.threshold for r in later.raised] == ["24h"]
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(database: str, *extra: str, seconds: float = 20.0) -> str:
    """Run the server for a few seconds with a quick watchdog; its stderr."""
    env = {**os.environ, "CUSTODY_LEDGER_MFA_REQUIRED": "false", "CUSTODY_LEDGER_WATCH_INTERVAL_SECONDS": "0.2"}
    server = subprocess.Popen([sys.executable, "-m", "custody_ledger", "serve", "--db", database,
                               "--port", str(_free_port()), *extra], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not _raised(database) and server.poll() is None:
        time.sleep(0.1)
    server.terminate()
    return server.communicate(timeout=10)[1]


def test_serve_runs_the_watchdog_unless_told_not_to(tmp_path: Path) -> None:
    # The hold's deadline (March 2026) is long past by the real clock: the server's watchdog raises all of it.
    quiet = _world(tmp_path)
    apart = _serve(quiet, "--no-watch", seconds=2.0)
    assert (_raised(quiet), "watchdog:" in apart) == ([], False)
    watched = _serve(quiet)
    assert ("watchdog: a pass every 0.2 s" in watched, _raised(quiet)[:2]) == (True, ["24h", "12h"])


def test_outbox_commands_list_and_replay(tmp_path: Path) -> None:
    database = _world(tmp_path)
    listed = RUNNER.invoke(app, ["outbox", "list", "--db", database])
    unknown = RUNNER.invoke(app, ["outbox", "replay", "no-such-message", "--db", database])
    assert (listed.exit_code, unknown.exit_code, "no-such-message" in unknown.stderr) == (0, 2, True)
