"""History benchmark (issue 12, "cost does not grow with history"): per-command time through the write path
with a small and a large ledger beneath it, on SQLite or PostgreSQL.

1. A real prefix: the first commands of a generated world (demo/generator.py) go through the write path
   (`execute_batch`, 500 a transaction) until the ledger holds `--small` events (10,000 by default).
2. The large ledger is a copy of that database (file copy / `CREATE DATABASE ... TEMPLATE`) grown to
   `--large` events (1,000,000 by default) by one of:
   - `--fill rows` (default, fast): the prefix's own event rows appended again and again, each copy under
     renamed streams and idempotency keys, hash-chained on from the head exactly as `store.chain` chains
     (so the chain verifies), each copy's command_results rows with it. The append-only tables the write
     path reads on every command (events: head, stream order; command_results: idempotency) then hold the
     full history; the projection tables (bookings, holds, ...) keep the prefix's size.
   - `--fill commands` (realistic, slow: ~600-1,400 commands/s here): the world's next commands through
     `execute_batch`, so every table grows as in use.
3. Measured: the next `--measure` commands of the same world (200 by default), each through
   `custody_ledger.app.execute.execute` in its own durable transaction, alternating between the small and
   the large ledger command by command, so noise from the machine falls on both alike. With `--fill rows`
   both ledgers run the very same commands; with `--fill commands` the large one runs the commands that
   follow its own longer prefix.

Printed: median, mean and p90 per-command time on each, and the ratio large / small of the medians (goal:
<= 1.2x, MET/MISSED); the mean ratio beside it.

    python bench/history.py [--small 10000] [--large 1000000] [--measure 200] [--fill rows|commands]
                            [--db postgresql://user@host:5432/test]

With `--db`, databases cl_bench_<random>_* are created on that server and dropped at the end; without it,
SQLite files in a temporary directory (the large one is about 0.5 GB per million events).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import NOW, RECORDING_DELAY, Backend, bench_policy, durability, event_count, occurred

from custody_ledger.app.execute import execute, execute_batch
from custody_ledger.demo.generator import generate_commands
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import codec, db, migrate
from custody_ledger.ledger.schema import command_results, events
from custody_ledger.ledger.store import EventRow

LOAD_BATCH = 500
FILL_CHUNK = 20_000


def copy_database(backend: Backend, engine: sa.Engine, name: str) -> sa.Engine:
    """A copy of the database as it stands (nothing else connected to it)."""
    engine.dispose()
    if backend.postgres:
        source = engine.url.database
        backend.admin(f'CREATE DATABASE "{backend.prefix}_{name}" TEMPLATE "{source}"')
        backend.made.append(f"{backend.prefix}_{name}")
    else:
        source = str(engine.url.database)
        with sqlite3.connect(source) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(source, backend.url(name))
    return db.make_engine(backend.url(name))


def load_commands(engine: sa.Engine, commands: Sequence[dict[str, Any]], start: int, target_events: int,
                  policy: Policy) -> int:
    """Commands from `start` through the write path, LOAD_BATCH a transaction, until the ledger holds
    `target_events` events; returns the index of the first command not loaded."""
    have = event_count(engine)
    at = start
    while have < target_events:
        if at >= len(commands):
            raise SystemExit(f"the generated world ran out at {have:,} events; raise --generate")
        group = commands[at:at + LOAD_BATCH]
        results = execute_batch(engine, group, now=occurred(group[-1]) + RECORDING_DELAY, policy=policy)
        have += sum(len(r.events) for r in results)
        at += len(group)
    return at


def fill_rows(engine: sa.Engine, target_events: int) -> None:
    """Grow the ledger to `target_events` with renamed, re-chained copies of its own event rows (and their
    command results), FILL_CHUNK rows a transaction."""
    with engine.connect() as conn:
        prefix = [EventRow(**row._mapping) for row in conn.execute(sa.select(events).order_by(events.c.seq))]
        results = {row.idempotency_key: dict(row._mapping) for row in conn.execute(sa.select(command_results))}
    seq, prev = prefix[-1].seq, prefix[-1].hash
    copy = 0

    def rows() -> Iterator[tuple[EventRow, dict[str, Any] | None]]:
        nonlocal seq, prev, copy
        while True:
            copy += 1
            seen: set[str] = set()
            for row in prefix:
                seq += 1
                key = f"fill{copy}-{row.idempotency_key}"
                new = replace(row, seq=seq, event_id=str(uuid.uuid4()), stream=f"{row.stream}~fill{copy}",
                              idempotency_key=key, prev_hash=prev, hash="")
                prev = codec.chain_hash(prev, codec.record_bytes(new))
                result = results.get(row.idempotency_key)
                first = result is not None and key not in seen
                seen.add(key)
                yield replace(new, hash=prev), ({**result, "idempotency_key": key} if first and result else None)

    missing = target_events - seq
    source = rows()
    while missing > 0:
        chunk = [next(source) for _ in range(min(FILL_CHUNK, missing))]
        with engine.begin() as conn:
            conn.execute(events.insert(), [row.columns() for row, _ in chunk])
            kept = [result for _, result in chunk if result is not None]
            if kept:
                conn.execute(command_results.insert(), kept)
        missing -= len(chunk)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def timed(engine: sa.Engine, command: dict[str, Any], policy: Policy) -> tuple[float, tuple[Any, ...]]:
    """The time of one command through execute, and its outcome (ok, error code, event types)."""
    started = time.perf_counter()
    result = execute(engine, command, now=occurred(command) + RECORDING_DELAY, policy=policy)
    elapsed = time.perf_counter() - started
    return elapsed, (result.ok, (result.error or {}).get("code"), tuple(e["type"] for e in result.events))


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return f"median {statistics.median(ms):.2f} ms, mean {statistics.fmean(ms):.2f} ms, p90 {p90:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="events in the small ledger")
    parser.add_argument("--large", type=int, default=1_000_000, help="events in the large ledger")
    parser.add_argument("--measure", type=int, default=200, help="commands timed on each ledger")
    parser.add_argument("--fill", choices=["rows", "commands"], default="rows")
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: SQLite files in a temp dir)")
    args = parser.parse_args()
    policy = bench_policy()
    # Enough commands for the prefix and the measured ones (about 1.03 events a command).
    world = args.small + args.measure * 2 + 1000
    if args.fill == "commands":
        world = args.large + args.measure * 2 + 1000
    commands = generate_commands(287, NOW, world)
    with tempfile.TemporaryDirectory(prefix="cl-history-bench-") as tmp:
        backend = Backend(Path(tmp), args.db)
        try:
            run(backend, commands, policy, args)
        finally:
            backend.drop_all()


def run(backend: Backend, commands: Sequence[dict[str, Any]], policy: Policy, args: argparse.Namespace) -> None:
    small = db.make_engine(backend.create("small"))
    migrate.upgrade(small)
    print(f"durability: {durability(small)}")
    started = time.perf_counter()
    next_small = load_commands(small, commands, 0, args.small, policy)
    prefix_s = time.perf_counter() - started
    started = time.perf_counter()
    large = copy_database(backend, small, "large")
    small = db.make_engine(backend.url("small"))
    if args.fill == "rows":
        fill_rows(large, args.large)
        next_large = next_small
    else:
        next_large = load_commands(large, commands, next_small, args.large, policy)
    fill_s = time.perf_counter() - started
    before = {"small": event_count(small), "large": event_count(large)}
    print(f"{small.dialect.name}: small ledger {before['small']:,} events ({next_small:,} commands through "
          f"execute_batch, {prefix_s:.1f} s); large ledger {before['large']:,} events (copy + --fill {args.fill}, "
          f"{fill_s:.1f} s)")
    times: dict[str, list[float]] = {"small": [], "large": []}
    succeeded: dict[str, int] = {"small": 0, "large": 0}
    for i in range(args.measure):
        small_s, small_outcome = timed(small, commands[next_small + i], policy)
        large_s, large_outcome = timed(large, commands[next_large + i], policy)
        times["small"].append(small_s)
        times["large"].append(large_s)
        succeeded["small"] += small_outcome[0]
        succeeded["large"] += large_outcome[0]
        if args.fill == "rows":  # the very same command on both: the same outcome
            assert small_outcome == large_outcome, (small_outcome, large_outcome)
    small.dispose()
    large.dispose()
    for name in ("small", "large"):
        print(f"{name:<6} {before[name]:>10,} events before: {args.measure} commands through execute, one durable "
              f"transaction each ({succeeded[name]} ok): {summary(times[name])}")
    ratio = statistics.median(times["large"]) / statistics.median(times["small"])
    mean_ratio = statistics.fmean(times["large"]) / statistics.fmean(times["small"])
    print(f"ratio large/small: median {ratio:.2f}x (goal <= 1.2x): {'MET' if ratio <= 1.2 else 'MISSED'}; "
          f"mean {mean_ratio:.2f}x")


if __name__ == "__main__":
    main()
