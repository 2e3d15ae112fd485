"""Engines for SQLite (embedded default) and PostgreSQL (production), with one writer at a time.

SQLite runs in WAL mode with synchronous=FULL so a committed command survives power loss, and
write transactions start with BEGIN IMMEDIATE so two writers never interleave; on PostgreSQL a
transaction-scoped advisory lock serializes appends, so commit order equals sequence order.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

DEFAULT_DB_FILE = "custody_ledger.db"
T = TypeVar("T")
# Any constant works; it only has to be the same for every writer of one database.
APPEND_LOCK_KEY = 287_2019
BUSY_TIMEOUT_SECONDS = 60
# One gate per SQLite engine: its writers queue here, in this process, rather than in SQLite's busy
# handler, which polls with sleeps of up to 100 ms and under load let some requests wait over a second
# while others went first (p99 of bench/api.py). PostgreSQL queues writers in the server.
_WRITE_GATES: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def normalize_url(url: str | None) -> str:
    """Accept a bare path, sqlite:// or postgresql:// URL; PostgreSQL always goes through psycopg 3."""
    if not url:
        url = DEFAULT_DB_FILE
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str | None = None, **kw: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kw)
    return sa.create_engine(url, pool_pre_ping=True, **kw)


def _sqlite_engine(url: str, **kw: Any) -> Engine:
    # isolation_level=None stops pysqlite from issuing its own BEGIN, so ours is the only one.
    engine = sa.create_engine(url, connect_args={"isolation_level": None, "check_same_thread": False}, **kw)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cur.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten, not left in free pages: an expunged person's key material is gone
        # from the file itself (app/persons.shred).
        cur.execute("PRAGMA secure_delete=ON")
        # REPLACE's implicit delete of a conflicting row fires delete triggers only with this on, so the
        # append-only tables' delete guards hold against it too (ledger/guards.py; the BEFORE INSERT guards of
        # migration 0008 hold it for connections that are not ours).
        cur.execute("PRAGMA recursive_triggers=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("writer") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    _WRITE_GATES[engine] = threading.Lock()
    return engine


@contextmanager
def turn(engine: Engine) -> Iterator[None]:
    """This process's turn to write (SQLite: its writers queue here; PostgreSQL queues them in the server)."""
    gate = _WRITE_GATES.get(engine)
    if gate is not None and not gate.acquire(timeout=BUSY_TIMEOUT_SECONDS):
        raise TimeoutError(f"no turn to write within {BUSY_TIMEOUT_SECONDS} s: another writer holds the database")
    try:
        yield
    finally:
        if gate is not None:
            gate.release()


@contextmanager
def writer(engine: Engine) -> Iterator[Connection]:
    """A connection whose transactions hold the append lock from their first statement."""
    with turn(engine), engine.connect().execution_options(writer=True) as conn:
        yield conn


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: on SQLite it takes the write lock up front (BEGIN IMMEDIATE), because a
    read transaction that later tries to write fails at once with "database is locked" when another
    writer got in first, whatever the busy timeout."""
    with writer(engine) as conn, conn.begin():
        yield conn


class PerEngine(Generic[T]):
    """One `T` per engine, made on first use and gone with the engine: state a process keeps per database."""

    def __init__(self, make: Callable[[Engine], T]) -> None:
        self._make = make
        self._found: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, engine: Engine) -> T:
        with self._lock:
            found = self._found.get(engine)
            if found is None:
                found = self._found[engine] = self._make(engine)
            return found
