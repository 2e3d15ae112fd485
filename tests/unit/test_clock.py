"""The custody clock (DOMAIN.md "The WSO arrest and the 48-hour clock"); times in UTC, days in local time.

Holidays are the shipped policy's federal list (tests/unit/test_calendar.py pins it to 5 U.S.C. § 6103).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from custody_ledger.domain import clock
from custody_ledger.domain.calendar import holiday_checker
from custody_ledger.domain.clock import Counting
from tests.support.holidays import FEDERAL

NY = ZoneInfo("America/New_York")
CHI = ZoneInfo("America/Chicago")
H48 = timedelta(hours=48)
EXCL = Counting.EXCLUDING_WEEKENDS_AND_HOLIDAYS
IS_HOLIDAY = holiday_checker(FEDERAL)
UTC_NOON = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def at(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall time in `tz`, as the UTC instant the clock takes."""
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def wall(instant: datetime | None, tz: ZoneInfo) -> datetime:
    """What a clock on the facility's wall reads at `instant` (naive local time)."""
    assert instant is not None
    return instant.astimezone(tz).replace(tzinfo=None)


def ends(start: datetime, limit: timedelta, counting: Counting, tz: ZoneInfo) -> datetime:
    end = clock.deadline(start, limit, counting, tz, IS_HOLIDAY)
    assert end is not None
    return end


# --- elapsed hours (Form I-247A, the default) -------------------------------------------------------

DST_NIGHTS = pytest.mark.parametrize(
    ("start", "wall_hours"),
    [(at(NY, 2026, 3, 7, 12), 49), (at(NY, 2026, 10, 31, 12), 47)],
    ids=["spring-forward-2026-03-08", "fall-back-2026-11-01"],
)


@DST_NIGHTS
def test_48_hours_across_a_dst_night_are_exactly_48_elapsed_hours(start: datetime, wall_hours: int) -> None:
    assert ends(start, H48, Counting.ELAPSED, NY) - start == H48


@DST_NIGHTS
def test_48_hours_across_a_dst_night_read_49_or_47_hours_on_the_wall(start: datetime, wall_hours: int) -> None:
    end = ends(start, H48, Counting.ELAPSED, NY)
    assert wall(end, NY) - wall(start, NY) == timedelta(hours=wall_hours)


def test_elapsed_hours_run_through_the_weekend() -> None:
    start = at(CHI, 2026, 3, 13, 18)  # a Friday, in a week with no DST change
    assert wall(ends(start, H48, Counting.ELAPSED, CHI), CHI) == datetime(2026, 3, 15, 18, 0)


def test_under_an_igsa_there_is_no_deadline() -> None:
    assert clock.deadline(UTC_NOON, None, Counting.ELAPSED, CHI, IS_HOLIDAY) is None


def test_a_limit_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^limit "):
        clock.deadline(UTC_NOON, timedelta(0), Counting.ELAPSED, CHI, IS_HOLIDAY)


# --- when the clock starts ----------------------------------------------------------------------------


def test_a_release_before_the_arrest_starts_the_clock() -> None:
    assert clock.clock_start(UTC_NOON, UTC_NOON + timedelta(minutes=20)) == UTC_NOON


def test_an_arrest_recorded_before_the_release_starts_the_clock() -> None:
    arrest = UTC_NOON - timedelta(minutes=5)
    assert clock.clock_start(UTC_NOON, arrest) == arrest


@pytest.mark.parametrize(("arrest_after_minutes", "gap_minutes"), [(-5, 0), (0, 0), (25, 25)])
def test_time_without_authority_is_counted_only_when_the_arrest_comes_after_the_release(
    arrest_after_minutes: int, gap_minutes: int
) -> None:
    gap = clock.unauthorized_gap(UTC_NOON, UTC_NOON + timedelta(minutes=arrest_after_minutes))
    assert gap == timedelta(minutes=gap_minutes)


# --- excluding weekends and federal holidays (8 CFR 287.7(d)) --------------------------------------------


def test_excluding_weekends_a_friday_evening_start_ends_tuesday_evening() -> None:
    start = at(CHI, 2026, 3, 6, 18)  # Friday 18:00: 6 h Friday + 24 h Monday + 18 h Tuesday
    assert wall(ends(start, H48, EXCL, CHI), CHI) == datetime(2026, 3, 10, 18, 0)


def test_excluding_holidays_skips_thanksgiving() -> None:
    start = at(CHI, 2026, 11, 25, 9)  # Wednesday; Thanksgiving is Thursday 26th
    assert wall(ends(start, H48, EXCL, CHI), CHI) == datetime(2026, 11, 30, 9, 0)


def test_excluding_holidays_skips_the_friday_an_independence_day_on_saturday_is_observed() -> None:
    start = at(CHI, 2026, 7, 2, 9)  # Thursday; July 4 2026 is a Saturday, observed Friday July 3
    assert wall(ends(start, H48, EXCL, CHI), CHI) == datetime(2026, 7, 7, 9, 0)


def test_a_start_on_a_saturday_begins_counting_at_monday_midnight() -> None:
    start = at(CHI, 2026, 3, 7, 10)
    assert ends(start, timedelta(hours=1), EXCL, CHI) == at(CHI, 2026, 3, 9) + timedelta(hours=1)


def test_a_start_on_a_holiday_begins_counting_at_the_next_workday_midnight() -> None:
    start = at(CHI, 2026, 11, 26, 10)  # Thanksgiving
    assert ends(start, timedelta(hours=1), EXCL, CHI) == at(CHI, 2026, 11, 27) + timedelta(hours=1)


def test_skipping_a_spring_forward_sunday_skips_its_23_real_hours() -> None:
    start = at(NY, 2026, 3, 6, 12)  # Friday noon: 12 h Friday, skip Saturday 24 h and Sunday 23 h, 12 h Monday
    assert ends(start, timedelta(hours=24), EXCL, NY) - start == timedelta(hours=12 + 24 + 23 + 12)


def test_skipping_a_fall_back_sunday_skips_its_25_real_hours() -> None:
    start = at(NY, 2026, 10, 30, 12)  # Friday noon: 12 h Friday, skip Saturday 24 h and Sunday 25 h, 12 h Monday
    assert ends(start, timedelta(hours=24), EXCL, NY) - start == timedelta(hours=12 + 24 + 25 + 12)


def test_a_counted_day_shortened_by_dst_counts_only_its_23_real_hours() -> None:
    # Israel springs forward on a Friday (2026-03-27), a counted weekday: 23 h Friday + 1 h Monday.
    tel_aviv = ZoneInfo("Asia/Jerusalem")
    start = at(tel_aviv, 2026, 3, 27)
    assert wall(ends(start, timedelta(hours=24), EXCL, tel_aviv), tel_aviv) == datetime(2026, 3, 30, 1, 0)


def test_a_holiday_rule_that_excludes_every_day_is_refused_rather_than_looping() -> None:
    with pytest.raises(ValueError, match="is_holiday"):
        clock.deadline(UTC_NOON, H48, EXCL, CHI, lambda day: True)


# --- aware UTC only -----------------------------------------------------------------------------------

NAIVE = datetime(2026, 3, 2, 14, 0)
EASTERN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
CALLS: dict[str, Callable[[datetime], object]] = {
    "start": lambda t: clock.deadline(t, H48, Counting.ELAPSED, NY, IS_HOLIDAY),
    "released_at": lambda t: clock.clock_start(t, UTC_NOON),
    "arrested_at": lambda t: clock.unauthorized_gap(UTC_NOON, t),
    "now": lambda t: clock.is_overdue(UTC_NOON, t),
    "deadline": lambda t: clock.alert_times(t, [timedelta(hours=1)]),
}


@pytest.mark.parametrize("bad", [NAIVE, EASTERN], ids=["naive", "utc-5"])
@pytest.mark.parametrize("argument", sorted(CALLS))
def test_naive_or_non_utc_instants_are_refused_naming_the_argument(argument: str, bad: datetime) -> None:
    with pytest.raises(ValueError, match=f"^{argument} must"):
        CALLS[argument](bad)


def test_an_aware_instant_at_offset_zero_is_normalised_to_utc() -> None:
    london_winter = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    assert clock.require_utc("at", london_winter).tzinfo is UTC


# --- alerts, overdue, time left ------------------------------------------------------------------------


def test_alerts_come_before_the_deadline_earliest_first_without_repeats() -> None:
    times = clock.alert_times(UTC_NOON, [timedelta(hours=h) for h in (1, 24, 4, 12, 4)])
    assert times == tuple(UTC_NOON - timedelta(hours=h) for h in (24, 12, 4, 1))


def test_no_alerts_without_a_deadline() -> None:
    assert clock.alert_times(None, [timedelta(hours=1)]) == ()


def test_an_alert_lead_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^leads "):
        clock.alert_times(UTC_NOON, [timedelta(hours=1), timedelta(0)])


def test_a_hold_is_overdue_only_strictly_after_its_deadline() -> None:
    moments = [UTC_NOON + timedelta(seconds=s) for s in (-1, 0, 1)]
    assert [clock.is_overdue(UTC_NOON, now) for now in moments] == [False, False, True]


def test_a_hold_under_an_igsa_is_never_overdue() -> None:
    assert clock.is_overdue(None, UTC_NOON + timedelta(days=365)) is False


def test_time_left_turns_negative_past_the_deadline() -> None:
    assert clock.time_left(UTC_NOON, UTC_NOON + timedelta(minutes=90)) == timedelta(minutes=-90)


def test_there_is_no_time_left_to_count_under_an_igsa() -> None:
    assert clock.time_left(None, UTC_NOON) is None


def test_the_counting_methods_are_named_as_in_the_policy_file() -> None:
    assert {c.value for c in Counting} == {"elapsed", "excluding_weekends_and_holidays"}


def test_holidays_are_judged_by_the_local_date_not_the_utc_date() -> None:
    # 2026-11-25 20:00 in Chicago is already Thanksgiving (11-26) in UTC; the local Wednesday still counts.
    start = at(CHI, 2026, 11, 25, 20)
    assert ends(start, timedelta(hours=1), EXCL, CHI) == start + timedelta(hours=1)
