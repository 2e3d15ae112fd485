"""The custody clock (DOMAIN.md "The WSO arrest and the 48-hour clock"); times in UTC, days in local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from custody_ledger.domain import clock
from custody_ledger.domain.calendar import HolidayRule, holiday_checker
from custody_ledger.domain.clock import Counting
from tests.support.holidays import FEDERAL

NY = ZoneInfo("America/New_York")
CHI = ZoneInfo("America/Chicago")
H48 = timedelta(hours=48)
EXCL = Counting.EXCLUDING_WEEKENDS_AND_HOLIDAYS
IS_HOLIDAY = holiday_checker(FEDERAL)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]


def test_48_hours_across_spring_forward_is_48_elapsed_hours_and_49_on_the_wall() -> None:
    start = local(NY, 2026, 3, 7, 12, 0)
    end = clock.deadline(start, H48, Counting.ELAPSED, NY, IS_HOLIDAY)
    assert end.astimezone(NY).replace(tzinfo=None) == datetime(2026, 3, 9, 13, 0)


def test_48_hours_across_fall_back_is_48_elapsed_hours_and_47_on_the_wall() -> None:
    start = local(NY, 2026, 10, 31, 12, 0)
    end = clock.deadline(start, H48, Counting.ELAPSED, NY, IS_HOLIDAY)
    assert end.astimezone(NY).replace(tzinfo=None) == datetime(2026, 11, 2, 11, 0)


def test_the_earlier_of_release_and_arrest_starts_the_clock() -> None:
    release = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert clock.clock_start(release, release + timedelta(minutes=20)) == release


def test_an_arrest_recorded_before_the_release_starts_the_clock_at_the_arrest() -> None:
    release = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert clock.clock_start(release, release - timedelta(minutes=5)) == release - timedelta(minutes=5)


def test_a_gap_is_counted_only_when_the_arrest_comes_after_the_release() -> None:
    release = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    gaps = [clock.unauthorized_gap(release, release + timedelta(minutes=m)) for m in (-5, 0, 25)]
    assert gaps == [timedelta(0), timedelta(0), timedelta(minutes=25)]


def test_under_an_igsa_there_is_no_deadline() -> None:
    assert clock.deadline(datetime(2026, 3, 2, tzinfo=UTC), None, Counting.ELAPSED, CHI, IS_HOLIDAY) is None


def test_excluding_weekends_friday_evening_start_ends_tuesday_evening() -> None:
    start = local(CHI, 2026, 3, 6, 18, 0)  # a Friday
    end = clock.deadline(start, H48, EXCL, CHI, IS_HOLIDAY)
    assert end.astimezone(CHI).replace(tzinfo=None) == datetime(2026, 3, 10, 18, 0)


def test_excluding_mode_skips_thanksgiving() -> None:
    start = local(CHI, 2026, 11, 25, 9, 0)  # Wednesday before Thanksgiving (Thursday 26th)
    end = clock.deadline(start, H48, EXCL, CHI, IS_HOLIDAY)
    assert end.astimezone(CHI).replace(tzinfo=None) == datetime(2026, 11, 30, 9, 0)


def test_excluding_mode_skips_the_observed_independence_day() -> None:
    start = local(CHI, 2026, 7, 2, 9, 0)  # Thursday; July 4 is a Saturday, observed Friday July 3
    end = clock.deadline(start, H48, EXCL, CHI, IS_HOLIDAY)
    assert end.astimezone(CHI).replace(tzinfo=None) == datetime(2026, 7, 7, 9, 0)


def test_a_start_on_a_saturday_begins_counting_monday_midnight() -> None:
    start = local(CHI, 2026, 3, 7, 10, 0)
    end = clock.deadline(start, timedelta(hours=1), EXCL, CHI, IS_HOLIDAY)
    assert end.astimezone(CHI).replace(tzinfo=None) == datetime(2026, 3, 9, 1, 0)


def test_excluding_mode_across_a_dst_weekend_still_counts_real_hours() -> None:
    start = local(NY, 2026, 3, 6, 12, 0)  # Friday noon; the clocks spring forward on Sunday
    end = clock.deadline(start, timedelta(hours=24), EXCL, NY, IS_HOLIDAY)
    # Counted: Friday 12 h + Monday 12 h; skipped: Saturday 24 h + Sunday 23 h.
    assert end - start == timedelta(hours=12 + 24 + 23 + 12)


EST = timezone(timedelta(hours=-5))


@pytest.mark.parametrize("bad", [datetime(2026, 3, 2, 14, 0), datetime(2026, 3, 2, 14, 0, tzinfo=EST)])
def test_naive_or_non_utc_instants_are_refused(bad: datetime) -> None:
    with pytest.raises(ValueError, match="start"):
        clock.deadline(bad, H48, Counting.ELAPSED, NY, IS_HOLIDAY)


def test_alerts_come_before_the_deadline_earliest_first() -> None:
    end = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    times = clock.alert_times(end, [timedelta(hours=h) for h in (1, 24, 4, 12)])
    assert times == tuple(end - timedelta(hours=h) for h in (24, 12, 4, 1))


def test_no_alerts_without_a_deadline() -> None:
    assert clock.alert_times(None, [timedelta(hours=1)]) == ()


def test_a_hold_is_overdue_only_strictly_after_its_deadline() -> None:
    end = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    assert [clock.is_overdue(end, end + timedelta(seconds=s)) for s in (-1, 0, 1)] == [False, False, True]


def test_federal_holidays_include_the_observed_new_years_day_on_december_31() -> None:
    # 2022-01-01 was a Saturday: observed Friday 2021-12-31.
    assert IS_HOLIDAY(date(2021, 12, 31))


def test_juneteenth_counts_only_from_2021() -> None:
    assert [IS_HOLIDAY(date(y, 6, 19)) for y in (2020, 2024)] == [False, True]


def test_memorial_day_is_the_last_monday_of_may() -> None:
    rule = HolidayRule("Memorial Day", 5, weekday=0, nth=-1)
    assert rule.actual(2026) == date(2026, 5, 25)
