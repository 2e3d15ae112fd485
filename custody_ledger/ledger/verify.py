"""Recompute what must be trusted and name the first thing that is not as it was written (DESIGN.md guarantee 4).

`verify`: the schema's guards (every append-only table and its triggers present and as migrated), the hash
chain of events, every receipt handed out (a chain alone cannot see its own last rows deleted, so the hashes
in command_results are checked against it as well), and the access log's own chain (ledger/access_chain.py).

`verify_projections`: every projection rebuilt from the events alone, in a scratch SQLite database (the
live database is only read), and compared with the live tables row by row.

Both read one snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite), so a writer
appending meanwhile is never mistaken for tampering.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain.errors import DomainError

from . import access_chain, codec, guards, projections
from .schema import access_log, command_results, events, holds, metadata


@dataclass(frozen=True)
class Difference:
    """The first projection row whose live value differs from the one rebuilt from the ledger.
    `column` is None when the row is on one side only (then live / rebuilt say "present" / "absent")."""

    table: str
    key: dict[str, Any]
    column: str | None
    live: Any
    rebuilt: Any


@dataclass(frozen=True)
class Report:
    ok: bool
    checked: int
    head_hash: str
    first_broken: int | None = None  # the event (part "events") or access_log row (part "access_log")
    reason: str | None = None
    # What failed: "schema" (a table or guard trigger missing or altered), "events", "access_log",
    # "projections"; on success the last part checked.
    part: str = "events"
    access_checked: int = 0
    difference: Difference | None = None


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def verify(engine: Engine, through: int | None = None) -> Report:
    """The first problem found: a missing table stops the check at once; otherwise the events, the receipts
    and the access log are checked, and a missing or altered guard is reported after (or with) what they say.
    With `through`, the chain is walked to that event only and the head is its hash: what a report computed on
    events 1..through names (issue 15), checkable while the ledger goes on growing."""
    with _snapshot(engine) as conn:
        schema = check_schema(conn)
        if schema is not None and _missing_tables(conn):
            return Report(False, 0, codec.GENESIS, None, schema, part="schema")
        report = _walk_chain(conn, through)
        if report.ok and through is not None and report.checked < through:
            report = Report(False, report.checked, report.head_hash, report.checked + 1,
                            f"the ledger holds {report.checked} events, not {through}")
        if report.ok:
            report = _check_receipts(conn, report)
        if report.ok:
            report = _check_access_log(conn, report)
        if schema is None:
            return report
        if report.ok:
            return replace(report, ok=False, reason=schema, part="schema")
        return replace(report, reason=f"{report.reason}; and {schema}")


# --- the schema: append-only tables and their guards ----------------------------------------------------

def check_schema(conn: Connection) -> str | None:
    """None when every table of the schema is there and every append-only guard is present, enabled and as
    migrated; else one sentence naming each missing or altered table and trigger."""
    problems = [f"table {name} is missing" for name in _missing_tables(conn)]
    if conn.dialect.name == "sqlite":
        problems += _sqlite_guard_problems(conn)
    elif conn.dialect.name == "postgresql":
        problems += _pg_guard_problems(conn)
    return "; ".join(problems) if problems else None


def _missing_tables(conn: Connection) -> list[str]:
    present = set(sa.inspect(conn).get_table_names())
    return [name for name in metadata.tables if name not in present]


def _normal(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().lower()


def _sqlite_guard_problems(conn: Connection) -> list[str]:
    found = {row.name: (row.tbl_name, row.sql or "") for row in
             conn.exec_driver_sql("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")}
    problems = []
    for name, (table, ddl) in guards.expected_sqlite_triggers().items():
        if name not in found:
            problems.append(f"trigger {name} on {table} is missing (dropped)")
        elif found[name][0] != table or _normal(found[name][1]) != _normal(ddl):
            problems.append(f"trigger {name} on {table} is not the append-only guard (altered)")
    return problems


_PG_TRIGGERS = sa.text(
    "SELECT c.relname AS table_name, t.tgname AS name, t.tgenabled AS enabled, pg_get_triggerdef(t.oid) AS def "
    "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
)
_PG_FUNCTION = sa.text(
    "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE p.proname = :name AND n.nspname = current_schema()"
)


def _pg_guard_problems(conn: Connection) -> list[str]:
    schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    found = {row.name: row for row in conn.execute(_PG_TRIGGERS)}
    problems = []
    for name, (table, definition) in guards.expected_pg_triggers().items():
        row = found.get(name)
        if row is None:
            problems.append(f"trigger {name} on {table} is missing (dropped)")
            continue
        actual = str(row._mapping["def"]).replace(f"{schema}.", "")
        if row.table_name != table or definition not in actual or " WHEN " in actual.upper():
            problems.append(f"trigger {name} on {table} is not the append-only guard (altered)")
        elif row.enabled not in ("O", "A"):
            problems.append(f"trigger {name} on {table} is disabled")
    source = conn.execute(_PG_FUNCTION, {"name": guards.PG_FUNCTION}).scalars().all()
    if len(source) != 1 or _normal(source[0]) != _normal(guards.PG_FUNCTION_BODY):
        problems.append(f"function {guards.PG_FUNCTION}() is missing or altered")
    return problems


# --- the ledger's chain and its receipts --------------------------------------------------------------

def _walk_chain(conn: Connection, through: int | None = None) -> Report:
    query = sa.select(events).order_by(events.c.seq)
    if through is not None:
        query = query.where(events.c.seq <= through)
    return check_rows(conn.execution_options(yield_per=5000).execute(query))


@dataclass(frozen=True)
class Unreadable:
    """A row the driver could not turn into values (a timestamp column holding text, say): named, not raised."""

    error: str


def _readable(rows: Iterable[Any]) -> Iterator[Any]:
    """The rows, then one Unreadable in place of the first that cannot be read: SQLite keeps any value in any
    column, so a tampered row may not even parse, and verify must name it rather than crash."""
    iterator = iter(rows)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except (ValueError, TypeError, OverflowError) as exc:
            yield Unreadable(str(exc))
            return
        yield row


def check_rows(rows: Iterable[Any]) -> Report:
    """Walk rows in sequence order: contiguous, linked to the previous hash, content matching its hash."""
    prev, expected, checked = codec.GENESIS, 1, 0
    for row in _readable(rows):
        if isinstance(row, Unreadable):
            return Report(False, checked, prev, expected, f"event {expected} cannot be read: {row.error}")
        if row.seq != expected:
            return Report(False, checked, prev, expected, f"event {expected} is missing (next present: {row.seq})")
        if row.prev_hash != prev:
            return Report(False, checked, prev, row.seq, "prev_hash does not match the previous event's hash")
        try:
            computed = codec.chain_hash(prev, codec.record_bytes(row))
            codec.decode_payload(row.type, row.payload)
        except (ValueError, KeyError, TypeError, DomainError) as exc:
            return Report(False, checked, prev, row.seq, f"event cannot be read: {exc}")
        if computed != row.hash:
            return Report(False, checked, prev, row.seq, "content does not match its hash (altered)")
        prev, expected, checked = row.hash, expected + 1, checked + 1
    return Report(True, checked, prev)


def _check_receipts(conn: Connection, chain: Report) -> Report:
    hashes = dict(conn.execute(sa.select(events.c.seq, events.c.hash)).all())
    first: tuple[int, str] | None = None
    for key, result in conn.execute(sa.select(command_results.c.idempotency_key, command_results.c.result)):
        for receipt in json.loads(result).get("events", []):
            seq, expected = int(receipt["seq"]), receipt["hash"]
            if hashes.get(seq) != expected and (first is None or seq < first[0]):
                state = "missing" if seq not in hashes else "different from the receipt"
                first = (seq, f"event {seq}, receipted to command {key}, is {state}")
    if first is None:
        return chain
    return Report(False, chain.checked, chain.head_hash, first[0], first[1])


# --- the access log's chain --------------------------------------------------------------------------

def _check_access_log(conn: Connection, chain: Report) -> Report:
    rows = conn.execution_options(yield_per=5000).execute(sa.select(access_log).order_by(access_log.c.seq))
    checked, broken, reason = check_access_rows(rows)
    if broken is None:
        return Report(True, chain.checked, chain.head_hash, part="access_log", access_checked=checked)
    return Report(False, chain.checked, chain.head_hash, broken, reason, part="access_log", access_checked=checked)


def check_access_rows(rows: Iterable[Any]) -> tuple[int, int | None, str | None]:
    """Walk access_log rows in seq order: (rows verified, first broken row, why). Rows chained by
    access_chain.append are numbered without gaps, so a deleted row is named by its number; rows the
    migration chained may have gaps (PostgreSQL sequences skip numbers), which the links cover."""
    prev, prev_seq, checked = access_chain.GENESIS, 0, 0
    for row in _readable(rows):
        if isinstance(row, Unreadable):
            return checked, prev_seq + 1, f"access_log row {prev_seq + 1} cannot be read: {row.error}"
        values = row._mapping
        seq = int(values["seq"])
        if values["hash"] is None:
            return checked, seq, f"access_log row {seq} is not chained (written without access_chain.append)"
        if values["prev_hash"] != prev:
            if seq != prev_seq + 1:
                where = "the first row" if prev_seq == 0 else f"row {prev_seq}"
                return checked, prev_seq + 1, (f"access_log row {prev_seq + 1} is missing (deleted): row {seq} "
                                               f"does not link to {where}")
            return checked, seq, f"access_log row {seq} does not link to row {prev_seq} (altered)"
        if access_chain.row_hash(values) != values["hash"]:
            return checked, seq, f"access_log row {seq}: content does not match its hash (altered)"
        prev, prev_seq, checked = values["hash"], seq, checked + 1
    return checked, None, None


# --- projections rebuilt from the ledger -------------------------------------------------------------

# Excluded from the comparison: holds.next_alert_at is the watchdog's schedule, derived from the hold and
# the policy, and app/watchdog._repair sets it outside the ledger for holds opened before migration 0006
# (which set it for them too). Every other column of every projection must be what the events say.
_DERIVED = {(holds.name, "next_alert_at")}


def _projection_tables() -> list[tuple[sa.Table, tuple[str, ...]]]:
    seen: dict[str, tuple[sa.Table, tuple[str, ...]]] = {}
    for kind in projections.KINDS.values():
        seen.setdefault(kind.table.name, (kind.table, kind.keys))
    return list(seen.values())


def verify_projections(engine: Engine) -> Report:
    """Fold every event through projections.project into a scratch SQLite database and name the first row of
    a projection table (in projections.KINDS order, then by key) that differs from the live one."""
    with tempfile.TemporaryDirectory(prefix="cl-verify-") as folder:
        scratch = sa.create_engine(f"sqlite:///{Path(folder) / 'rebuilt.db'}", poolclass=sa.NullPool)
        try:
            with _snapshot(engine) as live, scratch.connect() as out:
                out.exec_driver_sql("PRAGMA journal_mode=OFF")
                out.exec_driver_sql("PRAGMA synchronous=OFF")
                out.commit()  # the pragmas' autobegun transaction, so the fold's is the only one
                with out.begin():
                    tables = _projection_tables()
                    metadata.create_all(out, tables=[table for table, _ in tables])
                    folded = _rebuild(live, out)
                    if isinstance(folded, Report):
                        return folded
                    count, head = folded
                    for table, keys in tables:
                        difference = _compare(live, out, table, keys)
                        if difference is not None:
                            return Report(False, count, head, reason=_describe(difference), part="projections",
                                          difference=difference)
                return Report(True, count, head, part="projections")
        finally:
            scratch.dispose()


def _rebuild(live: Connection, out: Connection) -> tuple[int, str] | Report:
    query = sa.select(events.c.seq, events.c.type, events.c.payload, events.c.occurred_at, events.c.actor,
                      events.c.hash).order_by(events.c.seq)
    known: projections.Known = {}
    count, head = 0, codec.GENESIS
    for row in live.execution_options(yield_per=5000).execute(query):
        try:
            event = codec.decode_payload(row.type, row.payload)
            projections.project(out, [event], row.occurred_at, row.actor, known)
        except (ValueError, KeyError, TypeError, DomainError) as exc:
            return Report(False, count, head, row.seq, f"event {row.seq} cannot be folded: {exc}",
                          part="projections")
        count, head = count + 1, row.hash
        if len(known) > 50_000:  # a cache of what was written: dropping it only costs reads
            known.clear()
    return count, head


def _ordered(conn: Connection, table: sa.Table, keys: tuple[str, ...]) -> Iterator[Any]:
    # Keys compared as Python compares str (code points, which is UTF-8 byte order): on PostgreSQL in the
    # "C" collation, on SQLite in BINARY, its default.
    order = [table.c[k].collate("C") if conn.dialect.name == "postgresql" else table.c[k] for k in keys]
    yield from conn.execution_options(yield_per=5000).execute(sa.select(table).order_by(*order))


def _compare(live: Connection, out: Connection, table: sa.Table, keys: tuple[str, ...]) -> Difference | None:
    columns = [c.name for c in table.columns if (table.name, c.name) not in _DERIVED]
    live_rows, rebuilt_rows = _ordered(live, table, keys), _ordered(out, table, keys)
    here, there = next(live_rows, None), next(rebuilt_rows, None)
    while here is not None or there is not None:
        live_key = None if here is None else tuple(here._mapping[k] for k in keys)
        rebuilt_key = None if there is None else tuple(there._mapping[k] for k in keys)
        if live_key is not None and (rebuilt_key is None or live_key < rebuilt_key):
            return Difference(table.name, dict(zip(keys, live_key, strict=True)), None, "present", "absent")
        if rebuilt_key is not None and (live_key is None or rebuilt_key < live_key):
            return Difference(table.name, dict(zip(keys, rebuilt_key, strict=True)), None, "absent", "present")
        assert here is not None and there is not None and live_key is not None
        for name in columns:
            if here._mapping[name] != there._mapping[name]:
                return Difference(table.name, dict(zip(keys, live_key, strict=True)), name,
                                  here._mapping[name], there._mapping[name])
        here, there = next(live_rows, None), next(rebuilt_rows, None)
    return None


def _describe(d: Difference) -> str:
    key = ", ".join(f"{k}={v}" for k, v in d.key.items())
    if d.column is None:
        side = "only in the live table" if d.live == "present" else "missing from the live table"
        return f"{d.table} ({key}): the row is {side}, not as rebuilt from the ledger"
    return f"{d.table} ({key}): {d.column} is {d.live!r} live but {d.rebuilt!r} rebuilt from the ledger"
