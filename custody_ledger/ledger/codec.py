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
    """The hashed form of one events row: every column but the hash itself, as one RFC 8785 object.

    Built from canonical pieces rather than re-serialising the payload, which is stored already
    canonical: keys in sorted order (RFC 8785 §3.2.3), each value in its canonical form. A payload
    altered into non-canonical text therefore hashes differently, as any alteration must.
    """
    return b"".join((
        b'{"actor":', rfc8785.dumps(row.actor),
        b',"event_id":', rfc8785.dumps(row.event_id),
        b',"idempotency_key":', rfc8785.dumps(row.idempotency_key),
        b',"occurred_at":', rfc8785.dumps(format_instant(row.occurred_at)),
        b',"payload":', row.payload.encode("utf-8"),
        b',"prev_hash":', rfc8785.dumps(row.prev_hash),
        b',"recorded_at":', rfc8785.dumps(format_instant(row.recorded_at)),
        b',"seq":', str(int(row.seq)).encode("ascii"),
        b',"stream":', rfc8785.dumps(row.stream),
        b',"type":', rfc8785.dumps(row.type),
        b"}",
    ))


def chain_hash(prev_hash: str, record: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + record).hexdigest()
