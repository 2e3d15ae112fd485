"""Entities as they stood at a moment: the facts in force at an act, not the current row (DOMAIN.md).

The law judges an act by the facts of its own time. A certificate revoked on Friday still covered
Tuesday's arrest, however late Tuesday's arrest is recorded; a certificate issued on Friday did not
cover it. So the rules fold an entity's own history up to the act, each event taking effect from
its `occurred_at` or, for a written notice naming a later day (`effective_on`), from the start of
that day on the calendar the act is judged in, whichever is later: never before either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from .errors import Invalid
from .policy import PolicyView

S = TypeVar("S")


@dataclass(frozen=True)
class Entry:
    """One event of an entity's history and the moment it occurred, in recording order."""

    event: Any
    occurred_at: datetime


def in_effect(entry: Entry, at: datetime, day: date) -> bool:
    """Whether `entry` had taken effect at `at`, whose local day is `day`."""
    effective_on: date | None = getattr(entry.event, "effective_on", None)
    return entry.occurred_at <= at and (effective_on is None or effective_on <= day)


def state_at(
    entries: Iterable[Entry], at: datetime, day: date, evolve: Callable[[S | None, Any, datetime], S]
) -> S | None:
    """The entity as it stood at `at`: its history folded in recording order, skipping what had not yet
    taken effect (None if nothing had: the entity did not exist yet)."""
    state: S | None = None
    for entry in entries:
        if in_effect(entry, at, day):
            state = evolve(state, entry.event, entry.occurred_at)
    return state


def require_not_backdated(effective_on: date | None, view: PolicyView) -> date | None:
    """A notice's named day may be its own day or later, never earlier (policy notice.effective_date)."""
    if effective_on is not None and effective_on < view.day:
        raise Invalid(
            f"effective_on {effective_on} is before the day of the notice ({view.day}, agency calendar); a notice "
            "never reaches back over acts done while the authority stood",
            field="effective_on", rule=view.rule("notice.effective_date"),
        )
    return effective_on
