"""Load state for booking, warrant and hold commands and ask the domain; handlers never write."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from custody_ledger.domain import custody as rules
from custody_ledger.domain.commands import (
    BookPerson,
    CancelWarrant,
    JailProcessing,
    LodgeWarrant,
    ReleaseFromCriminalCustody,
    ReleaseHold,
    ServeWarrant,
    TransferCustody,
)
from custody_ledger.domain.events import HoldOpened
from custody_ledger.domain.ids import OfficerId, SubjectId
from custody_ledger.domain.model import HoldStatus, WarrantStatus
from custody_ledger.domain.parse import to_primitive

from .. import persons
from ..context import Outcome, Tx


def book_person(tx: Tx, _: str, cmd: BookPerson) -> Outcome:
    existing = tx.load("booking", booking_id=cmd.booking_id)
    facility = tx.load("facility", facility_id=cmd.facility_id)
    # The person goes to the person store, encrypted; the ledger gets an opaque subject and a commitment.
    subject_id = SubjectId(persons.new_subject_id())
    person = persons.PersonData(cmd.person.name, cmd.person.dob, cmd.person.a_number)
    protected = persons.protect(person, subject_id, persons.keyring())
    events = rules.decide_book_person(cmd, existing, facility, tx.view, subject_id, protected.commitment)
    return Outcome(list(events), person=protected)


def release_from_criminal_custody(tx: Tx, _: str, cmd: ReleaseFromCriminalCustody) -> Outcome:
    booking = tx.load("booking", booking_id=cmd.booking_id)
    return Outcome(list(rules.decide_release_from_criminal_custody(cmd, booking, tx.view)))


def lodge_warrant(tx: Tx, _: str, cmd: LodgeWarrant) -> Outcome:
    existing = tx.load("warrant", warrant_id=cmd.warrant_id)
    booking = tx.load("booking", booking_id=cmd.booking_id)
    others = tx.children("warrant", booking_id=cmd.booking_id)
    return Outcome(list(rules.decide_lodge_warrant(cmd, existing, booking, others, tx.at, tx.view)))


def cancel_warrant(tx: Tx, _: str, cmd: CancelWarrant) -> Outcome:
    warrant = tx.load("warrant", warrant_id=cmd.warrant_id)
    return Outcome(list(rules.decide_cancel_warrant(cmd, warrant, tx.view)))


def standing(tx: Tx, officer_id: OfficerId) -> rules.OfficerStanding:
    """The officer, their certificates and the agreements those rest on, each as it stood at the act;
    their training records, which carry their own completion dates."""
    officer = tx.as_of("officer", officer_id=officer_id)
    held = [tx.as_of("certificate", officer_id=c.officer_id, model=c.model)
            for c in tx.children("certificate", officer_id=officer_id)]
    then = [c for c in held if c is not None]
    agreements = {c.agreement_id: tx.as_of("agreement", agreement_id=c.agreement_id) for c in then}
    done = tx.children("training", officer_id=officer_id)
    exists = officer is not None or tx.load("officer", officer_id=officer_id) is not None
    return rules.OfficerStanding(officer, then, {k: v for k, v in agreements.items() if v is not None}, done, exists)


def serve_warrant(tx: Tx, _: str, cmd: ServeWarrant) -> Outcome:
    warrant = tx.load("warrant", warrant_id=cmd.warrant_id)
    booking = None if warrant is None else tx.load("booking", booking_id=warrant.booking_id)
    facility = None if booking is None else tx.load("facility", facility_id=booking.facility_id)
    open_holds = [] if booking is None else [
        h for h in tx.children("hold", booking_id=booking.booking_id) if h.status is HoldStatus.OPEN]
    state = rules.ServeState(
        tx.load("hold", hold_id=cmd.hold_id), warrant, booking, facility,
        open_holds[0] if open_holds else None, standing(tx, cmd.officer_id),
    )
    events = rules.decide_serve_warrant(cmd, state, tx.at, tx.policy, tx.view)
    opened = next(e for e in events if isinstance(e, HoldOpened))
    assert facility is not None
    return Outcome(list(events), _deadline_data(opened, facility.timezone))


def _deadline_data(opened: HoldOpened, timezone: str) -> dict[str, Any]:
    local = None if opened.deadline is None else opened.deadline.astimezone(ZoneInfo(timezone)).isoformat()
    return {
        "hold_id": opened.hold_id,
        "clock_started_at": to_primitive(opened.clock_started_at),
        "deadline": to_primitive(opened.deadline),
        "deadline_local": local,
        "timezone": timezone,
    }


def jail_processing(tx: Tx, name: str, cmd: JailProcessing) -> Outcome:
    booking = tx.load("booking", booking_id=cmd.booking_id)
    events = rules.decide_jail_processing(name, cmd, booking, standing(tx, cmd.officer_id), tx.at, tx.view)
    return Outcome(list(events))


def transfer_custody(tx: Tx, _: str, cmd: TransferCustody) -> Outcome:
    hold = tx.load("hold", hold_id=cmd.hold_id)
    office = tx.load("field_office", field_office_id=cmd.field_office_id)
    return Outcome(list(rules.decide_transfer_custody(cmd, hold, office, tx.at, tx.view)))


def release_hold(tx: Tx, _: str, cmd: ReleaseHold) -> Outcome:
    hold = tx.load("hold", hold_id=cmd.hold_id)
    warrant = None if hold is None else tx.as_of("warrant", warrant_id=hold.warrant_id)
    cancelled = warrant is not None and warrant.status is WarrantStatus.CANCELLED
    return Outcome(list(rules.decide_release_hold(cmd, hold, cancelled, tx.at, tx.view)))
