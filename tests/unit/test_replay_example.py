"""The example OTHER policy (docs/replay.md) is the shipped policy with only its limit and alert leads changed."""

from __future__ import annotations

from pathlib import Path

import yaml

from custody_ledger.policy import DEFAULT_POLICY, load_policy

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "policy-24h-weekdays.yaml"


def test_the_example_policy_differs_from_the_shipped_one_only_in_limit_and_alerts() -> None:
    load_policy(EXAMPLE)  # valid as the service checks its own
    example, shipped = (yaml.safe_load(p.read_text(encoding="utf-8"))["parameters"] for p in (EXAMPLE, DEFAULT_POLICY))
    changed = sorted(key for key in shipped if example[key] != shipped[key])
    assert (changed, example["custody_limit"][0]["hours"], example["custody_limit"][0]["counting"]) == (
        ["alert_before_hours", "custody_limit"], 24, "excluding_weekends_and_holidays")
