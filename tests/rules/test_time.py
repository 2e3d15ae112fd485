"""When an event may be dated, and which records oversight must see flagged."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from custody_ledger.ledger.schema import events, flags
from tests.support.world import T0, World, booked_with_warrant


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()


def test_occurred_at_in_the_future_beyond_the_skew_is_invalid(world: World, engine) -> None:
    before = _count(engine)
    result = world.run("book_person", at=T0 + timedelta(hours=1), now=T0, booking_id="BK-F", facility_id="AG-A-JAIL",
                       person={"name": "A", "dob": "1980-01-01"}, charge_status="pending")
    assert (result["error"]["rule_id"], result["error"]["field"], _count(engine)) == (
        "time.future_skew", "occurred_at", before)


def test_occurred_at_within_the_clock_skew_is_accepted(world: World) -> None:
    result = world.run("book_person", at=world.clock + timedelta(minutes=4), now=world.clock, booking_id="BK-S",
                       facility_id="AG-A-JAIL", person={"name": "A", "dob": "1980-01-01"}, charge_status="pending")
    assert result["ok"], result


def test_occurred_at_before_the_streams_previous_event_is_invalid(world: World) -> None:
    booked_with_warrant(world, "BK-1")
    result = world.run("release_from_criminal_custody", at=world.clock - timedelta(hours=2), booking_id="BK-1",
                       reason="bail")
    assert (result["error"]["rule_id"], result["error"]["field"]) == ("time.stream_order", "occurred_at")


def test_an_event_recorded_long_after_it_occurred_is_flagged_late(world: World, engine) -> None:
    world.ok("book_person", at=world.clock, now=world.clock + timedelta(days=3), booking_id="BK-L",
             facility_id="AG-A-JAIL", person={"name": "A", "dob": "1980-01-01"}, charge_status="pending")
    with engine.connect() as conn:
        row = conn.execute(sa.select(flags.c.kind, flags.c.subject, flags.c.rule_id)).one()
    assert tuple(row) == ("late_entry", "booking:BK-L", "time.late_entry")


def test_an_event_recorded_promptly_is_not_flagged(world: World, engine) -> None:
    world.ok("book_person", booking_id="BK-P", facility_id="AG-A-JAIL", person={"name": "A", "dob": "1980-01-01"},
             charge_status="pending")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(flags)).scalar_one() == 0


def test_a_detainer_without_its_warrant_is_flagged(world: World, engine) -> None:
    booked_with_warrant(world, "BK-D", form="I-247A")
    with engine.connect() as conn:
        row = conn.execute(sa.select(flags.c.kind, flags.c.rule_id)).one()
    assert tuple(row) == ("detainer_without_warrant", "detainer.requires_warrant")


def test_a_detainer_with_its_warrant_is_not_flagged(world: World, engine) -> None:
    booked_with_warrant(world, "BK-D", form="I-200")
    world.ok("lodge_warrant", warrant_id="WR-D2", booking_id="BK-D", form="I-247A", number="D-2",
             issued_on=world.clock.date().isoformat())
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(flags)).scalar_one() == 0
