"""The reports' columnar read path: the ledger's facts in DuckDB, kept current from the events.

Row-store SQL does not make per-agency-month percentiles fast over years of national data (DESIGN.md:
21.6 s with SQLite window functions against 0.57 s in DuckDB over 5 M holds), so reports read a copy. The
copy is built from the events, never from the projections, and every fact row keeps the sequence number
of the event it came from: a report computed "through event N" filters `seq <= N`, so the same range gives
the same figures whatever was appended since (issue 15 point 4), and the copy is only ever appended to.

The copy is a cache: a DuckDB file beside a SQLite database (`<database>.reports.duckdb`), in the user's
cache folder for a PostgreSQL database, or where the setting `reports_cache` says; rebuilt from the events
when it is missing, of an older shape, or of another ledger (its first or last event's hash no longer
matches). One process at a time updates and reads it (a lock file beside it).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.ledger import codec
from custody_ledger.ledger.schema import events
from custody_ledger.settings import Settings

# Bumped whenever a fact table changes shape: a copy of another version is rebuilt from the events.
VERSION = 2
_CHUNK = 200_000

# Each fact table: its columns after `seq`, and the event types it is made of. A column is read from the
# event's payload by name (DuckDB's json_transform, one parse per event) unless it is an envelope column.
_ENVELOPE = {"occurred_at": "TIMESTAMPTZ", "recorded_at": "TIMESTAMPTZ", "type": "VARCHAR", "stream": "VARCHAR"}
FACTS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "places": (("field_office_registered", "facility_registered"), {
        "type": "VARCHAR", "field_office_id": "VARCHAR", "facility_id": "VARCHAR", "agency_id": "VARCHAR",
        "timezone": "VARCHAR"}),
    "agencies": (("agency_registered", "agency_amended"), {
        "type": "VARCHAR", "agency_id": "VARCHAR", "name": "VARCHAR", "state": "VARCHAR", "kind": "VARCHAR",
        "field_office_id": "VARCHAR", "changes": "JSON"}),
    "agreement_events": ((
        "agreement_requested", "agreement_reviewed", "agreement_signed", "agreement_resigned", "agreement_amended",
        "agreement_suspended", "agreement_reinstated", "agreement_terminated", "agreement_delisted",
        "agreement_relisted"), {
        "type": "VARCHAR", "occurred_at": "TIMESTAMPTZ", "agreement_id": "VARCHAR", "agency_id": "VARCHAR",
        "model": "VARCHAR", "decision": "VARCHAR", "effective_from": "DATE", "effective_on": "DATE",
        "delisted_on": "DATE", "listed_on": "DATE", "igsa": "BOOLEAN", "source": "JSON"}),
    "officer_events": ((
        "officer_nominated", "background_check_recorded", "officer_separated", "training_recorded",
        "officer_certified", "certificate_suspended", "certificate_revoked"), {
        "type": "VARCHAR", "occurred_at": "TIMESTAMPTZ", "officer_id": "VARCHAR", "agency_id": "VARCHAR",
        "model": "VARCHAR", "agreement_id": "VARCHAR", "training_id": "VARCHAR", "result": "VARCHAR", "hours": "DOUBLE",
        "completed_on": "DATE", "expires_on": "DATE", "effective_on": "DATE"}),
    "holds": (("hold_opened",), {
        "hold_id": "VARCHAR", "agency_id": "VARCHAR", "facility_id": "VARCHAR", "officer_id": "VARCHAR",
        "model": "VARCHAR", "released_from_criminal_at": "TIMESTAMPTZ", "arrested_at": "TIMESTAMPTZ",
        "clock_started_at": "TIMESTAMPTZ", "deadline": "TIMESTAMPTZ", "igsa": "BOOLEAN",
        "recorded_at": "TIMESTAMPTZ"}),
    "hold_ends": (("custody_transferred", "hold_released"), {
        "type": "VARCHAR", "hold_id": "VARCHAR", "occurred_at": "TIMESTAMPTZ", "reason": "VARCHAR",
        "past_limit": "BOOLEAN"}),
    "watch": (("alert_raised", "release_due", "limit_exceeded"), {
        "type": "VARCHAR", "hold_id": "VARCHAR", "agency_id": "VARCHAR", "facility_id": "VARCHAR",
        "threshold": "VARCHAR", "due_at": "TIMESTAMPTZ", "occurred_at": "TIMESTAMPTZ", "late_seconds": "BIGINT"}),
    "refusals": (("action_refused",), {
        "occurred_at": "TIMESTAMPTZ", "command": "VARCHAR", "rule_id": "VARCHAR", "officer_id": "VARCHAR",
        "agency_id": "VARCHAR"}),
    "flags": (("record_flagged",), {
        "occurred_at": "TIMESTAMPTZ", "recorded_at": "TIMESTAMPTZ", "kind": "VARCHAR", "rule_id": "VARCHAR",
        "subject": "VARCHAR", "seconds": "BIGINT"}),
    # Where each record lives, so a flag naming "booking:BK-1" is counted for the booking's agency.
    "places_of": (("person_booked", "warrant_lodged", "hold_opened"), {
        "stream": "VARCHAR", "agency_id": "VARCHAR", "facility_id": "VARCHAR"}),
    "costs": (("cost_recorded",), {
        "cost_id": "VARCHAR", "agency_id": "VARCHAR", "kind": "VARCHAR", "payer": "VARCHAR",
        "incurred_from": "DATE", "incurred_to": "DATE", "hours": "DOUBLE", "amount_cents": "BIGINT",
        "agreement_id": "VARCHAR", "hold_id": "VARCHAR"}),
    "complaints": (("complaint_received", "complaint_referred", "complaint_closed"), {
        "type": "VARCHAR", "complaint_id": "VARCHAR", "agency_id": "VARCHAR", "received_on": "DATE",
        "category": "VARCHAR", "referred_to": "VARCHAR", "referred_on": "DATE", "outcome": "VARCHAR",
        "closed_on": "DATE"}),
    "meetings": (("steering_meeting_held", "steering_minutes_published"), {
        "type": "VARCHAR", "meeting_id": "VARCHAR", "agency_id": "VARCHAR", "agreement_id": "VARCHAR",
        "held_on": "DATE", "minutes_published_on": "DATE", "published_on": "DATE"}),
}


@dataclass(frozen=True)
class Range:
    """What a report was computed from: events 1..through of the ledger whose event `through` has `head`."""

    through: int
    head: str


class Mirror:
    """An open columnar copy: `sql()` reads it; `refresh()` appends the events it lacks."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        # Instants compare and print in UTC; a local day is always asked for by its zone.
        con.execute("SET TimeZone = 'UTC'").fetchall()
        if not self._current_shape():
            self._create()

    def sql(self, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(query, params or []).fetchall()

    @property
    def through(self) -> Range:
        ((seq, head),) = self.sql("SELECT through_seq, through_hash FROM meta")
        return Range(int(seq), str(head))

    def range_at(self, engine: Engine, through: int) -> Range:
        """Events 1..through, which the copy must hold: a report on an earlier range names that range's head."""
        if not 0 < through <= self.through.through:
            raise ValueError(f"through: the ledger holds events 1..{self.through.through}, not {through}")
        with engine.connect() as conn:
            head = conn.execute(sa.select(events.c.hash).where(events.c.seq == through)).scalar_one()
        return Range(through, str(head))

    def refresh(self, engine: Engine) -> Range:
        """Append every event recorded since the copy's last one; rebuild first if it is of another ledger."""
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # one snapshot for the head and the rows read after it
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                head = conn.execute(sa.select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)
                                    ).first()
                if head is None:
                    return self.through
                if not self._same_ledger(conn):
                    self._create()
                start = self.through.through
                while start < head.seq:
                    end = min(start + _CHUNK, head.seq)
                    self._append(conn, start, end)
                    start = end
        return self.through

    def _same_ledger(self, conn: sa.Connection) -> bool:
        (mine,) = self.sql("SELECT through_seq, through_hash, first_hash FROM meta")
        if mine[0] == 0:
            return True
        rows = dict(conn.execute(sa.select(events.c.seq, events.c.hash).where(events.c.seq.in_([1, mine[0]]))).all())
        return bool(rows.get(1) == mine[2] and rows.get(mine[0]) == mine[1])

    def _append(self, conn: sa.Connection, after: int, through: int) -> None:
        cols = [events.c.seq, events.c.type, events.c.stream, events.c.occurred_at, events.c.recorded_at,
                events.c.payload, events.c.hash]
        rows = conn.execute(sa.select(*cols).where(events.c.seq > after, events.c.seq <= through)
                            .order_by(events.c.seq)).all()
        if not rows:
            return
        seq, types, streams, occurred, recorded, payloads, hashes = (list(c) for c in zip(*rows, strict=True))
        chunk = pa.table({
            "seq": pa.array(seq, pa.int64()), "type": pa.array(types, pa.string()),
            "stream": pa.array(streams, pa.string()),
            "occurred_at": pa.array(occurred, pa.timestamp("us", tz="UTC")),
            "recorded_at": pa.array(recorded, pa.timestamp("us", tz="UTC")),
            "payload": pa.array(payloads, pa.string()),
        })
        self.con.register("chunk", chunk)
        try:
            self.sql("BEGIN")
            for table, (kinds, columns) in FACTS.items():
                self.sql(_insert(table, kinds, columns))
            first = hashes[0] if after == 0 else None
            self.sql("UPDATE meta SET through_seq = ?, through_hash = ?, first_hash = coalesce(?, first_hash)",
                     [seq[-1], hashes[-1], first])
            self.sql("COMMIT")
        except BaseException:
            self.sql("ROLLBACK")
            raise
        finally:
            self.con.unregister("chunk")

    def _current_shape(self) -> bool:
        try:
            rows = self.sql("SELECT version FROM meta")
        except duckdb.CatalogException:
            return False
        return rows == [(VERSION,)]

    def _create(self) -> None:
        for table in (*FACTS, "meta"):
            self.sql(f"DROP TABLE IF EXISTS {table}")
        self.sql("CREATE TABLE meta (version INTEGER, through_seq BIGINT, through_hash VARCHAR, first_hash VARCHAR)")
        self.sql("INSERT INTO meta VALUES (?, 0, ?, NULL)", [VERSION, codec.GENESIS])
        for table, (_, columns) in FACTS.items():
            body = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            self.sql(f"CREATE TABLE {table} (seq BIGINT NOT NULL, {body})")


def _insert(table: str, kinds: tuple[str, ...], columns: dict[str, str]) -> str:
    from_payload = {k: v for k, v in columns.items() if k not in _ENVELOPE}
    shape = "{" + ", ".join(f'"{k}": "{v}"' for k, v in from_payload.items()) + "}"
    picks = ", ".join(name if name in _ENVELOPE else f"p.{name}" for name in columns)
    types = ", ".join(f"'{k}'" for k in kinds)
    return (f"INSERT INTO {table} SELECT seq, {picks} FROM (SELECT seq, type, stream, occurred_at, recorded_at, "
            f"json_transform(payload, '{shape}') AS p FROM chunk WHERE type IN ({types}))")


def cache_path(engine: Engine, settings: Settings) -> Path | None:
    """Where the copy of this database lives: the setting; else beside a SQLite file, or for a server's database
    in the user's cache folder under a name derived from its URL (no password); None (in memory) for an
    in-memory SQLite database."""
    if settings.reports_cache is not None:
        return settings.reports_cache
    database = engine.url.database
    if engine.dialect.name == "sqlite":
        return Path(f"{database}.reports.duckdb") if database and database != ":memory:" else None
    shown = engine.url.render_as_string(hide_password=True)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "custody-ledger" / f"{database}-{hashlib.sha256(shown.encode()).hexdigest()[:16]}.reports.duckdb"


@contextmanager
def opened(engine: Engine, path: Path | None) -> Iterator[Mirror]:
    """The copy for `engine`, brought up to the ledger's head, held by this process until the block ends."""
    if path is None:
        with duckdb.connect(":memory:") as con:
            mirror = Mirror(con)
            mirror.refresh(engine)
            yield mirror
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # reports are short: the next one waits for this one
        try:
            with duckdb.connect(os.fspath(path)) as con:
                mirror = Mirror(con)
                mirror.refresh(engine)
                yield mirror
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
