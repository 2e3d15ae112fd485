"""Role and agency scope on the write path: who may issue which command, over which agency's records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from custody_ledger.app.access import ROLE_COMMANDS, SYSTEM_COMMANDS
from custody_ledger.app.auth import Principal, Role
from custody_ledger.app.execute import execute
from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.policy import Policy
from tests.support.world import World, booked_with_warrant, build_agency, certified_officer


@pytest.fixture
def two_agencies(engine: Engine, policy: Policy) -> World:
    w = World(engine, policy)
    build_agency(w, "AG-A")
    build_agency(w, "AG-B")
    certified_officer(w, "OFF-A", agency="AG-A")
    booked_with_warrant(w, "BK-B", agency="AG-B")
    return w


def _as(w: World, principal: Principal, command: str, **payload: object) -> dict:
    at = w.clock + timedelta(minutes=1)
    raw = {"command": command, "idempotency_key": f"{principal.id}-{command}-{sorted(payload.items())}",
           "occurred_at": at.isoformat(), **payload}
    return execute(w.engine, raw, now=at + timedelta(minutes=1), policy=w.policy, principal=principal).to_dict()


STAFF_A = Principal("records-a", Role.FACILITY_STAFF, agency_id="AG-A")
WSO_A = Principal("wso-a", Role.CERTIFIED_OFFICER, agency_id="AG-A", officer_id="OFF-A")
AUDITOR = Principal("auditor", Role.AUDITOR)
SUPERVISOR_FO1 = Principal("sup-1", Role.ICE_SUPERVISOR, field_office_id="FO-1")
SUPERVISOR_FO2 = Principal("sup-2", Role.ICE_SUPERVISOR, field_office_id="FO-2")


def test_every_command_of_the_vocabulary_has_a_role_that_may_issue_it() -> None:
    """But the watchdog's: that a moment fell due is recorded by the product, never claimed by a person."""
    granted = set().union(*ROLE_COMMANDS.values())
    assert (granted | SYSTEM_COMMANDS, granted & SYSTEM_COMMANDS) == (set(COMMANDS), set())


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_auditor_writes_nothing(two_agencies: World, command: str) -> None:
    assert _as(two_agencies, AUDITOR, command, booking_id="BK-B")["error"]["kind"] == "forbidden"


def test_staff_may_book_into_their_own_agencys_jail(two_agencies: World) -> None:
    result = _as(two_agencies, STAFF_A, "book_person", booking_id="AG-A.BK-A2", facility_id="AG-A-JAIL",
                 person={"name": "P", "dob": "1990-01-01"}, charge_status="pending")
    assert result["ok"], result


def test_staff_of_one_agency_cannot_touch_another_agencys_booking(two_agencies: World) -> None:
    result = _as(two_agencies, STAFF_A, "release_from_criminal_custody", booking_id="BK-B", reason="bail")
    assert (result["error"]["kind"], result["error"]["field"]) == ("not_found", "booking_id")


def test_staff_of_one_agency_cannot_book_into_another_agencys_jail(two_agencies: World) -> None:
    result = _as(two_agencies, STAFF_A, "book_person", booking_id="BK-X", facility_id="AG-B-JAIL",
                 person={"name": "P", "dob": "1990-01-01"}, charge_status="pending")
    assert result["error"]["kind"] == "not_found"


def test_an_officer_acts_only_under_their_own_name(two_agencies: World) -> None:
    result = _as(two_agencies, WSO_A, "serve_warrant", hold_id="H-9", warrant_id="WR-BK-B", officer_id="OFF-OTHER")
    assert (result["error"]["kind"], result["error"]["field"]) == ("forbidden", "officer_id")


def test_staff_may_not_serve_warrants(two_agencies: World) -> None:
    result = _as(two_agencies, STAFF_A, "serve_warrant", hold_id="H-9", warrant_id="WR-BK-B", officer_id="OFF-A")
    assert result["error"]["kind"] == "forbidden"


def test_a_supervisor_acts_within_the_field_office_only(two_agencies: World) -> None:
    ok = _as(two_agencies, SUPERVISOR_FO1, "cancel_warrant", warrant_id="WR-BK-B", reason="lifted")
    other = _as(two_agencies, SUPERVISOR_FO2, "lodge_warrant", warrant_id="WR-2", booking_id="BK-B", form="I-205",
                number="2", issued_on="2026-03-02")
    assert (ok["ok"], other["error"]["kind"]) == (True, "not_found")


def test_the_actor_is_the_authenticated_principal_not_the_request(two_agencies: World) -> None:
    at = two_agencies.clock + timedelta(minutes=1)
    raw = {"command": "book_person", "idempotency_key": "spoof", "actor": "someone-else", "occurred_at": at.isoformat(),
           "booking_id": "AG-A.BK-S", "facility_id": "AG-A-JAIL", "person": {"name": "P", "dob": "1990-01-01"},
           "charge_status": "pending"}
    execute(two_agencies.engine, raw, now=at, policy=two_agencies.policy, principal=STAFF_A)
    import sqlalchemy as sa

    from custody_ledger.ledger.schema import events

    with two_agencies.engine.connect() as conn:
        actor = conn.execute(sa.select(events.c.actor).where(events.c.idempotency_key == "spoof")).scalar_one()
    assert actor == "records-a"
