"""The ledger's guarantees on real SQLite and PostgreSQL: idempotent, atomic, append-only, verifiable."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.app.execute import execute, execute_batch
from custody_ledger.ledger import db, migrate
from custody_ledger.ledger.schema import agreements, command_results, events
from custody_ledger.ledger.verify import verify
from tests.support import failures
from tests.support.world import T0, World, booked_with_warrant, open_hold

NOW = T0 + timedelta(hours=2)


def _count(engine: Engine, table: sa.Table = events) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _booking(key: str, booking: str = "BK-1") -> dict:
    return {"command": "book_person", "idempotency_key": key, "actor": "records@AG-A",
            "occurred_at": (T0 + timedelta(hours=1)).isoformat(), "booking_id": booking, "facility_id": "AG-A-JAIL",
            "person": {"name": "John Doe", "dob": "1985-05-05"}, "charge_status": "pending"}


# --- idempotency -------------------------------------------------------------------------------------

def test_the_same_idempotency_key_twice_returns_the_first_result_and_appends_nothing(world: World, engine) -> None:
    first = execute(engine, _booking("same"), now=NOW, policy=world.policy)
    assert first.ok, first
    before = _count(engine)
    second = execute(engine, _booking("same"), now=NOW + timedelta(hours=1), policy=world.policy)
    assert (second.events, second.replayed, _count(engine)) == (first.events, True, before)


def test_a_reused_key_with_a_different_command_is_a_conflict(world: World, engine) -> None:
    execute(engine, _booking("same"), now=NOW, policy=world.policy)
    other = execute(engine, _booking("same", "BK-2"), now=NOW, policy=world.policy)
    assert (other.error or {}).get("field") == "idempotency_key"


def test_a_retried_refusal_is_recorded_once(world: World, engine) -> None:
    booked_with_warrant(world, "BK-9")
    attempt = {"command": "interview_status", "idempotency_key": "r1", "actor": "wso", "booking_id": "BK-9",
               "officer_id": "OFF-1", "occurred_at": world.clock.isoformat()}
    execute(engine, attempt, now=NOW, policy=world.policy)
    before = _count(engine)
    again = execute(engine, attempt, now=NOW, policy=world.policy)
    assert ((again.error or {}).get("rule_id"), _count(engine)) == ("authority.wso", before)


# --- atomicity ---------------------------------------------------------------------------------------

def _break_certificate_updates(engine: Engine) -> None:
    """A real database failure in the middle of a command: updates to certificates start failing."""
    failures.refuse(engine, "boom", "UPDATE", "certificates", "disk on fire")


def _terminate(world: World) -> dict:
    """Ends the agreement and so updates its certificates: the step _break_certificate_updates makes fail."""
    return {"command": "terminate_agreement", "idempotency_key": "t1", "actor": "admin",
            "agreement_id": "AGR-AG-A-WSO", "reason": "notice", "occurred_at": world.clock.isoformat()}


def test_a_command_that_fails_halfway_leaves_no_event_and_no_projection_change(world: World, engine) -> None:
    _break_certificate_updates(engine)
    before = (_count(engine), _count(engine, command_results))
    terminate = _terminate(world)
    with pytest.raises(sa.exc.DBAPIError):
        execute(engine, terminate, now=NOW, policy=world.policy)
    with engine.connect() as conn:
        status = conn.execute(sa.select(agreements.c.status)).scalar_one()
    assert ((_count(engine), _count(engine, command_results)), status) == (before, "active")


def test_a_batch_that_fails_halfway_acknowledges_nothing(world: World, engine) -> None:
    _break_certificate_updates(engine)
    before = (_count(engine), _count(engine, command_results))
    terminate = _terminate(world)
    with pytest.raises(sa.exc.DBAPIError):
        execute_batch(engine, [_booking("b1", "BK-7"), terminate, _booking("b2", "BK-8")], now=NOW,
                      policy=world.policy)
    assert (_count(engine), _count(engine, command_results)) == before


def test_a_refused_command_in_a_batch_leaves_its_neighbours_applied(world: World, engine) -> None:
    before = _count(engine, command_results)
    bad = {**_booking("b2", "BK-8"), "charge_status": "maybe"}
    results = execute_batch(engine, [_booking("b1", "BK-7"), bad, _booking("b3", "BK-9")], now=NOW,
                            policy=world.policy)
    assert ([r.ok for r in results], _count(engine, command_results) - before) == ([True, False, True], 2)


def test_invalid_input_changes_nothing_and_names_the_field(world: World, engine) -> None:
    before = _count(engine)
    bad = {**_booking("b1"), "charge_status": "maybe"}
    result = execute(engine, bad, now=NOW, policy=world.policy)
    assert ((result.error or {}).get("field"), _count(engine)) == ("charge_status", before)


# --- append-only and tamper-evident --------------------------------------------------------------------

@pytest.mark.parametrize("statement", ["UPDATE events SET actor = 'mallory'", "DELETE FROM events"])
def test_the_database_itself_rejects_rewriting_the_ledger(world: World, engine, statement: str) -> None:
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.exec_driver_sql(statement)


def _drop_guards(engine: Engine) -> None:
    """What an attacker with database access would do first."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
            conn.exec_driver_sql("DROP TRIGGER events_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER events_no_rewrite ON events")


def _verify_cli(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "custody_ledger", "verify", "--db", url],
                          capture_output=True, text=True, timeout=120)


def test_verify_passes_on_an_untouched_ledger(world: World, engine, db_url: str) -> None:
    open_hold(world, "H-1", "OFF-1")
    run = _verify_cli(db_url)
    assert (run.returncode, "ledger verified" in run.stderr) == (0, True)


def test_verify_names_the_first_altered_event(world: World, engine, db_url: str) -> None:
    _drop_guards(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE events SET payload = replace(payload, 'Houston', 'Boston') WHERE seq = 1")
    run = _verify_cli(db_url)
    assert (run.returncode, "broken at event 1:" in run.stderr) == (1, True)


def test_verify_names_a_deleted_event(world: World, engine, db_url: str) -> None:
    _drop_guards(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM events WHERE seq = 5")
    run = _verify_cli(db_url)
    assert (run.returncode, "broken at event 5:" in run.stderr) == (1, True)


def test_verify_sees_the_last_event_deleted_through_its_receipt(world: World, engine, db_url: str) -> None:
    last = _count(engine)
    _drop_guards(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM events WHERE seq = {last}")
    assert verify(engine).first_broken == last


def test_verify_sees_a_changed_timestamp(world: World, engine) -> None:
    _drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(events.update().where(events.c.seq == 3)
                     .values(occurred_at=events.c.occurred_at))  # rewrite with the same value: still intact
    intact = verify(engine).first_broken is None  # the dropped guards are reported; the chain itself is intact
    with engine.begin() as conn:
        row = conn.execute(sa.select(events.c.occurred_at).where(events.c.seq == 3)).scalar_one()
        conn.execute(events.update().where(events.c.seq == 3).values(occurred_at=row - timedelta(seconds=1)))
    assert (intact, verify(engine).first_broken) == (True, 3)


# --- concurrency and migrations ------------------------------------------------------------------------

def test_concurrent_writers_keep_one_unbroken_chain(world: World, engine) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                result = execute(engine, _booking(f"w{n}-{i}", f"BK-{n}-{i}"), now=NOW, policy=world.policy)
                assert result.ok, result
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    before = _count(engine)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify(engine)
    assert (errors, _count(engine) - before, report.ok) == ([], 60, True)


def test_migrations_downgrade_and_upgrade_again(engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "base")
    with engine.connect() as conn:
        gone = "events" not in sa.inspect(conn).get_table_names()
    migrate.upgrade(engine)
    with engine.connect() as conn:
        back = "events" in sa.inspect(conn).get_table_names()
    assert (gone, back) == (True, True)


def test_a_writer_that_fails_lets_the_next_writer_in(engine) -> None:
    """The in-process write gate is released on error, or every later command would wait out the timeout."""
    with pytest.raises(RuntimeError), db.write_transaction(engine):
        raise RuntimeError("the command failed")
    done = threading.Event()

    def next_writer() -> None:
        with db.write_transaction(engine) as conn:
            conn.execute(sa.select(1))
        done.set()

    thread = threading.Thread(target=next_writer, daemon=True)
    thread.start()
    assert done.wait(timeout=10)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL's timestamptz refuses such a value
def test_verify_names_an_event_that_cannot_even_be_read(world: World, engine) -> None:
    """SQLite keeps any value in any column: a timestamp replaced by text must be named, not crash verify."""
    _drop_guards(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE events SET occurred_at = 'garbage' WHERE seq = 2")
    report = verify(engine)
    assert (report.ok, report.first_broken, "cannot be read" in (report.reason or "")) == (False, 2, True)
