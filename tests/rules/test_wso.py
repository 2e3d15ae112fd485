"""What a Warrant Service Officer may and may not do (DOMAIN.md "The WSO arrest")."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from custody_ledger.ledger.schema import events, refusals
from tests.support.world import World, booked_with_warrant, build_agency, certified_officer, serve_attempt


@pytest.fixture
def wso(world: World) -> str:
    return certified_officer(world, "OFF-1")


def _released(world: World, booking: str, form: str = "I-200") -> str:
    warrant = booked_with_warrant(world, booking, form=form)
    world.ok("release_from_criminal_custody", at=world.later(hours=1), booking_id=booking, reason="bail")
    return warrant


@pytest.mark.parametrize("form", ["I-200", "I-205"])
def test_wso_serves_a_lodged_administrative_warrant(world: World, wso: str, form: str) -> None:
    warrant = _released(world, "BK-1", form)
    assert world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)["ok"]


def test_wso_may_not_serve_a_detainer_as_if_it_were_a_warrant(world: World, wso: str) -> None:
    warrant = _released(world, "BK-1", "I-247A")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert result["error"]["rule_id"] == "warrant.servable"


def test_wso_may_not_serve_a_cancelled_warrant(world: World, wso: str) -> None:
    warrant = _released(world, "BK-1")
    world.ok("cancel_warrant", warrant_id=warrant, reason="ICE lifted the warrant")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert result["error"]["rule_id"] == "warrant.servable"


def test_wso_serves_only_in_a_facility_of_the_officers_own_agency(world: World, wso: str) -> None:
    build_agency(world, "AG-B")
    result = serve_attempt(world, "H-B", wso, agency="AG-B")
    assert result["error"]["rule_id"] == "wso.own_facility"


def test_wso_serves_only_after_release_from_criminal_custody(world: World, wso: str) -> None:
    warrant = booked_with_warrant(world, "BK-1")
    result = world.run("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    assert result["error"]["rule_id"] == "wso.after_release"


@pytest.mark.parametrize("command", ["interview_status", "issue_detainer", "enter_ice_data"])
def test_wso_may_not_question_or_process_anyone(world: World, wso: str, command: str) -> None:
    booked_with_warrant(world, "BK-1")
    result = world.run(command, booking_id="BK-1", officer_id=wso)
    assert result["error"]["rule_id"] == "authority.wso"


@pytest.mark.parametrize("command", ["interview_status", "issue_detainer", "enter_ice_data"])
def test_jem_officer_may_perform_jail_functions(world: World, command: str) -> None:
    from tests.support.world import add_agreement

    add_agreement(world, "AG-A", model="JEM")
    officer = certified_officer(world, "OFF-J", model="JEM")
    booked_with_warrant(world, "BK-1")
    assert world.run(command, booking_id="BK-1", officer_id=officer)["ok"]


def test_a_jem_officer_acts_only_on_people_booked_in_the_agencys_own_facilities(world: World) -> None:
    from tests.support.world import add_agreement

    add_agreement(world, "AG-A", model="JEM")
    officer = certified_officer(world, "OFF-J", model="JEM")
    build_agency(world, "AG-B")
    booked_with_warrant(world, "BK-B", agency="AG-B")
    result = world.run("interview_status", booking_id="BK-B", officer_id=officer)
    assert result["error"]["rule_id"] == "jem.own_facility"


def test_a_refusal_appends_exactly_one_action_refused_event(world: World, wso: str, engine) -> None:
    booked_with_warrant(world, "BK-1")
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    world.run("interview_status", booking_id="BK-1", officer_id=wso)
    with engine.connect() as conn:
        added = conn.execute(sa.select(events.c.type).where(events.c.seq > before)).scalars().all()
    assert added == ["action_refused"]


def test_a_refusal_is_counted_for_oversight_with_its_rule(world: World, wso: str, engine) -> None:
    booked_with_warrant(world, "BK-1")
    world.run("interview_status", booking_id="BK-1", officer_id=wso)
    with engine.connect() as conn:
        row = conn.execute(sa.select(refusals.c.rule_id, refusals.c.agency_id, refusals.c.officer_id)).one()
    assert tuple(row) == ("authority.wso", "AG-A", "OFF-1")


def test_a_warrant_is_served_once(world: World, wso: str) -> None:
    warrant = _released(world, "BK-1")
    world.ok("serve_warrant", hold_id="H-1", warrant_id=warrant, officer_id=wso)
    result = world.run("serve_warrant", hold_id="H-2", warrant_id=warrant, officer_id=wso)
    assert (result["error"]["kind"], result["error"]["rule_id"]) == ("conflict", "lifecycle.warrant")
