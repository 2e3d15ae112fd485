"""The demo world while it is generated: the heap of timed commands, agencies, agreements, time.

Times are whole epoch seconds (UTC) so the heap compares integers; they become ISO 8601 only when a
command is emitted.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from .places import FIRST_NAMES, LAST_NAMES, FieldOffice, Place

Payload = dict[str, object]
# (occurred_at in epoch seconds, command, actor, payload, staged): `staged` names the outcome a
# deliberately unlawful command is meant to meet (e.g. "refusal-authority.wso"), or is "".
Timed = tuple[int, str, str, Payload, str]

MINUTE, HOUR, DAY = 60, 3_600, 86_400
FOREVER = 2**62


@dataclass
class Sink:
    """Commands waiting to be emitted, ordered by (occurred_at, push order); nothing after `now`."""

    now: int
    heap: list[tuple[int, int, str, str, Payload, str]] = field(default_factory=list)
    pushed: int = 0

    def push(self, at: int, command: str, actor: str, payload: Payload, *, staged: str = "") -> bool:
        if at > self.now:
            return False
        heapq.heappush(self.heap, (at, self.pushed, command, actor, payload, staged))
        self.pushed += 1
        return True

    def until(self, at: int) -> Iterator[Timed]:
        while self.heap and self.heap[0][0] <= at:
            when, _, command, actor, payload, staged = heapq.heappop(self.heap)
            yield when, command, actor, payload, staged


@dataclass
class Agreement:
    agreement_id: str
    model: str
    igsa: bool
    signed: int
    active_from: int  # UTC midnight of effective_from, plus a margin
    end: int = FOREVER  # expiry or termination, minus a margin
    terminated: int = FOREVER
    pauses: list[tuple[int, int]] = field(default_factory=list)  # suspensions, with margins

    def in_force(self, at: int) -> bool:
        return self.active_from <= at < self.end and not any(a <= at < b for a, b in self.pauses)


@dataclass(frozen=True)
class Delegation:
    """When a certified officer may act: from the certificate to its expiry, suspension or revocation,
    and within that only while their training is current (policy training.refresher)."""

    officer_id: str
    start: int
    end: int
    trained: tuple[tuple[int, int], ...]  # (recorded, lapses): when each passed course keeps training current

    def covers(self, at: int) -> bool:
        return self.start <= at < self.end and any(recorded <= at < lapses for recorded, lapses in self.trained)


@dataclass
class Role:
    model: str
    declined: bool
    core: bool  # one of the first three agencies, which guarantee all three models are active


@dataclass(frozen=True)
class Terms:
    """How an agency's program is paid for and watched (oversight.py): drawn once per agency with an agreement."""

    detention_payer: str  # who bears the hours people are held under holds
    training_payer: str
    wage_cents: int  # an officer's hour on program duties
    per_diem_cents: int  # a detention day billed to ICE under an IGSA
    complaints_per_year: float
    meetings_per_year: int  # 0: the steering committee never meets
    publishes: float  # the share of its meetings whose minutes are published


@dataclass
class Agency:
    place: Place
    office: FieldOffice
    role: Role
    registered: int
    facilities: list[str] = field(default_factory=list)
    agreement: Agreement | None = None
    delegations: list[Delegation] = field(default_factory=list)
    nominees: list[tuple[str, int]] = field(default_factory=list)  # uncertified: (officer, nominated)
    counters: dict[str, int] = field(default_factory=dict)
    terms: Terms | None = None
    held: list[tuple[int, int]] = field(default_factory=list)  # ended holds not yet costed: (clock start, end)
    courses: list[tuple[int, date, int]] = field(default_factory=list)  # record_training: (at, completed, hours)

    @property
    def agency_id(self) -> str:
        return f"AG-{self.place.key}"

    @property
    def admin(self) -> str:
        return f"admin@{self.agency_id}"

    @property
    def records(self) -> str:
        return f"records@{self.agency_id}"

    @property
    def supervisor(self) -> str:
        return f"sup@{self.office.field_office_id}"

    def next_id(self, prefix: str) -> str:
        self.counters[prefix] = n = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.place.key}-{n:06d}"

    def acting(self, at: int, models: frozenset[str]) -> list[str]:
        """Officers who may exercise a power of one of `models` at `at`."""
        agreement = self.agreement
        if agreement is None or agreement.model not in models or not agreement.in_force(at):
            return []
        return [d.officer_id for d in self.delegations if d.covers(at)]


@dataclass
class World:
    rng: random.Random
    sink: Sink
    start: int
    now: int
    span: float  # setup delays shrink for periods shorter than a year
    # Costs, complaints and meetings (oversight.py) draw from a stream of their own, so that adding them left every
    # other command of a seed as it was.
    oversight: random.Random
    agencies: list[Agency] = field(default_factory=list)
    warrants: int = 0
    credentials: int = 0
    plain_holds: int = 0  # holds without IGSA so far
    limit_releases: int = 0
    attempts_owed: int = 0  # refused attempts drawn but not yet placed
    costed_through: int = 0  # the start of the first month whose costs are not yet pushed (oversight.py)

    def days(self, low: float, high: float) -> int:
        """A random setup delay, scaled down for periods shorter than a year."""
        return self.period(self.rng.uniform(low, high))

    def period(self, days: float) -> int:
        return align(int(days * DAY * self.span))


# --- Time and names: whole epoch seconds, minutes aligned -------------------------------------------


def epoch(now: datetime) -> int:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (UTC)")
    return math.floor(now.timestamp())


def align(at: int) -> int:
    return at - at % MINUTE


def between(rng: random.Random, low: int, high: int) -> int:
    return align(int(rng.uniform(low, max(low, high))))


def minutes(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low, high) * MINUTE


def iso(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def day_of(at: int) -> date:
    return datetime.fromtimestamp(at, UTC).date()


def midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def person_name(rng: random.Random) -> str:
    last = rng.choice(LAST_NAMES)
    if rng.random() < 0.15:
        last = f"{last} {rng.choice(LAST_NAMES)}"
    return f"{rng.choice(FIRST_NAMES)} {last}"
