"""Opening a database, upgrading its schema, verifying its chain: the CLI's non-command needs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.domain.errors import Conflict, Invalid, NotFound
from custody_ledger.domain.parse import format_instant
from custody_ledger.ledger import db, guards, migrate
from custody_ledger.ledger.schema import access_log, agencies, events, field_offices, officers, users
from custody_ledger.ledger.verify import Report as Report  # the CLI reads verify's answers from here
from custody_ledger.ledger.verify import verify as verify_chain
from custody_ledger.ledger.verify import verify_projections as verify_projections

from . import persons
from .auth import Role, check_scope


def open_engine(url: str | None, *, upgrade: bool = True) -> Engine:
    engine = db.make_engine(url)
    if upgrade:
        migrate.upgrade(engine)
    return engine


def upgrade(engine: Engine) -> None:
    migrate.upgrade(engine)


def has_schema(engine: Engine) -> bool:
    """Whether `init` ever ran here: the ledger's events table exists."""
    with engine.connect() as conn:
        return sa.inspect(conn).has_table(events.name)


def check_account(engine: Engine, user_id: str, role: Role, *, agency_id: str | None = None,
                  field_office_id: str | None = None, officer_id: str | None = None) -> None:
    """Everything about a new account that can be wrong, checked before anyone is asked for a password:
    the role, its scope, that the agency, field office and officer exist, and that the name is free."""
    if role is Role.INTEGRATION:
        raise Invalid("an integration client gets an API key (`custody-ledger key add`), not an account", field="role")
    check_scope(role, agency_id, field_office_id, officer_id)
    with engine.connect() as conn:
        def missing(column: sa.Column[str], value: str | None) -> bool:
            return value is not None and conn.execute(sa.select(column).where(column == value)).first() is None

        if missing(agencies.c.agency_id, agency_id):
            raise NotFound.of("agency_id", str(agency_id))
        if missing(field_offices.c.field_office_id, field_office_id):
            raise NotFound.of("field_office_id", str(field_office_id))
        if missing(officers.c.officer_id, officer_id):
            raise NotFound.of("officer_id", str(officer_id))
        if officer_id is not None and agency_id is not None and conn.execute(sa.select(officers.c.agency_id).where(
                officers.c.officer_id == officer_id)).scalar_one() != agency_id:
            raise Invalid(f"officer {officer_id} does not belong to agency {agency_id}", field="officer_id")
        if conn.execute(sa.select(users.c.user_id).where(users.c.user_id == user_id)).first() is not None:
            raise Conflict(f"user {user_id} already exists", field="user_id")


def verify(engine: Engine, through: int | None = None) -> Report:
    return verify_chain(engine, through)


def grant_service_role(engine: Engine, role: str, *, password: str | None) -> None:
    """PostgreSQL: the role the service connects as may only SELECT and INSERT the append-only tables."""
    with engine.begin() as conn:
        guards.grant_service_role(conn, role, password=password)


def export(engine: Engine, out: TextIO, *, first: int | None = None, last: int | None = None) -> int:
    """The ledger as JSON Lines, every column a verifier needs to recompute the chain (tools/check_export.py), from
    sequence number `first` to `last` inclusive. It holds no person's data: events name people only by subject id
    and commitment (app/persons.py)."""
    count = 0
    for line in ledger_lines(engine, first=first, last=last):
        out.write(line)
        count += 1
    return count


def ledger_lines(engine: Engine, *, first: int | None = None, last: int | None = None) -> Iterator[str]:
    """One JSON line per event, in sequence order; a range's first line carries the prev_hash that links it to
    the events before it."""
    if first is not None and last is not None and last < first:
        raise Invalid(f"--to {last} is before --from {first}", field="to")
    query = sa.select(events).order_by(events.c.seq)
    if first is not None:
        query = query.where(events.c.seq >= first)
    if last is not None:
        query = query.where(events.c.seq <= last)
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            line = {**row._mapping, "occurred_at": format_instant(row.occurred_at),
                    "recorded_at": format_instant(row.recorded_at), "payload": json.loads(row.payload)}
            yield json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n"


def searches_for(engine: Engine, name: str, dob: date) -> list[dict[str, object]]:
    """Who searched for this person (POST /persons/search), from the access log: searches are logged by the
    person's keyed match token, never the name, so an auditor holding the master key asks by name here."""
    token = persons.match_token(name, dob, persons.keyring())
    query = (sa.select(access_log.c.seq, access_log.c.at, access_log.c.principal, access_log.c.role,
                       access_log.c.agency_id, access_log.c.remote, access_log.c.shown)
             .where(access_log.c.action == "search_persons", access_log.c.resource == f"persons?match={token}")
             .order_by(access_log.c.seq))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
