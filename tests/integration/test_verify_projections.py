"""verify_projections (issue 11): every projection rebuilt from the events alone and compared with the live
tables; an edit made behind the ledger's back is named by table, key, column, live and rebuilt value."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.ledger.schema import bookings, costs, field_offices, holds, warrants
from custody_ledger.ledger.verify import verify_projections
from tests.support.world import World, open_hold


def test_a_untouched_ledger_rebuilds_to_its_projections(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    report = verify_projections(engine)
    assert (report.ok, report.part, report.reason, report.checked > 10) == (True, "projections", None, True)


def test_an_edited_hold_status_is_named(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    with engine.begin() as conn:
        conn.execute(holds.update().where(holds.c.hold_id == "H-1").values(status="released"))
    report = verify_projections(engine)
    assert report.difference is not None
    d = report.difference
    assert (report.ok, d.table, d.key, d.column, d.live, d.rebuilt) == (
        False, "holds", {"hold_id": "H-1"}, "status", "released", "open")
    assert report.reason == "holds (hold_id=H-1): status is 'released' live but 'open' rebuilt from the ledger"


def test_an_edited_booking_subject_is_named(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    with engine.begin() as conn:
        before = conn.execute(sa.select(bookings.c.subject_id).where(bookings.c.booking_id == "BK-H-1")).scalar_one()
        conn.execute(bookings.update().where(bookings.c.booking_id == "BK-H-1").values(subject_id="S-someone-else"))
    d = verify_projections(engine).difference
    assert d is not None
    assert (d.table, d.key, d.column, d.live, d.rebuilt) == (
        "bookings", {"booking_id": "BK-H-1"}, "subject_id", "S-someone-else", before)


def test_the_watchdogs_schedule_is_not_compared(world: World, engine: Engine) -> None:
    """holds.next_alert_at is derived (app/watchdog._repair sets it for holds opened before migration 0006)."""
    open_hold(world, "H-1", "OFF-1")
    with engine.begin() as conn:
        later = world.clock + timedelta(days=9)
        conn.execute(holds.update().where(holds.c.hold_id == "H-1").values(next_alert_at=later))
    assert verify_projections(engine).ok


def test_a_deleted_and_an_invented_row_are_named(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    with engine.begin() as conn:
        conn.execute(warrants.delete().where(warrants.c.warrant_id == "WR-BK-H-1"))
    d = verify_projections(engine).difference
    assert d is not None
    assert (d.table, d.key, d.column, d.live, d.rebuilt) == (
        "warrants", {"warrant_id": "WR-BK-H-1"}, None, "absent", "present")
    with engine.begin() as conn:
        conn.execute(field_offices.insert().values(field_office_id="FO-0", name="Nowhere", timezone="UTC"))
    d = verify_projections(engine).difference
    assert d is not None
    assert (d.table, d.key, d.column, d.live, d.rebuilt) == (
        "field_offices", {"field_office_id": "FO-0"}, None, "present", "absent")


def test_costs_complaints_and_meetings_rebuild_and_an_edited_cost_is_named(world: World, engine: Engine) -> None:
    """Issue 15: the accountability projections fold from their events like every other (hours to the hundredth)."""
    open_hold(world, "H-1", "OFF-1")
    day = world.clock.date().isoformat()
    world.ok("record_cost", cost_id="C-1", agency_id="AG-A", kind="detention_hours", payer="agency",
             incurred_from=day, incurred_to=day, hours=3.25, hold_id="H-1", agreement_id="AGR-AG-A-WSO")
    world.ok("record_complaint", complaint_id="CMP-1", agency_id="AG-A", received_on=day, category="other",
             officer_id="OFF-1")
    world.ok("refer_complaint", complaint_id="CMP-1", referred_to="internal_affairs", referred_on=day)
    world.ok("close_complaint", complaint_id="CMP-1", outcome="exonerated", closed_on=day)
    world.ok("record_steering_meeting", meeting_id="SC-1", agency_id="AG-A", agreement_id="AGR-AG-A-WSO", held_on=day)
    world.ok("publish_steering_minutes", meeting_id="SC-1", published_on=day)
    untouched = verify_projections(engine)
    with engine.begin() as conn:
        conn.execute(costs.update().where(costs.c.cost_id == "C-1").values(hours_hundredths=300))
    d = verify_projections(engine).difference
    assert (untouched.ok, d is not None and (d.table, d.key, d.column, d.live, d.rebuilt)) == (
        True, ("costs", {"cost_id": "C-1"}, "hours_hundredths", 300, 325))
