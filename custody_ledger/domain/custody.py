"""Bookings, warrants and holds: the WSO arrest and its 48-hour clock (DOMAIN.md).

decide_*() may refuse; evolve_*() never does, so replay under another policy cannot fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import assert_never
from zoneinfo import ZoneInfo

from . import authority, clock, lifecycle, watch
from .agreements import require_new, require_timezone
from .commands import (
    BookPerson,
    CancelWarrant,
    JailProcessing,
    LodgeWarrant,
    ReleaseFromCriminalCustody,
    ReleaseHold,
    ServeWarrant,
    TransferCustody,
)
from .errors import Conflict, Invalid, NotFound, RuleViolation
from .events import (
    CustodyTransferred,
    DetainerIssued,
    HoldOpened,
    HoldReleased,
    IceDataEntered,
    PersonBooked,
    RecordFlagged,
    ReleasedFromCriminalCustody,
    StatusInterviewed,
    WarrantCancelled,
    WarrantLodged,
    WarrantServed,
    WatchEvent,
)
from .ids import AgreementId, SubjectId
from .model import (
    Agreement,
    AgreementModel,
    Booking,
    BookingStatus,
    Certificate,
    ChargeStatus,
    CriminalReleaseReason,
    Facility,
    FieldOffice,
    FlagKind,
    Hold,
    HoldStatus,
    Officer,
    ReleaseReason,
    Training,
    Warrant,
    WarrantForm,
    WarrantStatus,
)
from .policy import Policy, PolicyView

SERVABLE_FORMS = (WarrantForm.I200, WarrantForm.I205)

HoldEnd = CustodyTransferred | HoldReleased
JailEvent = StatusInterviewed | DetainerIssued | IceDataEntered
_JAIL_EVENTS: Mapping[str, type[JailEvent]] = {
    "interview_status": StatusInterviewed,
    "issue_detainer": DetainerIssued,
    "enter_ice_data": IceDataEntered,
}


@dataclass(frozen=True)
class OfficerStanding:
    """What authority.decide needs about one officer, each part as it stood at the act (domain.history)."""

    officer: Officer | None  # None when the officer had not yet been nominated at the act
    certificates: Sequence[Certificate]
    agreements: Mapping[AgreementId, Agreement]
    trainings: Sequence[Training]
    exists: bool  # whether the officer is on record at all, now: an unknown id is not found, not refused

    def decide(self, command: str, at: datetime, view: PolicyView) -> authority.Decision:
        """`view` is on the calendar of the facility where the officer acts."""
        return authority.decide(
            command, officer=self.officer, certificates=self.certificates, agreements=self.agreements,
            trainings=self.trainings, at=at, view=view,
        )


def decide_book_person(
    cmd: BookPerson, existing: Booking | None, facility: Facility | None, view: PolicyView, subject_id: SubjectId,
    commitment: str,
) -> list[PersonBooked]:
    """`subject_id` and `commitment` name the person in the ledger; their data goes to the person store."""
    require_new(existing, "booking", cmd.booking_id, "booking_id", view)
    if facility is None:
        raise NotFound.of("facility_id", cmd.facility_id)
    if cmd.person.dob >= view.day:
        raise Invalid("person.dob must be before the booking date", field="person.dob")
    a_number = cmd.person.a_number
    if a_number is not None and not (a_number.startswith("A") and a_number[1:].isdigit() and len(a_number) in (9, 10)):
        raise Invalid("person.a_number must be 'A' followed by 8 or 9 digits", field="person.a_number")
    return [PersonBooked(cmd.booking_id, facility.facility_id, facility.agency_id, subject_id, commitment,
                         cmd.charge_status, cmd.source)]


def _booking(booking: Booking | None, ident: str) -> Booking:
    if booking is None:
        raise NotFound.of("booking_id", ident)
    return booking


def decide_release_from_criminal_custody(
    cmd: ReleaseFromCriminalCustody, booking: Booking | None, view: PolicyView
) -> list[ReleasedFromCriminalCustody]:
    found = _booking(booking, cmd.booking_id)
    lifecycle.advance(lifecycle.BOOKING, found.status, "release", f"booking {found.booking_id}", view)
    _require_release_reason_fits(cmd.reason, found, view)
    return [ReleasedFromCriminalCustody(cmd.booking_id, cmd.reason, cmd.source)]


def _require_release_reason_fits(reason: CriminalReleaseReason, booking: Booking, view: PolicyView) -> None:
    """A reason is a fact about the booking, checked where the booking can tell."""
    match reason:
        case CriminalReleaseReason.SENTENCE_SERVED if booking.charge_status is not ChargeStatus.CONVICTED:
            raise RuleViolation(view.rule("release.sentence_served"), field="reason",
                                message=f"Booking {booking.booking_id} is on pending charges: there is no sentence "
                                        "to have served.")
        case CriminalReleaseReason.CHARGES_DROPPED if booking.charge_status is not ChargeStatus.PENDING:
            raise RuleViolation(view.rule("release.charges_dropped"), field="reason",
                                message=f"Booking {booking.booking_id} is for a conviction: there are no pending "
                                        "charges to drop.")
        case _:
            # Bail, a court order and other reasons come from outside the ledger: nothing here can contradict them.
            return


def decide_lodge_warrant(
    cmd: LodgeWarrant,
    existing: Warrant | None,
    booking: Booking | None,
    others: Sequence[Warrant],
    at: datetime,
    view: PolicyView,
) -> list[WarrantLodged | RecordFlagged]:
    require_new(existing, "warrant", cmd.warrant_id, "warrant_id", view)
    found = _booking(booking, cmd.booking_id)
    if found.released_at is not None and found.released_at <= at:
        raise Conflict(f"booking {found.booking_id} was already released from criminal custody; a warrant is "
                       "lodged while the person is held", field="booking_id",
                       rule=view.rule("warrant.lodged_while_held"))
    events: list[WarrantLodged | RecordFlagged] = [
        WarrantLodged(cmd.warrant_id, found.booking_id, found.facility_id, found.agency_id, cmd.form, cmd.number,
                      cmd.issued_on)
    ]
    has_warrant = any(w.form in SERVABLE_FORMS and w.status is not WarrantStatus.CANCELLED for w in others)
    if cmd.form is WarrantForm.I247A and not has_warrant:
        # ICE Policy 10074.2: a detainer must come with a signed I-200 or I-205.
        rule = view.rule("detainer.requires_warrant")
        events.append(RecordFlagged(
            f"{cmd.warrant_id}:detainer_without_warrant", FlagKind.DETAINER_WITHOUT_WARRANT, rule.id,
            f"warrant:{cmd.warrant_id}", f"I-247A {cmd.number} lodged without an I-200/I-205 for {found.booking_id}",
        ))
    return events


def decide_cancel_warrant(cmd: CancelWarrant, warrant: Warrant | None, view: PolicyView) -> list[WarrantCancelled]:
    if warrant is None:
        raise NotFound.of("warrant_id", cmd.warrant_id)
    lifecycle.advance(lifecycle.WARRANT, warrant.status, "cancel", f"warrant {warrant.warrant_id}", view)
    return [WarrantCancelled(cmd.warrant_id, cmd.reason)]


@dataclass(frozen=True)
class ServeState:
    existing_hold: Hold | None
    warrant: Warrant | None
    booking: Booking | None
    facility: Facility | None
    open_hold_on_booking: Hold | None
    standing: OfficerStanding


def decide_serve_warrant(
    cmd: ServeWarrant, state: ServeState, at: datetime, policy: Policy, view: PolicyView
) -> list[WarrantServed | HoldOpened | RecordFlagged]:
    """The WSO arrest at release, judged on the facts in force at `at` (`view`: the facility's day then)."""
    require_new(state.existing_hold, "hold", cmd.hold_id, "hold_id", view)
    if not state.standing.exists:
        raise NotFound.of("officer_id", cmd.officer_id)
    warrant = state.warrant
    if warrant is None:
        raise NotFound.of("warrant_id", cmd.warrant_id)
    booking, facility = state.booking, state.facility
    assert booking is not None and facility is not None, "a lodged warrant always has its booking"
    cert = state.standing.decide("serve_warrant", at, view).enforce()
    officer = state.standing.officer
    assert cert is not None and officer is not None, "authority is granted only under a certificate"
    _require_servable(warrant, view)
    if booking.agency_id != officer.agency_id:
        raise RuleViolation(view.rule("wso.own_facility"), field="warrant_id",
                            message=f"Booking {booking.booking_id} is in a facility of agency {booking.agency_id}, "
                                    f"not of the officer's agency {officer.agency_id}.")
    if booking.status is not BookingStatus.RELEASED or booking.released_at is None:
        raise RuleViolation(view.rule("wso.after_release"), field="warrant_id",
                            message=f"Booking {booking.booking_id} is still in criminal custody; the warrant "
                                    "may be served only at release.")
    if state.open_hold_on_booking is not None:
        raise Conflict(f"booking {booking.booking_id} is already under open hold "
                       f"{state.open_hold_on_booking.hold_id}; a second hold would start a second clock for the "
                       "same custody", field="warrant_id", rule=view.rule("hold.one_open_per_booking"))
    agreement = state.standing.agreements[cert.agreement_id]
    return _open_hold(cmd, warrant, booking, facility, agreement.igsa, cert.model, at, policy, view)


def _require_servable(warrant: Warrant, view: PolicyView) -> None:
    if warrant.form not in SERVABLE_FORMS or warrant.status is WarrantStatus.CANCELLED:
        raise RuleViolation(view.rule("warrant.servable"), field="warrant_id",
                            message=f"Warrant {warrant.warrant_id} is a {warrant.form.value} ({warrant.status.value}); "
                                    "only a lodged, uncancelled I-200 or I-205 may be served.")
    lifecycle.advance(lifecycle.WARRANT, warrant.status, "serve", f"warrant {warrant.warrant_id}", view)


def _open_hold(
    cmd: ServeWarrant, warrant: Warrant, booking: Booking, facility: Facility, igsa: bool,
    model: AgreementModel, at: datetime, policy: Policy, view: PolicyView,
) -> list[WarrantServed | HoldOpened | RecordFlagged]:
    assert booking.released_at is not None
    zone = require_timezone(facility.timezone)
    start = clock.clock_start(booking.released_at, at)
    started = policy.at(start, zone)  # judged by the rule in force on the facility's day the clock started
    in_force = started.custody_limit
    limit_end = clock.deadline(start, in_force.limit, in_force.counting, zone, started.is_holiday)
    assert limit_end is not None
    _require_within_limit(booking, at, limit_end, in_force.limit, zone, view)
    # Under an IGSA detention continues under that contract: no 48-hour deadline (DOMAIN.md).
    deadline = None if igsa else limit_end
    first_alert = None if deadline is None else watch.moments(at, deadline, started.alert_leads,
                                                              started.limit_grace)[0].due_at
    events: list[WarrantServed | HoldOpened | RecordFlagged] = [
        WarrantServed(cmd.warrant_id, cmd.hold_id, cmd.officer_id),
        HoldOpened(cmd.hold_id, warrant.warrant_id, booking.booking_id, booking.facility_id, booking.agency_id,
                   cmd.officer_id, booking.released_at, at, start, igsa, in_force.rule.id, deadline, first_alert,
                   model),
    ]
    gap = clock.unauthorized_gap(booking.released_at, at)
    if gap.total_seconds() > 0:
        rule = view.rule("custody.unauthorized_gap")
        events.append(RecordFlagged(
            f"{cmd.hold_id}:time_without_authority", FlagKind.TIME_WITHOUT_AUTHORITY, rule.id, f"hold:{cmd.hold_id}",
            f"held {gap} between release from criminal custody and the WSO arrest", int(gap.total_seconds()),
        ))
    return events


def _require_within_limit(
    booking: Booking, at: datetime, limit_end: datetime, limit: timedelta, zone: ZoneInfo, view: PolicyView
) -> None:
    """No hold may begin unlawful: at the limit's end the person had to be set free (DOMAIN.md, step 4).

    The line: an arrest strictly before the limit's end opens a hold (flagged for the time held without
    authority); an arrest at the end itself or later is refused, since the hold would open with no lawful
    time left. It applies under an IGSA too: the contract covers detention after a timely arrest, not the
    time between release and arrest.
    """
    if at < limit_end:
        return
    assert booking.released_at is not None
    released = booking.released_at.astimezone(zone).isoformat()
    raise RuleViolation(
        view.rule("custody.serve_within_limit"), field="occurred_at",
        message=f"Booking {booking.booking_id} was released from criminal custody at {released}; the "
                f"{limit.total_seconds() / 3600:g}-hour limit ran out at {limit_end.astimezone(zone).isoformat()}, "
                "before this arrest. The person had to be released then: no hold may begin after the limit.",
    )


def decide_jail_processing(
    command: str, cmd: JailProcessing, booking: Booking | None, standing: OfficerStanding, at: datetime,
    view: PolicyView,
) -> list[JailEvent]:
    """interview_status, issue_detainer, enter_ice_data: JEM functions; a WSO is refused (authority.wso)."""
    found = _booking(booking, cmd.booking_id)
    if not standing.exists:
        raise NotFound.of("officer_id", cmd.officer_id)
    standing.decide(command, at, view).enforce()
    assert standing.officer is not None, "authority is never granted to an officer not yet nominated"
    if found.agency_id != standing.officer.agency_id:
        raise RuleViolation(view.rule("jem.own_facility"), field="booking_id",
                            message=f"Booking {found.booking_id} is not in a facility of agency "
                                    f"{standing.officer.agency_id}.")
    return [_JAIL_EVENTS[command](cmd.booking_id, cmd.officer_id, cmd.notes)]


def _hold(hold: Hold | None, ident: str) -> Hold:
    if hold is None:
        raise NotFound.of("hold_id", ident)
    return hold


def _past_limit_flag(hold: Hold, at: datetime, view: PolicyView) -> RecordFlagged | None:
    """Held past the limit without an IGSA: over-detention, the costliest failure (DOMAIN.md)."""
    if not clock.is_overdue(hold.deadline, at):
        return None
    assert hold.deadline is not None
    over = at - hold.deadline
    rule = view.rule("custody.violation")
    return RecordFlagged(
        f"{hold.hold_id}:held_past_limit", FlagKind.HELD_PAST_LIMIT, rule.id, f"hold:{hold.hold_id}",
        f"held {over} past the deadline {hold.deadline.isoformat()}", int(over.total_seconds()),
    )


def decide_transfer_custody(
    cmd: TransferCustody, hold: Hold | None, office: FieldOffice | None, at: datetime, view: PolicyView
) -> list[CustodyTransferred | RecordFlagged]:
    found = _hold(hold, cmd.hold_id)
    if office is None:
        raise NotFound.of("field_office_id", cmd.field_office_id)
    lifecycle.advance(lifecycle.HOLD, found.status, "transfer", f"hold {found.hold_id}", view)
    _not_before_arrest(found, at, view)
    flag = _past_limit_flag(found, at, view)
    event = CustodyTransferred(cmd.hold_id, cmd.receiving_officer, cmd.field_office_id, flag is not None)
    return [event] if flag is None else [event, flag]


def decide_release_hold(
    cmd: ReleaseHold, hold: Hold | None, warrant_cancelled: bool, at: datetime, view: PolicyView
) -> list[HoldReleased | RecordFlagged]:
    """`warrant_cancelled`: whether the hold's warrant had been cancelled by `at` (domain.history)."""
    found = _hold(hold, cmd.hold_id)
    lifecycle.advance(lifecycle.HOLD, found.status, "release", f"hold {found.hold_id}", view)
    _not_before_arrest(found, at, view)
    _require_release_reason_holds(cmd.reason, found, warrant_cancelled, at, view)
    flag = _past_limit_flag(found, at, view)
    event = HoldReleased(cmd.hold_id, cmd.reason, flag is not None)
    return [event] if flag is None else [event, flag]


def _require_release_reason_holds(
    reason: ReleaseReason, hold: Hold, warrant_cancelled: bool, at: datetime, view: PolicyView
) -> None:
    """A release reason is a fact; the ones the ledger can check are checked (DOMAIN.md, step 5)."""
    match reason:
        case ReleaseReason.LIMIT_REACHED:
            if hold.deadline is None:
                raise RuleViolation(view.rule("release.limit_reached"), field="reason",
                                    message=f"Hold {hold.hold_id} is under an IGSA and has no limit to reach.")
            if at < hold.deadline:
                raise RuleViolation(view.rule("release.limit_reached"), field="reason",
                                    message=f"Hold {hold.hold_id} reaches its limit at {hold.deadline.isoformat()}, "
                                            f"after this release at {at.isoformat()}.")
        case ReleaseReason.WARRANT_CANCELLED:
            if not warrant_cancelled:
                raise RuleViolation(view.rule("release.warrant_cancelled"), field="reason",
                                    message=f"Warrant {hold.warrant_id} of hold {hold.hold_id} had not been "
                                            f"cancelled by {at.isoformat()}.")
        case ReleaseReason.ICE_DECLINED | ReleaseReason.COURT_ORDER | ReleaseReason.OTHER:
            # ICE's word and a court's order are not in the ledger: nothing here can contradict them.
            return
        case _:
            assert_never(reason)


def _not_before_arrest(hold: Hold, at: datetime, view: PolicyView) -> None:
    if at < hold.arrested_at:
        raise Invalid(f"occurred_at is before the arrest that opened hold {hold.hold_id}", field="occurred_at",
                      rule=view.rule("time.stream_order"))


BookingEvents = PersonBooked | ReleasedFromCriminalCustody | StatusInterviewed | DetainerIssued | IceDataEntered


def evolve_booking(booking: Booking | None, event: BookingEvents, at: datetime) -> Booking:
    match event:
        case PersonBooked():
            return Booking(event.booking_id, event.facility_id, event.agency_id, event.subject_id, event.charge_status,
                           BookingStatus.IN_CRIMINAL_CUSTODY, at)
        case ReleasedFromCriminalCustody():
            assert booking is not None
            return replace(booking, status=BookingStatus.RELEASED, released_at=at, release_reason=event.reason)
        case StatusInterviewed() | DetainerIssued() | IceDataEntered():
            assert booking is not None
            return booking
        case _:
            assert_never(event)


def evolve_warrant(warrant: Warrant | None, event: WarrantLodged | WarrantCancelled | WarrantServed,
                   at: datetime) -> Warrant:
    match event:
        case WarrantLodged():
            return Warrant(event.warrant_id, event.booking_id, event.facility_id, event.agency_id, event.form,
                           event.number, event.issued_on, WarrantStatus.LODGED, at)
        case WarrantCancelled():
            assert warrant is not None
            return replace(warrant, status=WarrantStatus.CANCELLED, status_reason=event.reason)
        case WarrantServed():
            assert warrant is not None
            return replace(warrant, status=WarrantStatus.SERVED)
        case _:
            assert_never(event)


def evolve_hold(hold: Hold | None, event: HoldOpened | HoldEnd | WatchEvent, at: datetime) -> Hold:
    match event:
        case HoldOpened():
            return Hold(event.hold_id, event.warrant_id, event.booking_id, event.facility_id, event.agency_id,
                        event.officer_id, HoldStatus.OPEN, event.released_from_criminal_at, event.arrested_at,
                        event.clock_started_at, event.igsa, event.limit_rule_id, event.deadline,
                        next_alert_at=event.first_alert_at)
        case CustodyTransferred():
            assert hold is not None
            return replace(hold, status=HoldStatus.TRANSFERRED, ended_at=at, receiving_officer=event.receiving_officer,
                           receiving_field_office_id=event.field_office_id, past_limit=event.past_limit,
                           next_alert_at=None)
        case HoldReleased():
            assert hold is not None
            return replace(hold, status=HoldStatus.RELEASED, ended_at=at, release_reason=event.reason,
                           past_limit=event.past_limit, next_alert_at=None)
        case WatchEvent():
            assert hold is not None
            return replace(hold, alert_stage=event.stage + 1, next_alert_at=event.next_due_at)
        case _:
            assert_never(event)
