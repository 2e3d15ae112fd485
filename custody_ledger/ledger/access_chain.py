"""The access log's hash chain: who read or tried what, in an order no one can rewrite unseen.

Each row's `hash` is sha256(prev_hash || canonical row), the canonical row being every column but the hash
as one RFC 8785 object (as codec.record_bytes does for events), `at` in codec's one instant form. Rows are
numbered 1, 2, 3… by the appender itself, so `verify` names a deleted row by its number.

Appends are serialized so the chain never forks: on PostgreSQL by a transaction-scoped advisory lock of the
access log's own (held to the end of the caller's transaction: callers keep these transactions short); on
SQLite by the database's single writer (a transaction that read the head and lost the write lock to another
writer fails with SQLITE_BUSY rather than fork). The caller's transaction must run at READ COMMITTED on
PostgreSQL (its default), so the head read after the lock is the last committed one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from custody_ledger.domain.parse import format_instant

from . import codec
from .schema import access_log

GENESIS = codec.GENESIS
# Any constant other than db.APPEND_LOCK_KEY: the access log's appends queue apart from the ledger's.
ACCESS_LOCK_KEY = 287_2020
# The columns a caller gives (all but `at`, `principal`, `action` and `outcome` may be left out: null).
FIELDS = ("at", "principal", "role", "agency_id", "action", "resource", "outcome", "remote", "shown")
_REQUIRED = ("at", "principal", "action", "outcome")

_HEAD = sa.select(access_log.c.seq, access_log.c.hash).order_by(access_log.c.seq.desc()).limit(1)
_INSERT = access_log.insert()


def head(conn: Connection) -> tuple[int, str]:
    """The access log's last record number and hash ((0, GENESIS) when empty): what a checkpoint anchors."""
    row = conn.execute(_HEAD).first()
    return (0, GENESIS) if row is None else (int(row.seq), row.hash or GENESIS)


def hash_of(conn: Connection, seq: int) -> str | None:
    """The hash of access-log record `seq`, or None when there is no such record."""
    return conn.execute(sa.select(access_log.c.hash).where(access_log.c.seq == seq)).scalar()


def record_bytes(row: Mapping[str, Any]) -> bytes:
    """The hashed form of one access_log row: every column but the hash, as one RFC 8785 object (codec.canonical:
    the package's bytes, by the standard library's encoder where that is the same)."""
    at = row["at"]
    if not isinstance(at, datetime):
        raise TypeError(f"access_log.at must be a datetime, got {type(at).__name__}")
    return codec.canonical({
        "action": row["action"], "agency_id": row["agency_id"], "at": format_instant(at),
        "outcome": row["outcome"], "prev_hash": row["prev_hash"], "principal": row["principal"],
        "remote": row["remote"], "resource": row["resource"], "role": row["role"], "seq": int(row["seq"]),
        "shown": row["shown"],
    })


def row_hash(row: Mapping[str, Any]) -> str:
    return codec.chain_hash(row["prev_hash"], record_bytes(row))


def append(conn: Connection, values: Mapping[str, Any]) -> None:
    """Add one row to the access log, linked to the last: `values` names columns of FIELDS."""
    append_many(conn, [values])


def append_many(conn: Connection, records: Sequence[Mapping[str, Any]]) -> None:
    """Add rows to the access log in order, each linked to the one before: one lock, one head, one insert."""
    for values in records:
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ValueError(f"access_log has no column {', '.join(unknown)}")
        missing = [name for name in _REQUIRED if values.get(name) is None]
        if missing:
            raise ValueError(f"access_log needs {', '.join(missing)}")
    if not records:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ACCESS_LOCK_KEY})
    head = conn.execute(_HEAD).first()
    seq, prev = (0, GENESIS) if head is None else (int(head.seq), head.hash or GENESIS)
    rows: list[dict[str, Any]] = []
    for values in records:
        seq += 1
        row: dict[str, Any] = {name: values.get(name) for name in FIELDS}
        row.update(seq=seq, prev_hash=prev)
        row["hash"] = prev = row_hash(row)
        rows.append(row)
    conn.execute(_INSERT, rows)
