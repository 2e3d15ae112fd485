"""Projection tables, updated in the same transaction as each append.

PROJECTORS maps every event type to the entity kind it changes and the domain's evolve function
(None: the event changes no projection). An unknown event type is an error, never a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from custody_ledger.domain import agreements as ag
from custody_ledger.domain import custody as cu
from custody_ledger.domain import model as m
from custody_ledger.domain import officers as of
from custody_ledger.domain import oversight as ov
from custody_ledger.domain.events import event_type
from custody_ledger.domain.parse import parse

from . import schema as s


@dataclass(frozen=True)
class Kind:
    table: sa.Table
    entity: type[Any]
    keys: tuple[str, ...]


KINDS: dict[str, Kind] = {
    "field_office": Kind(s.field_offices, m.FieldOffice, ("field_office_id",)),
    "agency": Kind(s.agencies, m.Agency, ("agency_id",)),
    "facility": Kind(s.facilities, m.Facility, ("facility_id",)),
    "agreement": Kind(s.agreements, m.Agreement, ("agreement_id",)),
    "officer": Kind(s.officers, m.Officer, ("officer_id",)),
    "training": Kind(s.trainings, m.Training, ("training_id",)),
    "certificate": Kind(s.certificates, m.Certificate, ("officer_id", "model")),
    "booking": Kind(s.bookings, m.Booking, ("booking_id",)),
    "warrant": Kind(s.warrants, m.Warrant, ("warrant_id",)),
    "hold": Kind(s.holds, m.Hold, ("hold_id",)),
    "refusal": Kind(s.refusals, m.Refusal, ("refusal_id",)),
    "flag": Kind(s.flags, m.Flag, ("flag_id",)),
}

Evolve = Callable[[Any, Any, datetime, str], Any]

PROJECTORS: dict[str, tuple[str, Evolve] | None] = {
    "field_office_registered": ("field_office", lambda cur, e, at, who: ag.evolve_field_office(cur, e)),
    "agency_registered": ("agency", lambda cur, e, at, who: ag.evolve_agency(cur, e)),
    "facility_registered": ("facility", lambda cur, e, at, who: ag.evolve_facility(cur, e)),
    "agreement_requested": ("agreement", lambda cur, e, at, who: ag.evolve_agreement(cur, e)),
    "agreement_reviewed": ("agreement", lambda cur, e, at, who: ag.evolve_agreement(cur, e)),
    "agreement_signed": ("agreement", lambda cur, e, at, who: ag.evolve_agreement(cur, e)),
    "agreement_suspended": ("agreement", lambda cur, e, at, who: ag.evolve_agreement(cur, e)),
    "agreement_reinstated": ("agreement", lambda cur, e, at, who: ag.evolve_agreement(cur, e)),
    "agreement_terminated": ("agreement", lambda cur, e, at, who: ag.evolve_agreement(cur, e)),
    "officer_nominated": ("officer", lambda cur, e, at, who: of.evolve_officer(cur, e)),
    "background_check_recorded": ("officer", lambda cur, e, at, who: of.evolve_officer(cur, e)),
    "training_recorded": ("training", lambda cur, e, at, who: of.evolve_training(cur, e)),
    "officer_certified": ("certificate", lambda cur, e, at, who: of.evolve_certificate(cur, e, at)),
    "certificate_suspended": ("certificate", lambda cur, e, at, who: of.evolve_certificate(cur, e, at)),
    "certificate_revoked": ("certificate", lambda cur, e, at, who: of.evolve_certificate(cur, e, at)),
    "person_booked": ("booking", lambda cur, e, at, who: cu.evolve_booking(cur, e, at)),
    "released_from_criminal_custody": ("booking", lambda cur, e, at, who: cu.evolve_booking(cur, e, at)),
    "status_interviewed": None,
    "detainer_issued": None,
    "ice_data_entered": None,
    "warrant_lodged": ("warrant", lambda cur, e, at, who: cu.evolve_warrant(cur, e, at)),
    "warrant_cancelled": ("warrant", lambda cur, e, at, who: cu.evolve_warrant(cur, e, at)),
    "warrant_served": ("warrant", lambda cur, e, at, who: cu.evolve_warrant(cur, e, at)),
    "hold_opened": ("hold", lambda cur, e, at, who: cu.evolve_hold(cur, e, at)),
    "custody_transferred": ("hold", lambda cur, e, at, who: cu.evolve_hold(cur, e, at)),
    "hold_released": ("hold", lambda cur, e, at, who: cu.evolve_hold(cur, e, at)),
    "action_refused": ("refusal", lambda cur, e, at, who: ov.evolve_refusal(cur, e, at, who)),
    "record_flagged": ("flag", lambda cur, e, at, who: ov.evolve_flag(cur, e, at)),
}


def to_row(entity: object) -> dict[str, Any]:
    return {f.name: _column_value(getattr(entity, f.name)) for f in fields(entity)}  # type: ignore[arg-type]


def _column_value(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _where(kind: Kind, key: dict[str, Any]) -> sa.ColumnElement[bool]:
    return sa.and_(*(kind.table.c[k] == _column_value(key[k]) for k in kind.keys))


def load(conn: Connection, kind_name: str, **key: Any) -> Any:
    """One entity by its key, or None."""
    kind = KINDS[kind_name]
    row = conn.execute(sa.select(kind.table).where(_where(kind, key))).first()
    return None if row is None else parse(kind.entity, dict(row._mapping))


def load_where(conn: Connection, kind_name: str, *conditions: sa.ColumnElement[bool]) -> list[Any]:
    kind = KINDS[kind_name]
    rows = conn.execute(sa.select(kind.table).where(*conditions))
    return [parse(kind.entity, dict(r._mapping)) for r in rows]


def project(conn: Connection, events: Sequence[object], at: datetime, actor: str) -> None:
    for event in events:
        name = event_type(event)
        if name not in PROJECTORS:
            raise KeyError(f"no projector registered for event type {name!r}")
        entry = PROJECTORS[name]
        if entry is None:
            continue
        kind_name, evolve = entry
        kind = KINDS[kind_name]
        key = {k: getattr(event, k) for k in kind.keys}
        current = load(conn, kind_name, **key)
        row = to_row(evolve(current, event, at, actor))
        if current is None:
            conn.execute(kind.table.insert(), row)
        else:
            conn.execute(kind.table.update().where(_where(kind, key)), row)
