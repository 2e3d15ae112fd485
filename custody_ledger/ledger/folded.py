"""The ledger's entities folded in memory: the projections and the stream histories without a database.

A reader that judges history again (reports/replay.py) needs the state the write path saw before each act: the
current row of each entity (`load`, `children`) and each entity as it stood at a moment (`as_of`, the facts in
force at an act: domain/history.py). Folding the events here, in ledger order, gives both without writing a row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain import custody as cu
from custody_ledger.domain import history
from custody_ledger.domain.events import event_stream, event_type
from custody_ledger.domain.ids import OfficerId

from . import codec, projections
from .projections import PROJECTORS, Known, identity, stream_of
from .schema import events

# Columns children are looked up by (the write path's Tx.children).
INDEXED = {("certificate", "officer_id"), ("training", "officer_id"), ("hold", "booking_id"),
           ("facility", "agency_id")}


class Folded:
    """Every entity of the ledger folded in memory, event by event in ledger order, through the projectors' own
    evolve functions (PROJECTORS), with each stream's history kept for `as_of`: what a write transaction reads
    through its Unit, for a reader that must not write (the what-if replay, reports/replay.py)."""

    def __init__(self) -> None:
        self.known: Known = {}
        self.histories: dict[str, list[history.Entry]] = {}
        self.index: dict[tuple[str, str, object], set[tuple[str, tuple[Any, ...]]]] = {}

    def fold(self, batch: Sequence[object], at: datetime) -> None:
        changed = projections.fold(lambda kind, **key: None, batch, at, "", self.known)
        for ident, (_, _, row, _) in changed.items():
            for kind, column in INDEXED:
                if kind == ident[0]:
                    self.index.setdefault((kind, column, row[column]), set()).add(ident)
        for event in batch:
            self.histories.setdefault(event_stream(event), []).append(history.Entry(event, at))

    def load(self, kind: str, **key: Any) -> Any:
        return self.known.get(identity(kind, key))

    def children(self, kind: str, column: str, value: object) -> list[Any]:
        return [self.known[i] for i in sorted(self.index.get((kind, column, value), ()))]

    def as_of(self, kind: str, at: datetime, day: date, **key: Any) -> Any:
        """The entity as it stood at `at` (state_at, over the histories folded so far)."""
        def evolve(current: Any, event: Any, occurred_at: datetime) -> Any:
            return dict(PROJECTORS[event_type(event)])[kind](current, event, occurred_at, "")
        entries = self.histories.get(stream_of(kind, key), [])
        return history.state_at(entries, at, day, evolve)

    def standing(self, officer_id: OfficerId, at: datetime, day: date) -> cu.OfficerStanding:
        """As app/handlers/custody.standing builds it for the write path."""
        officer = self.as_of("officer", at, day, officer_id=officer_id)
        held = [self.as_of("certificate", at, day, officer_id=c.officer_id, model=c.model)
                for c in self.children("certificate", "officer_id", officer_id)]
        then = [c for c in held if c is not None]
        agreements = {c.agreement_id: self.as_of("agreement", at, day, agreement_id=c.agreement_id) for c in then}
        trainings = self.children("training", "officer_id", officer_id)
        exists = officer is not None or self.load("officer", officer_id=officer_id) is not None
        return cu.OfficerStanding(officer, then, {k: v for k, v in agreements.items() if v is not None},
                                  trainings, exists)

    def office_zone(self, agency_id: str | None) -> ZoneInfo | None:
        """The field office's calendar, which judges the program's own acts (certification, training)."""
        agency = None if agency_id is None else self.load("agency", agency_id=agency_id)
        office = None if agency is None else self.load("field_office", field_office_id=agency.field_office_id)
        return None if office is None else ZoneInfo(office.timezone)

    def agency_facility_zone(self, agency_id: str | None) -> ZoneInfo | None:
        """The one calendar of an agency's facilities; None when they keep more than one (or none)."""
        zones = {f.timezone for f in self.children("facility", "agency_id", agency_id)}
        return ZoneInfo(zones.pop()) if len(zones) == 1 else None


@dataclass(frozen=True)
class Batch:
    """One command's events: they share an idempotency key and a moment, and follow each other in the ledger."""

    key: str
    occurred_at: datetime
    events: list[object]
    seq: int  # the last event's sequence number and hash
    hash: str


def command_batches(conn: Connection) -> Iterator[Batch]:
    """The whole ledger in order, one command at a time, each event decoded into its domain dataclass."""
    query = sa.select(events.c.seq, events.c.type, events.c.payload, events.c.occurred_at,
                      events.c.idempotency_key, events.c.hash).order_by(events.c.seq)
    batch: Batch | None = None
    for row in conn.execution_options(yield_per=5000).execute(query):
        if batch is not None and (row.idempotency_key, row.occurred_at) != (batch.key, batch.occurred_at):
            yield batch
            batch = None
        decoded = codec.decode_payload(row.type, row.payload)
        found = [] if batch is None else batch.events
        batch = Batch(row.idempotency_key, row.occurred_at, [*found, decoded], row.seq, row.hash)
    if batch is not None:
        yield batch


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection on which the database itself refuses every write (PostgreSQL: a read-only transaction on one
    snapshot; SQLite: query_only, set back when done), so a reader's promise to write nothing is kept by the
    database, not by the reader's good manners."""
    with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY" if postgres
                             else "PRAGMA query_only = ON")
        try:
            yield conn
        finally:
            conn.rollback()
            if not postgres:
                conn.exec_driver_sql("PRAGMA query_only = OFF")
