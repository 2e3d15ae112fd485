"""verify_projections (issue 11): every projection rebuilt from the events alone and compared with the live
tables; an edit made behind the ledger's back is named by table, key, column, live and rebuilt value."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.ledger.schema import bookings, field_offices, holds, warrants
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
