"""Ingest benchmark: N generated commands through the write path on SQLite, in two modes.

1. per-command: one durable transaction per command (what `apply` does by default);
2. batched: one transaction per batch, a savepoint per command (`apply --batch`).

Each is printed next to the raw limit: plain `sqlite3` inserting the same number of hash-chained
event rows at the same durability (WAL, synchronous=FULL) and the same batching, and the ratio
raw time / our time, from one run. Targets: >= 0.5 (per-command), >= 0.1 (batched).

    python bench/ingest.py [--n 100000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from custody_ledger.app.execute import execute, execute_batch
from custody_ledger.demo.generator import generate_commands
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db, migrate
from custody_ledger.ledger.schema import events
from custody_ledger.policy import DEFAULT_POLICY

NOW = datetime(2026, 11, 1, tzinfo=UTC)
RECORDING_DELAY = timedelta(minutes=2)


def bench_policy() -> Policy:
    """The shipped policy, but nothing counts as a late entry, so both modes append the same events."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["parameters"]["late_entry_hours"][0]["value"] = 10**6
    return Policy.from_mapping(data, "default.yaml (late entries off for the benchmark)")


def occurred(command: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(command["occurred_at"])


def fresh_engine(folder: Path, name: str) -> sa.Engine:
    engine = db.make_engine(str(folder / name))
    migrate.upgrade(engine)
    return engine


def event_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def chunks(items: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def run_per_command(engine: sa.Engine, commands: Sequence[dict[str, Any]], policy: Policy) -> float:
    started = time.perf_counter()
    for command in commands:
        execute(engine, command, now=occurred(command) + RECORDING_DELAY, policy=policy)
    return time.perf_counter() - started


def run_batched(engine: sa.Engine, commands: Sequence[dict[str, Any]], policy: Policy, size: int) -> float:
    started = time.perf_counter()
    for group in chunks(commands, size):
        execute_batch(engine, group, now=occurred(group[-1]) + RECORDING_DELAY, policy=policy)
    return time.perf_counter() - started


def raw_chain(path: Path, rows: int, batch: int) -> float:
    """Plain sqlite3: the same number of hash-chained rows, same pragmas, `batch` rows per commit."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT, stream TEXT, type TEXT, "
                 "occurred_at TEXT, recorded_at TEXT, actor TEXT, payload TEXT, prev_hash TEXT, hash TEXT)")
    prev = "0" * 64
    started = time.perf_counter()
    for first in range(1, rows + 1, batch):
        conn.execute("BEGIN IMMEDIATE")
        for seq in range(first, min(first + batch, rows + 1)):
            payload = json.dumps({"booking_id": f"BK-{seq}", "facility_id": "FAC-1", "charge_status": "pending"},
                                 sort_keys=True)
            record = json.dumps({"seq": seq, "stream": f"booking:BK-{seq}", "payload": payload, "prev": prev},
                                sort_keys=True).encode()
            digest = hashlib.sha256(bytes.fromhex(prev) + record).hexdigest()
            conn.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (seq, str(uuid.uuid4()), f"booking:BK-{seq}", "person_booked", "2026-01-01T00:00:00Z",
                          "2026-01-01T00:00:05Z", "bench", payload, prev, digest))
            prev = digest
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def report(label: str, n: int, rows: int, ours: float, raw: float, target: float) -> None:
    ratio = raw / ours
    print(f"{label:<12} {n} commands -> {rows} events in {ours:.1f} s = {n / ours:,.0f} commands/s "
          f"({rows / ours:,.0f} events/s) | raw sqlite3, {rows} chained rows: {raw:.1f} s = {rows / raw:,.0f} rows/s "
          f"| ratio raw/ours {ratio:.2f} (target >= {target}) {'OK' if ratio >= target else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--only", choices=["per-command", "batched"], default=None)
    args = parser.parse_args()
    commands = generate_commands(287, NOW, args.n)
    policy = bench_policy()
    modes: list[tuple[str, Callable[[sa.Engine], float], int, float]] = [
        ("per-command", lambda e: run_per_command(e, commands, policy), 1, 0.5),
        ("batched", lambda e: run_batched(e, commands, policy, args.batch), args.batch, 0.1),
    ]
    with tempfile.TemporaryDirectory(prefix="cl-bench-") as tmp:
        folder = Path(tmp)
        for label, run, batch, target in modes:
            if args.only and args.only != label:
                continue
            engine = fresh_engine(folder, f"{label}.db")
            ours = run(engine)
            rows = event_count(engine)
            engine.dispose()
            # Same batching: as many raw commits as our run made transactions.
            transactions = -(-len(commands) // batch)
            raw = raw_chain(folder / f"raw-{label}.db", rows, -(-rows // transactions))
            report(label, len(commands), rows, ours, raw, target)


if __name__ == "__main__":
    main()
