"""Watchdog benchmark: one pass over a long history, through the index, beside the same pass as a full scan.

The database holds 10,000,000 closed holds (released or transferred: the history, no next moment) and
10,000 open ones whose deadlines are spread over the 48 hours after the pass moment T. Their schedules
are those of domain/watch.py as a watchdog running until `--gap` seconds before T left them, so at T only
the moments that fell due in that gap are due: by default the watchdog's own interval between passes
(CUSTODY_LEDGER_WATCH_INTERVAL_SECONDS, 15 s), about 5 moments; `--gap 90` gives about 20. A few holds are real: the
field office, agency, Chicago facility, WSO agreement, certified officer and four holds (two closed) are
made through `execute`, and a real pass at T - gap raised what was due then. The rest are bulk-inserted
rows of the `holds` table, referring to the real facility, agency and officer.

Timed, once each:

- indexed pass: `watchdog.run_pass(engine, now=T)`, exactly as the watchdog runs it: the pass lock,
  `due_holds` (the `ix_holds_next_alert_at` index), `plan`, and each due moment raised through `execute`
  (`record_alert`, one durable transaction each);
- scan pass: the same `run_pass` on a copy of the database made before the indexed pass, with only
  `due_holds` replaced by the same query that may not use any index (`holds NOT INDEXED` on SQLite; index
  and bitmap scans switched off on PostgreSQL): it reads every hold row, as a watchdog without the index
  would, and plans and raises the same moments;
- the find + plan part of each alone (`due_holds` + `plan`, nothing written), run just before its pass;
- the raw limit: a bare `SELECT count(*) FROM holds WHERE next_alert_at <= T` (the index), and the same
  count over every row.

Both passes must find and raise the same moments (asserted). Goal: the indexed pass at least 100x faster
than the scan pass; the ratio scan / indexed is printed.

    python bench/watchdog.py [--closed 10000000] [--open 10000] [--gap 15] [--db postgresql+psycopg://...]

With `--db`, a PostgreSQL server URL, the databases are created on that server (cl_bench_<random>) and
dropped at the end; without it, SQLite files in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from custody_ledger.app import watchdog
from custody_ledger.app.execute import execute
from custody_ledger.domain import watch
from custody_ledger.domain.model import Hold
from custody_ledger.domain.parse import parse
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db, migrate
from custody_ledger.ledger import schema as s
from custody_ledger.policy import default_policy
from custody_ledger.settings import Settings

T = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # the pass: a Wednesday, 09:00 in Chicago
LIMIT = timedelta(hours=48)  # the WSO limit of the shipped policy (elapsed hours)
HISTORY_YEARS = 8  # the closed holds' arrests are spread over this many years before T - 3 days
FACILITY, AGENCY, OFFICER, OFFICE, ZONE = "AG-A-JAIL", "AG-A", "OFF-1", "FO-1", "America/Chicago"
CHUNK = 1_000_000


# --- the real world, through the write path ---------------------------------------------------------------

class Commands:
    def __init__(self, engine: Engine, policy: Policy) -> None:
        self.engine, self.policy, self.count = engine, policy, 0

    def __call__(self, command: str, at: datetime, **payload: Any) -> None:
        self.count += 1
        raw = {"command": command, "idempotency_key": f"bench-{self.count}", "actor": "bench",
               "occurred_at": at.isoformat(), **payload}
        result = execute(self.engine, raw, now=at + timedelta(minutes=1), policy=self.policy)
        assert result.ok, result.to_dict()


def build_world(engine: Engine, policy: Policy, gap: timedelta) -> None:
    """One office, agency, facility, agreement and officer; four holds, two ended; a pass at T - gap."""
    run = Commands(engine, policy)
    start = T - timedelta(days=5)
    day = (start - timedelta(days=1)).date().isoformat()
    run("register_field_office", start, field_office_id=OFFICE, name="Houston ERO", timezone=ZONE)
    run("register_agency", start, agency_id=AGENCY, name="Harris County Sheriff", kind="sheriff", state="TX",
        county="Harris", ori="TX1010000", field_office_id=OFFICE)
    run("register_facility", start, facility_id=FACILITY, agency_id=AGENCY, name="Harris County Jail", timezone=ZONE)
    run("request_agreement", start, agreement_id="AGR-WSO", agency_id=AGENCY, model="WSO")
    run("review_agreement", start, agreement_id="AGR-WSO", decision="suitable",
        reasons="no state law limits cooperation")
    run("sign_agreement", start, agreement_id="AGR-WSO", signed_on=day, effective_from=day, igsa=False)
    run("nominate_officer", start, officer_id=OFFICER, agency_id=AGENCY, name="Officer One", badge="B-1")
    run("record_background_check", start, officer_id=OFFICER, result="passed")
    run("record_training", start, officer_id=OFFICER, model="WSO", course="WSO basic", hours=8, completed_on=day)
    run("certify_officer", start, officer_id=OFFICER, model="WSO", agreement_id="AGR-WSO", credential_no="CR-1",
        supervisor="SDDO, Houston ERO")

    def arrest(hold: str, at: datetime) -> None:
        run("book_person", at - timedelta(hours=6), booking_id=f"BK-{hold}", facility_id=FACILITY,
            person={"name": f"Person {hold}", "dob": "1990-01-01"}, charge_status="pending")
        run("lodge_warrant", at - timedelta(hours=5), warrant_id=f"WR-{hold}", booking_id=f"BK-{hold}", form="I-200",
            number=f"N-{hold}", issued_on=(at - timedelta(hours=5)).date().isoformat())
        run("release_from_criminal_custody", at, booking_id=f"BK-{hold}", reason="bail")
        run("serve_warrant", at, hold_id=hold, warrant_id=f"WR-{hold}", officer_id=OFFICER)

    # In time order: two holds that end, one whose 24h alert the pass at T - gap raises, one due at T.
    arrest("H-R1", T - timedelta(hours=40))
    arrest("H-R2", T - timedelta(hours=36))
    arrest("H-R3", T - timedelta(hours=30))
    run("release_hold", T - timedelta(hours=29), hold_id="H-R1", reason="ice_declined")
    arrest("H-R4", T - timedelta(hours=24) - gap / 3)
    run("transfer_custody", T - timedelta(hours=20), hold_id="H-R2", receiving_officer="ICE Officer Doe",
        field_office_id=OFFICE)
    earlier = watchdog.run_pass(engine, now=T - gap, policy=policy)
    assert [(r.hold_id, r.threshold) for r in earlier.raised] == [("H-R3", "24h")], earlier.raised


# --- the synthetic history -----------------------------------------------------------------------------

def open_rows(count: int, gap: timedelta, policy: Policy) -> list[dict[str, Any]]:
    """Open holds with deadlines every 48h/count after T, scheduled as a watchdog left them at T - gap."""
    started = policy.at(T - LIMIT, ZoneInfo(ZONE))  # one policy for all: none of its dates falls in these 4 days
    rows = []
    for i in range(count):
        deadline = T + LIMIT * (i + 1) / count
        arrested = deadline - LIMIT
        moments = watch.moments(arrested, deadline, started.alert_leads, started.limit_grace)
        stage = sum(1 for m in moments if m.due_at <= T - gap)
        rows.append({
            "hold_id": f"HO-{i:06d}", "warrant_id": f"WO-{i:06d}", "booking_id": f"BO-{i:06d}",
            "facility_id": FACILITY, "agency_id": AGENCY, "officer_id": OFFICER, "status": "open",
            "released_from_criminal_at": arrested, "arrested_at": arrested, "clock_started_at": arrested,
            "igsa": False, "limit_rule_id": "custody.limit", "deadline": deadline, "past_limit": False,
            "alert_stage": stage, "next_alert_at": moments[stage].due_at,
        })
    return rows


def closed_sql(dialect: str) -> str:
    """Closed holds :first..:last: arrested :base + i * :step (epoch seconds), ended 1..47 hours later,
    every fourth transferred to ICE, the rest released; the alerts raised before the end counted in
    alert_stage; no next moment."""
    if dialect == "sqlite":
        series = ("WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last) "
                  "SELECT {columns} FROM n")
        text = "printf('{prefix}-%09d', i)"
        instant = "strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.000000'"
        false = "0"
    else:
        series = "SELECT {columns} FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n(i)"
        text = "'{prefix}-' || lpad(CAST(i AS text), 9, '0')"
        instant = "to_timestamp({seconds})"
        false = "false"
    arrested = instant.format(seconds=":base + i * :step")
    hours = "(1 + i % 47)"
    ended = instant.format(seconds=f":base + i * :step + {hours} * 3600")
    columns = {
        "hold_id": text.format(prefix="HC"), "warrant_id": text.format(prefix="WC"),
        "booking_id": text.format(prefix="BC"), "facility_id": f"'{FACILITY}'", "agency_id": f"'{AGENCY}'",
        "officer_id": f"'{OFFICER}'",
        "status": "CASE WHEN i % 4 = 0 THEN 'transferred' ELSE 'released' END",
        "released_from_criminal_at": arrested, "arrested_at": arrested, "clock_started_at": arrested,
        "igsa": false, "limit_rule_id": "'custody.limit'",
        "deadline": instant.format(seconds=f":base + i * :step + {int(LIMIT.total_seconds())}"),
        "ended_at": ended,
        "release_reason": "CASE WHEN i % 4 = 0 THEN NULL ELSE 'ice_declined' END",
        "receiving_officer": "CASE WHEN i % 4 = 0 THEN 'ICE Officer Doe' ELSE NULL END",
        "receiving_field_office_id": f"CASE WHEN i % 4 = 0 THEN '{OFFICE}' ELSE NULL END",
        "past_limit": false,
        # the 24h, 12h, 4h and 1h alerts fall 24, 36, 44 and 47 hours after the arrest
        "alert_stage": " + ".join(f"CASE WHEN {hours} >= {h} THEN 1 ELSE 0 END" for h in (24, 36, 44, 47)),
        "next_alert_at": "NULL",
    }
    select = series.format(columns=", ".join(f"{value} AS {name}" for name, value in columns.items()))
    return f"INSERT INTO holds ({', '.join(columns)}) {select}"


def load_closed(engine: Engine, count: int) -> None:
    span = HISTORY_YEARS * 365 * 86_400
    base = int((T - timedelta(days=3)).timestamp()) - span
    params = {"base": base, "step": max(1, span // max(count, 1))}
    sql = closed_sql(engine.dialect.name)
    if engine.dialect.name == "sqlite":
        # The load alone runs without a journal (a benchmark's scratch file); WAL again afterwards.
        engine.dispose()
        conn = sqlite3.connect(str(engine.url.database), isolation_level=None)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        for first in range(1, count + 1, CHUNK):
            conn.execute("BEGIN")
            conn.execute(sql, {**params, "first": first, "last": min(first + CHUNK - 1, count)})
            conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
        return
    for first in range(1, count + 1, CHUNK):
        with engine.begin() as conn:
            conn.execute(sa.text(sql), {**params, "first": first, "last": min(first + CHUNK - 1, count)})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE holds")


# --- databases --------------------------------------------------------------------------------------------

class Backend:
    """Where the databases live: SQLite files in a folder, or databases on a PostgreSQL server."""

    def __init__(self, folder: Path, server: str | None) -> None:
        self.folder, self.server = folder, server
        self.made: list[str] = []

    def url(self, name: str) -> str:
        if self.server is None:
            return str(self.folder / f"{name}.db")
        return sa.make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def create(self, name: str) -> Engine:
        if self.server is not None:
            self._admin(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return db.make_engine(self.url(name))

    def copy(self, engine: Engine, name: str) -> Engine:
        """A copy of the database as it stands (nothing else connected)."""
        source = engine.url.database
        engine.dispose()
        if self.server is None:
            with sqlite3.connect(str(source)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(str(source), self.url(name))
        else:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        self.made.append(name)
        return db.make_engine(self.url(name))

    def size(self, engine: Engine) -> int:
        if self.server is None:
            return os.path.getsize(str(engine.url.database))
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one())

    def drop_all(self) -> None:
        if self.server is not None:
            for name in self.made:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        assert self.server is not None
        admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(sql)
        admin.dispose()


# --- the two ways of finding what is due ------------------------------------------------------------------

NO_INDEX = ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan")  # PostgreSQL planner switches
_HOLD_COLUMNS = ", ".join(f"holds.{c.name}" for c in s.holds.c)


def scan_due_holds(conn: Connection, now: datetime) -> list[tuple[Hold, str]]:
    """`watchdog.due_holds` with no index on holds: the same query, answered by reading every hold row."""
    if conn.dialect.name == "postgresql":
        for setting in NO_INDEX:
            conn.exec_driver_sql(f"SET LOCAL {setting} = off")
    hint = " NOT INDEXED" if conn.dialect.name == "sqlite" else ""
    query = sa.text(
        f"SELECT {_HOLD_COLUMNS}, facilities.timezone FROM holds{hint} "
        "JOIN facilities ON facilities.facility_id = holds.facility_id "
        "WHERE holds.next_alert_at <= :now ORDER BY holds.next_alert_at, holds.hold_id"
    ).bindparams(sa.bindparam("now", type_=s.UTCDateTime)).columns(*s.holds.c, s.facilities.c.timezone)
    rows = conn.execute(query, {"now": now})
    return [(parse(Hold, {k: v for k, v in row._mapping.items() if k != "timezone"}), row.timezone) for row in rows]


Finder = Callable[[Connection, datetime], list[tuple[Hold, str]]]


@contextmanager
def finding_with(find: Finder) -> Iterator[None]:
    """The pass as written, with its `due_holds` replaced (or not, for the indexed pass)."""
    if find is watchdog.due_holds:
        yield
        return
    with mock.patch.object(watchdog, "due_holds", find):
        yield


def find_and_plan(engine: Engine, find: Finder, policy: Policy) -> tuple[float, int, list[tuple[str, str]]]:
    started = time.perf_counter()
    with engine.connect() as conn:
        holds = find(conn, T)
    moments = watchdog.plan(holds, T, policy)
    elapsed = time.perf_counter() - started
    return elapsed, len(holds), [(hold.hold_id, moment.threshold) for moment, hold, _ in moments]


def timed_pass(engine: Engine, find: Finder, policy: Policy) -> tuple[float, list[tuple[str, str]]]:
    with finding_with(find):
        started = time.perf_counter()
        done = watchdog.run_pass(engine, now=T, policy=policy)
        elapsed = time.perf_counter() - started
    assert all(r.result.ok and not r.replayed for r in done.raised), [r.result.to_dict() for r in done.raised]
    return elapsed, [(r.hold_id, r.threshold) for r in done.raised]


def raw_counts(engine: Engine) -> tuple[float, float, int]:
    """The bare count of due rows through the index, and the same count reading every row."""
    timings, counts = [], []
    for scan in (False, True):
        hint = " NOT INDEXED" if scan and engine.dialect.name == "sqlite" else ""
        count = sa.text(f"SELECT count(*) FROM holds{hint} WHERE next_alert_at <= :at").bindparams(
            sa.bindparam("at", type_=s.UTCDateTime))
        with engine.connect() as conn:
            if scan and engine.dialect.name == "postgresql":
                for setting in NO_INDEX:
                    conn.exec_driver_sql(f"SET LOCAL {setting} = off")
            started = time.perf_counter()
            counts.append(int(conn.execute(count, {"at": T}).scalar_one()))
            timings.append(time.perf_counter() - started)
    assert counts[0] == counts[1], counts
    return timings[0], timings[1], counts[0]


def query_plan(engine: Engine) -> list[str]:
    """How the database answers the product's due_holds query: the statement it sent, explained."""
    sent: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        with engine.connect() as conn:
            watchdog.due_holds(conn, T)
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)
    statement, parameters = sent[-1]
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters).all()
    return [str(row[-1] if sqlite else row[0]).strip() for row in rows]


# --- the run ----------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closed", type=int, default=10_000_000, help="closed holds (the history)")
    parser.add_argument("--open", type=int, default=10_000, help="open holds, deadlines over the next 48 h")
    parser.add_argument("--gap", type=float, default=Settings().watch_interval_seconds,
                        help="seconds since the previous pass (default: the watchdog's interval)")
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: SQLite files in a temp dir)")
    args = parser.parse_args()
    policy = default_policy()
    gap = timedelta(seconds=args.gap)
    with tempfile.TemporaryDirectory(prefix="cl-watch-bench-") as tmp:
        backend = Backend(Path(tmp), args.db)
        try:
            run(backend, policy, args.closed, args.open, gap)
        finally:
            backend.drop_all()


def run(backend: Backend, policy: Policy, closed: int, open_: int, gap: timedelta) -> None:
    name = f"cl_bench_{uuid.uuid4().hex[:8]}"
    engine = backend.create(name)
    migrate.upgrade(engine)
    build_world(engine, policy, gap)
    started = time.perf_counter()
    load_closed(engine, closed)
    closed_s = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(s.holds.insert(), open_rows(open_, gap, policy))
    open_s = time.perf_counter() - started
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(s.holds)).scalar_one()
        still_open = conn.execute(sa.select(sa.func.count()).select_from(s.holds)
                                  .where(s.holds.c.status == "open")).scalar_one()
    size = backend.size(engine)
    started = time.perf_counter()
    scan_engine = backend.copy(engine, f"{name}_scan")
    copy_s = time.perf_counter() - started
    print(f"{engine.dialect.name}: {total:,} holds ({total - still_open:,} closed, {still_open:,} open), "
          f"{size / 2**30:.1f} GiB; loaded {closed:,} closed in {closed_s:.1f} s "
          f"({closed / max(closed_s, 1e-9):,.0f} rows/s), {open_:,} open in {open_s:.1f} s; copy for the scan "
          f"{copy_s:.1f} s")
    print("plan of due_holds: " + " | ".join(query_plan(engine)))

    index_count_s, scan_count_s, due_rows = raw_counts(engine)
    find_i, holds_i, planned_i = find_and_plan(engine, watchdog.due_holds, policy)
    pass_i, raised_i = timed_pass(engine, watchdog.due_holds, policy)
    find_s, holds_s, planned_s = find_and_plan(scan_engine, scan_due_holds, policy)
    pass_s, raised_s = timed_pass(scan_engine, scan_due_holds, policy)
    engine.dispose()
    scan_engine.dispose()

    assert holds_i == holds_s == due_rows, (holds_i, holds_s, due_rows)
    assert planned_i == planned_s == raised_i == raised_s, (planned_i, planned_s, raised_i, raised_s)
    moments = len(raised_i)
    print(f"due at T (previous pass at T - {gap.total_seconds():g} s): indexed found {holds_i} holds -> "
          f"{len(planned_i)} moments | scan found {holds_s} holds -> {len(planned_s)} moments (asserted equal; "
          f"both passes raised these {moments})")
    print(f"raw limit  count(*) WHERE next_alert_at <= T: via the index {index_count_s * 1000:.2f} ms | "
          f"reading every row {scan_count_s:.2f} s")
    print(f"find+plan  indexed {find_i * 1000:.2f} ms | scan {find_s:.2f} s | ratio scan/indexed "
          f"{find_s / find_i:,.0f}x (the part the index changes; nothing written)")
    ratio = pass_s / pass_i
    verdict = "MET" if ratio >= 100 else "MISSED"
    print(f"pass       indexed {pass_i * 1000:.1f} ms | scan {pass_s:.2f} s | ratio scan/indexed {ratio:,.1f}x "
          f"(goal >= 100x: {verdict})")
    raising = pass_i - find_i
    print(f"           both raise the same {moments} moments through the write path (execute_batch): about "
          f"{raising * 1000:.0f} ms of the indexed pass ({raising / max(moments, 1) * 1000:.1f} ms a moment); "
          f"indexed pass / bare indexed count {pass_i / index_count_s:,.0f}x")


if __name__ == "__main__":
    main()
