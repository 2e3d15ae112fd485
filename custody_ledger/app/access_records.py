"""Access records of person-record reads, committed together: many reads, one durable commit.

A read of a person's record is answered only once its access record is durable. Written inside the read's own
transaction, every such read had to be a writer, queued behind every command and every other read for the
database's one write lock, and paid a commit of its own. Here the read runs as a plain reader and hands its
records over when it is done; one thread at a time (the first to arrive, the leader) writes every record
handed over meanwhile in one transaction, chained in the order they arrived, and wakes each waiting read
once it committed. So reads that arrive together share a commit, and none is answered before its record is
on disk; a commit that fails fails every read that was waiting for it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from custody_ledger.ledger import access_chain, db

Record = Mapping[str, Any]

# The records of the read running in this context, while `collecting` (else None: write at once).
_COLLECTED: contextvars.ContextVar[list[Record] | None] = contextvars.ContextVar("access_records", default=None)


def collector() -> list[Record] | None:
    """Where an access record goes instead of the caller's transaction, when a read is collecting them."""
    return _COLLECTED.get()


@contextmanager
def collecting() -> Iterator[list[Record]]:
    records: list[Record] = []
    token = _COLLECTED.set(records)
    try:
        yield records
    finally:
        _COLLECTED.reset(token)


@dataclass
class _Waiting:
    records: list[Record]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to write the next group, its own records in it
    error: BaseException | None = None


class GroupWriter:
    """One engine's access records, written many to a commit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[_Waiting] = []
        self._writing = False
        self.commits = 0  # how many commits wrote records (tests and benchmarks read it)

    def write(self, engine: Engine, records: list[Record]) -> None:
        """Return once `records` are committed; raise what the commit raised."""
        if not records:
            return
        mine = _Waiting(records)
        with self._lock:
            self._pending.append(mine)
            mine.lead = not self._writing
            self._writing = True
        if not mine.lead:
            mine.done.wait()
        if mine.lead:
            self._write_group(engine)
        if mine.error is not None:
            raise mine.error

    def _write_group(self, engine: Engine) -> None:
        """Everything handed over so far, in one transaction; then the next waiting read leads, so no leader
        keeps answering others' reads while its own answer waits."""
        with self._lock:
            group, self._pending = self._pending, []
        try:
            with db.write_transaction(engine) as conn:
                access_chain.append_many(conn, [r for waiting in group for r in waiting.records])
            self.commits += 1
        except BaseException as error:  # every read waiting on this commit learns it failed
            for waiting in group:
                waiting.error = error
        with self._lock:
            if self._pending:
                self._pending[0].lead = True
                self._pending[0].done.set()
            else:
                self._writing = False
        for waiting in group:
            waiting.lead = False
            waiting.done.set()


writer_of = db.PerEngine(lambda _engine: GroupWriter())
