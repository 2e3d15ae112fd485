"""Nothing acknowledged is lost: a writer killed with SIGKILL at random moments, again and again.

Every command whose result the child printed must be in the ledger with the receipted hash;
no command may be half-applied (events without their result, or a result without its events);
and the chain must verify after every kill.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.demo.generator import generate_commands
from custody_ledger.ledger.schema import command_results, events
from custody_ledger.ledger.verify import verify

KILLS = int(os.environ.get("CL_CRASH_KILLS", "20"))


def _printed_receipts(stdout: bytes) -> list[dict]:
    receipts = []
    for line in stdout.decode("utf-8", "replace").splitlines():
        try:
            result = json.loads(line)
        except json.JSONDecodeError:
            continue  # the kill can cut the last line short: it was never acknowledged
        receipts.extend(result["events"])
    return receipts


def _half_applied(engine: Engine) -> int:
    with engine.connect() as conn:
        orphans = conn.execute(
            sa.select(sa.func.count()).select_from(events)
            .where(events.c.idempotency_key.not_in(sa.select(command_results.c.idempotency_key)))
        ).scalar_one()
    return int(orphans)


def _stored(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(events.c.seq, events.c.hash)).all())


@pytest.mark.slow
def test_killed_writer_loses_nothing_it_acknowledged(engine: Engine, db_url: str, tmp_path: Path) -> None:
    commands = tmp_path / "commands.jsonl"
    now = datetime(2026, 11, 1, tzinfo=UTC)
    commands.write_text("".join(json.dumps(c) + "\n" for c in generate_commands(7, now, 4000)))
    rng = random.Random(20261123)
    lost: list[tuple[int, int]] = []
    broken: list[str] = []
    for kill in range(KILLS):
        child = subprocess.Popen([sys.executable, "-m", "custody_ledger", "apply", str(commands), "--db", db_url],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.8, 3.0))
        child.send_signal(signal.SIGKILL)
        stdout, _ = child.communicate(timeout=60)
        stored = _stored(engine)
        lost += [(kill, r["seq"]) for r in _printed_receipts(stdout) if stored.get(r["seq"]) != r["hash"]]
        report = verify(engine)
        if not report.ok:
            broken.append(f"after kill {kill}: {report.reason}")
    assert (lost, broken, _half_applied(engine), len(_stored(engine)) > 0) == ([], [], 0, True)
