"""Clock properties (DOMAIN.md, the 48-hour clock), each checked against something the clock does not compute.

Elapsed hours are checked in POSIX seconds (`calendar.timegm`) and on the facility's wall clock; hours
that exclude weekends and holidays against a slow walk that counts quarter hours on the days that count
(tests/support/clock_oracle.py). Starts are drawn from 2000 to 2040, most of them within four days of a
change of UTC offset in the facility's zone or at a local midnight near one.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from custody_ledger.domain import clock
from custody_ledger.domain.calendar import holiday_checker
from custody_ledger.domain.clock import Counting
from tests.support.clock_oracle import counted_deadline, every_day, workdays
from tests.support.holidays import FEDERAL

# The facility zones of the program (Guam and the Northern Marianas, Arizona without DST, Hawaii, Alaska,
# Puerto Rico), and three zones whose clocks change on a weekday, skip a midnight or sit half an hour off,
# so a counted day can be 23 or 25 hours long.
ZONE_NAMES = ("America/Chicago", "America/Los_Angeles", "America/New_York", "America/Phoenix", "Pacific/Guam",
              "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
              "Africa/Cairo", "Asia/Tehran", "Asia/Kolkata")
ZONES = st.sampled_from(ZONE_NAMES).map(ZoneInfo)
FIRST, LAST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)
EXCL = Counting.EXCLUDING_WEEKENDS_AND_HOLIDAYS
IS_FEDERAL_HOLIDAY = holiday_checker(FEDERAL)
LIMITS = st.one_of(st.integers(min_value=1, max_value=96).map(lambda hours: timedelta(hours=hours)),
                   st.integers(min_value=1, max_value=96 * 60).map(lambda minutes: timedelta(minutes=minutes)))
# For zones that never change offset: days spread over two years, one before the 2007 US DST rules.
MIDNIGHT_ANCHORS = [datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=97 * n)
                    for year in (2001, 2026) for n in range(4)]


def posix(moment: datetime) -> int:
    """Whole seconds since 1970 in UTC, counted by the C library rather than by datetime arithmetic."""
    return calendar.timegm(moment.utctimetuple())


@cache
def offset_changes(zone: ZoneInfo) -> tuple[datetime, ...]:
    """Every instant from 2000 to 2040 at which `zone`'s UTC offset changes, to the second."""
    found = []
    day = FIRST
    while day < LAST:
        following = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            low, high = day, following  # the offset at `low` is the old one, at `high` the new one
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                same = middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                low, high = (middle, high) if same else (low, middle)
            found.append(high.replace(microsecond=0))
        day = following
    return tuple(found)


@st.composite
def starts(draw: st.DrawFn, zone: ZoneInfo) -> datetime:
    """An instant in UTC, as the clock takes it: anywhere, within four days of a DST change in `zone`, or at a
    local midnight near one (where a deadline can land exactly on the start of a day that does not count)."""
    changes = offset_changes(zone)
    where = draw(st.sampled_from(["anywhere", "near a change", "a midnight near a change"] if changes else
                                 ["anywhere", "a midnight"]))
    if where == "anywhere":
        return draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2039, 12, 1),
                                 timezones=st.just(UTC)))
    near = draw(st.sampled_from(changes)) if changes else draw(st.sampled_from(MIDNIGHT_ANCHORS))
    if where == "near a change":
        return near + timedelta(microseconds=draw(st.integers(-4 * 86_400_000_000, 4 * 86_400_000_000)))
    day = near.astimezone(zone).date() + timedelta(days=draw(st.integers(-4, 4)))
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@st.composite
def zone_and_start(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    zone = draw(ZONES)
    return zone, draw(starts(zone))


@st.composite
def workday_cases(draw: st.DrawFn) -> tuple[ZoneInfo, datetime, Callable[[date], bool]]:
    """A zone, a start, and holidays: the shipped policy's federal ones, or any few days near the start."""
    zone, start = draw(zone_and_start())
    if draw(st.booleans()):
        return zone, start, IS_FEDERAL_HOLIDAY
    first = start.astimezone(zone).date()
    days = frozenset(first + timedelta(days=n) for n in draw(st.frozensets(st.integers(-1, 21), max_size=8)))
    return zone, start, days.__contains__


def deadline(start: datetime, limit: timedelta, counting: Counting, zone: ZoneInfo,
             is_holiday: Callable[[date], bool] = IS_FEDERAL_HOLIDAY) -> datetime:
    end = clock.deadline(start, limit, counting, zone, is_holiday)
    assert end is not None
    return end


# --- elapsed hours (Form I-247A; the shipped policy) ---------------------------------------------------------


@given(moment=zone_and_start(), limit=LIMITS)
# Saturday noon in Chicago, the day before the clocks go forward, and the day before they go back.
@example(moment=(ZoneInfo("America/Chicago"), datetime(2026, 3, 7, 18, 0, tzinfo=UTC)), limit=timedelta(hours=48))
@example(moment=(ZoneInfo("America/Chicago"), datetime(2026, 10, 31, 17, 0, tzinfo=UTC)), limit=timedelta(hours=48))
def test_an_elapsed_deadline_is_the_limit_in_real_seconds_whatever_the_facility_zone(
    moment: tuple[ZoneInfo, datetime], limit: timedelta
) -> None:
    _, start = moment
    seconds = posix(start) + limit.days * 86_400 + limit.seconds
    ends = {deadline(start, limit, Counting.ELAPSED, ZoneInfo(name)) for name in ZONE_NAMES}
    assert [(posix(end), end.microsecond) for end in ends] == [(seconds, start.microsecond)]


@given(moment=zone_and_start(), limit=LIMITS)
def test_across_a_dst_change_the_facility_wall_clock_moves_by_the_limit_plus_the_change(
    moment: tuple[ZoneInfo, datetime], limit: timedelta
) -> None:
    zone, start = moment
    local_start, local_end = start.astimezone(zone), deadline(start, limit, Counting.ELAPSED, zone).astimezone(zone)
    on_the_wall = local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None)
    change = local_end.utcoffset() - local_start.utcoffset()  # type: ignore[operator]
    assert on_the_wall == limit + change


@given(moment=zone_and_start(), limit=LIMITS)
def test_an_elapsed_deadline_is_where_a_walk_counting_every_day_ends(
    moment: tuple[ZoneInfo, datetime], limit: timedelta
) -> None:
    zone, start = moment
    assert deadline(start, limit, Counting.ELAPSED, zone) == counted_deadline(start, limit, zone, every_day)


# --- hours excluding weekends and holidays (8 CFR 287.7(d)) ------------------------------------------------


@settings(max_examples=300)
@given(case=workday_cases(), limit=LIMITS)
@example(case=(ZoneInfo("Africa/Cairo"), datetime(2023, 4, 27, 12, 0, tzinfo=UTC), IS_FEDERAL_HOLIDAY),
         limit=timedelta(hours=30))  # the clocks skip Friday's midnight: a 23-hour working day
@example(case=(ZoneInfo("Asia/Tehran"), datetime(2021, 3, 21, 8, 0, tzinfo=UTC), IS_FEDERAL_HOLIDAY),
         limit=timedelta(hours=48))  # Monday 22 March 2021 starts an hour late
@example(case=(ZoneInfo("America/New_York"), datetime(2026, 3, 7, 1, 0, tzinfo=UTC), IS_FEDERAL_HOLIDAY),
         limit=timedelta(hours=48))  # Friday evening, and the clocks go forward on Sunday
@example(case=(ZoneInfo("America/Chicago"), datetime(2026, 3, 5, 6, 0, tzinfo=UTC), IS_FEDERAL_HOLIDAY),
         limit=timedelta(hours=48))  # from Thursday's midnight: the limit runs out as Saturday begins
@example(case=(ZoneInfo("Africa/Cairo"), datetime(2023, 10, 25, 21, 0, tzinfo=UTC), IS_FEDERAL_HOLIDAY),
         limit=timedelta(hours=25))  # the clocks go back at the end of Thursday: a 25-hour working day
def test_an_excluding_deadline_is_where_a_walk_counting_only_workdays_ends(
    case: tuple[ZoneInfo, datetime, Callable[[date], bool]], limit: timedelta
) -> None:
    zone, start, is_holiday = case
    expected = counted_deadline(start, limit, zone, workdays(is_holiday))
    assert deadline(start, limit, EXCL, zone, is_holiday) == expected


@settings(max_examples=200)
@given(moment=zone_and_start(), limit=LIMITS)
def test_an_excluding_deadline_never_comes_before_the_elapsed_one(
    moment: tuple[ZoneInfo, datetime], limit: timedelta
) -> None:
    zone, start = moment
    assert deadline(start, limit, EXCL, zone) >= deadline(start, limit, Counting.ELAPSED, zone)


# --- both methods: later start or longer limit, later deadline ------------------------------------------------


@settings(max_examples=200)
@given(moment=zone_and_start(), limit=LIMITS, counting=st.sampled_from(Counting),
       later=st.integers(min_value=1, max_value=7 * 86_400_000_000).map(lambda us: timedelta(microseconds=us)))
def test_a_later_start_never_gives_an_earlier_deadline(
    moment: tuple[ZoneInfo, datetime], limit: timedelta, counting: Counting, later: timedelta
) -> None:
    zone, start = moment
    first, second = deadline(start, limit, counting, zone), deadline(start + later, limit, counting, zone)
    # Elapsed hours move with the start; a start moved within a weekend can keep the excluding deadline.
    assert second > first if counting is Counting.ELAPSED else second >= first


@settings(max_examples=200)
@given(moment=zone_and_start(), limit=LIMITS, counting=st.sampled_from(Counting),
       more=st.integers(min_value=1, max_value=24 * 3600).map(lambda seconds: timedelta(seconds=seconds)))
def test_a_longer_limit_always_gives_a_later_deadline(
    moment: tuple[ZoneInfo, datetime], limit: timedelta, counting: Counting, more: timedelta
) -> None:
    zone, start = moment
    assert deadline(start, limit + more, counting, zone) > deadline(start, limit, counting, zone)


# --- when the clock starts, and the time held without authority ------------------------------------------------

INSTANTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2039, 12, 1), timezones=st.just(UTC))
GAPS = st.integers(min_value=-3 * 86_400, max_value=3 * 86_400)


@given(release=INSTANTS, gap=GAPS)
def test_the_clock_starts_at_whichever_of_release_and_arrest_came_first(release: datetime, gap: int) -> None:
    arrest = release + timedelta(seconds=gap)
    start = clock.clock_start(release, arrest)
    first = release if gap >= 0 else arrest  # the arrest is `gap` seconds after the release
    assert (start, start <= release, start <= arrest) == (first, True, True)


@given(release=INSTANTS, gap=GAPS)
def test_the_clock_start_does_not_depend_on_which_moment_is_the_release(release: datetime, gap: int) -> None:
    arrest = release + timedelta(seconds=gap)
    assert clock.clock_start(release, arrest) == clock.clock_start(arrest, release)


@given(release=INSTANTS, gap=GAPS)
def test_time_without_authority_is_the_seconds_from_release_to_a_later_arrest_and_none_otherwise(
    release: datetime, gap: int
) -> None:
    arrest = release + timedelta(seconds=gap)
    held = clock.unauthorized_gap(release, arrest)
    expected = max(posix(arrest) - posix(release), 0)
    assert (held.total_seconds(), held.microseconds) == (expected, 0)


@given(release=INSTANTS, gap=GAPS, zone=ZONES, local_arrest=st.booleans())
def test_a_release_or_an_arrest_written_in_a_local_offset_is_refused(
    release: datetime, gap: int, zone: ZoneInfo, local_arrest: bool
) -> None:
    arrest = release + timedelta(seconds=gap)
    # None of ZONES is at UTC+0, so the local form always carries another offset.
    args = (release, arrest.astimezone(zone)) if local_arrest else (release.astimezone(zone), arrest)
    for measure in (clock.clock_start, clock.unauthorized_gap):
        with pytest.raises(ValueError, match="must be in UTC"):
            measure(*args)


@given(start=INSTANTS, minutes=st.integers(min_value=-14 * 60, max_value=14 * 60).filter(bool))
def test_a_deadline_from_a_start_in_any_offset_other_than_utc_is_refused(start: datetime, minutes: int) -> None:
    shifted = start.astimezone(timezone(timedelta(minutes=minutes)))
    with pytest.raises(ValueError, match=r"^start must be in UTC"):
        clock.deadline(shifted, timedelta(hours=1), Counting.ELAPSED, ZoneInfo("UTC"), IS_FEDERAL_HOLIDAY)


# --- overdue: strictly after the deadline ----------------------------------------------------------------------


@given(moment=zone_and_start(), limit=LIMITS, counting=st.sampled_from(Counting))
def test_a_hold_is_overdue_from_one_microsecond_after_its_deadline_and_not_at_it(
    moment: tuple[ZoneInfo, datetime], limit: timedelta, counting: Counting
) -> None:
    zone, start = moment
    end = deadline(start, limit, counting, zone)
    tick = timedelta(microseconds=1)
    overdue = [clock.is_overdue(end, now) for now in (start, end - tick, end, end + tick, end + timedelta(days=400))]
    assert overdue == [False, False, False, True, True]


@given(moment=zone_and_start(), limit=LIMITS, now=INSTANTS)
def test_overdue_exactly_when_the_time_left_is_negative(
    moment: tuple[ZoneInfo, datetime], limit: timedelta, now: datetime
) -> None:
    zone, start = moment
    end = deadline(start, limit, Counting.ELAPSED, zone)
    left = clock.time_left(end, now)
    assert left is not None
    assert (clock.is_overdue(end, now), now + left) == (left < timedelta(0), end)


@given(now=INSTANTS)
def test_a_hold_under_an_igsa_is_never_overdue_and_has_no_time_left(now: datetime) -> None:
    assert (clock.is_overdue(None, now), clock.time_left(None, now)) == (False, None)


# --- alerts before the deadline --------------------------------------------------------------------------------

LEADS = st.lists(st.integers(min_value=1, max_value=96 * 60).map(lambda m: timedelta(minutes=m)), max_size=6)


@given(end=INSTANTS, leads=LEADS)
def test_there_is_one_alert_for_each_distinct_lead_that_far_before_the_deadline(
    end: datetime, leads: list[timedelta]
) -> None:
    times = clock.alert_times(end, leads)
    assert sorted(posix(end) - posix(t) for t in times) == sorted(int(lead.total_seconds()) for lead in set(leads))


@given(end=INSTANTS, leads=LEADS)
def test_alerts_come_earliest_first(end: datetime, leads: list[timedelta]) -> None:
    times = clock.alert_times(end, leads)
    assert [(a, b) for a, b in pairwise(times) if not a < b] == []


@given(end=INSTANTS, leads=LEADS, bad=st.integers(min_value=-96 * 60, max_value=0))
def test_a_lead_of_zero_or_less_is_refused_as_a_policy_error(end: datetime, leads: list[timedelta], bad: int) -> None:
    with pytest.raises(ValueError, match="leads must be positive"):
        clock.alert_times(end, [*leads, timedelta(minutes=bad)])
