"""Scoped read models for the API and the web pages: only what the caller's agency scope covers.

Every reader takes (conn, principal, ...) and filters by `access.agencies_in_scope`; an object
outside the scope is answered as absent (404), never as forbidden, so its existence does not leak.
Reading a person's record (booking, warrant, hold, or the ledger that holds them) appends an access
record in the same transaction as the read (DESIGN.md guarantee 7) and, when MFA is required, needs
a session that passed the second factor (FBI CJIS Security Policy 5.6.2.2).
Lists page by primary key: `after` is the last key of the previous page, `next` the key to pass on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from custody_ledger.domain import clock, watch
from custody_ledger.domain.errors import DomainError, Invalid, NotFound
from custody_ledger.domain.model import AgreementModel, HoldStatus, SubjectState, WatchKind
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import schema as s

from . import access_records, persons
from .access import agencies_in_scope
from .auth import Forbidden, Principal, Role, log_access

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
Item = dict[str, Any]


@dataclass(frozen=True)
class Page:
    items: list[Item]
    next: str | int | None


def run(engine: Engine, reader: Callable[Concatenate[Connection, Principal, P], T], principal: Principal,
        *args: P.args, **kwargs: P.kwargs) -> T:
    """One read in its own transaction, as a plain reader that never holds up a command. A person-record read's
    access records are committed, with those of the reads that finished meanwhile (access_records.py), before
    it is answered, a refused read's before the refusal is raised."""
    failure: DomainError | None = None
    with access_records.collecting() as records, engine.connect() as conn, conn.begin():
        try:
            found = reader(conn, principal, *args, **kwargs)
        except DomainError as error:
            failure = error
    access_records.writer_of(engine).write(engine, records)
    if failure is not None:
        raise failure
    return found


# --- reference data: not person records ---------------------------------------------------------------


def field_offices(conn: Connection, principal: Principal, *, after: str | None = None,
                  limit: int = DEFAULT_LIMIT) -> Page:
    offices = _offices_in_scope(conn, principal)
    query = sa.select(s.field_offices).where(*_within(s.field_offices.c.field_office_id, offices))
    return _page(conn, query, s.field_offices.c.field_office_id, after, limit)


def agencies(conn: Connection, principal: Principal, *, field_office_id: str | None = None,
             after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    query = sa.select(s.agencies).where(*_scoped(conn, principal, s.agencies.c.agency_id),
                                        *_equal(s.agencies.c.field_office_id, field_office_id))
    return _page(conn, query, s.agencies.c.agency_id, after, limit)


def facilities(conn: Connection, principal: Principal, *, agency_id: str | None = None,
               after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    query = sa.select(s.facilities).where(*_scoped(conn, principal, s.facilities.c.agency_id),
                                          *_equal(s.facilities.c.agency_id, agency_id))
    return _page(conn, query, s.facilities.c.facility_id, after, limit)


def agreements(conn: Connection, principal: Principal, *, agency_id: str | None = None, model: str | None = None,
               status: str | None = None, after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    query = sa.select(s.agreements).where(*_scoped(conn, principal, s.agreements.c.agency_id),
                                          *_equal(s.agreements.c.agency_id, agency_id),
                                          *_equal(s.agreements.c.model, model), *_equal(s.agreements.c.status, status))
    return _page(conn, query, s.agreements.c.agreement_id, after, limit)


def officers(conn: Connection, principal: Principal, *, agency_id: str | None = None,
             after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    query = sa.select(s.officers).where(*_scoped(conn, principal, s.officers.c.agency_id),
                                        *_equal(s.officers.c.agency_id, agency_id))
    return _page(conn, query, s.officers.c.officer_id, after, limit)


def officer(conn: Connection, principal: Principal, officer_id: str) -> Item:
    """One officer with trainings, certificates and the history of each certificate from the ledger."""
    row = conn.execute(sa.select(s.officers).where(s.officers.c.officer_id == officer_id)).first()
    if row is None or not _visible(conn, principal, row.agency_id):
        raise NotFound.of("officer_id", officer_id)
    item = dict(row._mapping)
    item["trainings"] = _rows(conn, sa.select(s.trainings).where(s.trainings.c.officer_id == officer_id)
                              .order_by(s.trainings.c.completed_on, s.trainings.c.training_id))
    item["certificates"] = _rows(conn, sa.select(s.certificates).where(s.certificates.c.officer_id == officer_id)
                                 .order_by(s.certificates.c.model))
    streams = [f"certificate:{officer_id}:{model.value}" for model in AgreementModel]
    history = conn.execute(sa.select(s.events.c.seq, s.events.c.stream, s.events.c.type, s.events.c.occurred_at,
                                     s.events.c.payload).where(s.events.c.stream.in_(streams)).order_by(s.events.c.seq))
    item["certificate_history"] = [
        {"seq": e.seq, "type": e.type, "model": e.stream.rsplit(":", 1)[1], "occurred_at": e.occurred_at,
         "reason": json.loads(e.payload).get("reason")} for e in history
    ]
    return item


# --- person records: MFA-gated and read-logged ----------------------------------------------------------


_BOOKINGS = sa.select(s.bookings, s.subjects.c.state.label("person_state")).join(
    s.subjects, s.subjects.c.subject_id == s.bookings.c.subject_id)


def bookings(conn: Connection, principal: Principal, *, now: datetime, mfa_required: bool, policy: Policy,
             facility_id: str | None = None, agency_id: str | None = None, status: str | None = None,
             after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    page = _person_list(conn, principal, "bookings", _BOOKINGS, s.bookings.c.booking_id,
                        {"facility_id": facility_id, "agency_id": agency_id, "status": status},
                        now=now, mfa_required=mfa_required, after=after, limit=limit)
    return Page(with_people(conn, principal, page.items, policy, now), page.next)


def booking(conn: Connection, principal: Principal, booking_id: str, *, now: datetime, mfa_required: bool,
            policy: Policy) -> Item:
    resource = f"booking:{booking_id}"
    require_mfa(conn, principal, "read_booking", resource, now, mfa_required)
    row = conn.execute(_BOOKINGS.where(s.bookings.c.booking_id == booking_id)).first()
    found = dict(_found(conn, principal, row, "read_booking", resource, "booking_id", now)._mapping)
    return with_people(conn, principal, [found], policy, now)[0]


def person_search(conn: Connection, principal: Principal, *, name: str, dob: date, now: datetime, mfa_required: bool,
                  policy: Policy, limit: int = DEFAULT_LIMIT) -> Page:
    """The bookings in scope of the person with this name and date of birth, found by their keyed match token
    (app/persons.py), never by decrypting every record. Logged with its query as that token: the access log
    keeps who searched for whom without holding the name. A sealed record is found only by the roles that may
    see it; an expunged one by no one (its token is destroyed)."""
    require_mfa(conn, principal, "search_persons", "persons", now, mfa_required)
    keys = persons.keyring()
    subjects = persons.subjects_matching(conn, name, dob, keys)
    allowed = _sees_sealed(principal, policy, now)
    states = [SubjectState.OPEN.value, *([SubjectState.SEALED.value] if allowed else [])]
    query = _BOOKINGS.where(s.bookings.c.subject_id.in_(subjects), s.subjects.c.state.in_(states),
                            *_scoped(conn, principal, s.bookings.c.agency_id))
    page = _page(conn, query, s.bookings.c.booking_id, None, limit)
    token = persons.match_token(name, dob, keys)
    log_read(conn, principal, "search_persons", f"persons?match={token}", "ok", now,
         [item["booking_id"] for item in page.items])
    return Page(with_people(conn, principal, page.items, policy, now), page.next)


def _sees_sealed(principal: Principal, policy: Policy, now: datetime) -> bool:
    """Whether the caller's role may see a sealed person's data (person.sealed_access)."""
    return principal.role.value in policy.at(now, ZoneInfo("UTC")).sealed_record_roles


def with_people(conn: Connection, principal: Principal, items: list[Item], policy: Policy, now: datetime,
                *, name_only: bool = False) -> list[Item]:
    """Each item's person, decrypted from the person store (app/persons.py) for those who may see it: a sealed
    record only for the roles the policy names (person.sealed_access), an expunged one for no one."""
    allowed = _sees_sealed(principal, policy, now)
    visible = [i["subject_id"] for i in items
               if i["person_state"] == SubjectState.OPEN.value or
               (i["person_state"] == SubjectState.SEALED.value and allowed)]
    people = persons.reveal(conn, visible, persons.keyring()) if visible else {}
    shown = []
    for item in items:
        person = people.get(item["subject_id"])
        named = {**item, "person_name": None if person is None else person.name}
        if not name_only:
            named.update(person_dob=None if person is None else person.dob,
                         a_number=None if person is None else person.a_number)
        shown.append(named)
    return shown


def warrants(conn: Connection, principal: Principal, *, now: datetime, mfa_required: bool,
             booking_id: str | None = None, agency_id: str | None = None, status: str | None = None,
             after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    return _person_list(conn, principal, "warrants", sa.select(s.warrants), s.warrants.c.warrant_id,
                        {"booking_id": booking_id, "agency_id": agency_id, "status": status},
                        now=now, mfa_required=mfa_required, after=after, limit=limit)


def warrant(conn: Connection, principal: Principal, warrant_id: str, *, now: datetime, mfa_required: bool) -> Item:
    resource = f"warrant:{warrant_id}"
    require_mfa(conn, principal, "read_warrant", resource, now, mfa_required)
    row = conn.execute(sa.select(s.warrants).where(s.warrants.c.warrant_id == warrant_id)).first()
    return dict(_found(conn, principal, row, "read_warrant", resource, "warrant_id", now)._mapping)


_HOLDS = sa.select(s.holds, s.facilities.c.timezone).join(
    s.facilities, s.facilities.c.facility_id == s.holds.c.facility_id)
# Soonest deadline first, IGSA holds (no deadline) last, then by id: the order of time left, for the API
# list and the CLI board alike.
_BY_DEADLINE = (s.holds.c.deadline.is_(None), s.holds.c.deadline)


def holds(conn: Connection, principal: Principal, *, now: datetime, mfa_required: bool, status: str | None = None,
          facility_id: str | None = None, agency_id: str | None = None, due_within: timedelta | None = None,
          after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """Holds by time left, with their deadline in UTC and facility time; `due_within` keeps open holds due by
    now + it. `after` is still the last hold id of the previous page: the page resumes after its place."""
    def seek(last: object) -> sa.ColumnElement[bool]:
        return _after_hold(conn, principal, str(last))

    return _person_list(conn, principal, "holds", _HOLDS.where(*_due(now, due_within)), s.holds.c.hold_id,
                        {"status": status, "facility_id": facility_id, "agency_id": agency_id},
                        noted={"due_within": None if due_within is None else int(due_within.total_seconds())},
                        now=now, mfa_required=mfa_required, after=after, limit=limit, shape=lambda row: _hold(row, now),
                        order=_BY_DEADLINE, seek=seek)


def open_holds(engine: Engine, now: datetime, due_within: timedelta | None = None) -> list[Item]:
    """Every open hold by time left, with its facility's name: the operator's board on the command line
    (a local administrator's read, outside any API scope)."""
    # The newest alert the watchdog raised for the hold: the board shows what the ledger says, not a recount.
    newest = (sa.select(s.alerts.c.kind, s.alerts.c.threshold).where(
        s.alerts.c.hold_id == s.holds.c.hold_id, s.alerts.c.stage == s.holds.c.alert_stage - 1)
        .correlate(s.holds))
    query = (_HOLDS.add_columns(s.facilities.c.name.label("facility_name"),
                                newest.with_only_columns(s.alerts.c.kind).scalar_subquery().label("alert_kind"),
                                newest.with_only_columns(s.alerts.c.threshold).scalar_subquery()
                                .label("alert_threshold"))
             .where(s.holds.c.status == HoldStatus.OPEN.value, *_due(now, due_within))
             .order_by(*_BY_DEADLINE, s.holds.c.hold_id))
    with engine.connect() as conn:
        return [_hold(row, now) for row in conn.execute(query)]


def _due(now: datetime, due_within: timedelta | None) -> list[sa.ColumnElement[bool]]:
    if due_within is None:
        return []
    return [s.holds.c.status == HoldStatus.OPEN.value, s.holds.c.deadline.is_not(None),
            s.holds.c.deadline <= now + due_within]


def _after_hold(conn: Connection, principal: Principal, hold_id: str) -> sa.ColumnElement[bool]:
    """The holds after `hold_id` in deadline order; a cursor outside the caller's scope is no cursor."""
    row = conn.execute(sa.select(s.holds.c.deadline).where(
        s.holds.c.hold_id == hold_id, *_scoped(conn, principal, s.holds.c.agency_id))).first()
    if row is None:
        raise Invalid("after must be the `next` of a previous page", field="after")
    deadline, later_id = s.holds.c.deadline, s.holds.c.hold_id > hold_id
    if row.deadline is None:
        return sa.and_(deadline.is_(None), later_id)
    return sa.or_(deadline.is_(None), deadline > row.deadline, sa.and_(deadline == row.deadline, later_id))


def hold(conn: Connection, principal: Principal, hold_id: str, *, now: datetime, mfa_required: bool) -> Item:
    resource = f"hold:{hold_id}"
    require_mfa(conn, principal, "read_hold", resource, now, mfa_required)
    row = conn.execute(_HOLDS.where(s.holds.c.hold_id == hold_id)).first()
    return _hold(_found(conn, principal, row, "read_hold", resource, "hold_id", now), now)


def _hold(row: Row[Any], now: datetime) -> Item:
    item = dict(row._mapping)
    deadline: datetime | None = item["deadline"]
    is_open = item["status"] == HoldStatus.OPEN.value
    item["deadline_local"] = None if deadline is None else deadline.astimezone(ZoneInfo(item["timezone"]))
    left = clock.time_left(deadline, now) if is_open else None
    item["seconds_left"] = None if left is None else int(left.total_seconds())
    item["overdue"] = is_open and clock.is_overdue(deadline, now)
    return item


# --- oversight: the ledger, alerts, the access log ------------------------------------------------------


def events(conn: Connection, principal: Principal, *, now: datetime, mfa_required: bool, after: int | None = None,
           limit: int = DEFAULT_LIMIT) -> Page:
    """The ledger itself, by sequence number: every payload, so only auditors and program admins."""
    if principal.role not in (Role.AUDITOR, Role.PROGRAM_ADMIN):
        raise Forbidden(f"the {principal.role.value} role may not read the ledger", field="role")
    require_mfa(conn, principal, "read_events", "events", now, mfa_required)
    page = _page(conn, sa.select(s.events), s.events.c.seq, after, limit,
                 lambda row: {**row._mapping, "payload": json.loads(row.payload)})
    _log_list(conn, principal, "events", page, "seq", now, after=after)
    return page


def alerts(conn: Connection, principal: Principal, *, now: datetime, mfa_required: bool, policy: Policy,
           agency_id: str | None = None, hold_id: str | None = None, open_only: bool = True,
           unacknowledged: bool = False, after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    """The alerts the watchdog raised (the ledger's `alerts`), each with its hold's person, facility-time
    deadline, time left, rule and next step, and whether the caller acknowledged it. A person-record list:
    MFA-gated, scoped, and logged with every alert id shown."""
    acked = s.alert_acknowledgements
    mine = sa.select(acked.c.acknowledged_at).where(acked.c.alert_id == s.alerts.c.alert_id,
                                                    acked.c.user_id == principal.id).scalar_subquery()
    query = (sa.select(s.alerts, s.holds.c.status.label("hold_status"), s.bookings.c.subject_id,
                       s.subjects.c.state.label("person_state"), s.facilities.c.timezone,
                       mine.label("acknowledged_at"))
             .join(s.holds, s.holds.c.hold_id == s.alerts.c.hold_id)
             .join(s.bookings, s.bookings.c.booking_id == s.alerts.c.booking_id)
             .join(s.subjects, s.subjects.c.subject_id == s.bookings.c.subject_id)
             .join(s.facilities, s.facilities.c.facility_id == s.alerts.c.facility_id))
    if open_only:
        query = query.where(s.holds.c.status == HoldStatus.OPEN.value)
    if unacknowledged:
        query = query.where(mine.is_(None))
    page = _person_list(conn, principal, "alerts", query, s.alerts.c.alert_id,
                        {"agency_id": agency_id, "hold_id": hold_id},
                        noted={"open_only": open_only, "unacknowledged": unacknowledged}, now=now,
                        mfa_required=mfa_required, after=after, limit=limit,
                        shape=lambda row: alert_item(row, now, policy))
    return Page(with_people(conn, principal, page.items, policy, now, name_only=True), page.next)


def alert_item(row: Row[Any], now: datetime, policy: Policy) -> Item:
    """One alert as people read it: the rule's words and citation as in force when it was raised."""
    zone = ZoneInfo(row.timezone)
    rule = policy.at(row.raised_at, zone).rule(row.rule_id)
    item = dict(row._mapping)
    item.update({
        "citation": rule.cite, "message": rule.text, "next_step": watch.next_step(WatchKind(row.kind)),
        "deadline_local": row.deadline.astimezone(zone), "late": watch.is_late(row.late_seconds),
        "seconds_left": int((row.deadline - now).total_seconds()), "acknowledged": row.acknowledged_at is not None,
    })
    return item


def access_log(conn: Connection, principal: Principal, *, principal_id: str | None = None,
               action: str | None = None, after: int | None = None, limit: int = DEFAULT_LIMIT) -> Page:
    if principal.role is not Role.AUDITOR:
        raise Forbidden("only an auditor may read the access log", field="role")
    query = sa.select(s.access_log).where(*_equal(s.access_log.c.principal, principal_id),
                                          *_equal(s.access_log.c.action, action))
    return _page(conn, query, s.access_log.c.seq, after, limit,
                 lambda row: {**row._mapping, "shown": None if row.shown is None else json.loads(row.shown)})


# --- scope, paging and the access record ----------------------------------------------------------------


def _scoped(conn: Connection, principal: Principal, column: sa.Column[Any]) -> list[sa.ColumnElement[bool]]:
    return _within(column, agencies_in_scope(conn, principal))


def _within(column: sa.Column[Any], scope: frozenset[str] | None) -> list[sa.ColumnElement[bool]]:
    return [] if scope is None else [column.in_(sorted(scope))]


def _equal(column: sa.Column[Any], value: object) -> list[sa.ColumnElement[bool]]:
    # An enum goes in by value: psycopg would otherwise dump a Python Enum by its name.
    return [] if value is None else [column == (value.value if isinstance(value, Enum) else value)]


def _visible(conn: Connection, principal: Principal, agency_id: str) -> bool:
    scope = agencies_in_scope(conn, principal)
    return scope is None or agency_id in scope


def _offices_in_scope(conn: Connection, principal: Principal) -> frozenset[str] | None:
    """A supervisor sees their field office even before it has agencies; others, their agencies' offices."""
    if principal.role is Role.ICE_SUPERVISOR:
        return frozenset({principal.field_office_id} if principal.field_office_id else ())
    scope = agencies_in_scope(conn, principal)
    if scope is None:
        return None
    rows = conn.execute(sa.select(s.agencies.c.field_office_id).where(s.agencies.c.agency_id.in_(sorted(scope))))
    return frozenset(rows.scalars())


def _rows(conn: Connection, query: sa.Select[Any]) -> list[Item]:
    return [dict(row._mapping) for row in conn.execute(query)]


def _page(conn: Connection, query: sa.Select[Any], key: sa.Column[Any], after: object, limit: int,
          shape: Callable[[Row[Any]], Item] | None = None, *, order: Sequence[sa.ColumnElement[Any]] = (),
          seek: Callable[[object], sa.ColumnElement[bool]] | None = None) -> Page:
    """A page in `order` then `key`; `seek(after)` selects the rows after the cursor when `order` is given."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if after is not None:
        query = query.where(seek(after) if seek else key > after)
    # One row more than asked tells whether another page exists without a COUNT.
    rows = conn.execute(query.order_by(*order, key).limit(limit + 1)).all()
    shown = rows[:limit]
    items = [shape(row) if shape else dict(row._mapping) for row in shown]
    return Page(items, shown[-1]._mapping[key.name] if len(rows) > limit else None)


def require_mfa(conn: Connection, principal: Principal, action: str, resource: str, now: datetime,
                mfa_required: bool) -> None:
    """Person records need a session that passed the second factor (FBI CJIS Security Policy 5.6.2.2)."""
    if mfa_required and not principal.mfa_passed:
        log_read(conn, principal, action, resource, "refused:mfa", now)
        raise Forbidden("person records need a session that passed the second factor (TOTP); log in again "
                        "with your code", field="totp")


def _found(conn: Connection, principal: Principal, row: Row[Any] | None, action: str, resource: str, field: str,
           now: datetime) -> Row[Any]:
    if row is None or not _visible(conn, principal, row.agency_id):
        # The failed attempt is logged too: oversight asks who looked for records they may not see.
        log_read(conn, principal, action, resource, "not_found", now)
        raise NotFound.of(field, resource.partition(":")[2])
    log_read(conn, principal, action, resource, "ok", now)
    return row


def _person_list(conn: Connection, principal: Principal, what: str, query: sa.Select[Any], key: sa.Column[Any],
                 filters: Mapping[str, object], *, now: datetime, mfa_required: bool, after: str | None, limit: int,
                 noted: Mapping[str, object] | None = None, shape: Callable[[Row[Any]], Item] | None = None,
                 order: Sequence[sa.ColumnElement[Any]] = (),
                 seek: Callable[[object], sa.ColumnElement[bool]] | None = None) -> Page:
    """A list of person records: MFA-gated, within scope, narrowed to rows whose column equals each given
    filter, and logged with the query asked (the filters, what the caller `noted`, `after`)."""
    require_mfa(conn, principal, f"list_{what}", what, now, mfa_required)
    table = key.table
    query = query.where(*_scoped(conn, principal, table.c.agency_id),
                        *(term for name, value in filters.items() for term in _equal(table.c[name], value)))
    page = _page(conn, query, key, after, limit, shape, order=order, seek=seek)
    _log_list(conn, principal, what, page, key.name, now, **filters, **(noted or {}), after=after)
    return page


def _log_list(conn: Connection, principal: Principal, what: str, page: Page, key: str, now: datetime,
              **filters: object) -> None:
    """A list is a read of every record it shows: the query asked, and the id of each record shown."""
    asked = urlencode({k: v for k, v in filters.items() if v is not None})
    log_read(conn, principal, f"list_{what}", f"{what}?{asked}", "ok", now, [item[key] for item in page.items])


def log_read(conn: Connection, principal: Principal, action: str, resource: str, outcome: str, now: datetime,
             shown: list[Any] | None = None) -> None:
    """The access record of a read by `principal` (app/pages.py's too); `resource` cut to the column's 250."""
    log_access(conn, principal.id, action, outcome, now=now, role=principal.role.value,
               agency_id=principal.agency_id, resource=resource[:250], remote=principal.remote, shown=shown)
