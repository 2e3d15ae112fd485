"""US federal holidays from rules given as data (the policy file), for counting limits by workdays.

Fixed-date holidays that fall on a Saturday are observed the Friday before, on a Sunday the Monday
after (5 U.S.C. § 6103(b); Executive Order 11582).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_KEYS = {"name", "month", "day", "weekday", "nth", "since", "observed"}


@dataclass(frozen=True)
class HolidayRule:
    name: str
    month: int
    day: int | None = None
    weekday: int | None = None  # 0 = Monday
    nth: int | None = None  # 1..4, or -1 for the last
    since: int | None = None
    observed: bool = True

    def actual(self, year: int) -> date | None:
        if self.since is not None and year < self.since:
            return None
        if self.day is not None:
            return date(year, self.month, self.day)
        assert self.weekday is not None and self.nth is not None
        if self.nth > 0:
            first = date(year, self.month, 1)
            offset = (self.weekday - first.weekday()) % 7
            return first + timedelta(days=offset + 7 * (self.nth - 1))
        last = date(year + (self.month == 12), self.month % 12 + 1, 1) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - self.weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def holidays_in(year: int, rules: Sequence[HolidayRule]) -> frozenset[date]:
    """The actual and the observed dates of every holiday falling in `year`."""
    days: set[date] = set()
    for rule in rules:
        for y in (year - 1, year, year + 1):  # an observed New Year's Day can fall on Dec 31
            actual = rule.actual(y)
            if actual is None:
                continue
            for day in {actual, _observed(actual) if rule.day is not None and rule.observed else actual}:
                if day.year == year:
                    days.add(day)
    return frozenset(days)


def holiday_checker(rules: Sequence[HolidayRule]) -> Callable[[date], bool]:
    frozen = tuple(rules)

    @cache
    def year(y: int) -> frozenset[date]:
        return holidays_in(y, frozen)

    def is_holiday(day: date) -> bool:
        return day in year(day.year)

    return is_holiday


def parse_holiday_rule(raw: Mapping[str, object], where: str) -> HolidayRule:
    """Validate one rule mapping; errors name the key: `<where>: <key>: <reason>`."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: must be a mapping")
    for key in raw:
        if key not in _KEYS:
            raise ValueError(f"{where}: {key}: unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: name: required")
    month = _int(raw, "month", where, 1, 12, required=True)
    assert month is not None
    day = _int(raw, "day", where, 1, 31)
    nth = _int(raw, "nth", where, -1, 5)
    weekday = raw.get("weekday")
    if weekday is not None and weekday not in WEEKDAYS:
        raise ValueError(f"{where}: weekday: must be one of {', '.join(WEEKDAYS)}")
    if (day is None) == (weekday is None):
        raise ValueError(f"{where}: day: give either day or weekday with nth, not both or neither")
    if weekday is not None and nth in (None, 0):
        raise ValueError(f"{where}: nth: required with weekday (1..5 or -1 for the last)")
    since = _int(raw, "since", where, 1800, 3000)
    observed = raw.get("observed", True)
    if not isinstance(observed, bool):
        raise ValueError(f"{where}: observed: must be true or false")
    wd = None if weekday is None else WEEKDAYS.index(str(weekday))
    return HolidayRule(name, month, day, wd, nth, since, observed)


def _int(raw: Mapping[str, object], key: str, where: str, low: int, high: int, required: bool = False) -> int | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{where}: {key}: {'required: ' if value is None else ''}a whole number from {low} to {high}")
    return value
