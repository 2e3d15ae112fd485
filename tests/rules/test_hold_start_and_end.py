"""No hold that starts past its limit; release reasons are facts, checked (DOMAIN.md step 4 and 5)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import flags, holds
from tests.support.world import World, booked_with_warrant, build_agency, certified_officer, open_hold


@pytest.fixture
def wso(world: World) -> str:
    return certified_officer(world, "OFF-1")


def _limit(policy: Policy, world: World) -> timedelta:
    return policy.at(world.clock, world.clock.tzinfo).custody_limit.limit


def _error(result: dict[str, Any]) -> tuple[str, str | None]:
    error = result.get("error") or {}
    return error.get("kind", "ok"), error.get("rule_id")


def _released_long_ago(world: World, booking: str, ago: timedelta) -> tuple[str, datetime]:
    warrant = booked_with_warrant(world, booking)
    released = world.later(hours=1)
    world.ok("release_from_criminal_custody", at=released, booking_id=booking, reason="bail")
    world.later(seconds=ago.total_seconds())
    return warrant, released


def test_a_serve_after_the_limit_counted_from_release_ran_out_is_refused(world: World, wso: str, policy: Policy,
                                                                         engine: Engine) -> None:
    warrant, _ = _released_long_ago(world, "BK-1", timedelta(days=670))  # about 22 months
    world.ok("record_training", officer_id=wso, model="WSO", course="WSO refresher", hours=2,
             completed_on=(world.clock - timedelta(days=1)).date().isoformat(), exam_score=90)
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    with engine.connect() as conn:
        opened = conn.execute(sa.select(sa.func.count()).select_from(holds)).scalar_one()
    assert (_error(result), result["error"]["field"], opened) == (
        ("refused", "custody.serve_within_limit"), "occurred_at", 0)


def test_a_serve_at_the_limit_exactly_is_refused(world: World, wso: str, policy: Policy) -> None:
    warrant, _ = _released_long_ago(world, "BK-1", _limit(policy, world))
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert _error(result) == ("refused", "custody.serve_within_limit")


def test_a_serve_a_second_before_the_limit_opens_a_hold_flagged_for_time_without_authority(
        world: World, wso: str, policy: Policy, engine: Engine) -> None:
    warrant, released = _released_long_ago(world, "BK-1", _limit(policy, world) - timedelta(seconds=1))
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    with engine.connect() as conn:
        kinds = set(conn.execute(sa.select(flags.c.kind)).scalars())
    deadline = datetime.fromisoformat(result["deadline"].replace("Z", "+00:00"))
    assert (result["ok"], deadline, "time_without_authority" in kinds) == (
        True, released + _limit(policy, world), True)


def test_an_igsa_gives_no_authority_to_begin_a_hold_after_the_limit(world: World, policy: Policy) -> None:
    build_agency(world, "AG-I", igsa=True)
    certified_officer(world, "OFF-I", agency="AG-I")
    warrant = booked_with_warrant(world, "BK-I", agency="AG-I")
    world.ok("release_from_criminal_custody", at=world.later(hours=1), booking_id="BK-I", reason="bail")
    world.later(seconds=_limit(policy, world).total_seconds() + 60)
    result = world.run("serve_warrant", hold_id="H-I", warrant_id=warrant, officer_id="OFF-I")
    assert _error(result) == ("refused", "custody.serve_within_limit")


def test_a_second_open_hold_on_one_booking_is_refused_under_its_own_rule(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso)
    world.ok("lodge_warrant", warrant_id="WR-2", booking_id="BK-H-1", form="I-205", number="N-2",
             issued_on=world.clock.date().isoformat(), at=world.clock - timedelta(hours=1))
    result = world.run("serve_warrant", hold_id="H-2", warrant_id="WR-2", officer_id=wso)
    assert _error(result) == ("conflict", "hold.one_open_per_booking")


# --- release_hold: the reason is a fact ---

def test_release_for_the_limit_an_hour_after_the_arrest_is_refused(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso)
    result = world.run("release_hold", at=world.later(hours=1), hold_id="H-1", reason="limit_reached")
    assert (_error(result), result["error"]["field"]) == (("refused", "release.limit_reached"), "reason")


def test_release_for_the_limit_at_the_deadline_is_accepted_and_not_a_violation(world: World, wso: str) -> None:
    opened = open_hold(world, "H-1", wso)
    deadline = datetime.fromisoformat(opened["deadline"].replace("Z", "+00:00"))
    result = world.run("release_hold", at=deadline, hold_id="H-1", reason="limit_reached")
    assert (result["ok"], [e["type"] for e in result["events"]]) == (True, ["hold_released"])


def test_a_hold_under_an_igsa_has_no_limit_to_reach(world: World) -> None:
    build_agency(world, "AG-I", igsa=True)
    certified_officer(world, "OFF-I", agency="AG-I")
    open_hold(world, "H-I", "OFF-I", agency="AG-I")
    result = world.run("release_hold", at=world.later(days=5), hold_id="H-I", reason="limit_reached")
    assert _error(result) == ("refused", "release.limit_reached")


def test_release_for_a_cancelled_warrant_needs_the_cancellation(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso)
    result = world.run("release_hold", at=world.later(hours=2), hold_id="H-1", reason="warrant_cancelled")
    assert _error(result) == ("refused", "release.warrant_cancelled")


def test_release_for_a_cancelled_warrant_after_ice_cancelled_it(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso)
    world.ok("cancel_warrant", at=world.later(hours=2), warrant_id="WR-BK-H-1", reason="case closed")
    assert world.run("release_hold", at=world.later(minutes=10), hold_id="H-1", reason="warrant_cancelled")["ok"]


def test_a_cancellation_recorded_after_the_release_does_not_explain_it(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso)
    released = world.later(hours=2)
    world.ok("cancel_warrant", at=world.later(hours=1), warrant_id="WR-BK-H-1", reason="case closed")
    result = world.run("release_hold", at=released, hold_id="H-1", reason="warrant_cancelled")
    assert _error(result) == ("refused", "release.warrant_cancelled")


@pytest.mark.parametrize("reason", ["ice_declined", "court_order", "other"])
def test_reasons_from_outside_the_ledger_are_taken_as_given(world: World, wso: str, reason: str) -> None:
    open_hold(world, "H-1", wso)
    assert world.run("release_hold", at=world.later(hours=3), hold_id="H-1", reason=reason)["ok"]


# --- release_from_criminal_custody: a reason that the booking contradicts ---

@pytest.mark.parametrize(("charges", "reason", "rule"), [
    ("pending", "sentence_served", "release.sentence_served"),
    ("convicted", "charges_dropped", "release.charges_dropped"),
])
def test_a_criminal_release_reason_the_booking_contradicts_is_refused(world: World, charges: str, reason: str,
                                                                      rule: str) -> None:
    world.ok("book_person", booking_id="BK-1", facility_id="AG-A-JAIL",
             person={"name": "Jane Roe", "dob": "1990-01-01"}, charge_status=charges)
    result = world.run("release_from_criminal_custody", at=world.later(hours=1), booking_id="BK-1", reason=reason)
    assert (_error(result), result["error"]["field"]) == (("refused", rule), "reason")


@pytest.mark.parametrize(("charges", "reason"), [
    ("convicted", "sentence_served"), ("pending", "charges_dropped"), ("pending", "bail"), ("convicted", "other"),
])
def test_a_criminal_release_reason_that_fits_the_booking_is_accepted(world: World, charges: str, reason: str) -> None:
    world.ok("book_person", booking_id="BK-1", facility_id="AG-A-JAIL",
             person={"name": "Jane Roe", "dob": "1990-01-01"}, charge_status=charges)
    assert world.run("release_from_criminal_custody", at=world.later(hours=1), booking_id="BK-1", reason=reason)["ok"]


def test_a_warrant_dated_before_the_release_may_be_recorded_after_it(world: World) -> None:
    world.ok("book_person", booking_id="BK-1", facility_id="AG-A-JAIL",
             person={"name": "Jane Roe", "dob": "1990-01-01"}, charge_status="pending")
    lodged = world.later(hours=1)
    world.ok("release_from_criminal_custody", at=world.later(hours=1), booking_id="BK-1", reason="bail")
    result = world.run("lodge_warrant", at=lodged, warrant_id="WR-1", booking_id="BK-1", form="I-200", number="N-1",
                       issued_on=lodged.date().isoformat())
    assert result["ok"], result

