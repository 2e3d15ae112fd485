"""Federal holidays from rules as data: 5 U.S.C. § 6103(a) lists them, § 6103(b) and E.O. 11582 move
a fixed-date holiday on a Saturday to the Friday before and on a Sunday to the Monday after."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from custody_ledger.domain.calendar import HolidayRule, holiday_checker, holidays_in, parse_holiday_rule
from tests.support.holidays import FEDERAL as SHIPPED

MON, THU = 0, 3


@pytest.fixture
def federal() -> tuple[HolidayRule, ...]:
    """The holidays of 5 U.S.C. § 6103(a), as the policy file must list them."""
    return (
        HolidayRule("New Year's Day", 1, day=1),
        HolidayRule("Birthday of Martin Luther King, Jr.", 1, weekday=MON, nth=3, since=1986),
        HolidayRule("Washington's Birthday", 2, weekday=MON, nth=3),
        HolidayRule("Memorial Day", 5, weekday=MON, nth=-1),
        HolidayRule("Juneteenth National Independence Day", 6, day=19, since=2021),
        HolidayRule("Independence Day", 7, day=4),
        HolidayRule("Labor Day", 9, weekday=MON, nth=1),
        HolidayRule("Columbus Day", 10, weekday=MON, nth=2),
        HolidayRule("Veterans Day", 11, day=11),
        HolidayRule("Thanksgiving Day", 11, weekday=THU, nth=4),
        HolidayRule("Christmas Day", 12, day=25),
    )


def test_the_shipped_policy_lists_exactly_the_statutory_federal_holidays(federal: tuple[HolidayRule, ...]) -> None:
    assert federal == SHIPPED


def test_the_2026_federal_holidays_are_the_opm_calendar(federal: tuple[HolidayRule, ...]) -> None:
    opm_2026 = {date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25), date(2026, 6, 19),
                date(2026, 7, 3), date(2026, 9, 7), date(2026, 10, 12), date(2026, 11, 11), date(2026, 11, 26),
                date(2026, 12, 25)}
    assert holidays_in(2026, federal) == opm_2026 | {date(2026, 7, 4)}  # the actual Saturday is kept too


def test_a_holiday_on_a_saturday_is_observed_the_friday_before(federal: tuple[HolidayRule, ...]) -> None:
    assert date(2026, 7, 3) in holidays_in(2026, federal)  # Independence Day 2026 is a Saturday


def test_a_holiday_on_a_sunday_is_observed_the_monday_after(federal: tuple[HolidayRule, ...]) -> None:
    assert date(2022, 12, 26) in holidays_in(2022, federal)  # Christmas 2022 was a Sunday


def test_new_years_day_on_a_saturday_is_observed_on_december_31_of_the_year_before(
    federal: tuple[HolidayRule, ...],
) -> None:
    assert date(2021, 12, 31) in holidays_in(2021, federal)  # 2022-01-01 was a Saturday


def test_a_rule_marked_not_observed_stays_on_its_weekend_date() -> None:
    rule = HolidayRule("Independence Day", 7, day=4, observed=False)
    assert holidays_in(2026, [rule]) == {date(2026, 7, 4)}


def test_a_floating_holiday_is_never_shifted() -> None:
    rule = HolidayRule("A Saturday holiday", 7, weekday=5, nth=1)
    assert holidays_in(2026, [rule]) == {date(2026, 7, 4)}


@pytest.mark.parametrize(("year", "expected"), [(2020, set()), (2021, {date(2021, 6, 18), date(2021, 6, 19)})])
def test_a_holiday_applies_only_from_its_first_year(year: int, expected: set[date]) -> None:
    juneteenth = HolidayRule("Juneteenth National Independence Day", 6, day=19, since=2021)
    assert holidays_in(year, [juneteenth]) == expected


@pytest.mark.parametrize(
    ("rule", "year", "expected"),
    [
        (HolidayRule("Memorial Day", 5, weekday=MON, nth=-1), 2026, date(2026, 5, 25)),
        (HolidayRule("Memorial Day", 5, weekday=MON, nth=-1), 2027, date(2027, 5, 31)),  # five Mondays in May
        (HolidayRule("Labor Day", 9, weekday=MON, nth=1), 2025, date(2025, 9, 1)),  # September opens on a Monday
        (HolidayRule("Thanksgiving Day", 11, weekday=THU, nth=4), 2029, date(2029, 11, 22)),  # opens on Thursday
        (HolidayRule("Last Friday", 12, weekday=4, nth=-1), 2026, date(2026, 12, 25)),  # December wraps the year
        (HolidayRule("Birthday of Martin Luther King, Jr.", 1, weekday=MON, nth=3, since=1986), 1985, None),
    ],
    ids=["last-monday", "last-of-five-mondays", "first-on-the-1st", "fourth-thursday", "last-in-december",
         "before-since"],
)
def test_a_floating_holiday_falls_on_the_nth_weekday_of_its_month(
    rule: HolidayRule, year: int, expected: date | None
) -> None:
    assert rule.actual(year) == expected


def test_the_checker_agrees_with_the_yearly_lists_across_a_decade(federal: tuple[HolidayRule, ...]) -> None:
    days = [date(2020, 1, 1) + timedelta(days=n) for n in range(3653)]
    is_holiday = holiday_checker(federal)
    assert [d for d in days if is_holiday(d)] == sorted(d for y in range(2020, 2030) for d in holidays_in(y, federal))


def test_the_checker_keeps_the_rules_it_was_given(federal: tuple[HolidayRule, ...]) -> None:
    rules = list(federal)
    is_holiday = holiday_checker(rules)
    rules.clear()  # a later change to the caller's list must not move days already judged
    assert is_holiday(date(2026, 12, 25))


# --- parsing the policy file --------------------------------------------------------------------------


def test_a_rule_is_read_with_its_weekday_named() -> None:
    raw = {"name": "Memorial Day", "month": 5, "weekday": "MON", "nth": -1}
    assert parse_holiday_rule(raw, "holidays[3]") == HolidayRule("Memorial Day", 5, weekday=MON, nth=-1)


def test_a_rule_is_read_with_its_first_year_and_observance() -> None:
    raw = {"name": "Juneteenth", "month": 6, "day": 19, "since": 2021, "observed": False}
    assert parse_holiday_rule(raw, "holidays[4]") == HolidayRule("Juneteenth", 6, day=19, since=2021, observed=False)


GOOD = {"name": "Independence Day", "month": 7, "day": 4}
FLOAT = {"name": "Labor Day", "month": 9, "weekday": "MON", "nth": 1}
MALFORMED = [
    ({**GOOD, "date": "07-04"}, "date"),
    ({"month": 7, "day": 4}, "name"),
    ({**GOOD, "name": " "}, "name"),
    ({**GOOD, "name": 4}, "name"),
    ({"name": "X", "day": 4}, "month"),
    ({**GOOD, "month": 13}, "month"),
    ({**GOOD, "month": 0}, "month"),
    ({**GOOD, "month": "7"}, "month"),
    ({**GOOD, "month": True}, "month"),
    ({**GOOD, "weekday": "MON", "nth": 1}, "day"),
    ({"name": "X", "month": 7}, "day"),
    ({**GOOD, "month": 2, "day": 30}, "day"),
    ({**GOOD, "month": 2, "day": 29}, "day"),
    ({**GOOD, "day": 4.5}, "day"),
    ({**FLOAT, "weekday": "Monday"}, "weekday"),
    ({**FLOAT, "weekday": 0}, "weekday"),
    ({"name": "X", "month": 9, "weekday": "MON"}, "nth"),
    ({**FLOAT, "nth": 0}, "nth"),
    ({**FLOAT, "nth": 5}, "nth"),
    ({**GOOD, "nth": 1}, "nth"),
    ({**GOOD, "since": "2021"}, "since"),
    ({**GOOD, "observed": "yes"}, "observed"),
]


@pytest.mark.parametrize(("raw", "key"), MALFORMED, ids=[f"{key}-{n}" for n, (_, key) in enumerate(MALFORMED)])
def test_a_malformed_rule_is_refused_naming_where_and_the_key(raw: dict[str, object], key: str) -> None:
    with pytest.raises(ValueError, match=rf"^holidays\[7\]: {key}: "):
        parse_holiday_rule(raw, "holidays[7]")


def test_a_rule_that_is_not_a_mapping_is_refused_naming_where() -> None:
    with pytest.raises(ValueError, match=r"^holidays\[7\]: must be a mapping"):
        parse_holiday_rule(["Independence Day", 7, 4], "holidays[7]")  # type: ignore[arg-type]
