"""Deterministic demo data: a stream of commands in the product's vocabulary (DESIGN.md).

The program is planned first (field offices, agencies, agreements, each officer's way to a
certificate); then bookings arrive as a Poisson process and each schedules its own future (warrant,
release, arrest, transfer) on one heap, drained in time order up to the next arrival, so the stream is
produced as it is read. Who pays and who watches (oversight.py) rides along: each agency's costs are
pushed month by month once the arrivals have passed a month's end, its complaints and committee meetings
when the program is planned. Everything comes from `random.Random(seed)` (the oversight records from a
second stream of the same seed, so the rest of the history is what it was without them) and from `now`:
never the wall clock, never the global generator.

The stream obeys the rules of policy/default.yaml, judged as of each act (officers act only while
certified, under an agreement in force, with training renewed by a yearly refresher), except where
it deliberately does not: about one booking in 200 carries a refused attempt (a WSO interviewing, an
uncertified officer serving), and about one hold in 100 without an IGSA is released only after 48
hours (a recorded violation). Each of those says so in its idempotency key, after `STAGED`:
`seed7-0001234-staged-refusal-authority.wso` is meant to be refused under that rule,
`…-staged-violation-custody.violation` is accepted and flagged as held past the limit; every other
command is meant to be accepted. Many arrests come minutes after the release and some 10–40 minutes
after: lawful, and flagged as time without authority (custody.unauthorized_gap), as the product does
for any gap. No warrant is left lodged on anyone released from criminal custody.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime
from itertools import accumulate, islice

from .custody import booking, open_holds
from .oversight import close_months, plan
from .places import PLACES
from .program import setup
from .world import DAY, Sink, Timed, World, align, epoch, iso

Command = dict[str, object]
STAGED = "-staged-"  # in an idempotency key: what follows is the outcome the command is staged to meet
COMMANDS_PER_BOOKING = 2.45  # measured ≈2.55 with the sizes generate_commands uses; kept a little under


def generate(
    seed: int, now: datetime, *, agencies: int = 12, years: float = 2.0, bookings_per_agency_month: int = 30
) -> Iterator[Command]:
    """Command envelopes over the `years` before `now`, in non-decreasing `occurred_at` order."""
    if not 1 <= agencies <= len(PLACES):
        raise ValueError(f"agencies must be between 1 and {len(PLACES)}; got {agencies}")
    if years <= 0 or bookings_per_agency_month < 0:
        raise ValueError("years must be positive and bookings_per_agency_month not negative")
    end = epoch(now)
    start = align(end - int(years * 365.25 * DAY))
    world = World(random.Random(seed), Sink(end), start, end, min(1.0, years), random.Random(f"oversight-{seed}"))
    setup(world, agencies)
    open_holds(world)
    plan(world)
    return _envelopes(seed, _arrivals(world, bookings_per_agency_month))


def generate_commands(seed: int, now: datetime, n: int) -> list[Command]:
    """Exactly the first `n` commands of a world sized so that they cover nearly the whole period."""
    if n < 0:
        raise ValueError(f"n must not be negative; got {n}")
    per_month = max(1, math.ceil(n / (len(PLACES) * 24 * COMMANDS_PER_BOOKING)))
    while True:
        stream = generate(seed, now, agencies=len(PLACES), years=2.0, bookings_per_agency_month=per_month)
        commands = list(islice(stream, n))
        if len(commands) == n:
            return commands
        per_month *= 2


def _envelopes(seed: int, timed: Iterator[Timed]) -> Iterator[Command]:
    for n, (at, command, actor, payload, staged) in enumerate(timed):
        key = f"seed{seed}-{n:07d}" + (f"{STAGED}{staged}" if staged else "")
        yield {"command": command, "idempotency_key": key, "actor": actor, "occurred_at": iso(at), **payload}


def _arrivals(world: World, per_month: int) -> Iterator[Timed]:
    """Bookings as a Poisson process; before each, emit everything scheduled up to its moment."""
    rng = world.rng
    cumulative = list(accumulate(rng.uniform(0.5, 1.5) for _ in world.agencies))
    rate = per_month * len(world.agencies) / (30.44 * DAY)
    clock = float(world.start + DAY)
    while rate > 0:
        clock += rng.expovariate(rate)
        booked = align(int(clock))
        if booked > world.now:
            break
        close_months(world, booked)
        yield from world.sink.until(booked)
        booking(world, rng.choices(world.agencies, cum_weights=cumulative)[0], booked)
    close_months(world, world.now)
    yield from world.sink.until(world.now)

