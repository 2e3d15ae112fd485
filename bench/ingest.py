"""Ingest benchmark: N generated commands through the write path, in two modes, on SQLite or PostgreSQL.

1. per-command: one durable transaction per command (what `apply` does by default);
2. batched: one transaction per batch (`apply --batch`).

Each is printed next to the raw limit measured in the same run: the same number of hash-chained event rows
(SHA-256 over the previous hash and the row, as the ledger chains them) written by the plain driver at the
same durability and with the same number of commits:

- SQLite: plain `sqlite3`, WAL + synchronous=FULL, one `INSERT` per row;
- PostgreSQL (`--db postgresql://...`): plain psycopg 3, one `INSERT` per row for per-command; for
  batches both `executemany` and `COPY` per commit, the faster of the two is the limit.

As many raw commits as our run made transactions (per-command: one per command, so a command's extra
events, e.g. a late entry, share its commit), the same row count spread evenly over them.

The ratio is raw time / our time for the same rows (= our events/s over the raw rows/s). Goals (issue 12):
>= 0.5 per-command, >= 0.2 batched; MET/MISSED is printed. The durability in force is printed as read
back from the connections: SQLite `journal_mode` and `synchronous`; PostgreSQL `synchronous_commit` and
`fsync` (as the server is configured; the benchmark changes neither).

    python bench/ingest.py [--n 100000] [--batch 1000] [--only per-command|batched]
                           [--db postgresql://user@host:5432/test]

With `--db`, databases named cl_bench_<random>_* are created on that server and dropped at the end; without
it, SQLite files in a temporary directory.
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
GOALS = {"per-command": 0.5, "batched": 0.2}
RAW_COLUMNS = ("seq", "event_id", "stream", "type", "occurred_at", "recorded_at", "actor", "payload",
               "prev_hash", "hash")


def bench_policy() -> Policy:
    """The shipped policy, but nothing counts as a late entry, so both modes append the same events."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["parameters"]["late_entry_hours"][0]["value"] = 10**6
    return Policy.from_mapping(data, "default.yaml (late entries off for the benchmark)")


def occurred(command: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(command["occurred_at"])


# --- where the databases live -----------------------------------------------------------------------------

def plain_url(url: str) -> str:
    """A libpq URL for psycopg from the product's form (postgresql://, postgres:// or postgresql+psycopg://)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


class Backend:
    """SQLite files in a folder, or databases cl_bench_<random>_<name> on a PostgreSQL server."""

    def __init__(self, folder: Path, server: str | None) -> None:
        self.folder, self.server = folder, None if server is None else plain_url(server)
        self.prefix = f"cl_bench_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []

    @property
    def postgres(self) -> bool:
        return self.server is not None

    def url(self, name: str) -> str:
        if self.server is None:
            return str(self.folder / f"{name}.db")
        return sa.make_url(self.server).set(database=f"{self.prefix}_{name}").render_as_string(hide_password=False)

    def create(self, name: str) -> str:
        """A new empty database; returns its URL in the product's form (a path, or postgresql://)."""
        if self.server is not None:
            self.admin(f'CREATE DATABASE "{self.prefix}_{name}"')
            self.made.append(f"{self.prefix}_{name}")
        return self.url(name)

    def admin(self, sql: str) -> None:
        import psycopg

        assert self.server is not None
        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def drop_all(self) -> None:
        for name in self.made:
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def durability(engine: sa.Engine) -> str:
    """The durability in force on the product's own connections, read back from the database."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[conn.exec_driver_sql("PRAGMA synchronous").scalar()]
            return f"SQLite {sqlite3.sqlite_version}: journal_mode={mode}, synchronous={sync}"
        version = conn.exec_driver_sql("SHOW server_version").scalar()
        shown = {k: conn.exec_driver_sql(f"SHOW {k}").scalar() for k in ("synchronous_commit", "fsync",
                                                                          "wal_sync_method")}
        return f"PostgreSQL {version}: " + ", ".join(f"{k}={v}" for k, v in shown.items()) + " (as configured)"


def fresh_engine(url: str) -> sa.Engine:
    engine = db.make_engine(url)
    migrate.upgrade(engine)
    return engine


def event_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def chunks(items: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- ours -------------------------------------------------------------------------------------------------

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


# --- the raw limit ----------------------------------------------------------------------------------------

def commit_groups(rows: int, commits: int) -> Iterator[tuple[int, int]]:
    """Rows 1..rows spread evenly over exactly `commits` commits: (first, last) of each."""
    for i in range(commits):
        first, last = i * rows // commits + 1, (i + 1) * rows // commits
        if first <= last:
            yield first, last


def chained_rows(first: int, last: int, prev: str) -> Iterator[tuple[Any, ...]]:
    """Hash-chained event rows first..last, each hashed over the previous hash and its own content."""
    for seq in range(first, last + 1):
        payload = json.dumps({"booking_id": f"BK-{seq}", "facility_id": "FAC-1", "charge_status": "pending"},
                             sort_keys=True)
        record = json.dumps({"seq": seq, "stream": f"booking:BK-{seq}", "payload": payload, "prev": prev},
                            sort_keys=True).encode()
        digest = hashlib.sha256(bytes.fromhex(prev) + record).hexdigest()
        yield (seq, str(uuid.uuid4()), f"booking:BK-{seq}", "person_booked", "2026-01-01T00:00:00Z",
               "2026-01-01T00:00:05Z", "bench", payload, prev, digest)
        prev = digest


def raw_sqlite(path: Path, rows: int, commits: int) -> float:
    """Plain sqlite3: `rows` hash-chained rows, WAL + synchronous=FULL, one INSERT a row, in `commits` commits."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT, stream TEXT, type TEXT, "
                 "occurred_at TEXT, recorded_at TEXT, actor TEXT, payload TEXT, prev_hash TEXT, hash TEXT)")
    prev = "0" * 64
    started = time.perf_counter()
    for first, last in commit_groups(rows, commits):
        conn.execute("BEGIN IMMEDIATE")
        for row in chained_rows(first, last, prev):
            conn.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)", row)
            prev = row[-1]
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


RAW_PG_TABLE = ("CREATE TABLE raw_events (seq bigint PRIMARY KEY, event_id text NOT NULL UNIQUE, stream text NOT NULL, "
                "type text NOT NULL, occurred_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL, "
                "actor text NOT NULL, payload text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL)")


def raw_postgres(url: str, rows: int, commits: int, how: str) -> float:
    """Plain psycopg 3: `rows` hash-chained rows into a table like `events` (same keys) in `commits` commits:
    one INSERT a row (`insert`), `executemany` or `COPY` per commit. Durability as the server is configured."""
    import psycopg

    with psycopg.connect(plain_url(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_events")
        conn.execute(RAW_PG_TABLE)  # type: ignore[arg-type]
        conn.commit()
        insert = f"INSERT INTO raw_events ({', '.join(RAW_COLUMNS)}) VALUES ({', '.join(['%s'] * len(RAW_COLUMNS))})"
        prev = "0" * 64
        started = time.perf_counter()
        with conn.cursor() as cur:
            for first, last in commit_groups(rows, commits):
                group = list(chained_rows(first, last, prev))
                prev = group[-1][-1]
                if how == "copy":
                    with cur.copy(f"COPY raw_events ({', '.join(RAW_COLUMNS)}) FROM STDIN") as copy:  # type: ignore[arg-type]
                        for row in group:
                            copy.write_row(row)
                elif how == "insert":
                    for row in group:
                        cur.execute(insert, row)  # type: ignore[arg-type]
                else:
                    cur.executemany(insert, group)  # type: ignore[arg-type]
                conn.commit()
        return time.perf_counter() - started


def raw_limit(backend: Backend, label: str, rows: int, commits: int) -> tuple[float, str]:
    """The raw time for `rows` chained rows in `commits` commits, and what was measured."""
    per_commit = f"{rows:,} rows in {commits:,} commits"
    if not backend.postgres:
        return raw_sqlite(backend.folder / f"raw-{label}.db", rows, commits), f"plain sqlite3, {per_commit}"
    url = backend.create(f"raw_{label.replace('-', '_')}")
    if label == "per-command":
        return raw_postgres(url, rows, commits, "insert"), f"plain psycopg INSERT, {per_commit}"
    timings = {how: raw_postgres(url, rows, commits, how) for how in ("executemany", "copy")}
    best = min(timings, key=lambda how: timings[how])
    detail = ", ".join(f"{how} {rows / t:,.0f} rows/s" for how, t in timings.items())
    return timings[best], f"plain psycopg {best}, {per_commit}; {detail}"


def report(label: str, n: int, rows: int, ours: float, raw: float, how: str) -> None:
    ratio = raw / ours
    goal = GOALS[label]
    print(f"{label:<12} ours: {n:,} commands -> {rows:,} events in {ours:.1f} s = {n / ours:,.0f} commands/s "
          f"({rows / ours:,.0f} events/s) | raw limit ({how}): {raw:.2f} s = {rows / raw:,.0f} rows/s "
          f"| ratio raw/ours {ratio:.3f} (goal >= {goal}): "
          f"{'MET' if ratio >= goal else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--only", choices=["per-command", "batched"], default=None)
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: SQLite files in a temp dir)")
    args = parser.parse_args()
    commands = generate_commands(287, NOW, args.n)
    policy = bench_policy()
    modes: list[tuple[str, Callable[[sa.Engine], float], int]] = [
        ("per-command", lambda e: run_per_command(e, commands, policy), 1),
        ("batched", lambda e: run_batched(e, commands, policy, args.batch), args.batch),
    ]
    with tempfile.TemporaryDirectory(prefix="cl-bench-") as tmp:
        backend = Backend(Path(tmp), args.db)
        try:
            for label, run, batch in modes:
                if args.only and args.only != label:
                    continue
                engine = fresh_engine(backend.create(label.replace("-", "_")))
                if label == "per-command" or args.only:
                    print(f"durability: {durability(engine)}")
                ours = run(engine)
                rows = event_count(engine)
                engine.dispose()
                # Same batching: as many raw commits as our run made transactions, the same rows spread over them.
                raw, how = raw_limit(backend, label, rows, -(-len(commands) // batch))
                report(label, len(commands), rows, ours, raw, how)
        finally:
            backend.drop_all()


if __name__ == "__main__":
    main()
