"""What oversight counts: refused attempts and flagged records, folded into their own projections."""

from __future__ import annotations

from datetime import datetime

from .events import ActionRefused, RecordFlagged
from .model import Flag, Refusal


def evolve_refusal(_: Refusal | None, e: ActionRefused, at: datetime, actor: str) -> Refusal:
    return Refusal(e.refusal_id, e.command, e.rule_id, e.citation, e.message, at, actor, e.field, e.officer_id,
                   e.agency_id)


def evolve_flag(_: Flag | None, e: RecordFlagged, at: datetime) -> Flag:
    return Flag(e.flag_id, e.kind, e.rule_id, e.subject, e.detail, at, e.seconds)
