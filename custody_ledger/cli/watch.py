"""The watchdog on the command line: `watch` runs it, `watch --once [--now]` runs one pass and says what it did."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from custody_ledger.app import notify, watchdog
from custody_ledger.domain.watch import is_late

from . import common
from .board import left
from .common import DbOption, PolicyOption, TzOption, err, fail


def watch(
    db: DbOption = None,
    policy: PolicyOption = None,
    once: Annotated[bool, typer.Option("--once", help="Run one pass and exit.")] = False,
    now: Annotated[str | None, typer.Option(help=f"With --once, the pass's moment: {common.MOMENT_HELP}; "
                                                 "default now.")] = None,
    tz: TzOption = None,
) -> None:
    """Raise every hold alert that fell due (24 h, 12 h, 4 h, 1 h before the deadline, at it, past it) and
    deliver the outbox: until Ctrl-C, or one pass with --once. One watchdog per SQLite database at a time."""
    if now is not None and not once:
        fail("--now goes with --once: a running watchdog keeps the clock's time")
    engine = common.engine(db)
    rules = common.policy(policy)
    settings = common.settings()
    if once:
        clock = common.now()
        at = common.moment(now, "--now", common.zone(tz)) if now else clock
        skew = rules.at(clock, ZoneInfo("UTC")).future_skew
        if at > clock + skew:
            # A pass is recorded in the live ledger: a moment still ahead would raise deadlines not yet reached,
            # tell the routes so, and move every hold past alerts that then never come.
            fail(f"--now {at.isoformat()} is later than this machine's clock ({clock.isoformat()}): a pass "
                 "records what fell due by then; replay past moments only")
        try:
            done = watchdog.run_pass(engine, now=at, policy=rules)
        except watchdog.WatchdogBusy as busy:
            fail(str(busy), code=1)
        worker = f"{os.uname().nodename}:{os.getpid()}"
        _report(watchdog.Pass(at, done.raised, notify.deliver_due(engine, now=at, worker=worker, settings=settings)))
        return
    err.print(f"watchdog running on {common.db_url(db)}, a pass every {settings.watch_interval_seconds:g} s; "
              "Ctrl-C stops it", highlight=False)
    try:
        watchdog.run_forever(engine, policy=rules, settings=settings, clock=common.now, on_pass=_report_quietly)
    except watchdog.WatchdogBusy as busy:
        fail(str(busy), code=1)
    except KeyboardInterrupt:
        err.print("watchdog stopped")


def _report(done: watchdog.Pass) -> None:
    for line in lines(done):
        typer.echo(line)
    failed = sum(1 for r in done.raised if not r.result.ok)
    sent = sum(1 for d in done.deliveries if d.ok)
    err.print(f"watch pass at {done.at:%Y-%m-%d %H:%M:%S} UTC: {len(done.raised) - failed} raised, {failed} not "
              f"recorded, {sent} delivered, {len(done.deliveries) - sent} deliveries failed", highlight=False)


def _report_quietly(done: watchdog.Pass) -> None:
    """A running watchdog prints only passes that did something."""
    if done.raised or done.deliveries:
        _report(done)


def lines(done: watchdog.Pass) -> list[str]:
    """One line per moment raised and per delivery attempted: kind, hold, moment, deadline in facility time."""
    out = []
    for r in done.raised:
        local = _local(r.deadline, r.timezone)
        late = f", late by {left(r.late_seconds)}" if is_late(r.late_seconds) else ""
        error = (r.result.error or {}).get("message")
        state = "replayed" if r.replayed else "ok" if r.result.ok else f"not recorded: {error}"
        out.append(f"{r.kind}  hold {r.hold_id}  {r.threshold}  deadline {local}{late}  [{state}]")
    for d in done.deliveries:
        out.append(f"delivery  {d.channel} {d.target}  {d.message_id}  " + ("sent" if d.ok else f"failed: {d.error}"))
    return out


def _local(at: datetime, timezone: str) -> str:
    return f"{at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M %Z}"
