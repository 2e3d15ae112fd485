"""Projection tables read whole, for exports: holds, agreements, officers (and their agency scope)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.ledger import projections
from custody_ledger.ledger.schema import UTCDateTime

# What may be exported as a table, and the projection each one is.
EXPORTABLE: dict[str, str] = {"holds": "hold", "agreements": "agreement", "officers": "officer"}


def columns(what: str) -> list[str]:
    return [c.name for c in projections.KINDS[EXPORTABLE[what]].table.columns]


def rows(engine: Engine, what: str, agency_ids: frozenset[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every row, in key order; only the agencies named when `agency_ids` is given (a scoped caller's)."""
    kind = projections.KINDS[EXPORTABLE[what]]
    query = sa.select(kind.table).order_by(*(kind.table.c[k] for k in kind.keys))
    if agency_ids is not None:
        query = query.where(kind.table.c.agency_id.in_(sorted(agency_ids)))
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            yield dict(row._mapping)


def column_kinds(what: str) -> dict[str, str]:
    """Each column's kind of value (text, day, instant, bool, int): what a typed export's schema is built from."""
    def kind(column: sa.Column[Any]) -> str:
        t = column.type
        if isinstance(t, UTCDateTime):
            return "instant"
        if isinstance(t, sa.Date):
            return "day"
        if isinstance(t, sa.Boolean):
            return "bool"
        if isinstance(t, sa.Integer):
            return "int"
        return "text"
    return {c.name: kind(c) for c in projections.KINDS[EXPORTABLE[what]].table.columns}
