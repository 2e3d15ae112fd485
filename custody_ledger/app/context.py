"""What a handler gets: one open transaction, the moment, and the policy in force then.

`view` is the policy on the local day of `at` on the command's calendar (app.calendar); its `day` is
the day every agreement, certificate and notice date of the command is read in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from custody_ledger.domain.policy import Policy, PolicyView
from custody_ledger.ledger import projections

from .persons import Protected


@dataclass(frozen=True)
class Tx:
    conn: Connection
    at: datetime
    now: datetime
    actor: str
    key: str
    policy: Policy
    view: PolicyView
    # Entities read by this command, reused by the projection step instead of read twice.
    known: projections.Known = field(default_factory=dict)

    def load(self, kind: str, **key: Any) -> Any:
        ident = projections.identity(kind, key)
        if ident not in self.known:
            self.known[ident] = projections.load(self.conn, kind, **key)
        return self.known[ident]

    def load_where(self, kind: str, *conditions: sa.ColumnElement[bool]) -> list[Any]:
        return projections.load_where(self.conn, kind, *conditions)

    def as_of(self, kind: str, **key: Any) -> Any:
        """The entity as it stood at this command's `at`, on its calendar: what legal questions are decided on."""
        return projections.state_at(self.conn, kind, self.at, self.view.day, **key)


@dataclass(frozen=True)
class Outcome:
    """The events a command produces, and what its result tells the caller beyond them."""

    events: list[Any]
    data: dict[str, Any] = field(default_factory=dict)
    person: Protected | None = None  # a booking's person, encrypted for the person store, never the ledger
