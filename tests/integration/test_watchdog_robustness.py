"""The watchdog when things go wrong around it: daylight saving in four zones, a long outage, a server zone that is
not UTC, two watchdogs racing, one killed mid-pass, a second refused by the lock, and run_forever's own loop.

Every test judges what the ledger holds (the watch events and their payloads) and that the chain still verifies:
the watchdog promises each hold moment raised exactly once, in order, at the first pass at or after it falls due.
The expected moments are written out here (48 elapsed hours, leads 24/12/4/1 h, 15 min grace) rather than asked
of the product, so a product change that moves them is caught.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.app import admin, reads, watchdog
from custody_ledger.app.auth import Principal, Role
from custody_ledger.cli import app
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.db import make_engine
from custody_ledger.ledger.schema import command_results, events, holds
from custody_ledger.settings import Settings
from tests.support.world import World, build_agency, certified_officer, open_hold

WATCH_TYPES = ("alert_raised", "release_due", "limit_exceeded")
LIMIT = timedelta(hours=48)
# The default policy's moments of a hold opened more than 24 h before its deadline, in stage order.
MOMENTS = (("24h", timedelta(hours=-24)), ("12h", timedelta(hours=-12)), ("4h", timedelta(hours=-4)),
           ("1h", timedelta(hours=-1)), ("deadline", timedelta(0)), ("exceeded", timedelta(minutes=15)))
KIND = {"deadline": "release_due", "exceeded": "limit_exceeded"}
STAGE = {name: stage for stage, (name, _) in enumerate(MOMENTS)}
STEP = timedelta(minutes=10)
AUDITOR = Principal("t", Role.AUDITOR)
RUNNER = CliRunner()
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# zone -> (agency, state): one agency and facility per zone, each in its own state (an ORI is unique).
ZONES = {"America/New_York": ("AG-NYC", "NY"), "America/Chicago": ("AG-CHI", "TX"),
         "America/Denver": ("AG-DEN", "CO"), "America/Los_Angeles": ("AG-LAX", "AZ")}


@dataclass(frozen=True)
class Watch:
    """One watch event as the ledger holds it."""

    seq: int
    type: str
    occurred_at: datetime
    hold_id: str
    threshold: str
    stage: int
    due_at: datetime
    deadline: datetime
    late_seconds: int

    @property
    def key(self) -> tuple[str, str]:
        return self.hold_id, self.threshold


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def watch_events(engine: Engine, after: int = 0) -> list[Watch]:
    query = (sa.select(events.c.seq, events.c.type, events.c.occurred_at, events.c.payload)
             .where(events.c.type.in_(WATCH_TYPES), events.c.seq > after).order_by(events.c.seq))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for row in rows:
        p = json.loads(row.payload)
        out.append(Watch(row.seq, row.type, row.occurred_at, p["hold_id"], p["threshold"], p["stage"],
                         _instant(p["due_at"]), _instant(p["deadline"]), p["late_seconds"]))
    return out


def count_watch(engine: Engine, after: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events).where(
            events.c.type.in_(WATCH_TYPES), events.c.seq > after)).scalar_one())


def last_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0))).scalar_one())


def due_moments(deadline: datetime) -> dict[str, datetime]:
    return {name: deadline + offset for name, offset in MOMENTS}


def twice(found: list[Watch]) -> list[tuple[str, str]]:
    return [key for key, n in Counter(e.key for e in found).items() if n > 1]


def build_zones(w: World) -> dict[str, tuple[str, str]]:
    """An agency, jail and certified officer in each zone of ZONES: zone -> (agency, officer)."""
    made = {}
    for zone, (agency, state) in ZONES.items():
        build_agency(w, agency, tz=zone, state=state)
        made[zone] = (agency, certified_officer(w, f"OFF-{agency}", agency))
    return made


def open_holds(w: World, plan: list[tuple[str, str, str, datetime]]) -> dict[str, dict[str, Any]]:
    """Open each (hold, officer, agency, release) in release order (the world's commands go forward in time);
    each hold's clock starts at its release. Returns hold -> serve_warrant result."""
    opened = {}
    for hold, officer, agency, release in sorted(plan, key=lambda p: p[3]):
        result = open_hold(w, hold, officer, agency, released_at=release)
        assert _instant(result["clock_started_at"]) == release, result
        opened[hold] = result
    return opened


def many_holds(w: World, n: int, start: datetime) -> dict[str, datetime]:
    """n holds at one Chicago jail opened a minute apart from `start`: hold -> deadline."""
    build_agency(w, "AG-A")
    certified_officer(w, "OFF-1")
    plan = [(f"H-{i:03d}", "OFF-1", "AG-A", start + timedelta(minutes=i)) for i in range(n)]
    return {hold: _instant(r["deadline"]) for hold, r in open_holds(w, plan).items()}


def all_moments(deadlines: dict[str, datetime]) -> dict[tuple[str, str], datetime]:
    return {(hold, name): at for hold, deadline in deadlines.items() for name, at in due_moments(deadline).items()}


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "custody_ledger", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


# --- 1. daylight saving in four zones ----------------------------------------------------------------------------

# Per transition: the world's start, holds released on the Friday before at two local times, and the expected
# local deadline (48 elapsed hours later) with the offset each zone has after the change. 02:37 on the Friday
# puts the spring deadline just after the skipped hour (a naive wall-clock sum would give 02:37, which does not
# exist) and the fall deadline in the repeated hour's second pass (01:37 standard, not 02:37). The :07/:37
# minutes keep the moments off the 10-minute grid, so "first pass at or after" is a real choice; 12:00 puts
# them on it, where the pass at the moment itself must raise it (late by 0, not by a step).
DST = {
    "spring": (datetime(2026, 3, 2, 14, tzinfo=UTC), datetime(2026, 3, 6),
               {(18, 7): (8, 19, 7), (2, 37): (8, 3, 37), (12, 0): (8, 13, 0)},
               {"America/New_York": -4, "America/Chicago": -5, "America/Denver": -6, "America/Los_Angeles": -7}),
    "fall": (datetime(2026, 10, 26, 14, tzinfo=UTC), datetime(2026, 10, 30),
             {(18, 7): (1, 17, 7), (2, 37): (1, 1, 37), (12, 0): (1, 11, 0)},
             {"America/New_York": -5, "America/Chicago": -6, "America/Denver": -7, "America/Los_Angeles": -8}),
}


@pytest.mark.parametrize("change", ["spring", "fall"])
def test_each_moment_is_raised_once_on_time_across_a_dst_change_in_four_zones(
        engine: Engine, policy: Policy, change: str) -> None:
    start, friday, releases, offsets = DST[change]
    w = World(engine, policy, start)
    officers = build_zones(w)
    plan, wall = [], {}
    for zone, (agency, officer) in officers.items():
        for (hour, minute), deadline_wall in releases.items():
            hold = f"H-{agency}-{hour:02d}{minute:02d}"
            local = friday.replace(hour=hour, minute=minute, tzinfo=ZoneInfo(zone))
            plan.append((hold, officer, agency, local.astimezone(UTC)))
            wall[hold] = (zone, deadline_wall)
    opened = open_holds(w, plan)
    deadlines = {hold: _instant(r["deadline"]) for hold, r in opened.items()}
    released = {hold: release for hold, _, _, release in plan}
    # The limit is 48 elapsed hours whatever the wall clocks did in between.
    assert {h: deadlines[h] - released[h] for h in deadlines} == dict.fromkeys(deadlines, LIMIT)

    # A watchdog ticking every 10 minutes (on the UTC hour grid) from after the last hold opened to past the
    # last hold's limit.
    first = max(released.values()).replace(minute=0) + timedelta(hours=1)
    last = max(deadlines.values()) + timedelta(minutes=30)
    steps = [first + STEP * i for i in range(int((last - first) / STEP) + 1)]
    before = last_seq(engine)
    for t in steps:
        watchdog.run_pass(engine, now=t, policy=policy)

    found = watch_events(engine, before)
    expected = all_moments(deadlines)
    first_pass = {key: next(t for t in steps if t >= due) for key, due in expected.items()}
    assert twice(found) == []
    assert {e.key for e in found} == set(expected)
    for watch in found:
        due = expected[watch.key]
        assert (watch.type, watch.stage, watch.deadline, watch.due_at) == (
            KIND.get(watch.threshold, "alert_raised"), STAGE[watch.threshold], deadlines[watch.hold_id], due), watch
        assert watch.occurred_at == first_pass[watch.key], watch
        assert watch.late_seconds == (first_pass[watch.key] - due).total_seconds() < STEP.total_seconds(), watch
    # Within a hold, in stage order.
    for hold in deadlines:
        assert [e.stage for e in found if e.hold_id == hold] == list(range(len(MOMENTS))), hold

    page = reads.run(engine, reads.alerts, AUDITOR, now=last, mfa_required=False, policy=policy, open_only=False,
                     limit=500)
    assert len(page.items) == len(expected)
    for item in page.items:
        zone, (day, hour, minute) = wall[item["hold_id"]]
        local = item["deadline_local"]
        assert (local.utcoffset(), (local.day, local.hour, local.minute)) == (
            timedelta(hours=offsets[zone]), (day, hour, minute)), (item["hold_id"], local)
    assert admin.verify(engine).ok


# --- 2. a long outage --------------------------------------------------------------------------------------------


def test_after_a_five_day_outage_one_pass_raises_every_moment_once_in_due_order(engine: Engine,
                                                                                 policy: Policy) -> None:
    w = World(engine, policy)  # Monday 2026-03-02 14:00 UTC
    officers = build_zones(w)
    zones = ("America/New_York", "America/Chicago")
    base = w.clock
    # Six holds two hours apart, alternating two zones (the pass orders across facilities, not within one).
    plan = [(f"H-{i}", officers[zones[i % 2]][1], officers[zones[i % 2]][0], base + timedelta(hours=2 * i))
            for i in range(1, 7)]
    opened = open_holds(w, plan)
    deadlines = {hold: _instant(r["deadline"]) for hold, r in opened.items()}

    # One pass before the outage: H-1's 24 h alert only.
    p0 = deadlines["H-1"] - timedelta(hours=24) + timedelta(minutes=30)
    assert [(r.hold_id, r.threshold) for r in watchdog.run_pass(engine, now=p0, policy=policy).raised] == [
        ("H-1", "24h")]
    # During the outage: H-2 released with its 24 h alert overdue and never raised, H-1 released past its 12 h
    # moment; a new hold opened whose 24 h alert falls due before the watchdog is back and 12 h after.
    ended = {"H-2": p0 + timedelta(hours=2), "H-1": deadlines["H-1"] - timedelta(hours=10)}
    for hold, at in ended.items():
        w.ok("release_hold", at=at, hold_id=hold, reason="ice_declined")
    p1 = p0 + timedelta(days=5)
    agency, officer = officers["America/Chicago"]
    late = open_holds(w, [("H-LATE", officer, agency, p1 - timedelta(hours=30))])
    deadlines["H-LATE"] = _instant(late["H-LATE"]["deadline"])

    before = last_seq(engine)
    done = watchdog.run_pass(engine, now=p1, policy=policy)
    found = watch_events(engine, before)

    expected = {key: due for key, due in all_moments(deadlines).items()
                if key[0] not in ended and due <= p1}
    assert all(r.result.ok and not r.replayed for r in done.raised)
    assert twice(found) == []
    assert {e.key for e in found} == set(expected)
    assert ("H-LATE", "24h") in expected and ("H-LATE", "12h") not in expected
    # The ledger's order is the order the moments fell due, across holds.
    order = [(e.due_at, e.hold_id, e.stage) for e in found]
    assert order == sorted(order)
    assert [(e.occurred_at, e.late_seconds) for e in found] == [
        (p1, int((p1 - expected[e.key]).total_seconds())) for e in found]
    # The released holds got nothing after their release: H-1 keeps only the alert raised before the outage.
    assert [e.key for e in watch_events(engine) if e.hold_id in ended] == [("H-1", "24h")]

    again = watchdog.run_pass(engine, now=p1, policy=policy)
    assert (again.raised, last_seq(engine)) == ([], found[-1].seq)
    assert admin.verify(engine).ok


# --- 3. the server's zone ----------------------------------------------------------------------------------------


def _copy_sqlite(source: str, target: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        if Path(source + suffix).exists():
            shutil.copyfile(source + suffix, str(target) + suffix)
    return str(target)


@SQLITE_ONLY
def test_the_machine_zone_changes_nothing_a_pass_records_or_prints(engine: Engine, db_url: str, policy: Policy,
                                                                   tmp_path: Path) -> None:
    w = World(engine, policy, datetime(2026, 3, 2, 14, tzinfo=UTC))
    officers = build_zones(w)
    # Holds in each zone opened across 3 March, so at 5 March 15:00 UTC some are past their limit, some only at
    # their first alerts; the local date at Kiritimati (UTC+14) is already the next day for most of them.
    plan = [(f"H-{agency}-{i}", officer, agency, datetime(2026, 3, 3, 9, 13, tzinfo=UTC) + timedelta(hours=5 * i))
            for i, (agency, officer) in enumerate(officers.values())]
    deadlines = {hold: _instant(r["deadline"]) for hold, r in open_holds(w, plan).items()}
    before = last_seq(engine)
    engine.dispose()  # the file is complete on disk before it is copied
    copy = _copy_sqlite(db_url, tmp_path / "copy.db")
    now = datetime(2026, 3, 5, 15, tzinfo=UTC)

    runs = {}
    for zone, url in (("Pacific/Kiritimati", db_url), ("UTC", copy)):
        run = cli("watch", "--once", "--now", "2026-03-05T15:00:00Z", "--db", url, env={"TZ": zone})
        assert run.returncode == 0, run.stderr
        reader = make_engine(url)
        with reader.connect() as conn:
            rows = conn.execute(sa.select(events.c.type, events.c.occurred_at, events.c.payload)
                                .where(events.c.seq > before).order_by(events.c.seq)).all()
        reader.dispose()
        runs[zone] = ([(r.type, r.occurred_at, json.loads(r.payload)) for r in rows], run.stdout, run.stderr)

    (kiritimati, printed_k, summary_k), (utc, printed_u, summary_u) = runs["Pacific/Kiritimati"], runs["UTC"]
    assert kiritimati == utc
    assert (printed_k, summary_k) == (printed_u, summary_u)
    # And both are right, not merely alike.
    expected = {key: due for key, due in all_moments(deadlines).items() if due <= now}
    assert sorted((p["hold_id"], p["threshold"], _instant(p["due_at"]), p["late_seconds"]) for _, _, p in utc) == \
        sorted((*key, due, int((now - due).total_seconds())) for key, due in expected.items())
    assert len(printed_u.splitlines()) == len(expected)


# --- 4. two watchdogs racing -------------------------------------------------------------------------------------


def _race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; each returns its result or the exception it raised."""
    gate = threading.Barrier(len(calls))
    out: list[object] = [None] * len(calls)

    def worker(i: int) -> None:
        gate.wait()
        try:
            out[i] = calls[i]()
        except BaseException as exc:  # collected and judged by the test
            out[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return out


@pytest.mark.parametrize("entry", ["run_pass", "raise_due"])
def test_two_watchdogs_racing_raise_each_moment_once(engine: Engine, policy: Policy, entry: str) -> None:
    """run_pass: the pass lock lets one in (the other may get WatchdogBusy). raise_due bypasses the lock: then
    only the idempotency key `watch:<hold>:<threshold>` and the hold's stage keep a moment single. PostgreSQL is
    the case that matters (several watchdogs share one database); SQLite's threads are checked as well."""
    w = World(engine, policy)
    deadlines = many_holds(w, 20, w.clock + timedelta(hours=1))
    now = max(deadlines.values()) + timedelta(hours=1)
    before = last_seq(engine)
    call = getattr(watchdog, entry)

    results = _race(*[lambda: call(engine, now=now, policy=policy)] * 2)

    allowed = (watchdog.WatchdogBusy,) if entry == "run_pass" else ()
    assert [r for r in results if isinstance(r, BaseException) and not isinstance(r, allowed)] == []
    found = watch_events(engine, before)
    assert twice(found) == []
    assert {e.key for e in found} == set(all_moments(deadlines))
    assert admin.verify(engine).ok


# --- 5. killed mid-pass ------------------------------------------------------------------------------------------


def _run_pass_once_the_lock_is_free(engine: Engine, now: datetime, policy: Policy) -> watchdog.Pass:
    """PostgreSQL frees a dead client's advisory lock when its backend sees the socket close; that can take a
    moment after SIGKILL, so a WatchdogBusy is retried briefly (the lock being freed at all is what matters)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return watchdog.run_pass(engine, now=now, policy=policy)
        except watchdog.WatchdogBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_pass_killed_midway_and_run_again_raises_each_moment_exactly_once(engine: Engine, db_url: str,
                                                                             policy: Policy) -> None:
    w = World(engine, policy)
    deadlines = many_holds(w, 80, w.clock + timedelta(hours=1))
    expected = all_moments(deadlines)  # 480 record_alert commands in one pass
    now = max(deadlines.values()) + timedelta(days=1)
    before = last_seq(engine)

    child = subprocess.Popen([sys.executable, "-m", "custody_ledger", "watch", "--once", "--now", now.isoformat(),
                              "--db", db_url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Killed once a fifth of the moments are in: well inside the pass, far from either end.
        give_up = time.monotonic() + 60
        while count_watch(engine, before) < len(expected) // 5 and child.poll() is None and time.monotonic() < give_up:
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        _, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err.decode()
    cut = watch_events(engine, before)
    # The kill landed mid-pass: some moments raised, not all (else this test proves nothing).
    assert 0 < len(cut) < len(expected)

    with engine.connect() as conn:  # no command half-applied: every event has its command's result
        orphans = conn.execute(sa.select(sa.func.count()).select_from(events).where(
            events.c.seq > before, events.c.idempotency_key.not_in(sa.select(command_results.c.idempotency_key))
        )).scalar_one()
    assert orphans == 0

    again = _run_pass_once_the_lock_is_free(engine, now, policy)
    found = watch_events(engine, before)
    assert twice(found) == []
    assert {e.key for e in found} == set(expected)
    assert len(again.raised) == len(expected) - len(cut)
    assert all(r.result.ok and not r.replayed for r in again.raised)
    with engine.connect() as conn:
        left = conn.execute(sa.select(holds.c.hold_id).where(
            sa.or_(holds.c.alert_stage != len(MOMENTS), holds.c.next_alert_at.is_not(None)))).all()
    assert left == []
    assert admin.verify(engine).ok


# --- 6. one watchdog at a time -----------------------------------------------------------------------------------


def test_a_second_watchdog_is_refused_while_one_holds_the_lock(engine: Engine, db_url: str, policy: Policy) -> None:
    w = World(engine, policy)
    deadlines = many_holds(w, 2, w.clock + timedelta(hours=1))
    now = (max(deadlines.values()) + timedelta(hours=1)).isoformat()
    hold_lock = watchdog.file_lock if engine.dialect.name == "sqlite" else watchdog.pass_lock
    before = last_seq(engine)

    with hold_lock(engine) as held:
        assert held
        refused = cli("watch", "--once", "--now", now, "--db", db_url)
    assert (refused.returncode, "another watchdog" in refused.stderr, last_seq(engine)) == (1, True, before), \
        refused.stderr
    # Once the lock is free the same command runs (in-process, to save a start-up): the refusal was the lock's.
    ran = RUNNER.invoke(app, ["watch", "--once", "--now", now, "--db", db_url])
    assert (ran.exit_code, len(watch_events(engine, before))) == (0, 2 * len(MOMENTS)), ran.output


@SQLITE_ONLY
def test_a_running_watchdog_holds_the_sqlite_lock_for_its_whole_run(db_url: str, engine: Engine) -> None:
    """`custody-ledger watch` (no --once) keeps the file lock between passes; --once is refused meanwhile."""
    child = subprocess.Popen([sys.executable, "-m", "custody_ledger", "watch", "--db", db_url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "CUSTODY_LEDGER_WATCH_INTERVAL_SECONDS": "0.2"})
    lock = watchdog.lock_path(engine)
    try:
        give_up = time.monotonic() + 30
        # file_lock writes the holder's pid into the lock file once it has the lock.
        while child.poll() is None and time.monotonic() < give_up and (
                not lock.exists() or lock.read_text().strip() != str(child.pid)):
            time.sleep(0.05)
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        time.sleep(0.5)  # a few passes later it still holds it
        refused = cli("watch", "--once", "--db", db_url)
        assert (refused.returncode, "another watchdog" in refused.stderr) == (1, True), refused.stderr
        # Ctrl-C stops it cleanly.
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=15)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert (child.returncode, "watchdog stopped" in err) == (0, True), err
    assert RUNNER.invoke(app, ["watch", "--once", "--db", db_url]).exit_code == 0  # and it let the lock go


# --- 7. run_forever ----------------------------------------------------------------------------------------------


class SteppingClock:
    """Returns the instants in turn, then the last one for ever; says when it has handed them all out."""

    def __init__(self, instants: list[datetime]) -> None:
        self._left: Iterator[datetime] = iter(instants)
        self._last = instants[-1]
        self.exhausted = threading.Event()

    def __call__(self) -> datetime:
        nxt = next(self._left, None)
        if nxt is None:
            self.exhausted.set()
            return self._last
        return nxt


def test_run_forever_raises_what_falls_due_across_its_passes_until_stopped(engine: Engine, policy: Policy) -> None:
    w = World(engine, policy)
    deadlines = many_holds(w, 3, w.clock + timedelta(hours=1))
    opened_by = w.clock + timedelta(minutes=5)
    # Instants every 7 hours from after the holds opened to past the last limit: several passes per hold, each
    # raising the moments that fell due since the one before.
    instants = [opened_by + timedelta(hours=7 * i) for i in range(10)]
    assert instants[-1] > max(deadlines.values()) + timedelta(minutes=15)
    clock, stop = SteppingClock(instants), threading.Event()
    passes: list[watchdog.Pass] = []
    crashed: list[BaseException] = []
    before = last_seq(engine)

    def target() -> None:
        try:
            watchdog.run_forever(engine, policy=policy, settings=Settings(), clock=clock, stop=stop, interval=0.01,
                                 on_pass=passes.append)
        except BaseException as exc:  # judged below
            crashed.append(exc)

    runner = threading.Thread(target=target)
    runner.start()
    try:
        assert clock.exhausted.wait(30)
        time.sleep(0.2)
        assert runner.is_alive(), crashed  # it does not end by itself
        if engine.dialect.name == "sqlite":  # on SQLite it holds the lock across passes
            with pytest.raises(watchdog.WatchdogBusy):
                watchdog.run_pass(engine, now=instants[-1], policy=policy)
    finally:
        stop.set()
        runner.join(timeout=10)
    assert (runner.is_alive(), crashed) == (False, [])

    found = watch_events(engine, before)
    expected = all_moments(deadlines)
    at = [p.at for p in passes]
    assert at == sorted(at) and set(at) <= set(instants)
    first_pass = {key: next(t for t in at if t >= due) for key, due in expected.items()}
    assert twice(found) == []
    assert {e.key for e in found} == set(expected)
    assert [(e.occurred_at, e.late_seconds) for e in found] == [
        (first_pass[e.key], int((first_pass[e.key] - expected[e.key]).total_seconds())) for e in found]
    assert sorted((r.hold_id, r.threshold) for p in passes for r in p.raised) == sorted(e.key for e in found)
    assert len({p.at for p in passes if p.raised}) > 1  # spread over several passes, not one
    assert admin.verify(engine).ok
