"""The custody clock: when a hold's limit starts, when it ends, and the alerts before it.

All arithmetic is on aware UTC instants; local time matters only for deciding which calendar
days are weekends or holidays when the policy counts the limit that way (8 CFR 287.7(d)).
The limit itself, its counting method and the alert lead times come from the policy file.
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
    """Time between release and the WSO arrest: held with no authority at all (DOMAIN.md)."""
    gap = require_utc("arrested_at", arrested_at) - require_utc("released_at", released_at)
    return max(gap, timedelta(0))


def deadline(
    start: datetime,
    limit: timedelta | None,
    counting: Counting,
    tz: tzinfo,
    is_holiday: Callable[[date], bool],
) -> datetime | None:
    """When the limit runs out, in UTC; None under an IGSA, where detention has no such limit.

    `tz` is the facility's zone: it decides which local days are weekends or holidays, never
    how long an hour is.
    """
    start = require_utc("start", start)
    if limit is None:
        return None
    if limit <= timedelta(0):
        raise ValueError(f"limit must be positive, got {limit}")
    if counting is Counting.ELAPSED:
        # Form I-247A counts hours as they pass: UTC arithmetic, so a DST night is still 48 real hours.
        return start + limit
    return _excluding(start, limit, tz, is_holiday)


def _next_midnight(after: datetime, tz: tzinfo) -> datetime:
    """The first local midnight strictly after `after`, as a UTC instant.

    zoneinfo resolves a midnight skipped by a spring-forward (fold=0) to the transition itself. A
    midnight repeated by a fall-back (America/Goose_Bay before 2011) has two instants; the first
    may lie before `after`, so the later one is taken and the walk never runs backwards.
    """
    day = after.astimezone(tz).date() + timedelta(days=1)
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    return min(m for m in (midnight.astimezone(UTC), midnight.replace(fold=1).astimezone(UTC)) if m > after)


def _excluding(start: datetime, limit: timedelta, tz: tzinfo, is_holiday: Callable[[date], bool]) -> datetime:
    # 8 CFR 287.7(d): only time on a local weekday that is no federal holiday counts toward the limit.
    # Each local day counts its real length (23 or 25 hours on a DST change), because the span
    # between two midnights is measured in UTC.
    remaining, cursor, skipped = limit, start, 0
    while True:
        day = cursor.astimezone(tz).date()
        next_midnight = _next_midnight(cursor, tz)
        if day.weekday() < 5 and not is_holiday(day):
            skipped = 0
            if remaining <= next_midnight - cursor:
                return cursor + remaining
            remaining -= next_midnight - cursor
        else:
            skipped += 1
            # No real calendar excludes a whole year; a holiday rule that does is a policy error,
            # and an unbounded walk would hang the command instead of refusing it.
            if skipped > 366:
                raise ValueError("is_holiday excludes every day of a whole year: check the holiday rules")
        cursor = next_midnight


def alert_times(deadline: datetime | None, leads: Sequence[timedelta]) -> tuple[datetime, ...]:
    """The moments to warn before a deadline (policy: custody.alerts), earliest first, no repeats."""
    if deadline is None:
        return ()
    deadline = require_utc("deadline", deadline)
    if any(lead <= timedelta(0) for lead in leads):
        # A lead of zero or less would "warn" at or after the violation: a policy error, not an alert.
        raise ValueError(f"leads must be positive, got {[str(lead) for lead in leads]}")
    return tuple(sorted({deadline - lead for lead in leads}))


def is_overdue(deadline: datetime | None, now: datetime) -> bool:
    """Strictly after the deadline: release at the limit exactly is still lawful. Never under an IGSA."""
    now = require_utc("now", now)
    return deadline is not None and now > require_utc("deadline", deadline)


def time_left(deadline: datetime | None, now: datetime) -> timedelta | None:
    """Negative once the limit has passed, so a display can say by how much; None under an IGSA."""
    now = require_utc("now", now)
    return None if deadline is None else require_utc("deadline", deadline) - now
