"""Agencies and agreements as ICE's public list shows them: what the ledger holds now (for an import to compare
an edition with) and what it held on any day (for `custody-ledger agreements --as-of`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.domain import agreements as ag
from custody_ledger.domain.model import Agency, Agreement, AgreementDocument
from custody_ledger.ledger import codec, projections
from custody_ledger.ledger.schema import agreements, events


@dataclass(frozen=True)
class Holdings:
    """Everything an edition is compared with."""

    agencies: list[Agency]
    agreements: list[Agreement]
    documents: list[AgreementDocument]
    field_office_exists: bool

    @property
    def last_edition(self) -> date | None:
        """The newest edition an import recorded: editions are imported in date order."""
        days = [d for a in self.agreements for d in (a.listed_on, a.delisted_on) if d is not None]
        return max(days, default=None)


def holdings(engine: Engine, field_office_id: str) -> Holdings:
    with engine.connect() as conn:
        office = projections.load(conn, "field_office", field_office_id=field_office_id)
        return Holdings(projections.load_where(conn, "agency", sa.true()),
                        projections.load_where(conn, "agreement", sa.true()),
                        projections.load_where(conn, "agreement_document", sa.true()),
                        office is not None)


_AGENCY_EVENTS = ("agency_registered", "agency_amended")
_AGREEMENT_EVENTS = ("agreement_requested", "agreement_reviewed", "agreement_signed", "agreement_suspended",
                     "agreement_reinstated", "agreement_terminated", "agreement_resigned", "agreement_amended",
                     "agreement_delisted", "agreement_relisted")


def as_of(engine: Engine, day: date) -> list[dict[str, Any]]:
    """Every agreement as it stood at the end of `day` (UTC), with its agency as it was named then: the
    program's growth read back edition by edition."""
    end = datetime.combine(day + timedelta(days=1), time(), UTC)
    found_agencies: dict[str, Agency] = {}
    found: dict[str, Agreement] = {}
    query = (sa.select(events.c.type, events.c.payload)
             .where(events.c.type.in_(_AGENCY_EVENTS + _AGREEMENT_EVENTS), events.c.occurred_at < end)
             .order_by(events.c.seq))
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            event = codec.decode_payload(row.type, row.payload)
            if row.type in _AGENCY_EVENTS:
                found_agencies[event.agency_id] = ag.evolve_agency(found_agencies.get(event.agency_id), event)
            else:
                found[event.agreement_id] = ag.evolve_agreement(found.get(event.agreement_id), event)
    return [_line(a, found_agencies.get(a.agency_id)) for a in sorted(found.values(), key=_order(found_agencies))]


def _order(agencies: dict[str, Agency]) -> Any:
    def key(a: Agreement) -> tuple[str, str, str]:
        agency = agencies.get(a.agency_id)
        return (agency.state if agency else "", agency.name if agency else a.agency_id, a.model.value)
    return key


def _line(a: Agreement, agency: Agency | None) -> dict[str, Any]:
    return {
        "agreement_id": a.agreement_id, "state": agency.state if agency else None,
        "agency": agency.name if agency else None, "county": agency.county if agency else None,
        "kind": agency.kind.value if agency else None, "model": a.model.value, "status": a.status.value,
        "listed": a.listed_on is not None and a.delisted_on is None,
        "signed_on": a.signed_on, "listed_on": a.listed_on, "delisted_on": a.delisted_on,
    }


def current(engine: Engine, agency_ids: frozenset[str] | None = None) -> Iterator[dict[str, Any]]:
    """The agreements projection as it stands (for exports), optionally only of some agencies."""
    query = sa.select(agreements).order_by(agreements.c.agreement_id)
    if agency_ids is not None:
        query = query.where(agreements.c.agency_id.in_(sorted(agency_ids)))
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            yield dict(row._mapping)
