"""When an event may be dated (DESIGN.md guarantee 5: bitemporal records)."""

from __future__ import annotations

from datetime import datetime

from .errors import Invalid
from .events import RecordFlagged
from .model import FlagKind
from .policy import PolicyView


def check_not_future(at: datetime, now: datetime, view: PolicyView) -> None:
    if at > now + view.future_skew:
        raise Invalid(
            f"occurred_at {at.isoformat()} lies in the future (now {now.isoformat()})",
            field="occurred_at",
            rule=view.rule("time.future_skew"),
        )


def check_stream_order(stream: str, previous: datetime | None, at: datetime, view: PolicyView) -> None:
    if previous is not None and at < previous:
        raise Invalid(
            f"occurred_at {at.isoformat()} is before the previous event of {stream} ({previous.isoformat()})",
            field="occurred_at",
            rule=view.rule("time.stream_order"),
        )


def late_entry(at: datetime, now: datetime, subject: str, key: str, view: PolicyView,
               source: object | None = None) -> RecordFlagged | None:
    """A flag when the record comes long after the fact: oversight counts late entries. An imported record
    (one with a `source`, domain/provenance.py) is dated by its edition and names where it came from: loading
    history is not entering it late."""
    delay = now - at
    if delay <= view.late_after or source is not None:
        return None
    rule = view.rule("time.late_entry")
    hours = delay.total_seconds() / 3600
    return RecordFlagged(
        f"late:{key}", FlagKind.LATE_ENTRY, rule.id, subject, f"recorded {hours:.1f} h after it occurred",
        int(delay.total_seconds()),
    )
