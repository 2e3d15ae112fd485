"""US federal holidays from rules given as data (the policy file), for counting limits by workdays.

The list of holidays is 5 U.S.C. § 6103(a); it lives in the policy, and this module only reads it.
Fixed-date holidays that fall on a Saturday are observed the Friday before, on a Sunday the Monday
after (5 U.S.C. § 6103(b); Executive Order 11582).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_KEYS = ("name", "month", "day", "weekday", "nth", "since", "observed")
_NTH = (1, 2, 3, 4, -1)  # a fifth weekday is missing from most months, so it cannot name a yearly holiday


@dataclass(frozen=True)
class HolidayRule:
    """One holiday: a fixed `day` of `month`, or the `nth` `weekday` of `month` (-1 for the last)."""

    name: str
    month: int
    day: int | None = None
    weekday: int | None = None  # 0 = Monday
    nth: int | None = None
    since: int | None = None  # first year it applies (e.g. Juneteenth, 2021)
    observed: bool = True

    def __post_init__(self) -> None:
        # Errors start with the key at fault, so parse_holiday_rule can prefix where it was read.
        if not 1 <= self.month <= 12:
            raise ValueError(f"month: must be from 1 to 12, got {self.month}")
        if (self.day is None) == (self.weekday is None):
            raise ValueError("day: give either day, or weekday with nth; not both, not neither")
        if self.day is not None:
            self._check_fixed(self.day)
        elif self.weekday is not None:
            self._check_floating(self.weekday)

    def _check_fixed(self, day: int) -> None:
        if self.nth is not None:
            raise ValueError("nth: only with weekday, not with day")
        try:
            # 2001 is not a leap year: a fixed holiday must exist every year, so Feb 29 is refused.
            date(2001, self.month, day)
        except ValueError:
            raise ValueError(f"day: month {self.month} has no day {day}") from None

    def _check_floating(self, weekday: int) -> None:
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday: must be from 0 (Monday) to 6, got {weekday}")
        if self.nth not in _NTH:
            raise ValueError(f"nth: with weekday, one of 1, 2, 3, 4 or -1 for the last; got {self.nth}")

    def actual(self, year: int) -> date | None:
        """The date the holiday falls on in `year`, before any weekend shift; None before `since`."""
        if self.since is not None and year < self.since:
            return None
        if self.day is not None:
            return date(year, self.month, self.day)
        assert self.weekday is not None and self.nth is not None
        if self.nth > 0:
            first = date(year, self.month, 1)
            return first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.nth - 1))
        last = date(year + self.month // 12, self.month % 12 + 1, 1) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - self.weekday) % 7)

    def observed_on(self, year: int) -> date | None:
        """The day off: a fixed date on a weekend moves to the nearest weekday (5 U.S.C. § 6103(b))."""
        actual = self.actual(year)
        if actual is None or self.day is None or not self.observed:
            return actual
        shift = {5: -1, 6: 1}.get(actual.weekday(), 0)
        return actual + timedelta(days=shift)


def holidays_in(year: int, rules: Sequence[HolidayRule]) -> frozenset[date]:
    """The actual and the observed dates of every holiday that fall in `year`."""
    days: set[date] = set()
    # A neighbouring year's holiday can be observed in this one: New Year's Day on a Saturday is
    # observed on December 31 of the year before (e.g. 2021-12-31 for 2022-01-01).
    for y in (year - 1, year, year + 1):
        for rule in rules:
            days.update(d for d in (rule.actual(y), rule.observed_on(y)) if d is not None and d.year == year)
    return frozenset(days)


def holiday_checker(rules: Sequence[HolidayRule]) -> Callable[[date], bool]:
    """A predicate for the clock; each year's holidays are computed once, on first use."""
    frozen = tuple(rules)

    @cache
    def of_year(year: int) -> frozenset[date]:
        return holidays_in(year, frozen)

    def is_holiday(day: date) -> bool:
        return day in of_year(day.year)

    return is_holiday


def parse_holiday_rule(raw: Mapping[str, object], where: str) -> HolidayRule:
    """One rule as written in the policy, e.g. `{name: Memorial Day, month: 5, weekday: MON, nth: -1}`.

    Every error reads `<where>: <key>: <reason>`, so a reviewer can find the line at fault.
    """
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: must be a mapping with keys {', '.join(_KEYS)}")
    for key in raw:
        if key not in _KEYS:
            raise ValueError(f"{where}: {key}: unknown key; expected one of {', '.join(_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: name: required, a non-empty text")
    weekday = raw.get("weekday")
    if weekday is not None and weekday not in WEEKDAYS:
        raise ValueError(f"{where}: weekday: must be one of {', '.join(WEEKDAYS)}, got {weekday!r}")
    observed = raw.get("observed", True)
    if not isinstance(observed, bool):
        raise ValueError(f"{where}: observed: must be true or false, got {observed!r}")
    try:
        month = _whole(raw, "month")
        if month is None:
            raise ValueError("month: required, a whole number from 1 to 12")
        return HolidayRule(
            name=name,
            month=month,
            day=_whole(raw, "day"),
            weekday=None if weekday is None else WEEKDAYS.index(str(weekday)),
            nth=_whole(raw, "nth"),
            since=_whole(raw, "since"),
            observed=observed,
        )
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _whole(raw: Mapping[str, object], key: str) -> int | None:
    # Errors here are caught by parse_holiday_rule, which prefixes `where`.
    value = raw.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{key}: must be a whole number, got {value!r}")
    return value
