"""Report benchmark (issue 15 point 5): the oversight report for a year over 1,000,000 holds, beside the same
aggregation done directly in DuckDB over the same data, in one run, on SQLite or PostgreSQL.

1. Generated: a national program (`--agencies` agencies in every state, each with a facility in its own time
   zone, a WSO agreement — some with an IGSA — and certified officers), then `--holds` holds spread over the
   year, each with its events as the write path records them: person booked, warrant lodged, released from
   criminal custody, warrant served, hold opened, and the end (a transfer to ICE, or a release: some at the
   limit, some past it). The events are hash-chained exactly as `store.chain` chains them (the ledger
   verifies) and written in bulk, not through the write path (issue 12 measures that path); projections are
   not written, since reports read only the events.
2. Our side: `custody-ledger report oversight --format csv` for the year (reports/publish.oversight_report),
   timed end to end once the columnar copy is current (the first run, which builds the copy from 6 M events,
   is timed and printed apart, as is a catch-up after 10,000 more holds).
3. DuckDB's side: the holds' facts read from the same ledger — each hold's opening (agency, model, facility
   zone, arrest, clock start, deadline, IGSA) and its end (type, moment, reason) — in two DuckDB tables in
   memory, and one query giving the report's custody figures per agency, model and local month: arrests,
   arrests under IGSA, ends by type, releases at the limit, duration median/p90/p95/max, holds past the limit
   and their hours. Only the query is timed; loading the tables is not.
4. `--keep DIR` keeps the SQLite ledger; `--reuse` times it again without generating; `--db URL --copy-from
   DIR` copies that very ledger into a new PostgreSQL database (COPY) and times the report there.

Printed: both times, the ratio ours / DuckDB, and MET or MISSED against the goal (<= 3x).

    python bench/report.py [--holds 1000000] [--agencies 400] [--keep DIR [--reuse]]
    python bench/report.py --db postgresql://user@host:5432/test [--copy-from DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import Backend

from custody_ledger.domain import events as ev
from custody_ledger.domain.model import AgencyKind, AgreementModel, ReviewDecision
from custody_ledger.domain.parse import format_instant, to_primitive
from custody_ledger.ledger import codec, db, migrate
from custody_ledger.ledger.schema import events
from custody_ledger.reports import publish
from custody_ledger.reports.render import Format
from custody_ledger.settings import Settings

GOAL = 3.0
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
START = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
         "America/Anchorage", "Pacific/Honolulu")
STATES = ("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
          "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
          "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY")
LIMIT = timedelta(hours=48)


class Writer:
    """Events hash-chained as store.chain does, written on the driver in batches of 50,000 rows. The
    program's few events go through the domain's dataclasses (`event`); a hold's through `add` with the
    payload as the dict `to_primitive` makes of its dataclass (checked once, in `generate`), for speed."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.seq, self.prev = engine, 0, codec.GENESIS
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.sqlite = engine.dialect.name == "sqlite"

    def event(self, event: Any, at: datetime) -> None:
        self.add(event.stream, _type(event), to_primitive(event), at)

    def add(self, stream: str, kind: str, payload: dict[str, Any], at: datetime) -> None:
        self.seq += 1
        record = _Record(seq=self.seq, event_id=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                         stream=stream, type=kind, occurred_at=at, recorded_at=at + timedelta(minutes=2),
                         actor="bench", idempotency_key=f"bench-{self.seq}",
                         payload=codec.canonical(payload).decode(), prev_hash=self.prev)
        self.prev = codec.chain_hash(self.prev, codec.record_bytes(record))
        when = (_sqlite_time(record.occurred_at), _sqlite_time(record.recorded_at)) if self.sqlite else (
            record.occurred_at, record.recorded_at)
        self.rows.append((record.seq, record.event_id, stream, kind, *when, "bench", record.idempotency_key,
                          record.payload, record.prev_hash, self.prev))
        if len(self.rows) >= 50_000:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        marks = ", ".join(["?" if self.sqlite else "%s"] * 11)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO events (seq, event_id, stream, type, occurred_at, recorded_at, actor, idempotency_key, "
                f"payload, prev_hash, hash) VALUES ({marks})", self.rows)
        self.written += len(self.rows)
        self.rows = []


def _sqlite_time(at: datetime) -> str:
    """How SQLAlchemy stores a UTC instant in SQLite (schema.UTCDateTime)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _z(at: datetime) -> str:
    return format_instant(at)


class _Record:
    """A row's columns as attributes, which is what codec.record_bytes reads."""

    def __init__(self, **row: Any) -> None:
        self.__dict__.update(row)


_TYPES = {cls: name for name, cls in ev.EVENT_TYPES.items()}


def _type(event: Any) -> str:
    return _TYPES[type(event)]


def generate(engine: sa.Engine, holds: int, agencies: int, rng: random.Random) -> None:
    """Write the program and the holds."""
    w = Writer(engine)
    t = START - timedelta(days=400)
    w.event(ev.FieldOfficeRegistered("FO-1", "National ERO", "America/Chicago"), t)
    agency_rows = []
    for a in range(agencies):
        agency, state, zone = f"AG-{a:04d}", STATES[a % len(STATES)], ZONES[a % len(ZONES)]
        igsa = a % 10 == 0
        w.event(ev.AgencyRegistered(agency, f"Agency {a}", AgencyKind("sheriff"), state, None, None, "FO-1"), t)
        w.event(ev.FacilityRegistered(f"FAC-{a:04d}", agency, f"Jail {a}", zone), t)
        agreement = f"AGR-{a:04d}-WSO"
        w.event(ev.AgreementRequested(agreement, agency, AgreementModel.WSO), t)
        w.event(ev.AgreementReviewed(agreement, ReviewDecision.SUITABLE, "bench"), t)
        w.event(ev.AgreementSigned(agreement, t.date(), t.date(), igsa), t)
        for o in range(3):
            officer = f"OFF-{a:04d}-{o}"
            w.event(ev.OfficerNominated(officer, agency, f"Officer {o}", f"B{o}"), t)
            w.event(ev.OfficerCertified(officer, AgreementModel.WSO, agreement, agency, f"CR-{officer}", "SDDO"), t)
        agency_rows.append((agency, zone, igsa))
    span = (datetime(2026, 1, 1, tzinfo=UTC) - START).total_seconds() - 4 * 24 * 3600
    moments = sorted(START + timedelta(seconds=rng.random() * span) for _ in range(holds))
    ends: list[tuple[datetime, tuple[str, str, dict[str, Any]]]] = []
    for n, released in enumerate(moments):
        while ends and ends[0][0] <= released:  # ends in time order among the openings (one ledger order)
            at, (stream, kind, payload) = ends.pop(0)
            w.add(stream, kind, payload, at)
        agency, zone, igsa = agency_rows[min(int(rng.paretovariate(1.2)) - 1, agencies - 1) if n % 3 else
                                         rng.randrange(agencies)]
        a = agency[3:]
        booking, warrant, hold = f"BK-{n}", f"WR-{n}", f"H-{n}"
        booked = released - timedelta(days=2)
        facility = f"FAC-{a}"
        w.add(f"booking:{booking}", "person_booked", {
            "booking_id": booking, "facility_id": facility, "agency_id": agency, "subject_id": f"S-{n}",
            "commitment": "0" * 64, "charge_status": "pending", "source": None}, booked)
        w.add(f"warrant:{warrant}", "warrant_lodged", {
            "warrant_id": warrant, "booking_id": booking, "facility_id": facility, "agency_id": agency,
            "form": "I-200", "number": f"N{n}", "issued_on": booked.date().isoformat()}, booked)
        w.add(f"booking:{booking}", "released_from_criminal_custody",
              {"booking_id": booking, "reason": "bail", "source": None}, released)
        arrested = released + timedelta(minutes=rng.choice((0, 0, 0, 5)))
        deadline = None if igsa else released + LIMIT
        officer = f"OFF-{a}-{n % 3}"
        w.add(f"warrant:{warrant}", "warrant_served", {"warrant_id": warrant, "hold_id": hold, "officer_id": officer},
              arrested)
        opened = {"hold_id": hold, "warrant_id": warrant, "booking_id": booking, "facility_id": facility,
                  "agency_id": agency, "officer_id": officer, "released_from_criminal_at": _z(released),
                  "arrested_at": _z(arrested), "clock_started_at": _z(released), "igsa": igsa,
                  "limit_rule_id": "custody.limit", "deadline": None if deadline is None else _z(deadline),
                  "first_alert_at": None, "model": "WSO"}
        if n == 0:  # the hand-made payload is the one the domain's own event makes
            assert opened == to_primitive(ev.HoldOpened(hold, warrant, booking, facility, agency, officer, released,
                                                        arrested, released, igsa, "custody.limit", deadline, None,
                                                        AgreementModel.WSO))
        w.add(f"hold:{hold}", "hold_opened", opened, arrested)
        hours = min(rng.lognormvariate(2.9, 0.6), 47.5) if rng.random() > 0.01 else 48 + rng.random() * 10
        ended = released + timedelta(hours=hours)
        past = deadline is not None and ended > deadline
        if rng.random() < 0.08 or past:
            reason: str | None = "limit_reached" if past else "other"
            end: tuple[str, str, dict[str, Any]] = (f"hold:{hold}", "hold_released",
                                                   {"hold_id": hold, "reason": reason, "past_limit": past})
        else:
            reason, end = None, (f"hold:{hold}", "custody_transferred", {
                "hold_id": hold, "receiving_officer": "DO, ERO", "field_office_id": "FO-1", "past_limit": past})
        _insort(ends, (ended, end))
    for at, (stream, kind, payload) in ends:
        w.add(stream, kind, payload, at)
    w.flush()


def _insort(ends: list[Any], item: tuple[datetime, Any]) -> None:
    lo, hi = 0, len(ends)
    while lo < hi:
        mid = (lo + hi) // 2
        if ends[mid][0] <= item[0]:
            lo = mid + 1
        else:
            hi = mid
    ends.insert(lo, item)


DUCKDB_QUERY = """
WITH h AS (
  SELECT o.*, e.end_type, e.ended_at, e.reason,
         CAST(timezone(o.zone, o.arrested_at) AS DATE) AS arrest_day,
         CAST(timezone(o.zone, e.ended_at) AS DATE) AS end_day,
         epoch(e.ended_at - o.clock_started_at) / 3600.0 AS hours
  FROM opened o LEFT JOIN ended e USING (hold_id))
SELECT agency_id, model, strftime(arrest_day, '%Y-%m') AS month, 'arrests' AS measure, count(*) AS v, NULL AS q
  FROM h WHERE arrest_day BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY ALL
UNION ALL SELECT agency_id, model, strftime(arrest_day, '%Y-%m'), 'arrests_igsa', count(*), NULL
  FROM h WHERE igsa AND arrest_day BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY ALL
UNION ALL SELECT agency_id, model, strftime(end_day, '%Y-%m'), end_type, count(*), NULL
  FROM h WHERE end_day BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY ALL
UNION ALL SELECT agency_id, model, strftime(end_day, '%Y-%m'), 'at_limit', count(*), NULL
  FROM h WHERE reason = 'limit_reached' AND end_day BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY ALL
UNION ALL SELECT agency_id, model, strftime(end_day, '%Y-%m'), 'hours', count(*),
    quantile_cont(hours, [0.5, 0.9, 0.95]) || [max(hours)]
  FROM h WHERE NOT igsa AND end_day BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY ALL
UNION ALL SELECT agency_id, model, strftime(end_day, '%Y-%m'), 'past_limit', count(*),
    [sum(epoch(ended_at - deadline) / 3600.0)]
  FROM h WHERE ended_at > deadline AND end_day BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY ALL
"""


def duckdb_side(engine: sa.Engine) -> tuple[float, int]:
    """The holds' facts read from the ledger into DuckDB tables (untimed), then the aggregation (timed)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'").fetchall()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.type, events.c.occurred_at, events.c.payload).where(
            events.c.type.in_(("facility_registered", "hold_opened", "custody_transferred", "hold_released")))).all()
    kinds, moments, payloads = (list(c) for c in zip(*rows, strict=True))
    con.register("raw", pa.table({"type": kinds, "occurred_at": pa.array(moments, pa.timestamp("us", tz="UTC")),
                                  "payload": payloads}))
    con.execute("""CREATE TABLE zones AS SELECT payload->>'facility_id' AS facility_id, payload->>'timezone' AS zone
                   FROM raw WHERE type = 'facility_registered'""").fetchall()
    con.execute("""CREATE TABLE opened AS SELECT p.hold_id, p.agency_id, p.model, z.zone, p.arrested_at,
                     p.clock_started_at, p.deadline, p.igsa
                   FROM (SELECT json_transform(payload, '{"hold_id": "VARCHAR", "agency_id": "VARCHAR",
                     "model": "VARCHAR", "facility_id": "VARCHAR", "arrested_at": "TIMESTAMPTZ",
                     "clock_started_at": "TIMESTAMPTZ", "deadline": "TIMESTAMPTZ", "igsa": "BOOLEAN"}') AS p
                     FROM raw WHERE type = 'hold_opened') JOIN zones z ON z.facility_id = p.facility_id""").fetchall()
    con.execute("""CREATE TABLE ended AS SELECT payload->>'hold_id' AS hold_id, type AS end_type,
                     occurred_at AS ended_at, payload->>'reason' AS reason
                   FROM raw WHERE type IN ('custody_transferred', 'hold_released')""").fetchall()
    con.unregister("raw")
    started = time.perf_counter()
    found = con.execute(DUCKDB_QUERY).fetchall()
    return time.perf_counter() - started, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--holds", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=400)
    parser.add_argument("--db", help="a PostgreSQL server URL; default: a SQLite file")
    parser.add_argument("--keep", type=Path, help="keep the SQLite database in this folder")
    parser.add_argument("--seed", type=int, default=287)
    parser.add_argument("--reuse", action="store_true", help="with --keep: time the database generated before")
    parser.add_argument("--copy-from", type=Path, help="with --db: copy the ledger a SQLite run kept in this folder "
                                                       "(the very same events) instead of generating again")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    random.seed(args.seed)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cl-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    backend = Backend(folder, args.db)
    try:
        if args.copy_from is not None:
            assert args.db is not None, "--copy-from copies a kept SQLite ledger into PostgreSQL (--db)"
            url = backend.create("report")
            engine = db.make_engine(url)
            migrate.upgrade(engine)
            started = time.perf_counter()
            copy_events(args.copy_from / "report.db", url)
            print(f"copied from {args.copy_from} in {time.perf_counter() - started:.0f} s")
        elif args.reuse:
            url = backend.url("report") if args.db is None else args.db
            engine = db.make_engine(url)
        else:
            url = backend.create("report")
            engine = db.make_engine(url)
            migrate.upgrade(engine)
            started = time.perf_counter()
            generate(engine, args.holds, args.agencies, rng)
            print(f"generated in {time.perf_counter() - started:.0f} s")
        with engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
        print(f"ledger: {total:,} events on {engine.dialect.name}")
        settings = Settings(db=url, reports_cache=folder / "report.reports.duckdb")
        started = time.perf_counter()
        publish.oversight_report(engine, settings, YEAR, None, Format.CSV)
        print(f"first report (builds the columnar copy from {total:,} events): {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        csv = publish.oversight_report(engine, settings, YEAR, None, Format.CSV)
        ours = time.perf_counter() - started
        theirs, groups = duckdb_side(engine)
        figures = csv.count(b"\n") - 1
        print(f"oversight report, one year ({figures:,} CSV rows): {ours:.3f} s")
        print(f"DuckDB directly, the same custody aggregation ({groups:,} groups):          {theirs:.3f} s")
        ratio = ours / theirs
        print(f"ratio ours / DuckDB: {ratio:.2f}x (goal <= {GOAL:g}x): {'MET' if ratio <= GOAL else 'MISSED'}")
        random.seed()  # fresh event ids: a rerun on a kept ledger appends new events
        more = generate_more(engine, rng)
        started = time.perf_counter()
        publish.oversight_report(engine, settings, YEAR, None, Format.CSV)
        print(f"report after {more:,} more events (catch-up included): {time.perf_counter() - started:.3f} s")
        engine.dispose()
    finally:
        if args.keep is None:
            backend.drop_all()
        else:
            print(f"kept: {url}")


def copy_events(sqlite_path: Path, url: str) -> None:
    """The events of a kept SQLite ledger into PostgreSQL by COPY: the same chain, byte for byte."""
    import sqlite3

    import psycopg

    columns = "seq, event_id, stream, type, occurred_at, recorded_at, actor, idempotency_key, payload, prev_hash, hash"
    source = sqlite3.connect(sqlite_path)
    with psycopg.connect(plain(url)) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")  # SQLite's instants are UTC text without an offset
        with cur.copy(f"COPY events ({columns}) FROM STDIN") as copy:  # type: ignore[arg-type]
            for row in source.execute(f"SELECT {columns} FROM events ORDER BY seq"):
                copy.write_row(row)
    source.close()


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def generate_more(engine: sa.Engine, rng: random.Random) -> int:
    """10,000 more holds' worth of events appended on the chain's head (opened and ended)."""
    with engine.connect() as conn:
        head = conn.execute(sa.select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)).one()
    w = Writer(engine)
    w.seq, w.prev = head.seq, head.hash
    at = datetime(2025, 12, 20, tzinfo=UTC)
    for n in range(10_000):
        hold = f"HX-{n}"
        w.add(f"hold:{hold}", "hold_opened", {
            "hold_id": hold, "warrant_id": f"WRX-{n}", "booking_id": f"BKX-{n}", "facility_id": "FAC-0001",
            "agency_id": "AG-0001", "officer_id": "OFF-0001-0", "released_from_criminal_at": _z(at),
            "arrested_at": _z(at), "clock_started_at": _z(at), "igsa": False, "limit_rule_id": "custody.limit",
            "deadline": _z(at + LIMIT), "first_alert_at": None, "model": "WSO"}, at)
        w.add(f"hold:{hold}", "custody_transferred", {"hold_id": hold, "receiving_officer": "DO, ERO",
                                                      "field_office_id": "FO-1", "past_limit": False},
              at + timedelta(hours=rng.random() * 40))
    w.flush()
    return w.written


if __name__ == "__main__":
    main()
