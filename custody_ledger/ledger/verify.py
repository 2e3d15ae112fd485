"""Recompute the hash chain and name the first broken event (DESIGN.md guarantee 4).

A chain alone cannot see its own last rows deleted, so every receipt handed out (the hashes in
command_results) is checked against the chain as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain.errors import DomainError

from . import codec
from .schema import command_results, events


@dataclass(frozen=True)
class Report:
    ok: bool
    checked: int
    head_hash: str
    first_broken: int | None = None
    reason: str | None = None


def verify(engine: Engine) -> Report:
    with engine.connect() as conn:
        report = _walk_chain(conn)
        if not report.ok:
            return report
        return _check_receipts(conn, report)


def _walk_chain(conn: Connection) -> Report:
    return check_rows(conn.execution_options(yield_per=5000).execute(sa.select(events).order_by(events.c.seq)))


def check_rows(rows: Iterable[Any]) -> Report:
    """Walk rows in sequence order: contiguous, linked to the previous hash, content matching its hash."""
    prev, expected, checked = codec.GENESIS, 1, 0
    for row in rows:
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
