"""The trust commands as an operator and a third party use them: a key, checkpoints, `verify --checkpoints`
catching a tail removed behind the triggers' back, and a receipt's proof checked by tools/check_proof.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from custody_ledger.app.auth import log_access
from custody_ledger.cli import app
from custody_ledger.ledger import db, migrate
from custody_ledger.ledger.schema import access_log, command_results, events
from custody_ledger.policy import default_policy
from tests.support.world import World, build_agency, certified_officer

RUNNER = CliRunner()
CHECKER = Path(__file__).resolve().parents[2] / "tools" / "check_proof.py"


def _ledger(folder: Path) -> tuple[str, World]:
    database = str(folder / "trust.db")
    engine = db.make_engine(database)
    migrate.upgrade(engine)
    w = World(engine, default_policy())
    build_agency(w)
    return database, w


def test_checkpoints_catch_a_tail_removed_behind_the_triggers_and_a_receipt_proves_its_inclusion(
        tmp_path: Path) -> None:
    database, w = _ledger(tmp_path)
    key, log = tmp_path / "ckpt.key", tmp_path / "checkpoints.log"
    made = RUNNER.invoke(app, ["checkpoint-key", "new", str(key), "--name", "custody-ledger.test/cli"])
    certified_officer(w, "OFF-1")
    first = RUNNER.invoke(app, ["checkpoint", "--db", database, "--key", str(key), "--log", str(log)])
    held = RUNNER.invoke(app, ["verify", "--db", database, "--checkpoints", str(log),
                               "--public-key", f"{key}.pub"])
    with w.engine.connect() as conn:
        receipt = conn.execute(sa.select(events.c.hash).order_by(events.c.seq.desc()).limit(1)).scalar_one()
    proof = RUNNER.invoke(app, ["prove", receipt, "--db", database, "--log", str(log)])
    (tmp_path / "proof.json").write_text(proof.stdout)
    checked = subprocess.run([sys.executable, "-I", str(CHECKER), str(tmp_path / "proof.json"),
                              "--public-key", f"{key}.pub"], capture_output=True, text=True)
    assert (made.exit_code, first.exit_code, held.exit_code, proof.exit_code, checked.returncode) == (0, 0, 0, 0, 0), (
        made.output, first.output, held.output, proof.output, checked.stdout, checked.stderr)

    last = json.loads(proof.stdout)
    assert last["tree_size"] >= 2
    _remove_the_tail(w, 2)
    plain = RUNNER.invoke(app, ["verify", "--db", database])
    anchored = RUNNER.invoke(app, ["verify", "--db", database, "--checkpoints", str(log),
                                   "--public-key", f"{key}.pub"])
    assert (plain.exit_code, anchored.exit_code, "checkpoint 1" in anchored.stderr) == (0, 1, True), (
        plain.output, anchored.output)


def test_checkpoints_anchor_the_access_log_tail_too(tmp_path: Path) -> None:
    """The access log's chain cannot see its own last records deleted; the checkpoint that signed its head does."""
    database, w = _ledger(tmp_path)
    key, log = tmp_path / "ckpt.key", tmp_path / "checkpoints.log"
    RUNNER.invoke(app, ["checkpoint-key", "new", str(key), "--name", "custody-ledger.test/cli"])
    with db.write_transaction(w.engine) as conn:
        for n in range(4):
            log_access(conn, "auditor-1", "read_hold", "ok", now=w.clock, resource=f"hold:H-{n}")
    RUNNER.invoke(app, ["checkpoint", "--db", database, "--key", str(key), "--log", str(log)])
    with w.engine.begin() as conn:
        saved = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                                     "tbl_name = 'access_log'").all()
        for name, _ in saved:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        conn.execute(access_log.delete().where(access_log.c.seq > 2))
        for _, sql in saved:
            conn.exec_driver_sql(sql)
    plain = RUNNER.invoke(app, ["verify", "--db", database])
    anchored = RUNNER.invoke(app, ["verify", "--db", database, "--checkpoints", str(log),
                                   "--public-key", f"{key}.pub"])
    assert (plain.exit_code, anchored.exit_code, "access-log record 4" in anchored.stderr) == (0, 1, True), (
        plain.output, anchored.output)


def test_verify_wants_both_the_log_and_the_key(tmp_path: Path) -> None:
    database, _ = _ledger(tmp_path)
    run = RUNNER.invoke(app, ["verify", "--db", database, "--checkpoints", str(tmp_path / "x.log")])
    assert (run.exit_code, "go together" in run.stderr) == (2, True)


def _remove_the_tail(w: World, count: int) -> None:
    """What someone who can write the database does to hide the last commands: triggers off, rows and their
    receipts gone, triggers back, so nothing in the database itself shows it."""
    with w.engine.begin() as conn:
        saved = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                                     "tbl_name IN ('events', 'command_results')").all()
        for name, _ in saved:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        last = conn.execute(sa.select(sa.func.max(events.c.seq))).scalar_one()
        gone = conn.execute(sa.select(events.c.idempotency_key).where(events.c.seq > last - count)).scalars().all()
        conn.execute(events.delete().where(events.c.seq > last - count))
        conn.execute(command_results.delete().where(command_results.c.idempotency_key.in_(gone)))
        for _, sql in saved:
            conn.exec_driver_sql(sql)
