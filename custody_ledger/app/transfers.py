"""Who may move data in and out over the API, and the access-log record of each import and export.

An import writes through the one write path as the program's own record keeping: the program administrator's, or
a program-wide integration key's (one with no agency, `key add NAME --program-data`). An export of a table is
scoped like a read (an agency's integration key or user gets its own agency's rows, a supervisor its field
office's, the administrator and the auditor all); a program-wide key exports the agreements, which ICE publishes,
and nothing else. The ledger itself, which names every agency's acts, goes to the administrator and the auditor
only (it holds no person's data: app/persons.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from custody_ledger.ledger import db

from .access import agencies_in_scope
from .auth import Forbidden, Principal, Role, log_access

IMPORTERS = frozenset({Role.PROGRAM_ADMIN})
# What a program-wide integration key reaches: ICE's public list, in and out.
PUBLIC_LIST = "agreements"
LEDGER_READERS = frozenset({Role.PROGRAM_ADMIN, Role.AUDITOR})
TABLE_READERS = frozenset({Role.PROGRAM_ADMIN, Role.AUDITOR, Role.ICE_SUPERVISOR, Role.AGENCY_ADMIN,
                           Role.INTEGRATION})


def _program_wide(principal: Principal) -> bool:
    return principal.role is Role.INTEGRATION and principal.agency_id is None


def _log(engine: Engine, principal: Principal, action: str, outcome: str, now: datetime,
         resource: str | None = None) -> None:
    with db.write_transaction(engine) as conn:
        log_access(conn, principal.id, action, outcome, now=now, role=principal.role.value,
                   agency_id=principal.agency_id, resource=resource, remote=principal.remote)


def authorize_import(engine: Engine, principal: Principal, what: str, now: datetime, resource: str) -> None:
    if principal.role not in IMPORTERS and not _program_wide(principal):
        _log(engine, principal, f"import:{what}", "refused", now, resource)
        raise Forbidden(f"the {principal.role.value} role may not import {what}", field="role")
    _log(engine, principal, f"import:{what}", "ok", now, resource)


def export_scope(engine: Engine, principal: Principal, what: str, now: datetime) -> frozenset[str] | None:
    """The agencies whose rows the caller may export (None: all), after logging the export; Forbidden otherwise."""
    allowed = LEDGER_READERS if what == "ledger" else TABLE_READERS
    if _program_wide(principal):
        if what != PUBLIC_LIST:
            _log(engine, principal, f"export:{what}", "refused", now)
            raise Forbidden(f"a program-wide key reaches ICE's public list only, not {what}", field="role")
        _log(engine, principal, f"export:{what}", "ok", now)
        return None
    if principal.role not in allowed:
        _log(engine, principal, f"export:{what}", "refused", now)
        raise Forbidden(f"the {principal.role.value} role may not export {what}", field="role")
    with engine.connect() as conn:
        scope = agencies_in_scope(conn, principal)
    _log(engine, principal, f"export:{what}", "ok", now)
    return scope
