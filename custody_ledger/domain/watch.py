"""The watchdog's rules for one hold: its moments, in order, which of them is due, and what to do next.

A hold without an IGSA has a deadline (domain/clock.py). Before it come the alerts, one per lead time of
the policy in force when the hold's clock started (custody.alerts); at it, `release_due`; a grace period
after it (custody.limit_exceeded), if the hold is still open, `limit_exceeded`: the violation. Each moment
is raised once, in this order, never before it is due; a hold that ended or runs under an IGSA has none.

Lead times that fell before the hold opened (a hold opened with ten hours left) fold into one alert due
at the arrest: the person is already inside those lead times, and one alert says so at once instead of
several saying it late.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .commands import AcknowledgeAlert, RecordAlert, RemoveAlertRoute, SetAlertRoute
from .errors import Conflict, Invalid, NotFound
from .events import (
    AlertAcknowledged,
    AlertRaised,
    AlertRouteRemoved,
    AlertRouteSet,
    LimitExceeded,
    ReleaseDue,
    WatchEvent,
)
from .model import (
    Agency,
    Alert,
    AlertAcknowledgement,
    AlertChannel,
    AlertRoute,
    FieldOffice,
    Hold,
    HoldStatus,
    WatchKind,
)
from .policy import PolicyView

DEADLINE = "deadline"
EXCEEDED = "exceeded"
# An alert raised more than this after its moment is shown as late: one pass of a watchdog that polls
# every few seconds is never late by this much; a watchdog that was down is.
ON_TIME = timedelta(minutes=1)


def is_late(late_seconds: int) -> bool:
    """Whether a moment raised this long after it fell due is shown as late (a watchdog that was down)."""
    return late_seconds > ON_TIME.total_seconds()

_EVENTS: dict[WatchKind, type[WatchEvent]] = {
    WatchKind.ALERT_RAISED: AlertRaised,
    WatchKind.RELEASE_DUE: ReleaseDue,
    WatchKind.LIMIT_EXCEEDED: LimitExceeded,
}


@dataclass(frozen=True)
class Moment:
    stage: int
    threshold: str  # "24h", "90m", "deadline", "exceeded"
    kind: WatchKind
    due_at: datetime


def lead_name(lead: timedelta) -> str:
    minutes = int(lead.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def moments(opened_at: datetime, deadline: datetime, leads: Sequence[timedelta], grace: timedelta
            ) -> tuple[Moment, ...]:
    """Every moment of a hold opened at `opened_at` with this deadline, earliest first."""
    alerts = [(lead_name(lead), deadline - lead) for lead in sorted(set(leads), reverse=True)]
    passed = [name for name, at in alerts if at < opened_at]
    ahead = [(name, at) for name, at in alerts if at >= opened_at]
    if passed and opened_at < deadline:
        ahead.insert(0, (passed[-1], opened_at))
    planned = [(name, WatchKind.ALERT_RAISED, at) for name, at in ahead]
    planned += [(DEADLINE, WatchKind.RELEASE_DUE, deadline), (EXCEEDED, WatchKind.LIMIT_EXCEEDED, deadline + grace)]
    return tuple(Moment(stage, name, kind, at) for stage, (name, kind, at) in enumerate(planned))


def schedule(hold: Hold, started: PolicyView) -> tuple[Moment, ...]:
    """The hold's moments under `started`, the policy in force on the facility's day its clock started."""
    if hold.deadline is None:
        return ()
    return moments(hold.arrested_at, hold.deadline, started.alert_leads, started.limit_grace)


def due(hold: Hold, started: PolicyView, now: datetime) -> list[Moment]:
    """The moments of an open hold that fell due by `now` and were not raised yet, in order."""
    if hold.status is not HoldStatus.OPEN:
        return []
    return [m for m in schedule(hold, started)[hold.alert_stage:] if m.due_at <= now]


def rule_id(kind: WatchKind, limit_rule_id: str) -> str:
    """The rule each moment is raised under: the alert lead times, the hold's own limit, the violation."""
    match kind:
        case WatchKind.ALERT_RAISED:
            return "custody.alerts"
        case WatchKind.RELEASE_DUE:
            return limit_rule_id
        case WatchKind.LIMIT_EXCEEDED:
            return "custody.limit_exceeded"


def next_step(kind: WatchKind) -> str:
    """What the law asks of the people told, in one sentence they can act on."""
    if kind is WatchKind.ALERT_RAISED:
        return ("Arrange the transfer to ICE custody (transfer_custody) before the deadline; if ICE will not take "
                "custody by then, the person must be released at the deadline (release_hold).")
    return ("The limit has run out: release the person now (release_hold, reason limit_reached) unless ICE takes "
            "custody at once (transfer_custody).")


def decide_record_alert(cmd: RecordAlert, hold: Hold | None, started: PolicyView | None, at: datetime,
                        view: PolicyView) -> list[WatchEvent]:
    """`started`: the policy on the facility's day the hold's clock started (None when there is no hold)."""
    if hold is None or started is None:
        raise NotFound.of("hold_id", cmd.hold_id)
    rule = view.rule("watch.due")
    if hold.status is not HoldStatus.OPEN:
        raise Conflict(f"hold {hold.hold_id} has ended ({hold.status.value}); an ended hold is not watched",
                       field="hold_id", rule=rule)
    if hold.deadline is None:
        raise Conflict(f"hold {hold.hold_id} runs under an IGSA and has no deadline to watch", field="hold_id",
                       rule=rule)
    plan = schedule(hold, started)
    moment = next((m for m in plan if m.threshold == cmd.threshold), None)
    if moment is None:
        raise Invalid(f"threshold must be one of {', '.join(m.threshold for m in plan)} for hold {hold.hold_id}",
                      field="threshold", rule=rule)
    if moment.stage < hold.alert_stage:
        raise Conflict(f"the {moment.threshold} moment of hold {hold.hold_id} was already raised", field="threshold",
                       rule=rule)
    if moment.stage > hold.alert_stage:
        raise Conflict(f"the {plan[hold.alert_stage].threshold} moment of hold {hold.hold_id} comes first",
                       field="threshold", rule=rule)
    if at < moment.due_at:
        raise Conflict(f"the {moment.threshold} moment of hold {hold.hold_id} is due at {moment.due_at.isoformat()}, "
                       "not yet", field="threshold", rule=rule)
    following = plan[moment.stage + 1].due_at if moment.stage + 1 < len(plan) else None
    event = _EVENTS[moment.kind](
        hold.hold_id, hold.booking_id, hold.facility_id, hold.agency_id, moment.threshold, moment.stage,
        moment.due_at, hold.deadline, int((at - moment.due_at).total_seconds()),
        rule_id(moment.kind, hold.limit_rule_id), following,
    )
    return [event]


def decide_acknowledge_alert(cmd: AcknowledgeAlert, alert: Alert | None, earlier: AlertAcknowledgement | None,
                             user_id: str) -> list[AlertAcknowledged]:
    if alert is None:
        raise NotFound.of("alert_id", cmd.alert_id)
    if earlier is not None:
        raise Conflict(f"{user_id} already acknowledged alert {cmd.alert_id} at "
                       f"{earlier.acknowledged_at.isoformat()}", field="alert_id")
    return [AlertAcknowledged(cmd.alert_id, user_id)]


def secret_env(route_id: str) -> str:
    """The environment variable a webhook route's signing secret is read from, fixed by its id."""
    return "CUSTODY_LEDGER_WEBHOOK_SECRET_" + re.sub(r"[^A-Z0-9]", "_", route_id.upper())


def decide_set_alert_route(cmd: SetAlertRoute, existing: AlertRoute | None, agency: Agency | None,
                           office: FieldOffice | None) -> list[AlertRouteSet]:
    if existing is not None and (existing.agency_id, existing.field_office_id) != (cmd.agency_id,
                                                                                    cmd.field_office_id):
        # Another scope's route (or a removed one of it): not this caller's to take over.
        raise Conflict(f"route_id {cmd.route_id} is not available; choose another id", field="route_id")
    if (cmd.agency_id is None) == (cmd.field_office_id is None):
        raise Invalid("a route covers exactly one scope: give agency_id or field_office_id, not both",
                      field="agency_id")
    if cmd.agency_id is not None and agency is None:
        raise NotFound.of("agency_id", cmd.agency_id)
    if cmd.field_office_id is not None and office is None:
        raise NotFound.of("field_office_id", cmd.field_office_id)
    _require_target(cmd.channel, cmd.target)
    if cmd.kinds == ():
        raise Invalid("kinds must name at least one of " + ", ".join(k.value for k in WatchKind), field="kinds")
    kinds = tuple(WatchKind) if cmd.kinds is None else tuple(dict.fromkeys(cmd.kinds))
    signed_by = secret_env(cmd.route_id) if cmd.channel is AlertChannel.WEBHOOK else None
    return [AlertRouteSet(cmd.route_id, cmd.channel, cmd.target, kinds, cmd.agency_id, cmd.field_office_id,
                          signed_by)]


def _require_target(channel: AlertChannel, target: str) -> None:
    if channel is AlertChannel.WEBHOOK and not target.startswith(("https://", "http://")):
        raise Invalid("target of a webhook route must be an http:// or https:// URL", field="target")
    if channel is AlertChannel.EMAIL:
        local, _, domain = target.partition("@")
        if not local or not domain or " " in target:
            raise Invalid("target of an e-mail route must be an address such as jail-desk@county.example",
                          field="target")


def decide_remove_alert_route(cmd: RemoveAlertRoute, route: AlertRoute | None) -> list[AlertRouteRemoved]:
    if route is None or not route.active:
        raise NotFound.of("route_id", cmd.route_id)
    return [AlertRouteRemoved(cmd.route_id, cmd.reason)]


def evolve_alert(alert: Alert | None, event: WatchEvent, at: datetime) -> Alert:
    return Alert(event.alert_id, event.hold_id, event.booking_id, event.facility_id, event.agency_id, event.kind,
                 event.threshold, event.stage, event.due_at, at, event.deadline, event.late_seconds, event.rule_id)


def evolve_acknowledgement(ack: AlertAcknowledgement | None, event: AlertAcknowledged, at: datetime
                           ) -> AlertAcknowledgement:
    return AlertAcknowledgement(event.alert_id, event.user_id, at)


def evolve_route(route: AlertRoute | None, event: AlertRouteSet | AlertRouteRemoved) -> AlertRoute:
    if isinstance(event, AlertRouteSet):
        return AlertRoute(event.route_id, event.channel, event.target, ",".join(k.value for k in event.kinds), True,
                          event.agency_id, event.field_office_id, event.secret_env)
    assert route is not None
    return AlertRoute(route.route_id, route.channel, route.target, route.kinds, False, route.agency_id,
                      route.field_office_id, route.secret_env)
