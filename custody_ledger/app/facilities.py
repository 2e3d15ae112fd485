"""A facility as the ledger holds it, for readers outside a transaction (an importer needs its zone)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from custody_ledger.domain.model import Facility
from custody_ledger.ledger import projections


def get(engine: Engine, facility_id: str) -> Facility | None:
    with engine.connect() as conn:
        found: Facility | None = projections.load(conn, "facility", facility_id=facility_id)
        return found
