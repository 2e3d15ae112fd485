"""Import one edition of ICE's list of participating or pending 287(g) agencies (docs/ice-lists.md).

The edition is compared with what the ledger holds, and what changed becomes commands of the vocabulary, run
through the one write path (app.execute.execute_batch): an agency registered or amended (a county corrected, a
name respelled), an agreement requested (pending), signed, signed again (a new SIGNED date), its MOA and
addenda attached, or delisted (missing from the edition: inferred, never a termination). Each command carries
its source (file, SHA-256, row, as-of date) and is dated on the as-of day, so history loaded late is not
flagged late. Idempotency keys come from the file's hash and the row: importing a file again changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.engine import Engine

from custody_ledger.app import listings
from custody_ledger.app.execute import Result, execute_batch
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.ids import AgencyId, FieldOfficeId
from custody_ledger.domain.model import Agency, Agreement, AgreementStatus, DocumentKind
from custody_ledger.domain.policy import Policy
from custody_ledger.domain.states import state_code

from . import ice_rows, ice_sheet
from .ice_rows import Listing
from .ice_sheet import Problem

# An edition describes its day; noon UTC is that same calendar day from UTC-11 to UTC+11 (Hawaii to Guam and
# the Northern Mariana Islands), so every field office reads the import on the as-of day.
_EDITION_HOUR = time(12, tzinfo=UTC)
_ID_MAX = 95  # an agency id leaves room for ".WSO" within the 100-character ids


@dataclass
class Report:
    file: str
    sha256: str
    as_of: date
    pending: bool
    created: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    delisted: list[str] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    documents: int = 0
    held_back: list[str] = field(default_factory=list)  # states whose delistings a rejected row held back
    duplicates: set[int] = field(default_factory=set)  # rows repeating an earlier row: they hide no agreement

    def summary(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "as_of": self.as_of.isoformat(),
                "list": "pending" if self.pending else "participating", "created": len(self.created),
                "amended": len(self.amended), "unchanged": len(self.unchanged), "delisted": len(self.delisted),
                "rejected": len(self.rejected), "documents": self.documents,
                "delisting_held_back": self.held_back,
                "problems": [{"row": p.row, "column": p.column, "message": p.message} for p in self.rejected]}


@dataclass
class _Plan:
    """Commands for one edition, each tagged with the row it came from."""

    sheet: ice_sheet.Sheet
    as_of: date
    at: datetime
    actor: str
    field_office_id: str
    pending: bool
    commands: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)  # (row, agreement id, command)
    outcome: dict[int, tuple[str, str]] = field(default_factory=dict)  # row -> (agreement id, created|amended|...)

    def add(self, row: int, agreement_id: str, step: str, command_name: str, /, **payload: Any) -> None:
        key = f"ice:{self.sheet.sha256[:24]}:{row}:{step}"
        source = {"file": self.sheet.file, "sha256": self.sheet.sha256, "row": row, "as_of": self.as_of.isoformat()}
        command = {"command": command_name, "idempotency_key": key, "actor": self.actor,
                   "occurred_at": self.at.isoformat(), **{k: v for k, v in payload.items() if v is not None},
                   "source": source}
        self.commands.append((row, agreement_id, command))


def import_edition(engine: Engine, file_name: str, data: bytes, *, as_of: date, pending: bool,
                   field_office_id: str, now: datetime, policy: Policy,
                   actor: str = "import:ice-agreements") -> Report:
    """Read, compare, record; an unreadable file or a wrong as-of date is Invalid and changes nothing."""
    try:
        sheet = ice_sheet.read(file_name.rsplit("/", 1)[-1] or "upload", data)
    except ice_sheet.SheetError as exc:
        raise Invalid(str(exc), field="file") from None
    if as_of > now.date():
        raise Invalid(f"as_of {as_of} is after today ({now.date()}): an edition describes a day that has come",
                      field="as_of")
    held = listings.holdings(engine, field_office_id)
    if not held.field_office_exists:
        raise Invalid(f"field office {field_office_id} does not exist: register it first (register_field_office)",
                      field="field_office_id")
    if held.last_edition is not None and as_of < held.last_edition:
        raise Invalid(f"as_of {as_of} is before the edition of {held.last_edition} already imported: import "
                      "editions in date order", field="as_of")
    rows, problems = ice_rows.listings(sheet, pending=pending)
    report = Report(sheet.file, sheet.sha256, as_of, pending, rejected=problems)
    at = min(datetime.combine(as_of, _EDITION_HOUR), now)
    plan = _Plan(sheet, as_of, at, actor, field_office_id, pending)
    seen = _plan_rows(plan, rows, held, report)
    _record(engine, plan, report, now, policy)
    _delist(engine, plan, held, seen, report, now, policy)
    return report


def _plan_rows(plan: _Plan, rows: list[Listing], held: listings.Holdings, report: Report) -> set[str]:
    by_key = {(a.state, ice_rows.name_key(a.name)): a for a in held.agencies}
    ids: set[str] = {a.agency_id for a in held.agencies}
    agreements = {(a.agency_id, a.model): a for a in held.agreements}
    documents: set[tuple[str, str]] = {(d.agreement_id, d.document_id) for d in held.documents}
    edition_keys = {(r.state, r.key) for r in rows}
    first_row: dict[tuple[str, str, str], int] = {}
    seen: set[str] = set()
    for row in rows:
        ident = (row.state, row.key, row.model.value)
        if ident in first_row:
            report.rejected.append(Problem(row.row, plan.sheet.columns["agency"], f"the same agency and model as "
                                           f"row {first_row[ident]}: the row is not read twice"))
            report.duplicates.add(row.row)
            continue
        first_row[ident] = row.row
        agency = by_key.get((row.state, row.key))
        respelled = agency is None and (agency := _respelled(plan, row, held, by_key, edition_keys, seen)) is not None
        if agency is None:
            agency = _register(plan, row, ids)
            changed = True
        else:
            changed = _amend_agency(plan, row, agency) or respelled
        by_key[(row.state, row.key)] = agency = _as_listed(agency, row)
        agreement_id = f"{agency.agency_id}.{row.model.value}"
        existing = agreements.get((agency.agency_id, row.model))
        seen.add(agreement_id)
        verdict = _plan_agreement(plan, row, agreement_id, existing)
        verdict = "amended" if verdict == "unchanged" and changed else verdict
        for kind, url in ((DocumentKind.MOA, row.moa_url), (DocumentKind.ADDENDUM, row.addendum_url)):
            document_id = f"{kind.value.upper()}-{hashlib.sha256((url or '').encode()).hexdigest()[:10]}"
            if url is not None and (agreement_id, document_id) not in documents:
                documents.add((agreement_id, document_id))
                plan.add(row.row, agreement_id, f"doc:{document_id}", "attach_agreement_document",
                         agreement_id=agreement_id, document_id=document_id, kind=kind.value, url=url,
                         dated_on=row.signed_on.isoformat() if kind is DocumentKind.MOA and row.signed_on else None)
                report.documents += 1
                verdict = "amended" if verdict == "unchanged" else verdict
        plan.outcome[row.row] = (agreement_id, verdict)
    return seen


def _respelled(plan: _Plan, row: Listing, held: listings.Holdings, by_key: dict[tuple[str, str], Agency],
               edition_keys: set[tuple[str, str]], seen: set[str]) -> Agency | None:
    """A name changed between editions is the same agreement when state, model and SIGNED date match one listed
    agreement whose old name this edition no longer shows (docs/ice-lists.md)."""
    if row.signed_on is None:
        return None
    agencies = {a.agency_id: a for a in by_key.values()}
    candidates = [a for a in held.agreements
                  if a.model is row.model and a.signed_on == row.signed_on and a.delisted_on is None
                  and a.agreement_id not in seen and a.agency_id in agencies
                  and agencies[a.agency_id].state == row.state
                  and (row.state, ice_rows.name_key(agencies[a.agency_id].name)) not in edition_keys]
    if len(candidates) != 1:
        return None
    agency = agencies[candidates[0].agency_id]
    plan.add(row.row, candidates[0].agreement_id, "rename", "amend_agency", agency_id=agency.agency_id,
             name=row.name, reason=f"Name respelled in ICE's list of {plan.as_of} (same state, model and SIGNED "
                                   f"date; was {agency.name!r})")
    return _as_listed(agency, row, name_only=True)


def _register(plan: _Plan, row: Listing, ids: set[str]) -> Agency:
    base = f"ICE-{row.state}-{row.key.replace(' ', '-')}"[:_ID_MAX].rstrip("-")
    agency_id, n = base, 1
    while agency_id in ids:  # a name another agency held before it was renamed
        n += 1
        agency_id = f"{base[:_ID_MAX - 4]}-{n}"
    ids.add(agency_id)
    plan.add(row.row, f"{agency_id}.{row.model.value}", "register", "register_agency", agency_id=agency_id,
             name=row.name, kind=row.kind.value, state=row.state, field_office_id=plan.field_office_id,
             county=row.county, jurisdiction=None if row.jurisdiction is None else row.jurisdiction.value)
    return Agency(AgencyId(agency_id), row.name, row.kind, row.state, row.county, None,
                  FieldOfficeId(plan.field_office_id), row.jurisdiction)


def _amend_agency(plan: _Plan, row: Listing, agency: Agency) -> bool:
    """A county or level of government the edition states and the ledger lacks or has otherwise; an unknown in
    the edition (#N/A) never erases what is known."""
    changes: dict[str, str] = {}
    if row.county is not None and row.county != agency.county:
        changes["county"] = row.county
    if row.jurisdiction is not None and row.jurisdiction != agency.jurisdiction:
        changes["jurisdiction"] = row.jurisdiction.value
    if not changes:
        return False
    what = ", ".join(f"{k} {getattr(agency, k)!r} -> {v!r}" for k, v in changes.items())
    plan.add(row.row, f"{agency.agency_id}.{row.model.value}", "amend", "amend_agency", agency_id=agency.agency_id,
             reason=f"ICE's list of {plan.as_of}: {what}", **changes)
    return True


def _as_listed(agency: Agency, row: Listing, *, name_only: bool = False) -> Agency:
    if name_only:
        return replace(agency, name=row.name)
    return replace(agency, county=row.county or agency.county, jurisdiction=row.jurisdiction or agency.jurisdiction)


def _plan_agreement(plan: _Plan, row: Listing, agreement_id: str, existing: Agreement | None) -> str:
    def step(name: str, command: str, **payload: Any) -> None:
        plan.add(row.row, agreement_id, name, command, agreement_id=agreement_id, **payload)

    listed = f"listed by ICE as participating on {plan.as_of} (inferred)"
    if existing is None:
        agency_id = agreement_id.rsplit(".", 1)[0]
        step("request", "request_agreement", agency_id=agency_id, model=row.model.value)
        if not plan.pending:
            _sign(step, row, listed)
        return "created"
    verdict = "unchanged"
    if existing.delisted_on is not None:
        step("relist", "relist_agreement", listed_on=plan.as_of.isoformat())
        verdict = "amended"
    if plan.pending:
        return verdict
    if existing.status in (AgreementStatus.REQUESTED, AgreementStatus.SUITABLE):
        # A pending agency turns up signed (its SIGNED may even precede its pending listing).
        _sign(step, row, listed, reviewed=existing.status is AgreementStatus.SUITABLE)
        return "amended"
    if existing.signed_on != row.signed_on:
        step("resign", "resign_agreement", signed_on=_day(row))
        return "amended"
    return verdict


def _sign(step: Callable[..., None], row: Listing, listed: str, *, reviewed: bool = False) -> None:
    if not reviewed:
        step("review", "review_agreement", decision="suitable", reasons=f"Signed: {listed}")
    step("sign", "sign_agreement", signed_on=_day(row), effective_from=_day(row), igsa=False)


def _day(row: Listing) -> str | None:
    return None if row.signed_on is None else row.signed_on.isoformat()


def _record(engine: Engine, plan: _Plan, report: Report, now: datetime, policy: Policy) -> None:
    results = execute_batch(engine, [c for _, _, c in plan.commands], now=now, policy=policy)
    failed: dict[int, Result] = {}
    for (row, _, _), result in zip(plan.commands, results, strict=True):
        if not result.ok and row not in failed:
            failed[row] = result
    for row, (agreement_id, verdict) in sorted(plan.outcome.items()):
        if row in failed:
            error = failed[row].error or {}
            report.rejected.append(Problem(row, str(error.get("field") or "-"), str(error.get("message"))))
        else:
            getattr(report, verdict).append(agreement_id)


def _delist(engine: Engine, plan: _Plan, held: listings.Holdings, seen: set[str], report: Report, now: datetime,
            policy: Policy) -> None:
    """Agreements of this list missing from the edition are delisted, inferred; never where a rejected row might
    be the missing agreement itself (its state, or every state when the state could not be read)."""
    states = {a.agency_id: a.state for a in held.agencies}
    unread = _unread_states(plan, report)
    if unread is None:
        report.held_back = ["all"]
        return
    report.held_back = sorted(unread)
    on_this_list = (AgreementStatus.REQUESTED, AgreementStatus.SUITABLE) if report.pending else (
        AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)
    gone = [a for a in held.agreements
            if a.listed_on is not None and a.delisted_on is None and a.status in on_this_list
            and a.agreement_id not in seen and states.get(a.agency_id) not in unread]
    which = "pending" if report.pending else "participating"
    plan.commands = []
    for agreement in gone:
        plan.add(0, agreement.agreement_id, f"delist:{agreement.agreement_id}", "delist_agreement",
                 agreement_id=agreement.agreement_id, delisted_on=plan.as_of.isoformat(), inferred=True,
                 reason=f"Missing from ICE's list of {which} agencies of {plan.as_of}")
    results = execute_batch(engine, [c for _, _, c in plan.commands], now=now, policy=policy)
    for (_, agreement_id, _), result in zip(plan.commands, results, strict=True):
        if result.ok:
            report.delisted.append(agreement_id)
        else:
            report.rejected.append(Problem(0, "-", f"{agreement_id}: {(result.error or {}).get('message')}"))


def _unread_states(plan: _Plan, report: Report) -> set[str] | None:
    """The states of rejected rows, or None when a rejected row's state is itself unknown."""
    states: set[str] = set()
    for problem in report.rejected:
        if problem.row in report.duplicates:
            continue
        cells = dict(plan.sheet.rows).get(problem.row)
        text = None if cells is None else cells["state"].text
        code = None if text is None else (ice_rows.aliases().states.get(text.upper()) or state_code(text))
        if code is None:
            return None
        states.add(code)
    return states

