"""What an alert says and who outside the product is told: the message, and its outbox rows.

Called by the write path (app/execute.py) in the transaction that appends the watch event, so an alert
raised is an alert queued: a crash can lose neither without the other. The in-app channel needs no row:
the alert itself (the `alerts` projection) is what users see and acknowledge. Webhook and e-mail messages
carry ids, times and the rule, never the person's name: they leave the access log's reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from custody_ledger.domain import watch
from custody_ledger.domain.events import WatchEvent
from custody_ledger.domain.instants import present_instant
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import schema as s
from custody_ledger.ledger import store

from . import notify
from .context import Tx


def message(event: WatchEvent, event_id: str, raised_at: datetime, timezone: str, policy: Policy) -> dict[str, Any]:
    """The alert as every channel tells it: which hold, when it must end in facility time, how long is left,
    under which rule, and what to do next."""
    zone = ZoneInfo(timezone)
    rule = policy.at(raised_at, zone).rule(event.rule_id)
    return {
        "event_id": event_id, "type": event.kind.value, "alert_id": event.alert_id, "hold_id": event.hold_id,
        "booking_id": event.booking_id, "agency_id": event.agency_id, "facility_id": event.facility_id,
        "threshold": event.threshold, "due_at": present_instant(event.due_at),
        "raised_at": present_instant(raised_at), "deadline": present_instant(event.deadline),
        "deadline_local": present_instant(event.deadline, zone),
        "timezone": timezone, "seconds_left": int((event.deadline - raised_at).total_seconds()),
        "late_seconds": event.late_seconds, "late": watch.is_late(event.late_seconds),
        "rule_id": rule.id, "citation": rule.cite, "message": rule.text, "next_step": watch.next_step(event.kind),
    }


def enqueue(tx: Tx, rows: Sequence[store.EventRow], events: Sequence[object]) -> None:
    """One outbox row per route that asked for this kind of moment, for each watch event just appended."""
    for row, event in zip(rows, events, strict=False):
        if not isinstance(event, WatchEvent):
            continue
        routes = [r for r in tx.conn.execute(_ROUTES, {"agency_id": event.agency_id})
                  if event.kind.value in r.kinds.split(",")]
        if not routes:
            continue
        facility = tx.load("facility", facility_id=event.facility_id)
        body = message(event, row.event_id, tx.at, facility.timezone, tx.policy)
        for route in routes:
            notify.enqueue(tx.conn, message_id=f"{row.event_id}:{route.route_id}", event_id=row.event_id,
                           route_id=route.route_id, agency_id=event.agency_id, channel=route.channel,
                           target=route.target, secret_env=route.secret_env, body=body, now=tx.at)


# The active routes of an agency itself and of its field office; built once, so every alert reuses its compiled form.
_OFFICE = sa.select(s.agencies.c.field_office_id).where(
    s.agencies.c.agency_id == sa.bindparam("agency_id")).scalar_subquery()
_ROUTES = sa.select(s.alert_routes).where(
    s.alert_routes.c.active.is_(True),
    sa.or_(s.alert_routes.c.agency_id == sa.bindparam("agency_id"), s.alert_routes.c.field_office_id == _OFFICE),
).order_by(s.alert_routes.c.route_id)
