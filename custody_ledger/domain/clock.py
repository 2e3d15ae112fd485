"""The custody clock: when a hold's limit starts, when it ends, and the alerts before it.

All arithmetic is on aware UTC instants; local time matters only for deciding which calendar
days are weekends or holidays when the policy counts the limit that way (8 CFR 287.7(d)).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum


class Counting(StrEnum):
    # Form I-247A (2017) and jails such as Salt Lake County: wall-clock hours, weekends included.
    ELAPSED = "elapsed"
    # 8 CFR 287.7(d) as written: Saturdays, Sundays and federal holidays do not count.
    EXCLUDING_WEEKENDS_AND_HOLIDAYS = "excluding_weekends_and_holidays"


def require_utc(name: str, value: datetime) -> datetime:
    """Refuse naive or non-UTC instants: a wrong zone here would silently move a legal deadline."""
    offset = value.utcoffset()
    if value.tzinfo is None or offset is None:
        raise ValueError(f"{name} must be an aware UTC datetime, got a naive one")
    if offset != timedelta(0):
        raise ValueError(f"{name} must be in UTC, got offset {offset}")
    return value.astimezone(UTC)


def clock_start(released_at: datetime, arrested_at: datetime) -> datetime:
    """The earlier of release and arrest: the protective reading (DOMAIN.md, the 48-hour clock)."""
    return min(require_utc("released_at", released_at), require_utc("arrested_at", arrested_at))


def unauthorized_gap(released_at: datetime, arrested_at: datetime) -> timedelta:
    """Time between release and the WSO arrest: held with no authority at all."""
    gap = require_utc("arrested_at", arrested_at) - require_utc("released_at", released_at)
    return max(gap, timedelta(0))


def deadline(
    start: datetime,
    limit: timedelta | None,
    counting: Counting,
    tz: tzinfo,
    is_holiday: Callable[[date], bool],
) -> datetime | None:
    """When the limit runs out; None under an IGSA (no limit)."""
    start = require_utc("start", start)
    if limit is None:
        return None
    if counting is Counting.ELAPSED:
        return start + limit
    return _excluding(start, limit, tz, is_holiday)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # zoneinfo resolves the wall time; converting to UTC gives the real instant even on DST days.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _excluding(start: datetime, limit: timedelta, tz: tzinfo, is_holiday: Callable[[date], bool]) -> datetime:
    remaining = limit
    cursor = start
    while True:
        day = cursor.astimezone(tz).date()
        next_midnight = _local_midnight(day + timedelta(days=1), tz)
        if day.weekday() < 5 and not is_holiday(day):
            available = next_midnight - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        cursor = next_midnight


def alert_times(deadline: datetime | None, leads: Sequence[timedelta]) -> tuple[datetime, ...]:
    """The moments to warn before a deadline, earliest first."""
    if deadline is None:
        return ()
    return tuple(sorted({deadline - lead for lead in leads if lead > timedelta(0)}))


def is_overdue(deadline: datetime | None, now: datetime) -> bool:
    """Strictly after the deadline: release at the limit exactly is still lawful."""
    return deadline is not None and now > deadline


def time_left(deadline: datetime | None, now: datetime) -> timedelta | None:
    return None if deadline is None else deadline - now
