"""ICE's detainer forms and outcome codes (policy parameters detainer_forms, detainer_outcomes) and the states."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.ice_vocabulary import FormPurpose, HoldEnd
from custody_ledger.domain.model import ReleaseReason, WarrantForm
from custody_ledger.domain.policy import Policy, PolicyError, PolicyView
from custody_ledger.domain.states import require_state
from custody_ledger.policy import DEFAULT_POLICY, default_policy


def _view() -> PolicyView:
    return default_policy().at(datetime(2024, 6, 1, tzinfo=UTC), ZoneInfo("UTC"))


@pytest.mark.parametrize(("code", "hold", "reason", "ends"), [
    ("Booked into Detention", HoldEnd.TRANSFERRED, None, True),
    ("Transferred", HoldEnd.TRANSFERRED, None, True),
    ("Case Closed", HoldEnd.RELEASED, ReleaseReason.WARRANT_CANCELLED, True),
    ("Lifted", HoldEnd.RELEASED, ReleaseReason.WARRANT_CANCELLED, True),
    ("Detainer Declined by LEA", HoldEnd.RELEASED, ReleaseReason.OTHER, False),
    ("Not Subject to Deportation", HoldEnd.RELEASED, ReleaseReason.WARRANT_CANCELLED, True),
    ("Alien Not Subject to Deportation", HoldEnd.RELEASED, ReleaseReason.WARRANT_CANCELLED, True),
    ("United States Citizen Interviewed", HoldEnd.RELEASED, ReleaseReason.WARRANT_CANCELLED, True),
    ("Prosecutorial Discretion", HoldEnd.RELEASED, ReleaseReason.WARRANT_CANCELLED, True),
    ("Early Release", HoldEnd.RELEASED, ReleaseReason.OTHER, False),
    ("Died", HoldEnd.RELEASED, ReleaseReason.OTHER, True),
    ("Lifted \u2013 Lack of Funds/Space", HoldEnd.RELEASED, ReleaseReason.ICE_DECLINED, True),
    ("LIFTED - LACK OF SPACE", HoldEnd.RELEASED, ReleaseReason.ICE_DECLINED, True),
])
def test_each_ice_outcome_code_maps_to_the_products_own_reasons(code: str, hold: HoldEnd,
                                                                reason: ReleaseReason | None, ends: bool) -> None:
    outcome = _view().detainer_outcome(code)
    assert (outcome.hold, outcome.release_reason, outcome.warrant_ends) == (hold, reason, ends)


def test_an_unknown_outcome_code_is_refused_naming_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        _view().detainer_outcome("Vanished", field="lift_reason")
    assert (caught.value.field, "not an ICE outcome code" in caught.value.message) == ("lift_reason", True)


def test_every_detainer_form_of_ices_records_is_a_form_of_the_product() -> None:
    forms = _view().detainer_forms
    assert {f.value for f in forms} >= {"I-247", "I-247D", "I-247N", "I-247X", "I-247A"} and \
        forms[WarrantForm.I247N].purpose is FormPurpose.NOTIFICATION


def test_a_policy_mapping_a_release_without_its_reason_is_refused_naming_the_entry() -> None:
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data["parameters"]["detainer_outcomes"][0]["value"]["Lifted"] = {"hold": "released", "warrant_ends": True}
    with pytest.raises(PolicyError, match=r"parameters\.detainer_outcomes\[0\]\.value"):
        Policy.from_mapping(data, "test.yaml")


@pytest.mark.parametrize(("written", "code"), [("tx", "TX"), ("Texas", "TX"), ("GUAM", "GU"), ("Guam", "GU"),
                                               ("Northern Mariana Islands", "MP"), ("Puerto Rico", "PR")])
def test_a_state_is_taken_by_usps_code_or_full_name(written: str, code: str) -> None:
    assert require_state(written) == code


def test_an_unknown_state_is_refused_naming_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        require_state("PENNSLYVANIA")  # misspellings are the importer's alias table's, not the model's
    assert caught.value.field == "state"
