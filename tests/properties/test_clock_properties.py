"""Clock properties for any IANA zone and any moment from 2000 to 2040, DST changes included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custody_ledger.domain import clock
from custody_ledger.domain.calendar import holiday_checker
from custody_ledger.domain.clock import Counting
from tests.support.holidays import FEDERAL

ZONES = st.sampled_from(sorted(available_timezones())).map(ZoneInfo)
# Any aware instant; the clock takes UTC, so instants drawn in any zone are converted, as app/ does.
STARTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=ZONES
).map(lambda moment: moment.astimezone(UTC))
LIMITS = st.integers(min_value=1, max_value=96).map(lambda hours: timedelta(hours=hours))
LEADS = st.lists(st.integers(min_value=1, max_value=96).map(lambda hours: timedelta(hours=hours)), max_size=6)
EXCL = Counting.EXCLUDING_WEEKENDS_AND_HOLIDAYS
IS_HOLIDAY = holiday_checker(FEDERAL)


def ends(start: datetime, limit: timedelta, counting: Counting, tz: ZoneInfo) -> datetime:
    end = clock.deadline(start, limit, counting, tz, IS_HOLIDAY)
    assert end is not None
    return end


@given(tz=ZONES, start=STARTS, limit=LIMITS)
def test_an_elapsed_deadline_is_exactly_the_limit_after_the_start_in_any_zone(
    tz: ZoneInfo, start: datetime, limit: timedelta
) -> None:
    assert ends(start, limit, Counting.ELAPSED, tz) - start == limit


@settings(max_examples=200)
@given(tz=ZONES, start=STARTS, limit=LIMITS)
def test_excluding_weekends_and_holidays_never_ends_sooner_than_elapsed_hours(
    tz: ZoneInfo, start: datetime, limit: timedelta
) -> None:
    assert ends(start, limit, EXCL, tz) - start >= limit


@settings(max_examples=200)
@given(tz=ZONES, start=STARTS, limit=LIMITS)
def test_excluding_weekends_and_holidays_ends_on_a_counted_local_day(
    tz: ZoneInfo, start: datetime, limit: timedelta
) -> None:
    # The last counted instant lies just before the deadline, on a local weekday that is no holiday.
    last = (ends(start, limit, EXCL, tz) - timedelta(microseconds=1)).astimezone(tz).date()
    assert (last.weekday(), IS_HOLIDAY(last)) in {(weekday, False) for weekday in range(5)}


@settings(max_examples=200)
@given(tz=ZONES, start=STARTS, limit=LIMITS, later=st.integers(min_value=0, max_value=7 * 24 * 3600))
def test_a_later_start_never_gives_an_earlier_excluding_deadline(
    tz: ZoneInfo, start: datetime, limit: timedelta, later: int
) -> None:
    assert ends(start + timedelta(seconds=later), limit, EXCL, tz) >= ends(start, limit, EXCL, tz)


@given(start=STARTS, limit=LIMITS, leads=LEADS)
def test_alerts_all_come_before_the_deadline(start: datetime, limit: timedelta, leads: list[timedelta]) -> None:
    end = ends(start, limit, Counting.ELAPSED, ZoneInfo("UTC"))
    assert [t for t in clock.alert_times(end, leads) if t >= end] == []


@given(start=STARTS, limit=LIMITS, leads=LEADS)
def test_alerts_are_strictly_increasing(start: datetime, limit: timedelta, leads: list[timedelta]) -> None:
    times = clock.alert_times(ends(start, limit, Counting.ELAPSED, ZoneInfo("UTC")), leads)
    assert [(a, b) for a, b in pairwise(times) if a >= b] == []


@given(start=STARTS, leads=LEADS)
def test_there_is_one_alert_per_distinct_lead(start: datetime, leads: list[timedelta]) -> None:
    assert len(clock.alert_times(start, leads)) == len(set(leads))


@given(release=STARTS, offset=st.integers(min_value=-7200, max_value=7200))
def test_the_clock_starts_at_the_earlier_of_release_and_arrest(release: datetime, offset: int) -> None:
    arrest = release + timedelta(seconds=offset)
    assert clock.clock_start(release, arrest) == min(release, arrest)


@given(release=STARTS, offset=st.integers(min_value=-7200, max_value=7200))
def test_the_time_without_authority_runs_from_the_clock_start_to_the_arrest(release: datetime, offset: int) -> None:
    arrest = release + timedelta(seconds=offset)
    assert clock.clock_start(release, arrest) + clock.unauthorized_gap(release, arrest) == arrest


@given(start=STARTS, minutes=st.integers(min_value=-14 * 60, max_value=14 * 60).filter(bool))
def test_any_offset_other_than_utc_is_refused(start: datetime, minutes: int) -> None:
    shifted = start.astimezone(timezone(timedelta(minutes=minutes)))
    with pytest.raises(ValueError, match=r"^start must be in UTC"):
        clock.deadline(shifted, timedelta(hours=48), Counting.ELAPSED, ZoneInfo("UTC"), IS_HOLIDAY)
