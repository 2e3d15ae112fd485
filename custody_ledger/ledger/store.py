"""The append-only event store: hash-chained appends, idempotency results, stream positions.

Rows are written by the transaction's Unit (ledger/unit.py), which holds the append lock for the whole
transaction, so the head it reads is the last row committed and sequence numbers never fork.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from custody_ledger.domain.events import event_stream, event_type

from . import codec


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


def result_row(key: str, command: str, fingerprint: str, result: dict[str, Any], recorded_at: datetime
               ) -> dict[str, Any]:
    """A command_results row: what a replay of `key` answers."""
    return {"idempotency_key": key, "command": command, "fingerprint": fingerprint,
            "result": json.dumps(result, sort_keys=True), "recorded_at": recorded_at}
