"""Clock properties for any IANA zone and any moment, DST changes included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from custody_ledger.domain import clock
from custody_ledger.domain.calendar import holiday_checker
from custody_ledger.domain.clock import Counting
from tests.support.holidays import FEDERAL

ZONES = st.sampled_from(sorted(available_timezones()))
STARTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))
LIMITS = st.integers(min_value=1, max_value=96).map(lambda h: timedelta(hours=h))
IS_HOLIDAY = holiday_checker(FEDERAL)


@given(zone=ZONES, start=STARTS, limit=LIMITS)
def test_an_elapsed_deadline_is_exactly_the_limit_after_the_start_in_any_zone(zone: str, start: datetime,
                                                                              limit: timedelta) -> None:
    assert clock.deadline(start, limit, Counting.ELAPSED, ZoneInfo(zone), IS_HOLIDAY) - start == limit


@settings(max_examples=200)
@given(zone=ZONES, start=STARTS, limit=LIMITS)
def test_excluding_weekends_and_holidays_never_ends_sooner_than_elapsed(zone: str, start: datetime,
                                                                       limit: timedelta) -> None:
    end = clock.deadline(start, limit, Counting.EXCLUDING_WEEKENDS_AND_HOLIDAYS, ZoneInfo(zone), IS_HOLIDAY)
    assert end - start >= limit


@settings(max_examples=200)
@given(zone=ZONES, start=STARTS, limit=LIMITS)
def test_excluding_mode_ends_on_a_counted_local_day(zone: str, start: datetime, limit: timedelta) -> None:
    tz = ZoneInfo(zone)
    end = clock.deadline(start, limit, Counting.EXCLUDING_WEEKENDS_AND_HOLIDAYS, tz, IS_HOLIDAY)
    # The last counted instant lies just before `end`, on a weekday that is no holiday.
    day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    assert day.weekday() < 5 and not IS_HOLIDAY(day)


@given(start=STARTS, limit=LIMITS, leads=st.lists(st.integers(1, 47), max_size=6))
def test_alerts_are_strictly_increasing_and_before_the_deadline(start: datetime, limit: timedelta,
                                                               leads: list[int]) -> None:
    end = clock.deadline(start, limit, Counting.ELAPSED, UTC, IS_HOLIDAY)
    times = clock.alert_times(end, [timedelta(hours=h) for h in leads])
    assert all(a < b for a, b in pairwise(times)) and all(t < end for t in times)


@given(release=STARTS, offset=st.integers(-7200, 7200))
def test_the_clock_never_starts_after_either_release_or_arrest(release: datetime, offset: int) -> None:
    arrest = release + timedelta(seconds=offset)
    start = clock.clock_start(release, arrest)
    assert start <= release and start <= arrest and clock.unauthorized_gap(release, arrest) == arrest - start
