"""A booked person as the ledger knows them: an opaque subject, sealed or expunged by court order.

The person's data never enters the ledger (app/persons.py keeps it, encrypted); these rules decide only
whether an order may change the record's state, and each decision is an event naming the order.
"""

from __future__ import annotations

from datetime import datetime

from . import lifecycle
from .commands import ExpungePerson, SealPerson, UnsealPerson
from .errors import NotFound
from .events import PersonBooked, PersonExpunged, PersonSealed, PersonUnsealed, SubjectEvent
from .model import Subject, SubjectState
from .policy import PolicyView

SubjectOrder = SealPerson | UnsealPerson | ExpungePerson
_ACTIONS: dict[type[SubjectOrder], tuple[str, type[SubjectEvent]]] = {
    SealPerson: ("seal", PersonSealed),
    UnsealPerson: ("unseal", PersonUnsealed),
    ExpungePerson: ("expunge", PersonExpunged),
}


def decide_order(cmd: SubjectOrder, subject: Subject | None, view: PolicyView) -> list[SubjectEvent]:
    """`subject`: the person of the booking the order names (a clerk names the booking; the ledger, the subject)."""
    if subject is None:
        raise NotFound.of("booking_id", cmd.booking_id)
    action, event = _ACTIONS[type(cmd)]
    lifecycle.advance(lifecycle.SUBJECT, subject.state, action, f"the person's record of booking {cmd.booking_id}",
                      view)
    return [event(subject.subject_id, cmd.court_order)]


def evolve_subject(subject: Subject | None, event: PersonBooked | SubjectEvent, at: datetime) -> Subject:
    match event:
        case PersonBooked():
            return Subject(event.subject_id, event.booking_id, event.agency_id, SubjectState.OPEN)
        case PersonSealed():
            assert subject is not None
            return Subject(subject.subject_id, subject.booking_id, subject.agency_id, SubjectState.SEALED,
                           event.court_order)
        case PersonUnsealed():
            assert subject is not None
            return Subject(subject.subject_id, subject.booking_id, subject.agency_id, SubjectState.OPEN,
                           event.court_order)
        case PersonExpunged():
            assert subject is not None
            return Subject(subject.subject_id, subject.booking_id, subject.agency_id, SubjectState.EXPUNGED,
                           event.court_order)
        case _:
            raise AssertionError(f"no subject change for {type(event).__name__}")
