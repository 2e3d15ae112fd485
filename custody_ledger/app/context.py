"""What a handler gets: one open transaction, the moment, and the policy in force then.

`view` is the policy on the local day of `at` on the command's calendar (app.calendar); its `day` is
the day every agreement, certificate and notice date of the command is read in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from custody_ledger.domain.policy import Policy, PolicyView
from custody_ledger.ledger import projections
from custody_ledger.ledger.unit import Unit

from .persons import Protected


@dataclass(frozen=True)
class Tx:
    unit: Unit
    at: datetime
    now: datetime
    actor: str
    key: str
    policy: Policy
    view: PolicyView
    # Entities read by this command, reused by the projection step instead of read twice.
    known: projections.Known = field(default_factory=dict)

    @property
    def conn(self) -> Connection:
        """The connection, for a statement of its own; what the transaction staged is written first."""
        return self.unit.connection()

    def load(self, kind: str, **key: Any) -> Any:
        ident = projections.identity(kind, key)
        if ident not in self.known:
            self.known[ident] = projections.entity(self.unit, kind, **key)
        return self.known[ident]

    def children(self, kind: str, **parent: Any) -> list[Any]:
        """Every entity of `kind` whose one named column has the value given (the warrants of a booking)."""
        ((column, value),) = parent.items()
        return projections.children(self.unit, kind, column, value)

    def as_of(self, kind: str, **key: Any) -> Any:
        """The entity as it stood at this command's `at`, on its calendar: what legal questions are decided on."""
        return projections.state_at(self.unit, kind, self.at, self.view.day, **key)


@dataclass(frozen=True)
class Outcome:
    """The events a command produces, and what its result tells the caller beyond them."""

    events: list[Any]
    data: dict[str, Any] = field(default_factory=dict)
    person: Protected | None = None  # a booking's person, encrypted for the person store, never the ledger
