"""Read models for the CLI board and, later, the API and web pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.domain.model import HoldStatus
from custody_ledger.ledger.schema import facilities, holds


@dataclass(frozen=True)
class OpenHold:
    hold_id: str
    booking_id: str
    facility_id: str
    facility_name: str
    agency_id: str
    timezone: str
    clock_started_at: datetime
    deadline: datetime | None
    igsa: bool

    @property
    def deadline_local(self) -> datetime | None:
        return None if self.deadline is None else self.deadline.astimezone(ZoneInfo(self.timezone))

    def time_left(self, now: datetime) -> timedelta | None:
        return None if self.deadline is None else self.deadline - now


def open_holds(engine: Engine, now: datetime, due_within: timedelta | None = None) -> list[OpenHold]:
    """Open holds, soonest deadline first (IGSA holds, which have none, last)."""
    query = (
        sa.select(holds.c.hold_id, holds.c.booking_id, holds.c.facility_id, facilities.c.name,
                  holds.c.agency_id, facilities.c.timezone, holds.c.clock_started_at, holds.c.deadline,
                  holds.c.igsa)
        .join(facilities, facilities.c.facility_id == holds.c.facility_id)
        .where(holds.c.status == HoldStatus.OPEN.value)
        .order_by(holds.c.deadline.is_(None), holds.c.deadline, holds.c.hold_id)
    )
    if due_within is not None:
        query = query.where(holds.c.deadline.is_not(None), holds.c.deadline <= now + due_within)
    with engine.connect() as conn:
        return [OpenHold(*row) for row in conn.execute(query)]
