"""How an instant is written for people and clients: API output, command results (RFC 3339).

One form everywhere it is shown: `2026-11-23T14:00:00Z` — UTC with `Z` (or, for a facility's local time,
its offset), the fraction of a second only when there is one and without trailing zeros
(`…14:00:00.5Z`). Not the hashed form: the ledger hashes `parse.format_instant` (always six digits),
byte for byte as it always has, so existing ledgers still verify.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def present_instant(value: datetime, zone: tzinfo | None = None) -> str:
    """RFC 3339 text of an aware instant, in UTC (`Z`) unless `zone` is given (then with its offset)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"an instant needs a UTC offset, got {value!r}")
    moment = value.astimezone(zone or UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    if moment.microsecond:
        whole, fraction, offset = text[:19], text[20:26], text[26:]
        text = f"{whole}.{fraction.rstrip('0')}{offset}"
    return text[:-6] + "Z" if text.endswith("+00:00") and zone is None else text


def present_text(value: str) -> str:
    """The presented form of an instant already written as ISO 8601 text (a stored command result), offset kept."""
    moment = datetime.fromisoformat(value)
    return present_instant(moment, None if value.endswith("Z") else moment.tzinfo)
