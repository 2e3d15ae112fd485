"""The policy file: every legal number lives there, and a malformed file is refused with file, key, reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from custody_ledger.domain.clock import Counting
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.model import AgreementModel
from custody_ledger.domain.policy import Policy, PolicyError
from custody_ledger.policy import DEFAULT_POLICY, load_policy


def _data() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_POLICY.read_text())


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_default_limit_is_48_elapsed_hours() -> None:
    limit = load_policy().at(datetime(2026, 1, 1, tzinfo=UTC), UTC).custody_limit
    assert (limit.limit, limit.counting, limit.rule.id) == (timedelta(hours=48), Counting.ELAPSED, "custody.limit")


@pytest.mark.parametrize(("model", "hours"), [("WSO", 8), ("TFM", 40), ("JEM", 160)])
def test_training_hours_per_model_come_from_the_policy(model: str, hours: int) -> None:
    assert load_policy().at(datetime(2026, 1, 1, tzinfo=UTC), UTC).training(AgreementModel(model)).value == hours


def test_a_value_applies_from_its_date_until_the_next_one() -> None:
    policy = load_policy()
    old, new = (policy.at(datetime(y, 1, 1, tzinfo=UTC), UTC).training(AgreementModel.TFM).value for y in (2024, 2026))
    assert (old, new) == (160, 40)


def test_wso_authority_is_serving_warrants_only() -> None:
    powers = load_policy().at(datetime(2026, 1, 1, tzinfo=UTC), UTC).authority(AgreementModel.WSO).value
    assert powers == frozenset({"serve_warrant"})


def test_nothing_in_force_before_the_first_date_is_invalid_input() -> None:
    with pytest.raises(Invalid):
        load_policy().at(datetime(2010, 1, 1, tzinfo=UTC), UTC).training(AgreementModel.WSO)


def test_every_rule_has_a_citation_and_a_sentence() -> None:
    policy = load_policy()
    entries = [e for group in (*policy.parameters.values(), *policy.rules.values()) for e in group]
    assert all(e.rule.cite.strip() and e.rule.text.strip() for e in entries)


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nope\.yaml"):
        load_policy(tmp_path / "nope.yaml")


def test_broken_yaml_is_refused_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("parameters: [unclosed\n")
    with pytest.raises(PolicyError, match=r"bad\.yaml: \(syntax\)"):
        load_policy(path)


@pytest.mark.parametrize(
    ("mutate", "key", "reason"),
    [
        (lambda d: d["parameters"]["custody_limit"][0].pop("cite"), "parameters.custody_limit[0].cite", "citation"),
        (lambda d: d["parameters"]["custody_limit"][0].update(hours=-1), "parameters.custody_limit[0].hours",
         "number"),
        (lambda d: d["parameters"]["custody_limit"][0].update(counting="weekdays"),
         "parameters.custody_limit[0].counting", "one of"),
        (lambda d: d["parameters"]["custody_limit"][0].update({"from": "someday"}),
         "parameters.custody_limit[0].from", "not a date"),
        (lambda d: d["parameters"]["training_hours"].pop("WSO"), "parameters.training_hours.WSO", "non-empty"),
        (lambda d: d["parameters"].update(surprise=1), "parameters.surprise", "unknown key"),
        (lambda d: d["rules"]["hold.ends_once"][0].update(id="other"), "rules.hold.ends_once[0].id", "match"),
        (lambda d: d["parameters"]["alert_before_hours"][0].update(value=[4, -1]),
         "parameters.alert_before_hours[0].value", "positive"),
        (lambda d: d["parameters"]["federal_holidays"][0]["value"][0].update(month=13),
         "parameters.federal_holidays[0].value[0]", "month"),
    ],
)
def test_a_malformed_policy_is_refused_naming_file_key_and_reason(tmp_path: Path, mutate, key: str,
                                                                  reason: str) -> None:
    data = _data()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert (caught.value.source, caught.value.key, reason in caught.value.reason) == (str(path), key, True)


def test_entries_out_of_date_order_are_refused() -> None:
    data = _data()
    entries = data["parameters"]["training_hours"]["TFM"]
    entries.reverse()
    with pytest.raises(PolicyError, match="increasing date order"):
        Policy.from_mapping(data, "test")


def test_dates_may_be_written_as_strings() -> None:
    data = _data()
    data["parameters"]["custody_limit"][0]["from"] = "2017-04-02"
    view = Policy.from_mapping(data, "test").at(datetime(2020, 1, 1, tzinfo=UTC), UTC)
    assert view.custody_limit.rule.effective_from == date(2017, 4, 2)


def test_alert_lead_times_come_from_the_policy_longest_first() -> None:
    view = load_policy().at(datetime(2026, 1, 1, tzinfo=UTC), UTC)
    assert (view.alert_leads, view.rule("custody.alerts").id) == (
        tuple(timedelta(hours=h) for h in (24, 12, 4, 1)), "custody.alerts")


def test_federal_holidays_come_from_the_policy() -> None:
    view = load_policy().at(datetime(2026, 1, 1, tzinfo=UTC), UTC)
    cite = view.rule("calendar.federal_holidays").cite
    assert (view.is_holiday(date(2026, 11, 26)), cite.startswith("5 U.S.C.")) == (True, True)
