"""Authority is judged on the facts in force at the act's occurred_at, whenever it is recorded (DOMAIN.md step 4).

Each test records the facts in one order and dates the act in another: a rule read from the current row
instead of the history fails here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.ledger import codec, projections
from custody_ledger.ledger.schema import certificates, events, flags, holds
from tests.support.world import World, booked_with_warrant, certified_officer


@pytest.fixture
def wso(world: World) -> str:
    return certified_officer(world, "OFF-1")


def _released(world: World, booking: str, hours_ago: float = 0) -> str:
    """A booking with a warrant, released from criminal custody at the world's clock (minus `hours_ago`)."""
    warrant = booked_with_warrant(world, booking)
    world.ok("release_from_criminal_custody", at=world.later(hours=1) - timedelta(hours=hours_ago),
             booking_id=booking, reason="bail")
    return warrant


def _error(result: dict[str, Any]) -> tuple[str, str | None]:
    error = result.get("error") or {}
    return error.get("kind", "ok"), error.get("rule_id")


def _flag_kinds(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(flags.c.kind)).scalars())


def test_an_arrest_dated_before_the_officers_certification_is_refused(world: World) -> None:
    warrant = _released(world, "BK-1")
    released_at = world.clock
    world.later(hours=1)
    certified_officer(world, "OFF-1")  # certified an hour after the release, recorded before the arrest
    result = world.run("serve_warrant", at=released_at, hold_id="H-1", warrant_id=warrant, officer_id="OFF-1")
    assert _error(result) == ("refused", "certificate.current_required")


def test_a_lawful_arrest_recorded_after_a_later_revocation_is_accepted_and_flagged_late(
        world: World, wso: str, engine: Engine) -> None:
    warrant = _released(world, "BK-1")
    arrested_at = world.clock
    world.ok("revoke_certificate", at=world.later(hours=3), officer_id=wso, model="WSO", reason="misconduct")
    result = world.run("serve_warrant", at=arrested_at, now=arrested_at + timedelta(hours=30), hold_id="H-1",
                       warrant_id=warrant, officer_id=wso)
    started = datetime.fromisoformat(result["clock_started_at"].replace("Z", "+00:00"))
    assert (result["ok"], started, "late_entry" in _flag_kinds(engine)) == (True, arrested_at, True)


def test_an_arrest_after_the_revocation_took_effect_is_refused(world: World, wso: str) -> None:
    warrant = _released(world, "BK-1")
    world.ok("revoke_certificate", at=world.clock - timedelta(minutes=30), officer_id=wso, model="WSO",
             reason="misconduct")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert _error(result) == ("refused", "certificate.current_required")


def test_a_suspension_naming_a_later_day_leaves_authority_until_that_day(world: World, wso: str) -> None:
    later_day = (world.clock + timedelta(days=3)).date()
    world.ok("suspend_certificate", officer_id=wso, model="WSO", reason="pending review",
             effective_on=later_day.isoformat())
    warrant = _released(world, "BK-1")
    assert world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)["ok"]


def test_a_suspension_takes_effect_on_the_day_it_names(world: World, wso: str) -> None:
    later_day = (world.clock + timedelta(days=3)).date()
    world.ok("suspend_certificate", officer_id=wso, model="WSO", reason="pending review",
             effective_on=later_day.isoformat())
    world.later(days=4)
    warrant = _released(world, "BK-1")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert _error(result) == ("refused", "certificate.current_required")


def test_a_notice_may_not_name_a_day_before_itself(world: World, wso: str, engine: Engine) -> None:
    earlier_day = (world.clock - timedelta(days=2)).date()
    result = world.run("revoke_certificate", officer_id=wso, model="WSO", reason="misconduct",
                       effective_on=earlier_day.isoformat())
    with engine.connect() as conn:
        status = conn.execute(sa.select(certificates.c.status)).scalar_one()
    assert (_error(result), result["error"]["field"], status) == (("invalid", "notice.effective_date"),
                                                                  "effective_on", "current")


def test_a_failed_background_check_recorded_after_certification_stops_the_officer(world: World, wso: str) -> None:
    world.ok("record_background_check", at=world.later(hours=1), officer_id=wso, result="failed")
    warrant = _released(world, "BK-1")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert _error(result) == ("refused", "authority.background_check")


def test_a_failed_background_check_does_not_reach_back_over_an_earlier_arrest(world: World, wso: str) -> None:
    warrant = _released(world, "BK-1")
    arrested_at = world.clock
    world.ok("record_background_check", at=world.later(hours=2), officer_id=wso, result="failed")
    result = world.run("serve_warrant", at=arrested_at, hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert result["ok"], result


def test_an_officer_who_left_the_agency_may_not_act(world: World, wso: str) -> None:
    world.ok("separate_officer", officer_id=wso, reason="retired")
    warrant = _released(world, "BK-1")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert _error(result) == ("refused", "officer.with_agency")


def test_leaving_the_agency_ends_every_certificate_but_not_an_earlier_arrest(world: World, wso: str,
                                                                             engine: Engine) -> None:
    warrant = _released(world, "BK-1")
    arrested_at = world.clock
    world.ok("separate_officer", at=world.later(hours=1), officer_id=wso, reason="resigned")
    result = world.run("serve_warrant", at=arrested_at, hold_id="H-1", warrant_id=warrant, officer_id=wso)
    with engine.connect() as conn:
        status = conn.execute(sa.select(certificates.c.status)).scalar_one()
    assert (result["ok"], status) == (True, "revoked")


def test_an_officer_leaves_the_agency_once(world: World, wso: str) -> None:
    world.ok("separate_officer", officer_id=wso, reason="resigned")
    result = world.run("separate_officer", officer_id=wso, reason="resigned again")
    assert _error(result) == ("conflict", "officer.with_agency")


def test_an_officer_who_left_cannot_be_certified_again(world: World, wso: str) -> None:
    world.ok("separate_officer", officer_id=wso, reason="resigned")
    result = world.run("certify_officer", officer_id=wso, model="WSO", agreement_id="AGR-AG-A-WSO",
                       credential_no="CR-2", supervisor="SDDO, Houston ERO")
    assert _error(result) == ("refused", "officer.with_agency")


def test_an_arrest_dated_before_a_later_termination_takes_effect_is_lawful(world: World, wso: str) -> None:
    day_after = (world.clock + timedelta(days=1)).date()
    world.ok("terminate_agreement", agreement_id="AGR-AG-A-WSO", reason="the county withdrew",
             effective_on=day_after.isoformat())
    warrant = _released(world, "BK-1")
    assert world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)["ok"]


def test_an_arrest_once_the_termination_took_effect_is_refused(world: World, wso: str) -> None:
    world.ok("terminate_agreement", agreement_id="AGR-AG-A-WSO", reason="the county withdrew")
    warrant = _released(world, "BK-1")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert _error(result) == ("refused", "certificate.current_required")


def test_training_older_than_the_refresher_period_gives_no_authority(world: World, wso: str, policy) -> None:
    months = policy.at(world.clock, world.clock.tzinfo).refresher_months.value
    world.later(days=31 * months)
    warrant = _released(world, "BK-1")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert _error(result) == ("refused", "training.refresher")


def test_a_refresher_course_renews_the_authority(world: World, wso: str, policy) -> None:
    months = policy.at(world.clock, world.clock.tzinfo).refresher_months.value
    world.later(days=31 * months)
    world.ok("record_training", officer_id=wso, model="WSO", course="WSO refresher", hours=2,
             completed_on=(world.clock - timedelta(days=1)).date().isoformat(), exam_score=88)
    warrant = _released(world, "BK-1")
    assert world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)["ok"]


def test_a_failed_refresher_exam_does_not_renew_the_authority(world: World, wso: str, policy) -> None:
    months = policy.at(world.clock, world.clock.tzinfo).refresher_months.value
    world.later(days=31 * months)
    world.ok("record_training", officer_id=wso, model="WSO", course="WSO refresher", hours=2,
             completed_on=(world.clock - timedelta(days=1)).date().isoformat(), exam_score=50)
    warrant = _released(world, "BK-1")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert _error(result) == ("refused", "training.refresher")


def test_a_refusal_for_authority_missing_at_the_act_is_recorded(world: World, engine: Engine) -> None:
    warrant = _released(world, "BK-1")
    released_at = world.clock
    world.later(hours=1)
    certified_officer(world, "OFF-1")
    world.run("serve_warrant", at=released_at, hold_id="H-1", warrant_id=warrant, officer_id="OFF-1")
    with engine.connect() as conn:
        opened = conn.execute(sa.select(sa.func.count()).select_from(holds)).scalar_one()
        refused = conn.execute(sa.text("SELECT rule_id FROM refusals")).scalars().all()
    assert (opened, refused) == (0, ["certificate.current_required"])


def test_every_entitys_history_is_read_from_the_stream_its_events_are_written_to(world: World, wso: str,
                                                                                  engine: Engine) -> None:
    """state_at finds an entity's events by kind and key: a stream named otherwise would judge on no history."""
    warrant = _released(world, "BK-1")
    world.ok("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    world.ok("separate_officer", at=world.later(hours=1), officer_id=wso, reason="retired")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.type, events.c.stream, events.c.payload)).all()
    mismatched = []
    for row in rows:
        changes = projections.PROJECTORS[row.type]
        if not changes:
            continue
        owner = changes[0][0]  # the entity whose stream holds the event; the first a projector changes
        kind = projections.KINDS[owner]
        event = codec.decode_payload(row.type, row.payload)
        named = projections.stream_of(owner, {k: getattr(event, k) for k in kind.keys})
        if named != row.stream:
            mismatched.append((row.type, row.stream, named))
    assert (len(rows) > 15, mismatched) == (True, [])
