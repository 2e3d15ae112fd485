"""The command line as an operator uses it: apply, seed, holds, policy show."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from custody_ledger.cli import app
from custody_ledger.ledger.db import make_engine
from custody_ledger.ledger.schema import events
from custody_ledger.policy import default_policy
from tests.support.world import World, build_agency, certified_officer, open_hold

RUNNER = CliRunner()


def _line(command: str, key: str, **payload: object) -> str:
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    return json.dumps({"command": command, "idempotency_key": key, "actor": "cli-test", "occurred_at": at, **payload})


def _setup_lines() -> list[str]:
    return [
        _line("register_field_office", "1", field_office_id="FO-1", name="Miami ERO", timezone="America/New_York"),
        _line("register_agency", "2", agency_id="AG-1", name="Sheriff", kind="sheriff", state="FL", county="Collier",
              ori="FL0110000", field_office_id="FO-1"),
        _line("register_facility", "3", facility_id="F-1", agency_id="AG-1", name="Naples Jail",
              timezone="America/New_York"),
        _line("nominate_officer", "4", officer_id="O-1", agency_id="AG-1", name="Only Nominated", badge="9"),
        _line("book_person", "5", booking_id="B-1", facility_id="F-1", person={"name": "J", "dob": "1990-02-02"},
              charge_status="pending"),
        _line("interview_status", "6", booking_id="B-1", officer_id="O-1"),
    ]


def _events(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()


def test_apply_prints_one_result_per_line_and_exits_one_when_a_line_is_refused(tmp_path: Path, db_url: str) -> None:
    file = tmp_path / "cmds.jsonl"
    file.write_text("\n".join(_setup_lines()) + "\n")
    run = RUNNER.invoke(app, ["apply", str(file), "--db", db_url])
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert (run.exit_code, [r["ok"] for r in results], results[-1]["error"]["rule_id"]) == (
        1, [True] * 5 + [False], "certificate.current_required")


def test_apply_in_batches_gives_the_same_results(tmp_path: Path, db_url: str) -> None:
    file = tmp_path / "cmds.jsonl"
    file.write_text("\n".join(_setup_lines()) + "\n")
    run = RUNNER.invoke(app, ["apply", str(file), "--db", db_url, "--batch", "4"])
    assert [json.loads(line)["ok"] for line in run.stdout.splitlines()] == [True] * 5 + [False]


def test_apply_refuses_unreadable_input_naming_the_line_and_changes_nothing(tmp_path: Path, db_url: str,
                                                                          engine: sa.Engine) -> None:
    file = tmp_path / "cmds.jsonl"
    file.write_text(_setup_lines()[0] + "\n{not json\n")
    run = RUNNER.invoke(app, ["apply", str(file), "--db", db_url])
    assert (run.exit_code, "cmds.jsonl:2" in run.stderr, _events(engine)) == (2, True, 0)


def test_seed_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    outs = []
    for seed, name in ((5, "a"), (5, "b"), (6, "c")):
        out = tmp_path / f"{name}.jsonl"
        RUNNER.invoke(app, ["seed", "--seed", str(seed), "--agencies", "3", "--years", "0.2",
                            "--now", "2026-11-01T00:00:00+00:00", "--out", str(out)])
        outs.append(out.read_text())
    assert (outs[0] == outs[1], outs[0] == outs[2], len(outs[0]) > 0) == (True, False, True)


def test_seed_then_holds_shows_each_deadline_with_its_full_date_and_zone(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    RUNNER.invoke(app, ["init", "--db", db])
    seeded = RUNNER.invoke(app, ["seed", "--db", db, "--agencies", "3", "--years", "0.3", "--bookings", "20"])
    shown = RUNNER.invoke(app, ["holds", "--db", db])
    rows = [line for line in shown.stdout.splitlines() if "  H-" in line]
    full = re.compile(r"  \d{4}-\d{2}-\d{2} \d{2}:\d{2} [A-Z]{3,4}  ")
    assert (seeded.exit_code, shown.exit_code, len(rows) > 0, all(full.search(row) for row in rows)) == (
        0, 0, True, True)


def test_holds_due_within_shows_only_holds_due_that_soon(tmp_path: Path) -> None:
    """Open holds due in 1, 3, 5 and 30 hours, one under an IGSA (no deadline) and one already released:
    a 4-hour window shows exactly the two due inside it; no window shows every open hold."""
    db = str(tmp_path / "holds.db")
    RUNNER.invoke(app, ["init", "--db", db])
    engine, policy, now = make_engine(db), default_policy(), datetime.now(UTC)
    limit = policy.at(now, UTC).custody_limit.limit
    world = World(engine, policy, start=now - limit - timedelta(days=2))
    build_agency(world, "AG-A")
    build_agency(world, "AG-I", igsa=True)
    certified_officer(world, "OFF-1")
    certified_officer(world, "OFF-I", agency="AG-I")
    open_hold(world, "H-IGSA", "OFF-I", agency="AG-I", released_at=now - limit + timedelta(minutes=30))
    for hold, hours in (("H-1H", 1), ("H-DONE", 2), ("H-3H", 3), ("H-5H", 5), ("H-30H", 30)):
        open_hold(world, hold, "OFF-1", released_at=now - limit + timedelta(hours=hours))
    world.ok("release_hold", at=now - timedelta(minutes=5), hold_id="H-DONE", reason="ice_declined")
    engine.dispose()

    def shown(*window: str) -> set[str]:
        run = RUNNER.invoke(app, ["holds", "--db", db, *window])
        return set(re.findall(r"\bH-[A-Z0-9]+\b", run.stdout))

    assert (shown("--due-within", "4h"), shown()) == ({"H-1H", "H-3H"}, {"H-IGSA", "H-1H", "H-3H", "H-5H", "H-30H"})


def test_a_malformed_duration_is_a_clear_error(tmp_path: Path) -> None:
    run = RUNNER.invoke(app, ["holds", "--db", str(tmp_path / "x.db"), "--due-within", "soon"])
    assert (run.exit_code, "--due-within" in run.stderr) == (2, True)


def test_verify_on_a_missing_file_says_so_and_creates_nothing(tmp_path: Path) -> None:
    run = RUNNER.invoke(app, ["verify", "--db", str(tmp_path / "nothere.db")])
    assert (run.exit_code, "no database at" in run.stderr, (tmp_path / "nothere.db").exists()) == (2, True, False)


@pytest.mark.parametrize("url", ["postgresql://nobody@127.0.0.1:1/none", "nosuchdb://x/y"])
def test_a_database_that_cannot_be_opened_is_one_line_naming_it(url: str) -> None:
    run = RUNNER.invoke(app, ["holds", "--db", url])
    assert (run.exit_code, run.stderr.count("\n"), "cannot open database" in run.stderr) == (2, 1, True)


@pytest.mark.parametrize(("variable", "value"), [("CUSTODY_LEDGER_ENVIRONMENT", "prod"),
                                                 ("CUSTODY_LEDGER_LOCKOUT_MINUTES", "5"),
                                                 ("CUSTODY_LEDGER_LOCKOUT_FAILURES", "50")])
def test_a_setting_outside_its_rule_is_refused_naming_the_variable(variable: str, value: str) -> None:
    run = RUNNER.invoke(app, ["serve"], env={variable: value})
    assert (run.exit_code, variable in run.stderr) == (2, True)


def test_policy_show_lists_rules_with_citations() -> None:
    run = RUNNER.invoke(app, ["policy", "show"], env={"COLUMNS": "250"})
    assert ("custody.limit" in run.stdout, "48 hours, elapsed" in run.stdout, "1357(g)" in run.stdout) == (
        True, True, True)


def test_a_malformed_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("parameters: {}\nrules: {}\n")
    run = RUNNER.invoke(app, ["policy", "show", "--policy", str(bad)])
    assert (run.exit_code, "policy.yaml: parameters.custody_limit" in run.stderr) == (2, True)
