"""What one durable command costs SQLite beyond the raw limit's one-row commit: pages written and CPU.

The per-command raw limit of `ingest.py` is one hash-chained row in one commit. A command's commit writes its
event (the table and two indexes), its stored result (table and key), its projection rows (each table with its
indexes) and, for a booking, the person's row: this prints, in one run,

1. WAL frames (pages) per commit of our commands, read from the WAL's growth with checkpoints off;
2. the raw cost of a commit writing 1, 3 and 6 indexed tables (plain sqlite3, WAL, synchronous=FULL), so the
   fsync cost of more pages is seen apart from Python;
3. our commands with synchronous=FULL and with synchronous=OFF: the difference is what the durable commit costs
   us, the rest is CPU.

    python bench/commit_cost.py [--n 3000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import NOW, RECORDING_DELAY, bench_policy, occurred

from custody_ledger.app.execute import execute
from custody_ledger.demo.generator import generate_commands
from custody_ledger.ledger import db, migrate

PAGE = 4096
FRAME = PAGE + 24  # a WAL frame: the page and its header


def ours(folder: Path, commands: list[dict[str, Any]], pragma: str) -> tuple[float, float]:
    """ms per command and WAL frames per commit for commands[1000:], after the first 1,000 as a prefix."""
    path = folder / f"ours-{pragma.replace('=', '-')}.db"
    engine = db.make_engine(str(path))

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")
        dbapi_conn.execute(f"PRAGMA {pragma}")

    migrate.upgrade(engine)
    policy = bench_policy()
    for command in commands[:1000]:
        execute(engine, command, now=occurred(command) + RECORDING_DELAY, policy=policy)
    wal = Path(f"{path}-wal")
    before = wal.stat().st_size
    started = time.perf_counter()
    for command in commands[1000:]:
        execute(engine, command, now=occurred(command) + RECORDING_DELAY, policy=policy)
    elapsed = time.perf_counter() - started
    frames = (wal.stat().st_size - before) / FRAME / len(commands[1000:])
    engine.dispose()
    return elapsed / len(commands[1000:]) * 1000, frames


def raw(folder: Path, tables: int, n: int) -> tuple[float, float]:
    """ms per commit and WAL frames per commit: one row into each of `tables` tables with a key and an index."""
    path = folder / f"raw-{tables}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    for t in range(tables):
        conn.execute(f"CREATE TABLE t{t} (id TEXT PRIMARY KEY, a TEXT, payload TEXT)")
        conn.execute(f"CREATE INDEX t{t}_a ON t{t}(a)")
    before = os.path.getsize(f"{path}-wal")
    started = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        for t in range(tables):
            conn.execute(f"INSERT INTO t{t} VALUES (?, ?, ?)", (str(uuid.uuid4()), f"a{i}", "x" * 200))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    frames = (os.path.getsize(f"{path}-wal") - before) / FRAME / n
    conn.close()
    return elapsed / n * 1000, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    commands = generate_commands(287, NOW, args.n + 1000)
    with tempfile.TemporaryDirectory(prefix="cl-commit-") as tmp:
        folder = Path(tmp)
        for tables in (1, 3, 6):
            ms, frames = raw(folder, tables, args.n)
            print(f"raw sqlite3, {tables} indexed table(s) a commit: {ms:.3f} ms/commit, {frames:.1f} WAL frames")
        full, frames = ours(folder, commands, "synchronous=FULL")
        off, _ = ours(folder, commands, "synchronous=OFF")
        print(f"ours, synchronous=FULL: {full:.3f} ms/command, {frames:.1f} WAL frames a commit")
        print(f"ours, synchronous=OFF:  {off:.3f} ms/command (CPU and writes, no fsync): the commit's fsync is "
              f"{full - off:.3f} ms of {full:.3f}")


if __name__ == "__main__":
    main()
