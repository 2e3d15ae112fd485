"""Reads the web pages need beyond app/reads.py: a hold's timeline, the warrants an officer may serve now and
what serving one would do, an agreement's history, the ledger filtered, and the live counts of the reports page.

Same contract as reads.py: every reader takes (conn, principal, ...), sees only the caller's agencies, answers
an object outside them as absent, and appends an access record for any read that touches a person's record
(DESIGN.md guarantee 7): run them with `reads.run`, which commits those records before the read is answered.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain import clock
from custody_ledger.domain.errors import DomainError, NotFound
from custody_ledger.domain.model import (
    AgreementModel,
    AgreementStatus,
    BookingStatus,
    CertificateStatus,
    HoldStatus,
    WarrantForm,
    WarrantStatus,
)
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db
from custody_ledger.ledger import schema as s
from custody_ledger.settings import Settings

from . import admin, checkpoints, reads
from .access import agencies_in_scope
from .auth import Forbidden, Principal, Role

Item = dict[str, Any]

# The rule that governs each kind of event on a hold's timeline, where the event does not name its own
# (hold_opened names its limit rule; alerts and flags their rule). A release names the rule that checked
# its reason (DOMAIN.md: "limit reached" only at the deadline, "warrant cancelled" only for a cancelled one).
_EVENT_RULES = {
    "person_booked": "lifecycle.booking",
    "released_from_criminal_custody": "lifecycle.booking",
    "warrant_lodged": "warrant.lodged_while_held",
    "warrant_served": "warrant.servable",
    "warrant_cancelled": "lifecycle.warrant",
    "custody_transferred": "hold.ends_once",
}
_RELEASE_RULES = {"limit_reached": "release.limit_reached", "warrant_cancelled": "release.warrant_cancelled"}
SERVABLE = (WarrantForm.I200.value, WarrantForm.I205.value)




def _in_scope(conn: Connection, principal: Principal, agency_id: str) -> bool:
    scope = agencies_in_scope(conn, principal)
    return scope is None or agency_id in scope


def _scoped(conn: Connection, principal: Principal, column: sa.Column[Any]) -> list[sa.ColumnElement[bool]]:
    scope = agencies_in_scope(conn, principal)
    return [] if scope is None else [column.in_(sorted(scope))]


def rule_words(policy: Policy, rule_id: str | None, at: datetime, timezone: str) -> Item | None:
    """A rule's id, citation and sentence as in force at `at` on the facility's calendar; None if unknown."""
    if rule_id is None:
        return None
    try:
        rule = policy.at(at, ZoneInfo(timezone)).rule(rule_id)
    except (KeyError, DomainError):
        return None
    return {"rule_id": rule.id, "citation": rule.cite, "text": rule.text}


# --- a hold's timeline -----------------------------------------------------------------------------------


def hold_timeline(conn: Connection, principal: Principal, hold_id: str, *, now: datetime, mfa_required: bool,
                  policy: Policy) -> list[Item]:
    """Every event of the hold, its booking and its warrant, its alerts and flags, oldest first: each with the
    rule that governs it, that rule's citation, and its receipt (the chain hash)."""
    resource = f"hold:{hold_id}:timeline"
    reads.require_mfa(conn, principal, "read_hold_timeline", resource, now, mfa_required)
    hold = conn.execute(sa.select(s.holds.c.booking_id, s.holds.c.warrant_id, s.holds.c.agency_id,
                                  s.facilities.c.timezone)
                        .join(s.facilities, s.facilities.c.facility_id == s.holds.c.facility_id)
                        .where(s.holds.c.hold_id == hold_id)).first()
    if hold is None or not _in_scope(conn, principal, hold.agency_id):
        reads.log_read(conn, principal, "read_hold_timeline", resource, "not_found", now)
        raise NotFound.of("hold_id", hold_id)
    stream = s.events.c.stream
    rows = conn.execute(sa.select(s.events).where(sa.or_(
        stream.in_([f"hold:{hold_id}", f"booking:{hold.booking_id}", f"warrant:{hold.warrant_id}"]),
        stream.startswith(f"alert:{hold_id}:", autoescape=True),
        stream.startswith(f"flag:{hold_id}:", autoescape=True),
    )).order_by(s.events.c.seq)).all()
    reads.log_read(conn, principal, "read_hold_timeline", resource, "ok", now, [r.seq for r in rows])
    return [_timeline_item(row, policy, hold.timezone) for row in rows]


def _timeline_item(row: Any, policy: Policy, timezone: str) -> Item:
    payload = json.loads(row.payload)
    rule_id = payload.get("rule_id") or payload.get("limit_rule_id") or _EVENT_RULES.get(row.type)
    if row.type == "hold_released":
        rule_id = _RELEASE_RULES.get(payload.get("reason", ""), "hold.ends_once")
    # Only facts that name no one: the person is in the person store, never in a payload shown here.
    facts = {k: payload[k] for k in ("reason", "threshold", "receiving_officer", "form", "number", "officer_id",
                                     "detail", "decision") if payload.get(k) not in (None, "")}
    return {"seq": row.seq, "type": row.type, "occurred_at": row.occurred_at, "recorded_at": row.recorded_at,
            "actor": row.actor, "hash": row.hash, "facts": facts,
            "rule": rule_words(policy, rule_id, row.occurred_at, timezone)}


# --- serving a warrant -----------------------------------------------------------------------------------


_SERVABLE = (sa.select(s.warrants.c.warrant_id, s.warrants.c.form, s.warrants.c.number, s.warrants.c.booking_id,
                       s.warrants.c.agency_id, s.bookings.c.released_at, s.bookings.c.release_reason,
                       s.bookings.c.subject_id, s.subjects.c.state.label("person_state"),
                       s.facilities.c.name.label("facility_name"), s.facilities.c.timezone)
             .join(s.bookings, s.bookings.c.booking_id == s.warrants.c.booking_id)
             .join(s.subjects, s.subjects.c.subject_id == s.bookings.c.subject_id)
             .join(s.facilities, s.facilities.c.facility_id == s.bookings.c.facility_id))


def servable_warrants(conn: Connection, principal: Principal, *, now: datetime, mfa_required: bool,
                      policy: Policy, limit: int = 100) -> list[Item]:
    """Lodged I-200/I-205 warrants of people released from criminal custody and under no open hold, most
    recently released first: what a WSO of the agency may be asked to serve now."""
    reads.require_mfa(conn, principal, "list_servable_warrants", "warrants?servable", now, mfa_required)
    held = sa.select(s.holds.c.booking_id).where(s.holds.c.status == HoldStatus.OPEN.value)
    rows = conn.execute(_SERVABLE.where(
        s.warrants.c.status == WarrantStatus.LODGED.value, s.warrants.c.form.in_(SERVABLE),
        s.bookings.c.status == BookingStatus.RELEASED.value, s.bookings.c.booking_id.not_in(held),
        *_scoped(conn, principal, s.warrants.c.agency_id),
    ).order_by(s.bookings.c.released_at.desc(), s.warrants.c.warrant_id).limit(limit)).all()
    items = [dict(row._mapping) for row in rows]
    for item in items:
        # Whether the limit counted from the release has run out: such a person had to be released, not arrested.
        limit_end = _limit_if_served(policy, item["released_at"], now, item["timezone"])[1]
        item.update(limit_end=limit_end, too_late=limit_end is not None and now >= limit_end)
    reads.log_read(conn, principal, "list_servable_warrants", "warrants?servable", "ok", now,
                   [i["warrant_id"] for i in items])
    return reads.with_people(conn, principal, items, policy, now, name_only=True)


def serve_preview(conn: Connection, principal: Principal, warrant_id: str, *, now: datetime, mfa_required: bool,
                  policy: Policy) -> Item:
    """What serving this warrant now would do: the deadline it would open (none under an IGSA), counted as
    domain/custody.py counts it, or the rule that would refuse it. The command itself judges again on confirm:
    this is a preview, never a decision."""
    resource = f"warrant:{warrant_id}:serve"
    reads.require_mfa(conn, principal, "preview_serve", resource, now, mfa_required)
    row = conn.execute(_SERVABLE.add_columns(s.warrants.c.status, s.bookings.c.status.label("booking_status"))
                       .where(s.warrants.c.warrant_id == warrant_id)).first()
    if row is None or not _in_scope(conn, principal, row.agency_id):
        reads.log_read(conn, principal, "preview_serve", resource, "not_found", now)
        raise NotFound.of("warrant_id", warrant_id)
    reads.log_read(conn, principal, "preview_serve", resource, "ok", now)
    item = reads.with_people(conn, principal, [dict(row._mapping)], policy, now, name_only=True)[0]
    zone = ZoneInfo(row.timezone)
    refusal = _serve_refusal(conn, principal, row, now)
    igsa = _has_igsa(conn, row.agency_id)
    item.update(igsa=igsa, refusal=None, clock_started_at=None, deadline=None, deadline_local=None, limit_rule=None)
    if refusal is None and row.released_at is not None:
        start, limit_end, rule_id = _limit_if_served(policy, row.released_at, now, row.timezone)
        item.update(clock_started_at=start, limit_rule=rule_words(policy, rule_id, start, row.timezone))
        if limit_end is not None and now >= limit_end:
            refusal = ("custody.serve_within_limit", f"The limit counted from the release ran out at "
                       f"{limit_end.astimezone(zone):%a %d %b %Y %H:%M %Z}; the person had to be released.")
        elif not igsa and limit_end is not None:
            item.update(deadline=limit_end, deadline_local=limit_end.astimezone(zone),
                        seconds_left=int((limit_end - now).total_seconds()))
    if refusal is not None:
        words = rule_words(policy, refusal[0], now, row.timezone) or {"rule_id": refusal[0]}
        item["refusal"] = {**words, "message": refusal[1]}
    return item


def _limit_if_served(policy: Policy, released_at: datetime, now: datetime,
                     timezone: str) -> tuple[datetime, datetime | None, str]:
    """(clock start, end of the limit, its rule) of a hold opened now, counted as domain/custody.py counts it: from
    the earlier of release and arrest, under the rule in force on the facility's day the clock started."""
    zone = ZoneInfo(timezone)
    start = clock.clock_start(released_at, now)
    started = policy.at(start, zone)
    terms = started.custody_limit
    return start, clock.deadline(start, terms.limit, terms.counting, zone, started.is_holiday), terms.rule.id


def _serve_refusal(conn: Connection, principal: Principal, row: Any, now: datetime) -> tuple[str, str] | None:
    """The first rule of domain/custody.decide_serve_warrant the facts on record already break, in its order."""
    if principal.officer_id is not None:
        cert = conn.execute(sa.select(s.certificates.c.status).where(
            s.certificates.c.officer_id == principal.officer_id,
            s.certificates.c.model == AgreementModel.WSO.value)).scalar()
        if cert != CertificateStatus.CURRENT.value:
            return ("certificate.current_required", "You hold no current WSO certificate.")
    if row.form not in SERVABLE or row.status != WarrantStatus.LODGED.value:
        return ("warrant.servable", f"Warrant {row.warrant_id} is a {row.form} ({row.status}); only a lodged "
                "I-200 or I-205 may be served.")
    if row.booking_status != BookingStatus.RELEASED.value or row.released_at is None:
        return ("wso.after_release", f"Booking {row.booking_id} is still in criminal custody; the warrant may be "
                "served only at release.")
    open_hold = conn.execute(sa.select(s.holds.c.hold_id).where(
        s.holds.c.booking_id == row.booking_id, s.holds.c.status == HoldStatus.OPEN.value)).scalar()
    if open_hold is not None:
        return ("hold.one_open_per_booking", f"Booking {row.booking_id} is already under open hold {open_hold}.")
    return None


def _has_igsa(conn: Connection, agency_id: str) -> bool:
    return bool(conn.execute(sa.select(s.agreements.c.igsa).where(
        s.agreements.c.agency_id == agency_id, s.agreements.c.model == AgreementModel.WSO.value,
        s.agreements.c.status == AgreementStatus.ACTIVE.value, s.agreements.c.igsa.is_(True))).first())


# --- agreements ------------------------------------------------------------------------------------------


def agreement(conn: Connection, principal: Principal, agreement_id: str) -> Item:
    """One agreement with its agency, its lifecycle from the ledger, its documents (MOA, addenda) and the
    certificates issued under it."""
    row = conn.execute(sa.select(s.agreements, s.agencies.c.name.label("agency_name"),
                                 s.agencies.c.field_office_id, s.agencies.c.state)
                       .join(s.agencies, s.agencies.c.agency_id == s.agreements.c.agency_id)
                       .where(s.agreements.c.agreement_id == agreement_id)).first()
    if row is None or not _in_scope(conn, principal, row.agency_id):
        raise NotFound.of("agreement_id", agreement_id)
    item = dict(row._mapping)
    history = conn.execute(sa.select(s.events.c.seq, s.events.c.type, s.events.c.occurred_at, s.events.c.actor,
                                     s.events.c.hash, s.events.c.payload)
                           .where(s.events.c.stream == f"agreement:{agreement_id}").order_by(s.events.c.seq))
    item["history"] = [{**e._mapping, "payload": json.loads(e.payload)} for e in history]
    item["certificates"] = [dict(c._mapping) for c in conn.execute(
        sa.select(s.certificates, s.officers.c.name.label("officer_name"))
        .join(s.officers, s.officers.c.officer_id == s.certificates.c.officer_id)
        .where(s.certificates.c.agreement_id == agreement_id).order_by(s.certificates.c.officer_id))]
    item["documents"] = [dict(d._mapping) for d in conn.execute(
        sa.select(s.agreement_documents).where(s.agreement_documents.c.agreement_id == agreement_id)
        .order_by(s.agreement_documents.c.dated_on, s.agreement_documents.c.document_id))]
    return item


# --- the ledger ------------------------------------------------------------------------------------------


def events(conn: Connection, principal: Principal, *, now: datetime, mfa_required: bool, type: str | None = None,
           stream: str | None = None, after: int | None = None, before: int | None = None,
           limit: int = 50) -> reads.Page:
    """The ledger by sequence number, newest first, narrowed by event type and stream prefix: auditors and
    program administrators only, as reads.events. `after`/`before` page towards older / newer events."""
    if principal.role not in (Role.AUDITOR, Role.PROGRAM_ADMIN):
        raise Forbidden(f"the {principal.role.value} role may not read the ledger", field="role")
    reads.require_mfa(conn, principal, "read_events", "events", now, mfa_required)
    seq = s.events.c.seq
    query = sa.select(s.events).where(
        *([] if not type else [s.events.c.type == type]),
        *([] if not stream else [s.events.c.stream.startswith(stream, autoescape=True)]),
        *([] if after is None else [seq < after]), *([] if before is None else [seq > before]))
    order = seq.asc() if before is not None else seq.desc()
    rows = conn.execute(query.order_by(order).limit(limit + 1)).all()
    shown = sorted(rows[:limit], key=lambda r: -r.seq)
    more = len(rows) > limit
    items = [{**r._mapping, "payload": json.loads(r.payload)} for r in shown]
    reads.log_read(conn, principal, "list_events", f"events?type={type or ''}&stream={stream or ''}", "ok", now,
         [i["seq"] for i in items])
    return reads.Page(items, items[-1]["seq"] if items and (more or before is not None) else None)


# --- reports ---------------------------------------------------------------------------------------------


# Bars of the open-holds chart: (label, upper bound of time left in hours). Overdue and IGSA are their own bars.
BUCKETS = (("under 1 h", 1), ("1–4 h", 4), ("4–12 h", 12), ("12–24 h", 24), ("24–48 h", 48), ("over 48 h", None))


def report(conn: Connection, principal: Principal, *, now: datetime) -> Item:
    """Live counts over the caller's agencies: counts only, no person, so no access record."""
    holds = s.holds
    scope = _scoped(conn, principal, holds.c.agency_id)
    open_rows = conn.execute(sa.select(holds.c.deadline).where(holds.c.status == HoldStatus.OPEN.value, *scope)).all()
    bars = {"overdue": 0, **{label: 0 for label, _ in BUCKETS}, "IGSA (no limit)": 0}
    for (deadline,) in open_rows:
        if deadline is None:
            bars["IGSA (no limit)"] += 1
        elif deadline <= now:
            bars["overdue"] += 1
        else:
            hours = (deadline - now).total_seconds() / 3600
            bars[next(label for label, bound in BUCKETS if bound is None or hours < bound)] += 1
    since = now - timedelta(days=30)
    ended: dict[str, int] = dict(conn.execute(sa.select(holds.c.status, sa.func.count()).where(
        holds.c.ended_at >= since, *scope).group_by(holds.c.status)).all())
    past_limit = conn.execute(sa.select(sa.func.count()).where(holds.c.past_limit.is_(True), *scope)).scalar_one()
    agreements: dict[str, int] = dict(conn.execute(sa.select(s.agreements.c.status, sa.func.count()).where(
        *_scoped(conn, principal, s.agreements.c.agency_id)).group_by(s.agreements.c.status)).all())
    certified = conn.execute(sa.select(sa.func.count()).where(
        s.certificates.c.status == CertificateStatus.CURRENT.value,
        *_scoped(conn, principal, s.certificates.c.agency_id))).scalar_one()
    refused = conn.execute(sa.select(sa.func.count()).select_from(s.refusals).where(
        s.refusals.c.occurred_at >= since, *_scoped(conn, principal, s.refusals.c.agency_id))).scalar_one()
    return {"open": len(open_rows), "bars": bars, "transferred_30d": ended.get(HoldStatus.TRANSFERRED.value, 0),
            "released_30d": ended.get(HoldStatus.RELEASED.value, 0), "past_limit": past_limit,
            "agreements": agreements, "certified": certified, "refused_30d": refused}


# --- verifying the chain --------------------------------------------------------------------------------


def verify_ledger(engine: Engine, principal: Principal, *, now: datetime, settings: Settings) -> Item:
    """`custody-ledger verify` for an auditor's browser: the chain, the receipts and the access log's own chain,
    then the newest signed checkpoint when the server keeps a log (app/checkpoints.py). The check is logged."""
    if principal.role not in (Role.AUDITOR, Role.PROGRAM_ADMIN):
        raise Forbidden(f"the {principal.role.value} role may not verify the ledger", field="role")
    report = admin.verify(engine)
    item: Item = {"ok": report.ok, "checked": report.checked, "head_hash": report.head_hash,
                  "first_broken": report.first_broken, "reason": report.reason, "part": report.part,
                  "access_checked": report.access_checked, "checkpoint": None, "checkpoint_error": None}
    if settings.checkpoint_key_file is not None and settings.checkpoint_log is not None:
        try:
            verifier = checkpoints.Signer.from_file(settings.checkpoint_key_file).verifier
            last = checkpoints.last_checkpoint(settings.checkpoint_log, verifier)
        except checkpoints.CheckpointError as exc:
            item["checkpoint_error"] = str(exc)
        else:
            item["checkpoint"] = None if last is None else {
                "origin": last.origin, "size": last.size, "root": base64.b64encode(last.root).decode(),
                "head": last.head, "time": last.time, "covered": last.size <= report.checked}
    with db.write_transaction(engine) as conn:
        reads.log_read(conn, principal, "verify_ledger", "events", "ok" if report.ok else "broken", now)
    return item
