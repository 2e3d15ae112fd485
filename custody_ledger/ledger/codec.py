"""Event <-> canonical bytes, and the hash chain: hash = sha256(prev_hash || canonical record).

Canonical JSON is RFC 8785 (JCS, the `rfc8785` package), so the same record hashes the same on
every backend and in every language an auditor may use to check it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

from custody_ledger.domain.events import EVENT_TYPES
from custody_ledger.domain.parse import format_instant, parse, to_primitive

GENESIS = "0" * 64


def encode_payload(event: object) -> str:
    return rfc8785.dumps(to_primitive(event)).decode("utf-8")


def decode_payload(type_name: str, payload: str) -> Any:
    return parse(EVENT_TYPES[type_name], json.loads(payload))


def record_bytes(row: Any) -> bytes:
    """The hashed form of one events row: every column but the hash itself."""
    record = {
        "seq": int(row.seq),
        "event_id": row.event_id,
        "stream": row.stream,
        "type": row.type,
        "occurred_at": format_instant(row.occurred_at),
        "recorded_at": format_instant(row.recorded_at),
        "actor": row.actor,
        "idempotency_key": row.idempotency_key,
        "payload": json.loads(row.payload),
        "prev_hash": row.prev_hash,
    }
    return rfc8785.dumps(record)


def chain_hash(prev_hash: str, record: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + record).hexdigest()
