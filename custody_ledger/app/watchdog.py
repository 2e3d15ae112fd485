"""The watchdog: each pass raises every hold moment that fell due, in order, through the one write path.

A pass reads only the holds whose next moment is due (the `ix_holds_next_alert_at` index; closed holds carry
none), asks the domain which moments fell due (domain/watch.py) and records each with `record_alert`, whose
idempotency key is the hold and the moment: a pass repeated, raced or cut short and run again raises
nothing twice. After a pass, the outbox is delivered (app/notify.py).

One pass at a time per database: on PostgreSQL a session advisory lock (released by the server if the
process dies), on SQLite an exclusive lock on a file beside the database (released by the kernel). Time
comes from the clock passed in; nothing here reads the machine's zone or clock.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain import watch
from custody_ledger.domain.clock import require_utc
from custody_ledger.domain.model import Hold, HoldStatus
from custody_ledger.domain.parse import parse
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import cache
from custody_ledger.ledger import schema as s
from custody_ledger.settings import Settings

from . import checkpoints, notify
from .execute import Result, execute_batch

Clock = Callable[[], datetime]
ACTOR = "watchdog"
# Any constant works; it only has to be the same for every watchdog of one database (and differ from the
# append lock's key, ledger/db.py).
_PASS_LOCK_KEY = 287_2048
# Moments recorded per transaction: a usual pass raises a handful, a pass after an outage thousands.
BATCH = 50
log = logging.getLogger("custody_ledger.watchdog")


def system_clock() -> datetime:
    return datetime.now(UTC)


class WatchdogBusy(RuntimeError):
    """Another watchdog holds this database's pass lock."""


@dataclass(frozen=True)
class Raised:
    hold_id: str
    threshold: str
    kind: str
    due_at: datetime
    deadline: datetime
    timezone: str
    late_seconds: int
    result: Result

    @property
    def replayed(self) -> bool:
        return self.result.replayed


@dataclass(frozen=True)
class Pass:
    at: datetime
    raised: list[Raised] = field(default_factory=list)
    deliveries: list[notify.Delivery] = field(default_factory=list)


_DUE = (
    sa.select(s.holds, s.facilities.c.timezone)
    .join(s.facilities, s.facilities.c.facility_id == s.holds.c.facility_id)
    .where(s.holds.c.next_alert_at <= sa.bindparam("now"))
    .order_by(s.holds.c.next_alert_at, s.holds.c.hold_id)
)


def due_holds(conn: Connection, now: datetime) -> list[tuple[Hold, str]]:
    """The holds whose next moment is due by `now`, soonest first, each with its facility's zone: all of them,
    so that after an outage one pass raises every moment in the order they fell due, across holds."""
    rows = conn.execute(_DUE, {"now": now})
    return [(_hold(row), row.timezone) for row in rows]


def _hold(row: Any) -> Hold:
    values = dict(row._mapping)
    values.pop("timezone")
    return parse(Hold, values)


def plan(holds: list[tuple[Hold, str]], now: datetime, policy: Policy) -> list[tuple[watch.Moment, Hold, str]]:
    """Every moment due, across holds, in the order they fell due."""
    due = []
    for hold, timezone in holds:
        started = policy.at(hold.clock_started_at, ZoneInfo(timezone))
        due += [(moment, hold, timezone) for moment in watch.due(hold, started, now)]
    return sorted(due, key=lambda item: (item[0].due_at, item[1].hold_id, item[0].stage))


def run_pass(engine: Engine, *, now: datetime, policy: Policy) -> Pass:
    """One pass at `now`: raise what fell due. Raises WatchdogBusy when another watchdog is in a pass."""
    now = require_utc("now", now)
    with pass_lock(engine) as held:
        if not held:
            raise WatchdogBusy("another watchdog is running a pass on this database")
        return Pass(now, raise_due(engine, now=now, policy=policy))


def raise_due(engine: Engine, *, now: datetime, policy: Policy) -> list[Raised]:
    with engine.connect() as conn:
        holds = due_holds(conn, now)
    moments = plan(holds, now, policy)
    _repair(engine, holds, {hold.hold_id for _, hold, _ in moments}, policy)
    raws = [{"command": "record_alert", "idempotency_key": f"watch:{hold.hold_id}:{moment.threshold}",
             "actor": ACTOR, "occurred_at": now.isoformat(), "hold_id": hold.hold_id, "threshold": moment.threshold}
            for moment, hold, _ in moments]
    results: list[Result] = []
    for start in range(0, len(raws), BATCH):
        # One transaction per batch: a pass commits its alerts together, and a watchdog
        # killed mid-pass leaves whole batches behind it, which the next pass does not raise again.
        results += execute_batch(engine, raws[start:start + BATCH], now=now, policy=policy)
    raised = []
    for (moment, hold, timezone), result in zip(moments, results, strict=True):
        assert hold.deadline is not None
        raised.append(Raised(hold.hold_id, moment.threshold, moment.kind.value, moment.due_at, hold.deadline,
                             timezone, int((now - moment.due_at).total_seconds()), result))
        if not result.ok:
            log.warning("watch moment %s of hold %s not recorded: %s", moment.threshold, hold.hold_id, result.error)
    return raised


def _repair(engine: Engine, holds: list[tuple[Hold, str]], raising: set[str], policy: Policy) -> None:
    """A hold found due with nothing due is one whose schedule was never recorded (opened before the
    watchdog, migration 0006): its next moment is computed once and stored, so later passes skip it."""
    stale = [(hold, timezone) for hold, timezone in holds if hold.hold_id not in raising]
    if not stale:
        return
    # A schedule column written without an event: the write path's cache must forget what it holds of holds.
    state = cache.of(engine)
    with state.lock, engine.begin() as conn:
        state.clear()
        for hold, timezone in stale:
            ahead = watch.schedule(hold, policy.at(hold.clock_started_at, ZoneInfo(timezone)))[hold.alert_stage:]
            following = ahead[0].due_at if ahead and hold.status is HoldStatus.OPEN else None
            conn.execute(s.holds.update().where(s.holds.c.hold_id == hold.hold_id), {"next_alert_at": following})


@contextmanager
def pass_lock(engine: Engine) -> Iterator[bool]:
    """Whether this process may run a pass now; held until the block ends."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _PASS_LOCK_KEY}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PASS_LOCK_KEY})
                    conn.commit()
        return
    with file_lock(engine) as got:
        yield got


@contextmanager
def file_lock(engine: Engine) -> Iterator[bool]:
    """SQLite: an exclusive lock on `<database>.watch.lock`; the kernel drops it when the process dies."""
    path = lock_path(engine)
    handle: IO[str] = open(path, "a+")  # noqa: SIM115 - held across the yield
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


def lock_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("the watchdog needs a database file or a PostgreSQL database")
    return Path(f"{database}.watch.lock")


def run_forever(engine: Engine, *, policy: Policy, settings: Settings, clock: Clock = system_clock,
                stop: threading.Event | None = None, interval: float | None = None,
                on_pass: Callable[[Pass], None] | None = None) -> None:
    """Pass after pass until `stop` is set: raise what fell due, then deliver the outbox.

    On SQLite the lock is held for the process's whole run (a second watchdog is told so at once, by
    WatchdogBusy); on PostgreSQL each pass takes it, so several watchdogs share the work, one pass at a time.
    """
    stop = stop or threading.Event()
    wait = settings.watch_interval_seconds if interval is None else interval
    worker = f"{os.uname().nodename}:{os.getpid()}:{threading.get_ident()}"
    whole_run = file_lock(engine) if engine.dialect.name != "postgresql" else None
    with whole_run if whole_run is not None else _always() as held:
        if not held:
            raise WatchdogBusy(f"another watchdog is running on this database (lock {lock_path(engine)})")
        while not stop.is_set():
            done = _one_turn(engine, policy, settings, clock, worker, per_pass=whole_run is None)
            if done is not None and on_pass is not None:
                on_pass(done)
            stop.wait(wait)


def _one_turn(engine: Engine, policy: Policy, settings: Settings, clock: Clock, worker: str,
              *, per_pass: bool) -> Pass | None:
    now = require_utc("now", clock())
    try:
        if per_pass:
            with pass_lock(engine) as held:
                raised = raise_due(engine, now=now, policy=policy) if held else []
        else:
            raised = raise_due(engine, now=now, policy=policy)
        deliveries = notify.deliver_due(engine, now=require_utc("now", clock()), worker=worker, settings=settings)
        checkpoints.maybe_write(engine, settings, now)  # when configured: a signed checkpoint outside the database
    except Exception:  # a failed pass must not stop the watchdog: the next one retries what is still due
        log.exception("watchdog pass failed")
        return None
    return Pass(now, raised, deliveries)


@contextmanager
def _always() -> Iterator[bool]:
    yield True


def start_background(engine: Engine, *, policy: Policy, settings: Settings, clock: Clock = system_clock
                     ) -> tuple[threading.Thread, threading.Event]:
    """The watchdog in a daemon thread of the server (serve without --no-watch)."""
    stop = threading.Event()

    def target() -> None:
        try:
            run_forever(engine, policy=policy, settings=settings, clock=clock, stop=stop)
        except WatchdogBusy as busy:
            log.warning("no background watchdog: %s", busy)

    thread = threading.Thread(target=target, name="custody-ledger-watchdog", daemon=True)
    thread.start()
    return thread, stop
