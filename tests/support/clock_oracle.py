"""A slow oracle for the custody clock, written without the clock's own arithmetic.

It walks forward from the start a quarter of an hour of UTC at a time and adds up only the pieces that
fall on a day that counts, until the limit is used up. It knows nothing of midnights or DST. Every UTC
offset used in the tests is a whole number of quarter hours, so a local midnight always falls between
two pieces; each piece checks that and stops the test if it ever does not hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

QUARTER = timedelta(minutes=15)
TICK = timedelta(microseconds=1)


def counted_deadline(start: datetime, limit: timedelta, zone: tzinfo, counts: Callable[[date], bool]) -> datetime:
    """The moment by which `limit` of time has passed on local days for which `counts(day)` is true."""
    remaining, moment = limit, start
    while True:
        into_quarter = timedelta(minutes=moment.minute % 15, seconds=moment.second, microseconds=moment.microsecond)
        boundary = moment - into_quarter + QUARTER
        day = moment.astimezone(zone).date()
        assert (boundary - TICK).astimezone(zone).date() == day, f"a local day changes inside {moment}..{boundary}"
        if counts(day):
            if remaining <= boundary - moment:
                return moment + remaining
            remaining -= boundary - moment
        moment = boundary


def every_day(_: date) -> bool:
    return True


def workdays(is_holiday: Callable[[date], bool]) -> Callable[[date], bool]:
    """8 CFR 287.7(d): Saturdays, Sundays and holidays do not count."""
    return lambda day: day.weekday() < 5 and not is_holiday(day)
