"""Who pays, and who watches (issue 15): costs, complaints and steering committee meetings, recorded as facts.

decide_*() may refuse, evolve_*() never (DESIGN.md style 2). Every date a record names is a day on the agency's
calendar (PolicyView.day): none lies after the day it is recorded, and each lies in order (rule
accountability.dates). A per-diem is billed under an IGSA: the agreement is judged as it stood on the last day
the cost covers, whenever the cost is recorded (rule cost.per_diem_igsa; DOMAIN.md, "as of the act").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import assert_never

from .accountability_model import Complaint, ComplaintReferral, Cost, SteeringMeeting
from .agreements import require_new
from .commands import (
    CloseComplaint,
    PublishSteeringMinutes,
    RecordComplaint,
    RecordCost,
    RecordSteeringMeeting,
    ReferComplaint,
)
from .errors import Conflict, Invalid, NotFound, RuleViolation
from .events import (
    ComplaintClosed,
    ComplaintReceived,
    ComplaintReferred,
    CostRecorded,
    SteeringMeetingHeld,
    SteeringMinutesPublished,
)
from .model import Agency, Agreement, Hold, Officer
from .policy import PolicyView

ComplaintEvent = ComplaintReceived | ComplaintReferred | ComplaintClosed
SteeringEvent = SteeringMeetingHeld | SteeringMinutesPublished
_HUNDRED = 100


def _require_dates(view: PolicyView, *named: tuple[str, date, date | None, str]) -> None:
    """Each (field, day, earliest, what the earliest is): not after the day recorded, not before its earliest."""
    rule = view.rule("accountability.dates")
    for field, day, earliest, what in named:
        if day > view.day:
            raise Invalid(f"{field} {day} is after the day of this record ({view.day}, agency calendar, occurred_at)",
                          field=field, rule=rule)
        if earliest is not None and day < earliest:
            raise Invalid(f"{field} {day} is before {what} ({earliest})", field=field, rule=rule)


def _require_same_agency(agency_id: str, owner: str, what: str, field: str, view: PolicyView) -> None:
    if owner != agency_id:
        raise RuleViolation(view.rule("accountability.same_agency"), field=field,
                            message=f"{what} is not agency {agency_id}'s.")


def _require_measure(cmd: RecordCost, view: PolicyView) -> None:
    """Hours for the hours kinds (money optional); money, never hours, for a per-diem (rule cost.measure)."""
    rule = view.rule("cost.measure")
    if cmd.kind.in_hours and cmd.hours is None:
        raise Invalid(f"hours is required for a cost of kind {cmd.kind.value}", field="hours", rule=rule)
    if not cmd.kind.in_hours and cmd.hours is not None:
        raise Invalid(f"a {cmd.kind.value} is an amount of money, not hours: omit hours", field="hours", rule=rule)
    if not cmd.kind.in_hours and cmd.amount_cents is None:
        raise Invalid(f"amount_cents is required for a cost of kind {cmd.kind.value}", field="amount_cents",
                      rule=rule)


def decide_record_cost(
    cmd: RecordCost, existing: Cost | None, agency: Agency | None, agreement: Agreement | None,
    agreement_then: Agreement | None, hold: Hold | None, view: PolicyView,
) -> list[CostRecorded]:
    """`agreement`: the named agreement now; `agreement_then`: as it stood at the end of `incurred_to`, the day a
    per-diem is judged on; `hold`: the named hold."""
    require_new(existing, "cost", cmd.cost_id, "cost_id", view)
    if agency is None:
        raise NotFound.of("agency_id", cmd.agency_id)
    _require_measure(cmd, view)
    _require_dates(view, ("incurred_from", cmd.incurred_from, None, ""),
                   ("incurred_to", cmd.incurred_to, cmd.incurred_from, "incurred_from"))
    if cmd.agreement_id is not None:
        if agreement is None:
            raise NotFound.of("agreement_id", cmd.agreement_id)
        _require_same_agency(cmd.agency_id, agreement.agency_id, f"Agreement {cmd.agreement_id}", "agreement_id",
                             view)
    if cmd.hold_id is not None:
        if hold is None:
            raise NotFound.of("hold_id", cmd.hold_id)
        _require_same_agency(cmd.agency_id, hold.agency_id, f"Hold {cmd.hold_id}", "hold_id", view)
    if not cmd.kind.in_hours and (agreement_then is None or not agreement_then.igsa
                                  or not agreement_then.in_force_on(cmd.incurred_to)):
        raise RuleViolation(view.rule("cost.per_diem_igsa"), field="agreement_id",
                            message=f"A per-diem is billed under an IGSA: name agency {cmd.agency_id}'s agreement "
                                    f"that came with an IGSA and was in force on {cmd.incurred_to}.")
    return [CostRecorded(cmd.cost_id, cmd.agency_id, cmd.kind, cmd.payer, cmd.incurred_from, cmd.incurred_to,
                         cmd.hours, cmd.amount_cents, cmd.agreement_id, cmd.hold_id, cmd.note)]


def decide_record_complaint(
    cmd: RecordComplaint, existing: Complaint | None, agency: Agency | None, officer: Officer | None,
    view: PolicyView,
) -> list[ComplaintReceived]:
    require_new(existing, "complaint", cmd.complaint_id, "complaint_id", view)
    if agency is None:
        raise NotFound.of("agency_id", cmd.agency_id)
    _require_dates(view, ("received_on", cmd.received_on, None, ""))
    if cmd.officer_id is not None:
        if officer is None:
            raise NotFound.of("officer_id", cmd.officer_id)
        _require_same_agency(cmd.agency_id, officer.agency_id, f"Officer {cmd.officer_id}", "officer_id", view)
    return [ComplaintReceived(cmd.complaint_id, cmd.agency_id, cmd.received_on, cmd.category, cmd.officer_id)]


def _open_complaint(complaint: Complaint | None, ident: str, view: PolicyView) -> Complaint:
    if complaint is None:
        raise NotFound.of("complaint_id", ident)
    if complaint.closed_on is not None:
        raise Conflict(f"complaint {ident} was closed on {complaint.closed_on}", field="complaint_id",
                       rule=view.rule("lifecycle.complaint"))
    return complaint


def decide_refer_complaint(
    cmd: ReferComplaint, complaint: Complaint | None, view: PolicyView
) -> list[ComplaintReferred]:
    """To ICE's OPR and to the agency's internal affairs, each once, while the complaint is open."""
    found = _open_complaint(complaint, cmd.complaint_id, view)
    earlier = found.referred_on(cmd.referred_to)
    if earlier is not None:
        raise Conflict(f"complaint {cmd.complaint_id} was referred to {cmd.referred_to.value} on {earlier}",
                       field="referred_to", rule=view.rule("lifecycle.complaint"))
    _require_dates(view, ("referred_on", cmd.referred_on, found.received_on, "the day it was received"))
    return [ComplaintReferred(cmd.complaint_id, cmd.referred_to, cmd.referred_on)]


def decide_close_complaint(
    cmd: CloseComplaint, complaint: Complaint | None, view: PolicyView
) -> list[ComplaintClosed]:
    found = _open_complaint(complaint, cmd.complaint_id, view)
    referrals = [d for d in (found.ice_opr_referred_on, found.internal_affairs_referred_on) if d is not None]
    earliest, what = max([found.received_on, *referrals]), "the day it was received or last referred"
    _require_dates(view, ("closed_on", cmd.closed_on, earliest, what))
    return [ComplaintClosed(cmd.complaint_id, cmd.outcome, cmd.closed_on)]


def decide_record_steering_meeting(
    cmd: RecordSteeringMeeting, existing: SteeringMeeting | None, agency: Agency | None,
    agreement: Agreement | None, view: PolicyView,
) -> list[SteeringMeetingHeld]:
    require_new(existing, "steering meeting", cmd.meeting_id, "meeting_id", view)
    if agency is None:
        raise NotFound.of("agency_id", cmd.agency_id)
    if agreement is None:
        raise NotFound.of("agreement_id", cmd.agreement_id)
    _require_same_agency(cmd.agency_id, agreement.agency_id, f"Agreement {cmd.agreement_id}", "agreement_id", view)
    _require_dates(view, ("held_on", cmd.held_on, None, ""))
    if cmd.minutes_published_on is not None:
        _require_dates(view, ("minutes_published_on", cmd.minutes_published_on, cmd.held_on, "the meeting"))
    return [SteeringMeetingHeld(cmd.meeting_id, cmd.agency_id, cmd.agreement_id, cmd.held_on,
                                cmd.minutes_published_on)]


def decide_publish_steering_minutes(
    cmd: PublishSteeringMinutes, meeting: SteeringMeeting | None, view: PolicyView,
) -> list[SteeringMinutesPublished]:
    if meeting is None:
        raise NotFound.of("meeting_id", cmd.meeting_id)
    if meeting.minutes_published_on is not None:
        raise Conflict(f"the minutes of meeting {cmd.meeting_id} were published on {meeting.minutes_published_on}",
                       field="meeting_id", rule=view.rule("lifecycle.steering_minutes"))
    _require_dates(view, ("published_on", cmd.published_on, meeting.held_on, "the meeting"))
    return [SteeringMinutesPublished(cmd.meeting_id, cmd.published_on)]


def evolve_cost(_: Cost | None, e: CostRecorded) -> Cost:
    hundredths = None if e.hours is None else int(e.hours * _HUNDRED)
    return Cost(e.cost_id, e.agency_id, e.kind, e.payer, e.incurred_from, e.incurred_to, hundredths, e.amount_cents,
                e.agreement_id, e.hold_id, e.note)


def evolve_complaint(complaint: Complaint | None, event: ComplaintEvent) -> Complaint:
    match event:
        case ComplaintReceived():
            return Complaint(event.complaint_id, event.agency_id, event.received_on, event.category, event.officer_id)
        case ComplaintReferred():
            assert complaint is not None, "complaint_referred before complaint_received"
            match event.referred_to:
                case ComplaintReferral.ICE_OPR:
                    return replace(complaint, ice_opr_referred_on=event.referred_on)
                case ComplaintReferral.INTERNAL_AFFAIRS:
                    return replace(complaint, internal_affairs_referred_on=event.referred_on)
                case _:
                    assert_never(event.referred_to)
        case ComplaintClosed():
            assert complaint is not None, "complaint_closed before complaint_received"
            return replace(complaint, outcome=event.outcome, closed_on=event.closed_on)
        case _:
            assert_never(event)


def evolve_steering_meeting(meeting: SteeringMeeting | None, event: SteeringEvent) -> SteeringMeeting:
    match event:
        case SteeringMeetingHeld():
            return SteeringMeeting(event.meeting_id, event.agency_id, event.agreement_id, event.held_on,
                                   event.minutes_published_on)
        case SteeringMinutesPublished():
            assert meeting is not None, "steering_minutes_published before steering_meeting_held"
            return replace(meeting, minutes_published_on=event.published_on)
        case _:
            assert_never(event)
