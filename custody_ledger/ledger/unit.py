"""One write transaction: reads through the state cache, writes kept back and sent in a few statements.

A command's events, its result, its projection rows and its person row are staged in memory and written when
the transaction ends, one `executemany` per table (per entity kind for projections, the last state of each
entity only), straight on the driver's cursor with SQL built once per dialect: SQLAlchemy's per-statement
work was a third of a command's time, more than SQLite's commit (bench/README.md). Every read sees every earlier
command of the transaction: what was staged is in the cache (an entity, a stream's position) or merged into what
the database answers (children); a stream's history and any statement of its own (`Tx.conn`) write the staged
rows first.

Staging a command is one step that cannot fail halfway: a command refused or invalid before it leaves nothing
behind, which is what a batch's savepoint per command used to guarantee. A statement that fails when written
fails the whole transaction, as it did before; the driver's error is raised as SQLAlchemy's DBAPIError, like
every other statement's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from custody_ledger.domain.history import Entry

from . import cache as caches
from . import codec, db, store
from .cache import Ident, StateCache
from .schema import command_results, events, persons

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Insert:
    """An INSERT (or upsert) of one table's rows as tuples, with each column's bind conversion (e.g. an
    instant to SQLite's text form) taken from the column's own SQLAlchemy type, so the stored values are
    exactly what SQLAlchemy would have stored."""

    sql: str
    columns: tuple[str, ...]
    processors: tuple[Processor, ...]

    def params(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """`row`'s values in column order; enums already by value (projections.to_row)."""
        return tuple(row[c] if p is None else p(row[c]) for c, p in zip(self.columns, self.processors, strict=True))


def _marker(dialect: Dialect) -> str:
    return "?" if dialect.paramstyle == "qmark" else "%s"


@cache
def _insert(table: sa.Table, dialect: Dialect, upsert_keys: tuple[str, ...] = ()) -> Insert:
    columns = tuple(c.name for c in table.columns)
    marker = _marker(dialect)
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join([marker] * len(columns))})")
    if upsert_keys:
        others = [c for c in columns if c not in upsert_keys]
        sql += (f" ON CONFLICT ({', '.join(quote(k) for k in upsert_keys)}) DO UPDATE SET "
                + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in others))
    processors = tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    return Insert(sql, columns, processors)


@dataclass(frozen=True)
class Select:
    """A SELECT of a table's rows by equality on some columns, each column read back through its own type."""

    sql: str
    columns: tuple[str, ...]
    processors: tuple[Processor, ...]

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        return {c: v if p is None else p(v)
                for c, v, p in zip(self.columns, values, self.processors, strict=True)}


@cache
def _select(table: sa.Table, dialect: Dialect, where: tuple[str, ...]) -> Select:
    columns = tuple(c.name for c in table.columns)
    quote = dialect.identifier_preparer.quote
    sql = (f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} WHERE "
           + " AND ".join(f"{quote(c)} = {_marker(dialect)}" for c in where))
    return Select(sql, columns, tuple(_reading(table.c[c], dialect) for c in columns))


def _reading(column: sa.Column[Any], dialect: Dialect) -> Processor:
    """How this driver's value of `column` becomes what SQLAlchemy would return (e.g. an aware UTC instant)."""
    return column.type.dialect_impl(dialect).result_processor(dialect, None)


_HEAD = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
_LAST = "SELECT occurred_at FROM events WHERE stream = {0} ORDER BY seq DESC LIMIT 1"
_RESULTS = "SELECT idempotency_key, fingerprint, result FROM command_results WHERE idempotency_key IN ({0})"


class Unit:
    """The write transaction's staged writes, and its reads through the cache.

    `head` is the ledger head as this transaction has it (staged events included): appends chain on from it.
    """

    def __init__(self, conn: Connection, state: StateCache, keys: Sequence[str] = ()) -> None:
        """Take the append lock (PostgreSQL: an advisory lock; SQLite's BEGIN IMMEDIATE already holds it), read
        the head after it, and look up the results of `keys`: one round trip to a PostgreSQL server."""
        self.conn = conn
        self.cache = state
        self.dialect = conn.dialect
        self._events: list[store.EventRow] = []
        self._results: dict[str, dict[str, Any]] = {}  # key -> the row, staged
        self._found: dict[str, tuple[str, dict[str, Any]] | None] = {}  # key -> a stored result, looked up
        self._entities: dict[Ident, tuple[sa.Table, tuple[str, ...], dict[str, Any]]] = {}
        self._persons: list[dict[str, Any]] = []
        with self._pipeline(), self._cursor() as lock, self._cursor() as head:
            if self.dialect.name == "postgresql":
                self._run(lock, "SELECT pg_advisory_xact_lock(%s)", [(db.APPEND_LOCK_KEY,)])
            self._run(head, _HEAD, [()])
            self.prefetch_results(keys)
            row = head.fetchone()
        self.head: tuple[int, str] = (0, codec.GENESIS) if row is None else (int(row[0]), str(row[1]))
        state.start(self.head)

    # --- reads --------------------------------------------------------------------------------------------

    def connection(self) -> Connection:
        """The transaction's connection, with every staged row written: for statements the unit does not make."""
        self.flush()
        return self.conn

    def entity(self, ident: Ident, table: sa.Table, keys: tuple[str, ...], make: Callable[[dict[str, Any]], Any]
               ) -> Any:
        """The entity `ident` (None: it does not exist); on a miss its row, by `keys`, is read and `make` builds it."""
        entities = self.cache.entities
        if ident in entities:
            return entities[ident]
        rows = self.rows(table, keys, ident[1])
        found = entities[ident] = make(rows[0]) if rows else None
        return found

    def rows(self, table: sa.Table, where: tuple[str, ...], values: Sequence[Any]) -> list[dict[str, Any]]:
        """The rows of `table` whose `where` columns equal `values`, as committed or written so far: the caller
        accounts for what is staged (an entity staged is in the cache, so never missed)."""
        select = _select(table, self.dialect, where)
        with self._cursor() as cursor:
            self._run(cursor, select.sql, [tuple(values)])
            return [select.row(r) for r in cursor.fetchall()]

    def children(self, kind: str, column: str, value: Any, ident_of: Callable[[Any], Ident],
                 load: Callable[[], list[Any]]) -> list[Any]:
        """Every entity of `kind` whose `column` is `value`, ordered by key; `load` reads them on a miss."""
        key = (kind, column, value)
        members = self.cache.children.get(key)
        if members is None:
            members = {ident for ident, (_, _, row) in self._entities.items()
                       if ident[0] == kind and row[column] == value}  # staged, perhaps not yet in the database
            for found in load():
                ident = ident_of(found)
                self.cache.entities.setdefault(ident, found)
                members.add(ident)
            self.cache.children[key] = members
            self.cache.indexed.setdefault(kind, set()).add(column)
        return [self.cache.entities[i] for i in sorted(members)]

    def history(self, stream: str) -> list[Entry]:
        """Every event of one stream, in recording order."""
        entries = self.cache.histories.get(stream)
        if entries is None:
            self.flush()
            rows = sorted(self.rows(events, ("stream",), (stream,)), key=lambda r: r["seq"])
            entries = self.cache.histories[stream] = [
                Entry(codec.decode_payload(r["type"], r["payload"]), r["occurred_at"]) for r in rows]
        return entries

    def last_occurred(self, streams: Iterable[str]) -> dict[str, datetime]:
        """The latest occurred_at of each stream that already has events: its newest event's, since appends
        never go back in time within a stream (timing.check_stream_order); the (stream, seq) index finds it."""
        last = self.cache.last
        # A stream with staged events is in `last` already (stage), so what is missing is all in the database.
        missing = sorted({s for s in streams if s not in last})
        if missing:
            occurred_at = _reading(events.c.occurred_at, self.dialect) or (lambda value: value)
            with self._pipeline(), ExitStack() as cursors:
                asked = []
                for stream in missing:
                    cursor = cursors.enter_context(self._cursor())
                    self._run(cursor, _LAST.format(_marker(self.dialect)), [(stream,)])
                    asked.append((stream, cursor))
                for stream, cursor in asked:
                    row = cursor.fetchone()
                    last[stream] = None if row is None else occurred_at(row[0])
        found: dict[str, datetime] = {}
        for stream in sorted(set(streams)):
            value = last[stream]
            if value is not None:
                found[stream] = value
        return found

    def find_result(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """A stored command result (fingerprint, result) under `key`, staged ones included."""
        staged = self._results.get(key)
        if staged is not None:
            return staged["fingerprint"], json.loads(staged["result"])
        if key not in self._found:
            self.prefetch_results([key])
        return self._found[key]

    def prefetch_results(self, keys: Sequence[str]) -> None:
        """Look up keys in few statements (a batch's in one), so find_result reads nothing more for them."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self._found and k not in self._results]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            with self._cursor() as cursor:
                self._run(cursor, _RESULTS.format(", ".join([_marker(self.dialect)] * len(chunk))), [tuple(chunk)])
                found = {r[0]: (r[1], json.loads(r[2])) for r in cursor.fetchall()}
            for key in chunk:
                self._found[key] = found.get(key)

    # --- writes -------------------------------------------------------------------------------------------

    def stage(self, rows: Sequence[store.EventRow], entries: Sequence[Entry],
              changed: Mapping[Ident, tuple[sa.Table, tuple[str, ...], dict[str, Any], Any]],
              result: dict[str, Any], person: dict[str, Any] | None) -> None:
        """One command's writes: its event rows (with their entries, for the stream histories), the new state
        of each entity it changed (table, key columns, row, entity), its result row and its person row. Nothing
        here can fail halfway."""
        self._events.extend(rows)
        if rows:
            self.head = (rows[-1].seq, rows[-1].hash)
        for row, entry in zip(rows, entries, strict=True):
            if row.stream in self.cache.histories:
                self.cache.histories[row.stream].append(entry)
            self.cache.last[row.stream] = row.occurred_at
        for ident, (table, keys, values, entity) in changed.items():
            self._entities[ident] = (table, keys, values)
            self.cache.entities[ident] = entity
            for column in self.cache.indexed.get(ident[0], ()):
                members = self.cache.children.get((ident[0], column, values[column]))
                if members is not None:
                    members.add(ident)
        self._results[result["idempotency_key"]] = result
        self._found.pop(result["idempotency_key"], None)
        if person is not None:
            self._persons.append(person)

    def flush(self) -> None:
        """Write every staged row: one executemany per table, projections last state only."""
        if not (self._events or self._results or self._entities or self._persons):
            return
        by_table: dict[tuple[sa.Table, tuple[str, ...]], list[dict[str, Any]]] = {}
        for table, keys, values in self._entities.values():
            by_table.setdefault((table, keys), []).append(values)
        writes: list[tuple[Insert, Sequence[Mapping[str, Any]]]] = [
            (_insert(events, self.dialect), [r.columns() for r in self._events]),
            (_insert(command_results, self.dialect), list(self._results.values())),
            *((_insert(table, self.dialect, keys), rows) for (table, keys), rows in by_table.items()),
            (_insert(persons, self.dialect), self._persons),
        ]
        self._events, self._results, self._entities, self._persons = [], {}, {}, []
        with self._pipeline(), self._cursor() as cursor:
            for insert, rows in writes:
                if rows:
                    self._run(cursor, insert.sql, [insert.params(r) for r in rows])

    # --- the driver -----------------------------------------------------------------------------------------

    @contextmanager
    def _pipeline(self) -> Iterator[None]:
        """On PostgreSQL, statements sent together and answered in one round trip (psycopg's pipeline mode);
        an error of any of them is raised when it ends. SQLite runs in-process: nothing to save."""
        if self.dialect.name != "postgresql":
            yield
            return
        try:
            with self.conn.connection.driver_connection.pipeline():  # type: ignore[union-attr]
                yield
        except self.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DBAPIError.instance("(pipeline)", None, error, self.dialect.loaded_dbapi.Error) from error

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        cursor = self.conn.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def _run(self, cursor: Any, sql: str, params: list[tuple[Any, ...]]) -> None:
        try:
            if len(params) == 1:
                cursor.execute(sql, params[0])
            else:
                cursor.executemany(sql, params)
        except self.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DBAPIError.instance(sql, params[:1], error, self.dialect.loaded_dbapi.Error) from error


@contextmanager
def transaction(engine: Engine, keys: Sequence[str] = ()) -> Iterator[Unit]:
    """A write transaction through a Unit: the append lock from its first statement, the staged rows written
    before it commits, the cache kept only once it has (any error empties it). `keys`: the idempotency keys
    whose stored results the transaction will ask for, looked up with the head."""
    state = caches.of(engine)
    with state.lock, db.turn(engine):
        conn, unit = _begin(engine, state, keys)
        try:
            yield unit
            unit.flush()
            conn.commit()
        except BaseException:
            state.clear()
            try:
                conn.rollback()
            except Exception:  # a connection that cannot roll back is not kept
                state.drop_connection()
            raise
        state.head = unit.head


def _begin(engine: Engine, state: StateCache, keys: Sequence[str]) -> tuple[Connection, Unit]:
    """Begin on the kept connection; if it has gone stale (the server restarted) before anything was done,
    once more on a new one."""
    while True:
        conn, kept = state.connection(engine)
        try:
            conn.begin()
            return conn, Unit(conn, state, keys)
        except sa.exc.DBAPIError:
            state.drop_connection()
            if not kept:
                raise

