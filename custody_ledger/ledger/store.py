"""The append-only event store: hash-chained appends, idempotency results, stream positions.

Rows are written by the transaction's Unit (ledger/unit.py); callers hold the writer lock (db.writer /
db.take_append_lock) for the whole transaction, so the head read there is the last row committed and
sequence numbers never fork.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from custody_ledger.domain.events import event_stream, event_type
from custody_ledger.domain.history import Entry

from . import codec
from .schema import events


@dataclass(frozen=True)
class EventRow:
    seq: int
    event_id: str
    stream: str
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    idempotency_key: str
    payload: str
    prev_hash: str
    hash: str = ""

    def columns(self) -> dict[str, Any]:
        return {"seq": self.seq, "event_id": self.event_id, "stream": self.stream, "type": self.type,
                "occurred_at": self.occurred_at, "recorded_at": self.recorded_at, "actor": self.actor,
                "idempotency_key": self.idempotency_key, "payload": self.payload, "prev_hash": self.prev_hash,
                "hash": self.hash}


_HEAD = sa.select(events.c.seq, events.c.hash).order_by(events.c.seq.desc()).limit(1)


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(_HEAD).first()
    return (0, codec.GENESIS) if row is None else (int(row.seq), row.hash)


def chain(
    head: tuple[int, str],
    new_events: Sequence[object],
    *,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: str,
    idempotency_key: str,
) -> list[EventRow]:
    """The rows that append `new_events` after `head`, each hashed over the previous hash and itself."""
    seq, prev = head
    rows: list[EventRow] = []
    for event in new_events:
        seq += 1
        row = EventRow(seq, str(uuid.uuid4()), event_stream(event), event_type(event), occurred_at, recorded_at,
                       actor, idempotency_key, codec.encode_payload(event), prev)
        prev = codec.chain_hash(prev, codec.record_bytes(row))
        rows.append(replace(row, hash=prev))
    return rows


# The stream's newest row by sequence: appends refuse an occurred_at earlier than the stream's previous
# event (timing.check_stream_order), so it also carries the stream's latest occurred_at, and the
# (stream, seq) index finds it without reading the rest of the stream.
_LAST_OF_STREAM = (
    sa.select(events.c.occurred_at)
    .where(events.c.stream == sa.bindparam("stream"))
    .order_by(events.c.seq.desc())
    .limit(1)
)


def last_occurred(conn: Connection, streams: Iterable[str]) -> dict[str, datetime]:
    """The latest occurred_at of each stream that already has events."""
    found: dict[str, datetime] = {}
    for stream in sorted(set(streams)):
        value = conn.execute(_LAST_OF_STREAM, {"stream": stream}).scalar()
        if value is not None:
            found[stream] = value
    return found


_HISTORY = (
    sa.select(events.c.type, events.c.payload, events.c.occurred_at)
    .where(events.c.stream == sa.bindparam("stream"))
    .order_by(events.c.seq)
)


def history(conn: Connection, stream: str) -> list[Entry]:
    """Every event of one stream, in recording order, for judging what stood at a moment."""
    rows = conn.execute(_HISTORY, {"stream": stream})
    return [Entry(codec.decode_payload(r.type, r.payload), r.occurred_at) for r in rows]


def result_row(key: str, command: str, fingerprint: str, result: dict[str, Any], recorded_at: datetime
               ) -> dict[str, Any]:
    """A command_results row: what a replay of `key` answers."""
    return {"idempotency_key": key, "command": command, "fingerprint": fingerprint,
            "result": json.dumps(result, sort_keys=True), "recorded_at": recorded_at}
