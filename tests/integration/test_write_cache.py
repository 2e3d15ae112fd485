"""The write path's state cache (ledger/cache.py) never decides on stale state.

It is kept only while the ledger head is the one it was left at: a write by another process moves the head, so
the next command reads everything afresh. These tests write the same streams from two processes and check that
every decision follows the latest committed state, that a failed transaction leaves nothing cached, and that
what is cached is what the database holds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.app.execute import execute, execute_batch
from custody_ledger.demo.generator import generate_commands
from custody_ledger.ledger import cache, projections
from custody_ledger.ledger.schema import agreements, events
from custody_ledger.ledger.verify import verify, verify_projections
from tests.support import failures
from tests.support.world import World, booked_with_warrant, open_hold, serve_attempt


def _in_another_process(url: str, raw: dict[str, Any], now: str) -> dict[str, Any]:
    """One command through the write path of a separate Python process (its own engine and cache)."""
    script = textwrap.dedent(f"""
        import json, sys
        from datetime import datetime
        from custody_ledger.app.execute import execute
        from custody_ledger.ledger import db
        from custody_ledger.policy import default_policy
        engine = db.make_engine({url!r})
        result = execute(engine, json.loads(sys.argv[1]), now=datetime.fromisoformat({now!r}), policy=default_policy())
        print(json.dumps(result.to_dict()))
    """)
    done = subprocess.run([sys.executable, "-c", script, json.dumps(raw)], capture_output=True, text=True,
                          check=True, timeout=120)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_a_certificate_revoked_by_another_process_stops_the_next_serving(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")  # this process has now read the officer, the certificate, the agreement
    assert cache.of(engine).entities, "the serving above went through the cache"
    at = world.later(minutes=30)
    revoked = _in_another_process(_url(engine), {
        "command": "revoke_certificate", "idempotency_key": "other-1", "actor": "ice-sup", "officer_id": "OFF-1",
        "model": "WSO", "reason": "misconduct", "occurred_at": at.isoformat()},
        (at + timedelta(minutes=1)).isoformat())
    assert revoked["ok"], revoked
    attempt = serve_attempt(world, "H-2", "OFF-1")
    assert (attempt["ok"], attempt["error"]["rule_id"]) == (False, "certificate.current_required")


def test_a_release_recorded_by_another_process_is_seen_on_the_same_stream(world: World, engine: Engine) -> None:
    warrant = booked_with_warrant(world, "BK-9")
    at = world.later(hours=1)
    released = _in_another_process(_url(engine), {
        "command": "release_from_criminal_custody", "idempotency_key": "other-2", "actor": "clerk",
        "booking_id": "BK-9", "reason": "bail", "occurred_at": at.isoformat()}, (at + timedelta(minutes=1)).isoformat())
    assert released["ok"], released
    # Here the booking was cached as still in criminal custody; serving now needs the release the other wrote.
    served = world.run("serve_warrant", at=at, hold_id="H-9", warrant_id=warrant, officer_id="OFF-1")
    again = world.run("release_from_criminal_custody", at=world.later(minutes=5), booking_id="BK-9", reason="bail")
    assert (served["ok"], again["ok"], again["error"]["kind"]) == (True, False, "conflict")


def test_a_transaction_that_fails_leaves_nothing_cached(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    failures.refuse(engine, "no_bookings", "INSERT", "bookings", "refused")  # the database refuses the row
    with pytest.raises(sa.exc.DBAPIError):
        world.run("book_person", booking_id="BK-X", facility_id="AG-A-JAIL",
                  person={"name": "Ann Doe", "dob": "1980-02-02"}, charge_status="pending")
    state = cache.of(engine)
    assert (state.head, state.entities, state.histories) == (None, {}, {})
    failures.allow(engine, "no_bookings", "bookings")
    booked = world.run("book_person", booking_id="BK-X", facility_id="AG-A-JAIL",
                       person={"name": "Ann Doe", "dob": "1980-02-02"}, charge_status="pending")
    assert booked["ok"] and verify(engine).ok


def test_what_is_cached_is_what_the_database_holds(engine: Engine, policy: Any) -> None:
    from datetime import UTC, datetime

    commands = generate_commands(11, datetime(2026, 5, 1, tzinfo=UTC), 1500)
    for start in range(0, 900, 300):  # batches, then one command at a time: both paths fill the cache
        group = commands[start:start + 300]
        execute_batch(engine, group, now=datetime.fromisoformat(group[-1]["occurred_at"]) + timedelta(minutes=2),
                      policy=policy)
    for command in commands[900:]:
        execute(engine, command, now=datetime.fromisoformat(command["occurred_at"]) + timedelta(minutes=2),
                policy=policy)
    state = cache.of(engine)
    assert len(state.entities) > 500 and state.histories and state.children
    with engine.connect() as conn:
        for (kind, key), cached in state.entities.items():
            stored = projections.load(conn, kind, **dict(zip(projections.KINDS[kind].keys, key, strict=True)))
            assert cached == stored, (kind, key)
        for (kind, column, value), members in state.children.items():
            table = projections.KINDS[kind].table
            rows = conn.execute(sa.select(*(table.c[k] for k in projections.KINDS[kind].keys))
                                .where(table.c[column] == value)).all()
            assert members == {(kind, tuple(r)) for r in rows}, (kind, column, value)
        for stream, entries in list(state.histories.items())[:200]:
            stored_entries = conn.execute(sa.select(events.c.occurred_at).where(events.c.stream == stream)
                                          .order_by(events.c.seq)).scalars().all()
            assert [e.occurred_at for e in entries] == stored_entries, stream
    assert verify(engine).ok and verify_projections(engine).ok


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_rows_written_on_the_driver_are_stored_as_sqlalchemy_stores_them(world: World, engine: Engine) -> None:
    """SQLite keeps the text each writer formats (PostgreSQL keeps typed values): the unit's must be SQLAlchemy's,
    or comparisons in SQL (deadlines, ordering by time) would compare two formats."""
    open_hold(world, "H-1", "OFF-1")
    with engine.connect() as conn:
        instants = conn.exec_driver_sql("SELECT occurred_at, recorded_at FROM events").all()
        days = conn.execute(sa.select(agreements.c.signed_on, agreements.c.igsa)).all()
        raw_days = conn.exec_driver_sql("SELECT signed_on, igsa FROM agreements").all()
    instant = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
    assert all(instant.match(v) for row in instants for v in row)
    assert [(str(d), int(i)) for d, i in days] == [tuple(r) for r in raw_days]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_kept_connection_the_server_dropped_is_replaced_without_failing_a_command(world: World,
                                                                                   engine: Engine) -> None:
    """The write path keeps its connection between transactions; a server restart (here: its backend killed)
    must cost a reconnect, not a refused command."""
    open_hold(world, "H-1", "OFF-1")
    kept = cache.of(engine).kept
    assert kept is not None
    pid = kept.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    kept.rollback()
    with engine.connect() as other:
        assert other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar()
    booked = world.run("book_person", booking_id="BK-2", facility_id="AG-A-JAIL",
                       person={"name": "Ann Doe", "dob": "1980-02-02"}, charge_status="pending")
    assert booked["ok"], booked
    assert cache.of(engine).kept is not kept
