"""Projection tables, updated in the same transaction as each append.

PROJECTORS maps every event type to the entity kinds it changes, each with the domain's evolve function
(none: the event changes no projection). An unknown event type is an error, never a warning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import Enum
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from custody_ledger.domain import accountability as ac
from custody_ledger.domain import accountability_model as acm
from custody_ledger.domain import agreements as ag
from custody_ledger.domain import amendments as am
from custody_ledger.domain import custody as cu
from custody_ledger.domain import history
from custody_ledger.domain import model as m
from custody_ledger.domain import officers as of
from custody_ledger.domain import oversight as ov
from custody_ledger.domain import subjects as su
from custody_ledger.domain import watch as wa
from custody_ledger.domain.events import event_type
from custody_ledger.domain.parse import parse

from . import schema as s
from .unit import Unit


@dataclass(frozen=True)
class Kind:
    table: sa.Table
    entity: type[Any]
    keys: tuple[str, ...]

    # Statements built once with bound keys, so SQLAlchemy's compiled cache serves every call.
    @cached_property
    def _by_key(self) -> sa.ColumnElement[bool]:
        return sa.and_(*(self.table.c[k] == sa.bindparam(f"key_{k}") for k in self.keys))

    @cached_property
    def select_one(self) -> sa.Select[Any]:
        return sa.select(self.table).where(self._by_key)

    @cached_property
    def insert_one(self) -> sa.Insert:
        return self.table.insert()

    @cached_property
    def update_one(self) -> sa.Update:
        return self.table.update().where(self._by_key)

    def key_params(self, key: dict[str, Any]) -> dict[str, Any]:
        return {f"key_{k}": _column_value(key[k]) for k in self.keys}


KINDS: dict[str, Kind] = {
    "field_office": Kind(s.field_offices, m.FieldOffice, ("field_office_id",)),
    "agency": Kind(s.agencies, m.Agency, ("agency_id",)),
    "facility": Kind(s.facilities, m.Facility, ("facility_id",)),
    "agreement": Kind(s.agreements, m.Agreement, ("agreement_id",)),
    "agreement_document": Kind(s.agreement_documents, m.AgreementDocument, ("agreement_id", "document_id")),
    "officer": Kind(s.officers, m.Officer, ("officer_id",)),
    "training": Kind(s.trainings, m.Training, ("training_id",)),
    "certificate": Kind(s.certificates, m.Certificate, ("officer_id", "model")),
    "booking": Kind(s.bookings, m.Booking, ("booking_id",)),
    "warrant": Kind(s.warrants, m.Warrant, ("warrant_id",)),
    "hold": Kind(s.holds, m.Hold, ("hold_id",)),
    "refusal": Kind(s.refusals, m.Refusal, ("refusal_id",)),
    "flag": Kind(s.flags, m.Flag, ("flag_id",)),
    "alert": Kind(s.alerts, m.Alert, ("alert_id",)),
    "alert_acknowledgement": Kind(s.alert_acknowledgements, m.AlertAcknowledgement, ("alert_id", "user_id")),
    "alert_route": Kind(s.alert_routes, m.AlertRoute, ("route_id",)),
    "subject": Kind(s.subjects, m.Subject, ("subject_id",)),
    "cost": Kind(s.costs, acm.Cost, ("cost_id",)),
    "complaint": Kind(s.complaints, acm.Complaint, ("complaint_id",)),
    "steering_meeting": Kind(s.steering_meetings, acm.SteeringMeeting, ("meeting_id",)),
}

Evolve = Callable[[Any, Any, datetime, str], Any]


def _plain(evolve: Callable[[Any, Any], Any]) -> Evolve:
    """For entities that keep no time of their own."""
    return lambda current, event, at, actor: evolve(current, event)


def _timed(evolve: Callable[[Any, Any, datetime], Any]) -> Evolve:
    """For entities that record when things happened to them (occurred_at)."""
    return lambda current, event, at, actor: evolve(current, event, at)

PROJECTORS: dict[str, tuple[tuple[str, Evolve], ...]] = {
    "field_office_registered": (("field_office", _plain(ag.evolve_field_office)),),
    "agency_registered": (("agency", _plain(ag.evolve_agency)),),
    "agency_amended": (("agency", _plain(ag.evolve_agency)),),
    "facility_registered": (("facility", _plain(ag.evolve_facility)),),
    "agreement_requested": (("agreement", _plain(ag.evolve_agreement)),),
    "agreement_reviewed": (("agreement", _plain(ag.evolve_agreement)),),
    "agreement_signed": (("agreement", _plain(ag.evolve_agreement)),),
    "agreement_suspended": (("agreement", _plain(ag.evolve_agreement)),),
    "agreement_reinstated": (("agreement", _plain(ag.evolve_agreement)),),
    "agreement_terminated": (("agreement", _plain(ag.evolve_agreement)),),
    **{name: (("agreement", _plain(ag.evolve_agreement)),) for name in (
        "agreement_resigned", "agreement_amended", "agreement_delisted", "agreement_relisted")},
    "agreement_document_attached": (("agreement_document", _plain(am.evolve_document)),),
    "officer_nominated": (("officer", _plain(of.evolve_officer)),),
    "background_check_recorded": (("officer", _plain(of.evolve_officer)),),
    "officer_separated": (("officer", _plain(of.evolve_officer)),),
    "training_recorded": (("training", _plain(of.evolve_training)),),
    "officer_certified": (("certificate", _timed(of.evolve_certificate)),),
    "certificate_suspended": (("certificate", _timed(of.evolve_certificate)),),
    "certificate_revoked": (("certificate", _timed(of.evolve_certificate)),),
    "person_booked": (("booking", _timed(cu.evolve_booking)), ("subject", _timed(su.evolve_subject))),
    "released_from_criminal_custody": (("booking", _timed(cu.evolve_booking)),),
    "status_interviewed": (),
    "detainer_issued": (),
    "ice_data_entered": (),
    "warrant_lodged": (("warrant", _timed(cu.evolve_warrant)),),
    "warrant_cancelled": (("warrant", _timed(cu.evolve_warrant)),),
    "warrant_served": (("warrant", _timed(cu.evolve_warrant)),),
    "hold_opened": (("hold", _timed(cu.evolve_hold)),),
    "custody_transferred": (("hold", _timed(cu.evolve_hold)),),
    "hold_released": (("hold", _timed(cu.evolve_hold)),),
    "action_refused": (("refusal", ov.evolve_refusal),),
    "record_flagged": (("flag", _timed(ov.evolve_flag)),),
    # A watch moment becomes an alert users see and acknowledge (its stream's entity), and moves its hold on to
    # the next moment: schedule columns that no legal question reads, so the hold's own stream need not hold it.
    **{name: (("alert", _timed(wa.evolve_alert)), ("hold", _timed(cu.evolve_hold)))
       for name in ("alert_raised", "release_due", "limit_exceeded")},
    "alert_acknowledged": (("alert_acknowledgement", _timed(wa.evolve_acknowledgement)),),
    "alert_route_set": (("alert_route", _plain(wa.evolve_route)),),
    "alert_route_removed": (("alert_route", _plain(wa.evolve_route)),),
    **{name: (("subject", _timed(su.evolve_subject)),)
       for name in ("person_sealed", "person_unsealed", "person_expunged")},
    "cost_recorded": (("cost", _plain(ac.evolve_cost)),),
    **{name: (("complaint", _plain(ac.evolve_complaint)),)
       for name in ("complaint_received", "complaint_referred", "complaint_closed")},
    **{name: (("steering_meeting", _plain(ac.evolve_steering_meeting)),)
       for name in ("steering_meeting_held", "steering_minutes_published")},
}


def to_row(entity: object) -> dict[str, Any]:
    return {f.name: _column_value(getattr(entity, f.name)) for f in fields(entity)}  # type: ignore[arg-type]


def _column_value(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


Known = dict[tuple[str, tuple[Any, ...]], Any]


def identity(kind_name: str, key: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return kind_name, tuple(_column_value(key[k]) for k in KINDS[kind_name].keys)


def load(conn: Connection, kind_name: str, **key: Any) -> Any:
    """One entity by its key, or None."""
    kind = KINDS[kind_name]
    row = conn.execute(kind.select_one, kind.key_params(key)).first()
    return None if row is None else parse(kind.entity, dict(row._mapping))


def load_where(conn: Connection, kind_name: str, *conditions: sa.ColumnElement[bool]) -> list[Any]:
    """Every entity of a kind matching `conditions`, for readers outside the write path (which reads children
    through its cache: `children`)."""
    kind = KINDS[kind_name]
    rows = conn.execute(sa.select(kind.table).where(*conditions))
    return [parse(kind.entity, dict(r._mapping)) for r in rows]


def stream_of(kind_name: str, key: dict[str, Any]) -> str:
    """The ledger stream holding one entity's history: its kind, then its key parts ("certificate:OFF-1:WSO")."""
    return ":".join((kind_name, *(str(part) for part in identity(kind_name, key)[1])))


def entity(unit: Unit, kind_name: str, **key: Any) -> Any:
    """One entity by its key, or None, read through the write transaction's cache."""
    kind = KINDS[kind_name]
    return unit.entity(identity(kind_name, key), kind.table, kind.keys, lambda row: parse(kind.entity, row))


def children(unit: Unit, kind_name: str, column: str, value: Any) -> list[Any]:
    """Every entity of a kind whose `column` is `value` (a parent's key: the warrants of a booking), by key."""
    kind, value = KINDS[kind_name], _column_value(value)
    return unit.children(kind_name, column, value,
                         lambda found: identity(kind_name, {k: getattr(found, k) for k in kind.keys}),
                         lambda: [parse(kind.entity, row) for row in unit.rows(kind.table, (column,), (value,))])


def state_at(unit: Unit, kind_name: str, at: datetime, day: date, **key: Any) -> Any:
    """One entity as it stood at `at` (local day `day`), folded from its own events: the facts in force at
    an act, whatever was recorded since (domain.history)."""

    def evolve(current: Any, event: Any, occurred_at: datetime) -> Any:
        changes = dict(PROJECTORS[event_type(event)])
        assert kind_name in changes, f"{event_type(event)} in the {kind_name} stream"
        return changes[kind_name](current, event, occurred_at, "")

    return history.state_at(unit.history(stream_of(kind_name, key)), at, day, evolve)


Changed = dict[tuple[str, tuple[Any, ...]], tuple[sa.Table, tuple[str, ...], dict[str, Any], Any]]


def fold(read: Callable[..., Any], events: Sequence[object], at: datetime, actor: str, known: Known) -> Changed:
    """Each event folded into its entities: their new state, by identity, as (table, key columns, row, entity).
    `known` holds the entities this command already read or changed; `read` finds any other."""
    changed: Changed = {}
    for event in events:
        name = event_type(event)
        if name not in PROJECTORS:
            raise KeyError(f"no projector registered for event type {name!r}")
        for kind_name, evolve in PROJECTORS[name]:
            kind = KINDS[kind_name]
            key = {k: getattr(event, k) for k in kind.keys}
            ident = identity(kind_name, key)
            current = known[ident] if ident in known else read(kind_name, **key)
            updated = known[ident] = evolve(current, event, at, actor)
            changed[ident] = (kind.table, kind.keys, to_row(updated), updated)
    return changed


def project(conn: Connection, events: Sequence[object], at: datetime, actor: str, known: Known) -> None:
    """Fold events into projection tables over a plain connection (verify's rebuild into a scratch database);
    `known` keeps entities between calls, and may be emptied at any time."""
    for ident, (_, _, row, _) in fold(functools.partial(load, conn), events, at, actor, known).items():
        kind = KINDS[ident[0]]
        if conn.execute(kind.update_one, {**row, **kind.key_params(row)}).rowcount == 0:
            conn.execute(kind.insert_one, row)
