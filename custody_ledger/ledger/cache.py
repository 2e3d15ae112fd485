"""What the write path remembers between its transactions: entity state, stream histories, children.

Most of a command's reads are of records the previous commands just wrote (the booking a release names, the
officer a serving names, the agreement under their certificate), so reading them back from the database is
most of a command's statements. This cache keeps them, under one rule that makes it safe: it is valid only at
the ledger head it was built at. Every write transaction reads the head under the append lock (it must, to
chain on from it) and starts from an empty cache if the head is not the one the cache was left at, i.e. when
any other process or connection appended in between; a transaction that does not commit empties it. Every
change of a projection comes with an appended event, so an unchanged head means unchanged state, and no
authority is ever decided on state another writer has changed since.

Guarded by `lock` for a whole write transaction: the process's writers take turns, as they do for the
append lock anyway. The write path's connection is kept here too, between its transactions.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain.history import Entry

from . import db

Ident = tuple[str, tuple[Any, ...]]
Children = tuple[str, str, Any]  # (kind, column, value)

# Entities kept before the cache starts over: a bound on memory, not on correctness (a miss is a read).
LIMIT = 200_000


class StateCache:
    def __init__(self, limit: int = LIMIT) -> None:
        self.lock = threading.Lock()
        self.limit = limit
        self.head: tuple[int, str] | None = None
        self.entities: dict[Ident, Any] = {}  # None: known not to exist
        self.children: dict[Children, set[Ident]] = {}  # every entity of `kind` whose `column` is `value`
        self.indexed: dict[str, set[str]] = {}  # kind -> columns some `children` entry is kept by
        self.histories: dict[str, list[Entry]] = {}  # stream -> its events in recording order
        self.last: dict[str, datetime | None] = {}  # stream -> occurred_at of its newest event (None: no event)
        self.kept: Connection | None = None

    def connection(self, engine: Engine) -> tuple[Connection, bool]:
        """The write path's connection, kept between its transactions (a pool checkout is a round trip to a
        PostgreSQL server for its ping, and Python work on either); and whether it was kept (True) or is new."""
        if self.kept is not None and not self.kept.closed and not self.kept.invalidated:
            return self.kept, True
        self.drop_connection()
        self.kept = engine.connect().execution_options(writer=True)
        return self.kept, False

    def drop_connection(self) -> None:
        kept, self.kept = self.kept, None
        if kept is None:
            return
        # Never back into the pool: a connection dropped here may be broken. What closing it raises changes
        # nothing: it is gone either way.
        for step in (kept.invalidate, kept.close):
            with contextlib.suppress(Exception):
                step()

    def clear(self) -> None:
        self.head = None
        self.entities.clear()
        self.children.clear()
        self.indexed.clear()
        self.histories.clear()
        self.last.clear()

    def start(self, head: tuple[int, str]) -> None:
        """Begin a transaction at `head`: keep what is known only if nothing was appended since."""
        if head != self.head or len(self.entities) > self.limit:
            self.clear()
        self.head = head


def _made(engine: Engine) -> StateCache:
    state = StateCache()
    # Disposing of the engine closes its connections: the kept one too.
    event.listen(engine, "engine_disposed", lambda _engine: state.drop_connection())
    return state


of = db.PerEngine(_made)
