#!/usr/bin/env python3
"""Check a Custody Ledger export's hash chain without the product, its database or anything beyond the standard
library.

    python3 check_export.py LEDGER.jsonl [--head HASH]
    custody-ledger export ledger --from 100 --to 200 | python3 check_export.py -

LEDGER.jsonl is what `custody-ledger export ledger` writes: one event per line, with every column of the events
table. Each event's hash must be SHA-256(prev_hash bytes || the canonical record), where the record is every
column but `hash` as one RFC 8785 (JCS) JSON object; each line's prev_hash must be the hash of the line before
it, and sequence numbers must follow one another. An export that starts at sequence 1 must start from the
genesis hash (64 zeros); a range (`--from N`) starts from the prev_hash its first line names, which this tool
reports so it can be compared with a receipt, a checkpoint or an earlier export. `--head HASH` also requires the
last event's hash to be HASH (e.g. a signed checkpoint's head).

Exit 0 when the chain holds, 1 naming the first line that breaks it and why, 2 for unreadable input.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys

GENESIS = "0" * 64
_COLUMNS = ("actor", "event_id", "idempotency_key", "occurred_at", "payload", "prev_hash", "recorded_at", "seq",
            "stream", "type")


class Bad(Exception):
    pass


def canonical(value: object) -> str:
    """RFC 8785: object keys sorted by UTF-16 code units (§3.2.3), strings as ECMAScript JSON.stringify writes them
    (§3.2.2.2), numbers in ECMAScript's shortest form (§3.2.2.3), no whitespace."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(value[k]) for k in keys) + "}"
    raise Bad(f"a value JSON cannot hold: {value!r}")


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise Bad("NaN and infinities have no JSON form (RFC 8785 §3.2.2.3)")
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0')}"
    return text


def record_hash(prev_hash: str, line: dict[str, object]) -> str:
    record = {name: line[name] for name in _COLUMNS}
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical(record).encode("utf-8")).hexdigest()


def check(lines: list[str], head: str | None) -> tuple[int, int, str, str]:
    """(first seq, last seq, the prev_hash the export starts from, the last hash); Bad at the first break."""
    prev: str | None = None
    seq: int | None = None
    first = start = last = ""
    count = 0
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except json.JSONDecodeError as exc:
            raise Bad(f"line {number}: not JSON ({exc.msg})") from None
        missing = [c for c in (*_COLUMNS, "hash") if c not in line]
        if missing:
            raise Bad(f"line {number}: missing {', '.join(missing)}")
        if seq is None:
            first, start = line["seq"], line["prev_hash"]
            if line["seq"] == 1 and line["prev_hash"] != GENESIS:
                raise Bad(f"line {number} (seq 1): prev_hash must be the genesis hash {GENESIS}")
        elif line["seq"] != seq + 1:
            raise Bad(f"line {number}: seq {line['seq']} does not follow {seq} (an event is missing or repeated)")
        elif line["prev_hash"] != prev:
            raise Bad(f"line {number} (seq {line['seq']}): prev_hash {line['prev_hash']} is not the hash of the "
                      f"event before it ({prev})")
        try:
            computed = record_hash(line["prev_hash"], line)
        except ValueError:
            raise Bad(f"line {number} (seq {line['seq']}): prev_hash is not hexadecimal") from None
        if computed != line["hash"]:
            raise Bad(f"line {number} (seq {line['seq']}): hash {line['hash']} does not match its content "
                      f"(recomputed {computed}): the event was altered")
        seq, prev, last = line["seq"], line["hash"], line["hash"]
        count += 1
    if count == 0:
        raise Bad("no events in the export")
    if head is not None and last != head:
        raise Bad(f"the last event's hash is {last}, not the expected head {head}")
    return int(first), int(seq or 0), str(start), str(last)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Custody Ledger export's hash chain (standard library only).")
    parser.add_argument("export", help="the JSON Lines file, or - for standard input")
    parser.add_argument("--head", help="the hash the last event must have (a checkpoint's head)")
    args = parser.parse_args(argv)
    try:
        if args.export == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(args.export, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.export}: {exc}", file=sys.stderr)
        return 2
    try:
        first, last, start, end = check(lines, args.head)
    except Bad as exc:
        print(f"BROKEN: {exc}")
        return 1
    origin = "the genesis" if first == 1 else f"prev_hash {start}"
    print(f"OK: events {first} to {last} chain from {origin} to head {end}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
