"""The federal holiday rules of the shipped policy, for clock tests."""

from __future__ import annotations

import yaml

from custody_ledger.domain.calendar import HolidayRule, parse_holiday_rule
from custody_ledger.policy import DEFAULT_POLICY

_RAW = yaml.safe_load(DEFAULT_POLICY.read_text())["parameters"]["federal_holidays"][0]["value"]
FEDERAL: tuple[HolidayRule, ...] = tuple(parse_holiday_rule(r, f"holiday[{i}]") for i, r in enumerate(_RAW))
