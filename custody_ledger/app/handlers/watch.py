"""Load state for the watchdog's and the alert commands and ask the domain; handlers never write."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from custody_ledger.domain import watch as rules
from custody_ledger.domain.commands import AcknowledgeAlert, RecordAlert, RemoveAlertRoute, SetAlertRoute

from ..context import Outcome, Tx


def record_alert(tx: Tx, _: str, cmd: RecordAlert) -> Outcome:
    hold = tx.load("hold", hold_id=cmd.hold_id)
    started = None
    if hold is not None:
        # The moments are those of the policy in force on the facility's day the clock started, as the deadline.
        facility = tx.load("facility", facility_id=hold.facility_id)
        started = tx.policy.at(hold.clock_started_at, ZoneInfo(facility.timezone))
    return Outcome(list(rules.decide_record_alert(cmd, hold, started, tx.at, tx.view)))


def acknowledge_alert(tx: Tx, _: str, cmd: AcknowledgeAlert) -> Outcome:
    alert = tx.load("alert", alert_id=cmd.alert_id)
    earlier = tx.load("alert_acknowledgement", alert_id=cmd.alert_id, user_id=tx.actor)
    return Outcome(list(rules.decide_acknowledge_alert(cmd, alert, earlier, tx.actor)))


def set_alert_route(tx: Tx, _: str, cmd: SetAlertRoute) -> Outcome:
    agency = None if cmd.agency_id is None else tx.load("agency", agency_id=cmd.agency_id)
    office = None if cmd.field_office_id is None else tx.load("field_office", field_office_id=cmd.field_office_id)
    existing = tx.load("alert_route", route_id=cmd.route_id)
    return Outcome(list(rules.decide_set_alert_route(cmd, existing, agency, office)))


def remove_alert_route(tx: Tx, _: str, cmd: RemoveAlertRoute) -> Outcome:
    route = tx.load("alert_route", route_id=cmd.route_id)
    return Outcome(list(rules.decide_remove_alert_route(cmd, route)))
