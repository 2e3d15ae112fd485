"""Person-record reads share commits of their access records (app/access_records.py), and none is answered
before its record is durable."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.app import access_records, reads
from custody_ledger.app.auth import Principal, Role
from custody_ledger.ledger import access_chain, db
from custody_ledger.ledger.schema import access_log
from custody_ledger.ledger.verify import verify
from tests.support import failures
from tests.support.world import World, open_hold

STAFF = Principal("records-a", Role.FACILITY_STAFF, agency_id="AG-A")


def _read(world: World, n: int = 0) -> reads.Page:
    return reads.run(world.engine, reads.holds, Principal(f"records-{n}", Role.FACILITY_STAFF, agency_id="AG-A"),
                     now=world.clock, mfa_required=False)


def _logged(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(access_log.c.principal).where(access_log.c.action == "list_holds")
                                 .order_by(access_log.c.seq)).scalars())


def test_a_read_is_answered_only_after_its_access_record_committed(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    page = _read(world, 7)
    assert (len(page.items), _logged(engine)) == (1, ["records-7"])


def test_reads_that_arrive_while_a_commit_is_under_way_share_the_next_commit(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    writer = access_records.writer_of(engine)
    before = writer.commits
    with ThreadPoolExecutor(max_workers=12) as pool:
        with db.write_transaction(engine) as busy:  # the access log's writer is busy: the first read's commit waits
            if engine.dialect.name == "postgresql":
                busy.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": access_chain.ACCESS_LOCK_KEY})
            first = pool.submit(_read, world, 0)
            deadline = time.monotonic() + 10
            while not writer._writing and time.monotonic() < deadline:  # the first read now leads, blocked
                time.sleep(0.01)
            others = [pool.submit(_read, world, n) for n in range(1, 11)]
            time.sleep(0.5 if engine.dialect.name == "sqlite" else 0.3)
            assert not first.done() and not any(f.done() for f in others), "no read is answered before its commit"
        results = [first.result(timeout=30)] + [f.result(timeout=30) for f in others]
    assert all(len(r.items) == 1 for r in results)
    assert sorted(_logged(engine)) == sorted(f"records-{n}" for n in range(11))
    assert writer.commits - before == 2  # the first alone, then the ten that waited, together
    assert verify(engine).ok


def test_a_commit_that_fails_fails_every_read_waiting_on_it(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    failures.refuse(engine, "no_access", "INSERT", "access_log", "disk full")
    with pytest.raises(sa.exc.DBAPIError):
        _read(world)
    assert _logged(engine) == []
