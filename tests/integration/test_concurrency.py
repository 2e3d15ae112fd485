"""Fifty people act on one open hold at once: it ends exactly once, and the ledger stays whole."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from custody_ledger.app.execute import Result, execute
from custody_ledger.ledger.verify import verify
from tests.support.world import World, open_hold


def _end(world: World, n: int) -> Result:
    at = world.clock + timedelta(hours=2)
    base = {"idempotency_key": f"race-{n}", "actor": f"user-{n}", "occurred_at": at.isoformat(), "hold_id": "H-1"}
    command = ({"command": "transfer_custody", "receiving_officer": f"DO {n}", "field_office_id": "FO-1"}
               if n % 2 else {"command": "release_hold", "reason": "ice_declined"})
    return execute(world.engine, {**base, **command}, now=at + timedelta(minutes=1), policy=world.policy)


def test_fifty_concurrent_transfers_and_releases_end_a_hold_exactly_once(world: World, engine) -> None:
    open_hold(world, "H-1", "OFF-1")
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda n: _end(world, n), range(50)))
    outcomes = sorted("ok" if r.ok else (r.error or {})["kind"] for r in results)
    assert (outcomes, verify(engine).ok) == (["conflict"] * 49 + ["ok"], True)
