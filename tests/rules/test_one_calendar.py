"""One calendar: the policy in force is the one of the facility's local day, as agreement and certificate dates are.

A policy whose limit changes on 10 March: a clock that starts at 23:30 local on 9 March is judged by the
old limit, one that starts at 00:00 local on 10 March by the new, in every zone, whatever UTC's day is then.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy.engine import Engine

from custody_ledger.app.calendar import CALENDARS
from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.policy import Policy
from custody_ledger.policy import DEFAULT_POLICY
from tests.support.world import World, add_agreement, booked_with_warrant, build_agency, certified_officer

CHANGE = date(2026, 3, 10)
ZONES = ("America/Chicago", "America/Los_Angeles", "America/New_York", "Pacific/Guam")


def _policy_with_a_24_hour_limit_from(day: date) -> Policy:
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    limits = data["parameters"]["custody_limit"]
    newer = copy.deepcopy(limits[-1]) | {"from": day.isoformat(), "hours": 24}
    limits.append(newer)
    return Policy.from_mapping(data, "test: 24 h from 2026-03-10")


@pytest.fixture(scope="module")
def changed() -> Policy:
    return _policy_with_a_24_hour_limit_from(CHANGE)


def _limit_of_a_hold_started(engine: Engine, policy: Policy, zone: str, local: datetime) -> timedelta:
    world = World(engine, policy, start=local.astimezone(ZoneInfo("UTC")) - timedelta(days=2))
    build_agency(world, "AG-A", tz=zone)
    certified_officer(world, "OFF-1")
    warrant = booked_with_warrant(world, "BK-1")
    release = local.astimezone(ZoneInfo("UTC"))
    world.ok("release_from_criminal_custody", at=release, booking_id="BK-1", reason="bail")
    result = world.ok("serve_warrant", at=release, hold_id="H-1", warrant_id=warrant, officer_id="OFF-1")
    return datetime.fromisoformat(result["deadline"].replace("Z", "+00:00")) - release


@pytest.mark.parametrize("zone", ZONES)
def test_half_an_hour_before_local_midnight_the_old_limit_holds(engine: Engine, changed: Policy, zone: str) -> None:
    local = datetime(2026, 3, 9, 23, 30, tzinfo=ZoneInfo(zone))
    assert _limit_of_a_hold_started(engine, changed, zone, local) == timedelta(hours=48)


@pytest.mark.parametrize("zone", ZONES)
def test_from_local_midnight_of_its_first_day_the_new_limit_holds(engine: Engine, changed: Policy, zone: str) -> None:
    local = datetime(2026, 3, 10, 0, 0, tzinfo=ZoneInfo(zone))
    assert _limit_of_a_hold_started(engine, changed, zone, local) == timedelta(hours=24)


def test_the_policy_view_reads_the_local_day_not_utcs() -> None:
    evening_in_chicago = datetime(2019, 5, 5, 20, 0, tzinfo=ZoneInfo("America/Chicago"))
    policy = _policy_with_a_24_hour_limit_from(CHANGE)
    assert (policy.at(evening_in_chicago, ZoneInfo("America/Chicago")).day,
            policy.at(evening_in_chicago, ZoneInfo("UTC")).day) == (date(2019, 5, 5), date(2019, 5, 6))


def _tfm_certification_in_los_angeles(engine: Engine, policy: Policy, local: datetime) -> dict[str, object]:
    """A Task Force officer with 40 hours, certified at `local` by a Los Angeles field office."""
    world = World(engine, policy, start=datetime(2025, 1, 12, 18, 0, tzinfo=ZoneInfo("UTC")))
    world.ok("register_field_office", field_office_id="FO-LA", name="Los Angeles ERO", timezone="America/Los_Angeles")
    world.ok("register_agency", agency_id="AG-L", name="Town Police", kind="police", state="CA", county="Orange",
             ori="CA0300000", field_office_id="FO-LA")
    add_agreement(world, "AG-L", model="TFM")
    world.ok("nominate_officer", officer_id="OFF-T", agency_id="AG-L", name="Officer T", badge="T-1")
    world.ok("record_background_check", officer_id="OFF-T", result="passed")
    world.ok("record_training", officer_id="OFF-T", model="TFM", course="TFM course", hours=40,
             completed_on="2025-01-11", exam_score=85)
    return world.run("certify_officer", at=local.astimezone(ZoneInfo("UTC")), officer_id="OFF-T", model="TFM",
                     agreement_id="AGR-AG-L-TFM", credential_no="CR-T", supervisor="SDDO, Los Angeles ERO")


def test_the_old_training_hours_hold_until_local_midnight_of_the_new_values_first_day(engine: Engine,
                                                                                      policy: Policy) -> None:
    # training.tfm: 160 hours until 2025-01-19, 40 from 2025-01-20; 20:00 in Los Angeles is already 20 January in UTC.
    evening = _tfm_certification_in_los_angeles(engine, policy, datetime(2025, 1, 19, 20, 0,
                                                                         tzinfo=ZoneInfo("America/Los_Angeles")))
    assert (evening["ok"], (evening.get("error") or {}).get("rule_id")) == (False, "training.tfm")


def test_the_new_training_hours_hold_from_local_midnight_of_their_first_day(engine: Engine, policy: Policy) -> None:
    midnight = _tfm_certification_in_los_angeles(engine, policy, datetime(2025, 1, 20, 0, 0,
                                                                          tzinfo=ZoneInfo("America/Los_Angeles")))
    assert midnight["ok"], midnight


def test_every_command_names_the_calendar_it_is_judged_on() -> None:
    assert set(CALENDARS) == set(COMMANDS)
