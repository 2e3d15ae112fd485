"""Load state for the cost, complaint and steering committee commands and ask the domain; handlers never write."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from custody_ledger.domain import accountability as rules
from custody_ledger.domain.commands import (
    CloseComplaint,
    PublishSteeringMinutes,
    RecordComplaint,
    RecordCost,
    RecordSteeringMeeting,
    ReferComplaint,
)
from custody_ledger.ledger import projections

from .. import calendar
from ..context import Outcome, Tx


def record_cost(tx: Tx, name: str, cmd: RecordCost) -> Outcome:
    """A per-diem is judged on the agreement as it stood at the end of `incurred_to` on the agency's calendar (or at
    the command's own moment, if that is earlier): a termination recorded since does not undo an IGSA then in force."""
    agreement = then = None
    if cmd.agreement_id is not None:
        agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
        zone = calendar.zone_for(tx, name, cmd)
        end = datetime.combine(cmd.incurred_to + timedelta(days=1), time.min, tzinfo=zone) - timedelta(microseconds=1)
        at = min(end.astimezone(UTC), tx.at)
        then = projections.state_at(tx.unit, "agreement", at, cmd.incurred_to, agreement_id=cmd.agreement_id)
    hold = None if cmd.hold_id is None else tx.load("hold", hold_id=cmd.hold_id)
    existing = tx.load("cost", cost_id=cmd.cost_id)
    agency = tx.load("agency", agency_id=cmd.agency_id)
    return Outcome(list(rules.decide_record_cost(cmd, existing, agency, agreement, then, hold, tx.view)))


def record_complaint(tx: Tx, _: str, cmd: RecordComplaint) -> Outcome:
    existing = tx.load("complaint", complaint_id=cmd.complaint_id)
    agency = tx.load("agency", agency_id=cmd.agency_id)
    officer = None if cmd.officer_id is None else tx.load("officer", officer_id=cmd.officer_id)
    return Outcome(list(rules.decide_record_complaint(cmd, existing, agency, officer, tx.view)))


def refer_complaint(tx: Tx, _: str, cmd: ReferComplaint) -> Outcome:
    complaint = tx.load("complaint", complaint_id=cmd.complaint_id)
    return Outcome(list(rules.decide_refer_complaint(cmd, complaint, tx.view)))


def close_complaint(tx: Tx, _: str, cmd: CloseComplaint) -> Outcome:
    complaint = tx.load("complaint", complaint_id=cmd.complaint_id)
    return Outcome(list(rules.decide_close_complaint(cmd, complaint, tx.view)))


def record_steering_meeting(tx: Tx, _: str, cmd: RecordSteeringMeeting) -> Outcome:
    existing = tx.load("steering_meeting", meeting_id=cmd.meeting_id)
    agency = tx.load("agency", agency_id=cmd.agency_id)
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    return Outcome(list(rules.decide_record_steering_meeting(cmd, existing, agency, agreement, tx.view)))


def publish_steering_minutes(tx: Tx, _: str, cmd: PublishSteeringMinutes) -> Outcome:
    meeting = tx.load("steering_meeting", meeting_id=cmd.meeting_id)
    return Outcome(list(rules.decide_publish_steering_minutes(cmd, meeting, tx.view)))
