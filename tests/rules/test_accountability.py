"""Who pays, and who watches (issue 15): costs with who bore them, complaints, steering committee meetings.

The event names and payload fields are a contract with the per-agency report built from the ledger, so the
payloads are read back from the events table itself."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from custody_ledger.ledger import schema as s
from tests.support.world import World, build_agency, certified_officer, open_hold

AGREEMENT_A, AGREEMENT_I = "AGR-AG-A-WSO", "AGR-AG-I-WSO"


@pytest.fixture
def both(world: World) -> World:
    """AG-A (no IGSA) and AG-I, whose WSO agreement comes with an IGSA, under the same field office."""
    build_agency(world, "AG-I", igsa=True)
    world.later(days=3)
    return world


def _day(w: World, days: int = 0) -> str:
    return (w.clock + timedelta(days=days)).date().isoformat()


def _cost(w: World, cost_id: str, **fields: Any) -> dict[str, Any]:
    body = {"agency_id": "AG-A", "kind": "officer_hours", "payer": "agency", "incurred_from": _day(w, -1),
            "incurred_to": _day(w, -1), "hours": 2, **fields}
    return w.run("record_cost", cost_id=cost_id, **{k: v for k, v in body.items() if v is not None})


def _payloads(w: World, event_type: str) -> list[dict[str, Any]]:
    with w.engine.connect() as conn:
        rows = conn.execute(sa.select(s.events.c.payload).where(s.events.c.type == event_type)
                            .order_by(s.events.c.seq))
        return [json.loads(r.payload) for r in rows]


def _error(result: dict[str, Any]) -> tuple[str, str | None, str | None]:
    return result["error"]["kind"], result["error"]["rule_id"], result["error"]["field"]


# --- costs --------------------------------------------------------------------------------------------------


def test_per_diem_requires_an_agreement_with_an_igsa(both: World) -> None:
    result = _cost(both, "C-1", kind="per_diem_billed", payer="ice", hours=None, amount_cents=17000,
                   agreement_id=AGREEMENT_A)
    assert _error(result) == ("refused", "cost.per_diem_igsa", "agreement_id")


def test_per_diem_without_any_agreement_is_refused(both: World) -> None:
    result = _cost(both, "C-1", agency_id="AG-I", kind="per_diem_paid", payer="ice", hours=None, amount_cents=1)
    assert _error(result) == ("refused", "cost.per_diem_igsa", "agreement_id")


def test_per_diem_under_an_igsa_in_force_is_recorded(both: World) -> None:
    result = _cost(both, "C-1", agency_id="AG-I", kind="per_diem_paid", payer="ice", hours=None, amount_cents=17000,
                   agreement_id=AGREEMENT_I)
    assert result["ok"], result


def test_per_diem_requires_the_igsa_in_force_on_incurred_to_not_today(both: World) -> None:
    """Terminated since: a per-diem for days it was in force is still billed under it; one for later days is not."""
    before = _day(both, -1)
    both.ok("terminate_agreement", at=both.later(hours=1), agreement_id=AGREEMENT_I, reason="withdrew")
    both.later(days=2)
    earlier = _cost(both, "C-1", agency_id="AG-I", kind="per_diem_billed", payer="ice", hours=None,
                    amount_cents=100, agreement_id=AGREEMENT_I, incurred_from=before, incurred_to=before)
    later = _cost(both, "C-2", agency_id="AG-I", kind="per_diem_billed", payer="ice", hours=None,
                  amount_cents=100, agreement_id=AGREEMENT_I, incurred_from=_day(both, -1), incurred_to=_day(both, -1))
    assert (earlier["ok"], _error(later)) == (True, ("refused", "cost.per_diem_igsa", "agreement_id"))


@pytest.mark.parametrize("kind", ["officer_hours", "detention_hours", "training_hours"])
def test_hours_kinds_require_hours(world: World, kind: str) -> None:
    assert _error(_cost(world, "C-1", kind=kind, hours=None)) == ("invalid", "cost.measure", "hours")


@pytest.mark.parametrize("kind", ["per_diem_billed", "per_diem_paid"])
def test_per_diem_is_money_never_hours(world: World, kind: str) -> None:
    result = _cost(world, "C-1", kind=kind, hours=3, amount_cents=100, agreement_id=AGREEMENT_A)
    assert _error(result) == ("invalid", "cost.measure", "hours")


def test_per_diem_requires_an_amount(world: World) -> None:
    result = _cost(world, "C-1", kind="per_diem_paid", hours=None, agreement_id=AGREEMENT_A)
    assert _error(result) == ("invalid", "cost.measure", "amount_cents")


@pytest.mark.parametrize(("field", "value"), [("hours", -0.25), ("amount_cents", -1), ("hours", 1.005),
                                              ("hours", "7.25"), ("amount_cents", 1.5)])
def test_negative_or_inexact_values_are_invalid(world: World, field: str, value: Any) -> None:
    assert _error(_cost(world, "C-1", **{field: value}))[::2] == ("invalid", field)


def test_a_period_may_not_end_before_it_begins(world: World) -> None:
    result = _cost(world, "C-1", incurred_from=_day(world, -1), incurred_to=_day(world, -2))
    assert _error(result) == ("invalid", "accountability.dates", "incurred_to")


def test_a_cost_may_not_be_dated_after_its_own_day(world: World) -> None:
    result = _cost(world, "C-1", incurred_from=_day(world), incurred_to=_day(world, 1))
    assert _error(result) == ("invalid", "accountability.dates", "incurred_to")


def test_a_cost_names_only_its_own_agencys_hold(both: World) -> None:
    certified_officer(both, "OFF-I", "AG-I")
    open_hold(both, "H-I", "OFF-I", "AG-I")
    result = _cost(both, "C-1", kind="detention_hours", hours=12, hold_id="H-I")
    assert _error(result) == ("refused", "accountability.same_agency", "hold_id")


def test_a_cost_names_only_its_own_agencys_agreement(both: World) -> None:
    assert _error(_cost(both, "C-1", agreement_id=AGREEMENT_I)) == ("refused", "accountability.same_agency",
                                                                    "agreement_id")


@pytest.mark.parametrize(("field", "value"), [("agency_id", "AG-NONE"), ("hold_id", "H-NONE"),
                                              ("agreement_id", "AGR-NONE")])
def test_an_unknown_agency_hold_or_agreement_is_not_found(world: World, field: str, value: str) -> None:
    assert _error(_cost(world, "C-1", **{field: value}))[::2] == ("not_found", field)


def test_a_cost_event_carries_the_contracts_fields_with_hours_exact(world: World) -> None:
    certified_officer(world, "OFF-A")
    open_hold(world, "H-A", "OFF-A")
    world.later(days=1)
    world.ok("record_cost", cost_id="C-1", agency_id="AG-A", kind="detention_hours", payer="agency",
             incurred_from=_day(world, -1), incurred_to=_day(world), hours=7.25, agreement_id=AGREEMENT_A,
             hold_id="H-A")
    with world.engine.connect() as conn:
        row = conn.execute(sa.select(s.costs.c.hours_hundredths, s.costs.c.amount_cents)).one()
    assert (_payloads(world, "cost_recorded"), tuple(row)) == ([{
        "cost_id": "C-1", "agency_id": "AG-A", "kind": "detention_hours", "payer": "agency",
        "incurred_from": _day(world, -1), "incurred_to": _day(world), "hours": 7.25, "amount_cents": None,
        "agreement_id": AGREEMENT_A, "hold_id": "H-A", "note": None}], (725, None))


def test_a_cost_is_recorded_once_per_idempotency_key(world: World) -> None:
    first = world.ok("record_cost", key="cost-1", cost_id="C-1", agency_id="AG-A", kind="training_hours",
                     payer="ice", incurred_from=_day(world, -1), incurred_to=_day(world, -1), hours=8)
    again = world.run("record_cost", key="cost-1", cost_id="C-1", agency_id="AG-A", kind="training_hours",
                      payer="ice", incurred_from=_day(world, -1), incurred_to=_day(world, -1), hours=8)
    assert (again["events"], again.get("replayed"), len(_payloads(world, "cost_recorded"))) == (
        first["events"], True, 1)


# --- complaints ---------------------------------------------------------------------------------------------


def _complaint(w: World, complaint_id: str = "CMP-1", **fields: Any) -> dict[str, Any]:
    return w.run("record_complaint", complaint_id=complaint_id,
                 **{"agency_id": "AG-A", "received_on": _day(w, -1), "category": "civil_rights", **fields})


def test_a_complaint_names_only_its_own_agencys_officer(both: World) -> None:
    both.ok("nominate_officer", officer_id="OFF-I", agency_id="AG-I", name="Officer I", badge="9")
    result = _complaint(both, officer_id="OFF-I")
    assert _error(result) == ("refused", "accountability.same_agency", "officer_id")


def test_a_complaint_records_no_person_data(world: World) -> None:
    world.ok("nominate_officer", officer_id="OFF-A", agency_id="AG-A", name="Officer A", badge="1")
    _complaint(world, officer_id="OFF-A")
    assert _payloads(world, "complaint_received") == [{
        "complaint_id": "CMP-1", "agency_id": "AG-A", "received_on": _day(world, -1), "category": "civil_rights",
        "officer_id": "OFF-A"}]


def test_a_complaint_takes_no_free_text(world: World) -> None:
    assert _error(_complaint(world, complainant="Jane Roe"))[::2] == ("invalid", "complainant")


def test_a_complaint_is_referred_to_both_each_once(world: World) -> None:
    _complaint(world)
    day = _day(world)
    opr = world.run("refer_complaint", complaint_id="CMP-1", referred_to="ice_opr", referred_on=day)
    ia = world.run("refer_complaint", complaint_id="CMP-1", referred_to="internal_affairs", referred_on=day)
    again = world.run("refer_complaint", complaint_id="CMP-1", referred_to="ice_opr", referred_on=day)
    assert (opr["ok"], ia["ok"], _error(again)) == (True, True, ("conflict", "lifecycle.complaint", "referred_to"))
    assert _payloads(world, "complaint_referred") == [
        {"complaint_id": "CMP-1", "referred_to": "ice_opr", "referred_on": day},
        {"complaint_id": "CMP-1", "referred_to": "internal_affairs", "referred_on": day}]


def test_a_complaint_is_not_referred_before_it_was_received(world: World) -> None:
    _complaint(world)
    result = world.run("refer_complaint", complaint_id="CMP-1", referred_to="ice_opr", referred_on=_day(world, -2))
    assert _error(result) == ("invalid", "accountability.dates", "referred_on")


def test_complaint_cannot_be_closed_twice(world: World) -> None:
    _complaint(world)
    first = world.run("close_complaint", complaint_id="CMP-1", outcome="not_sustained", closed_on=_day(world))
    second = world.run("close_complaint", complaint_id="CMP-1", outcome="sustained", closed_on=_day(world))
    assert (first["ok"], _error(second)) == (True, ("conflict", "lifecycle.complaint", "complaint_id"))
    assert _payloads(world, "complaint_closed") == [
        {"complaint_id": "CMP-1", "outcome": "not_sustained", "closed_on": _day(world)}]


def test_a_complaint_is_not_closed_before_it_was_received(world: World) -> None:
    _complaint(world)
    result = world.run("close_complaint", complaint_id="CMP-1", outcome="withdrawn", closed_on=_day(world, -3))
    assert _error(result) == ("invalid", "accountability.dates", "closed_on")


def test_a_closed_complaint_is_not_referred(world: World) -> None:
    _complaint(world)
    world.ok("close_complaint", complaint_id="CMP-1", outcome="withdrawn", closed_on=_day(world))
    result = world.run("refer_complaint", complaint_id="CMP-1", referred_to="ice_opr", referred_on=_day(world))
    assert _error(result) == ("conflict", "lifecycle.complaint", "complaint_id")


# --- steering committee -------------------------------------------------------------------------------------


def _meeting(w: World, meeting_id: str = "SC-1", **fields: Any) -> dict[str, Any]:
    return w.run("record_steering_meeting", meeting_id=meeting_id,
                 **{"agency_id": "AG-A", "agreement_id": AGREEMENT_A, "held_on": _day(w, -1), **fields})


def test_a_steering_meeting_is_under_the_agencys_own_agreement(both: World) -> None:
    assert _error(_meeting(both, agreement_id=AGREEMENT_I)) == ("refused", "accountability.same_agency",
                                                                "agreement_id")


def test_steering_minutes_are_published_once(world: World) -> None:
    _meeting(world)
    first = world.run("publish_steering_minutes", meeting_id="SC-1", published_on=_day(world))
    second = world.run("publish_steering_minutes", meeting_id="SC-1", published_on=_day(world))
    assert (first["ok"], _error(second)) == (True, ("conflict", "lifecycle.steering_minutes", "meeting_id"))


def test_minutes_published_with_the_meeting_are_not_published_again(world: World) -> None:
    _meeting(world, minutes_published_on=_day(world))
    result = world.run("publish_steering_minutes", meeting_id="SC-1", published_on=_day(world))
    assert _error(result) == ("conflict", "lifecycle.steering_minutes", "meeting_id")


def test_minutes_are_not_published_before_the_meeting(world: World) -> None:
    _meeting(world)
    result = world.run("publish_steering_minutes", meeting_id="SC-1", published_on=_day(world, -2))
    assert _error(result) == ("invalid", "accountability.dates", "published_on")


def test_steering_events_carry_the_contracts_fields(world: World) -> None:
    _meeting(world)
    world.ok("publish_steering_minutes", meeting_id="SC-1", published_on=_day(world))
    assert (_payloads(world, "steering_meeting_held"), _payloads(world, "steering_minutes_published")) == (
        [{"meeting_id": "SC-1", "agency_id": "AG-A", "agreement_id": AGREEMENT_A, "held_on": _day(world, -1),
          "minutes_published_on": None}],
        [{"meeting_id": "SC-1", "published_on": _day(world)}])
