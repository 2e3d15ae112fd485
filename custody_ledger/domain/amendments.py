"""What changes after registration and signing (issue 13): an agency amended or renamed, an agreement signed
again or amended, its documents, and its place on ICE's public list. decide_*() may refuse; the agreement's
and agency's evolve functions (domain/agreements.py) fold the events."""

from __future__ import annotations

from datetime import date

from .agreements import require_new, require_ori
from .commands import (
    AmendAgency,
    AmendAgreement,
    AttachAgreementDocument,
    DelistAgreement,
    RelistAgreement,
    ResignAgreement,
)
from .errors import Invalid, NotFound
from .events import (
    AgencyAmended,
    AgreementAmended,
    AgreementDelisted,
    AgreementDocumentAttached,
    AgreementRelisted,
    AgreementResigned,
    FieldChange,
)
from .lifecycle import AGREEMENT, advance
from .model import Agency, Agreement, AgreementDocument
from .policy import PolicyView
from .states import require_state

_AGENCY_FIELDS = ("name", "kind", "jurisdiction", "state", "county", "ori")


def _text(value: object) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def decide_amend_agency(cmd: AmendAgency, agency: Agency | None, view: PolicyView) -> list[AgencyAmended]:
    if agency is None:
        raise NotFound.of("agency_id", cmd.agency_id)
    wanted: dict[str, object] = {name: getattr(cmd, name) for name in _AGENCY_FIELDS}
    if cmd.state is not None:
        wanted["state"] = require_state(cmd.state)
    if cmd.ori is not None:
        require_ori(cmd.ori, str(wanted["state"] or agency.state))
    changes = tuple(
        FieldChange(name, _text(getattr(agency, name)), _text(value))
        for name, value in wanted.items()
        if value is not None and _text(value) != _text(getattr(agency, name))
    )
    if not changes:
        # An amendment that changes nothing would record nothing true: the caller is told which fields it may name.
        raise Invalid(f"amend_agency changes nothing: give at least one of {', '.join(_AGENCY_FIELDS)} with a new "
                      "value", field="agency_id")
    return [AgencyAmended(cmd.agency_id, changes, cmd.reason, cmd.source)]


def _found(agreement: Agreement | None, ident: str) -> Agreement:
    if agreement is None:
        raise NotFound.of("agreement_id", ident)
    return agreement


def decide_resign_agreement(cmd: ResignAgreement, agreement: Agreement | None,
                            view: PolicyView) -> list[AgreementResigned]:
    found = _found(agreement, cmd.agreement_id)
    advance(AGREEMENT, found.status, "resign", f"agreement {found.agreement_id}", view)
    effective_from = cmd.effective_from or cmd.signed_on
    if effective_from < cmd.signed_on:
        raise Invalid("effective_from may not be before signed_on", field="effective_from")
    if cmd.expires_on is not None and cmd.expires_on <= effective_from:
        raise Invalid("expires_on must be after effective_from", field="expires_on")
    return [AgreementResigned(cmd.agreement_id, cmd.signed_on, effective_from, cmd.expires_on, found.signed_on,
                              cmd.source)]


def decide_amend_agreement(cmd: AmendAgreement, agreement: Agreement | None,
                           view: PolicyView) -> list[AgreementAmended]:
    found = _found(agreement, cmd.agreement_id)
    advance(AGREEMENT, found.status, "amend", f"agreement {found.agreement_id}", view)
    if cmd.expires_on is None and cmd.igsa is None:
        raise Invalid("amend_agreement changes nothing: give expires_on or igsa", field="expires_on")
    if cmd.expires_on is not None and found.effective_from is not None and cmd.expires_on <= found.effective_from:
        raise Invalid("expires_on must be after the agreement's effective_from", field="expires_on")
    changes = []
    if cmd.expires_on is not None:
        changes.append(FieldChange("expires_on", _date(found.expires_on), cmd.expires_on.isoformat()))
    if cmd.igsa is not None:
        changes.append(FieldChange("igsa", str(found.igsa).lower(), str(cmd.igsa).lower()))
    return [AgreementAmended(cmd.agreement_id, cmd.reason, tuple(changes), cmd.expires_on, cmd.igsa, cmd.source)]


def _date(value: object) -> str | None:
    return None if value is None else str(value)


def decide_attach_document(cmd: AttachAgreementDocument, agreement: Agreement | None,
                           existing: AgreementDocument | None, view: PolicyView) -> list[AgreementDocumentAttached]:
    _found(agreement, cmd.agreement_id)
    require_new(existing, "document", f"{cmd.agreement_id}/{cmd.document_id}", "document_id", view)
    if cmd.url is None and cmd.sha256 is None:
        raise Invalid("a document is named by its url, its sha256, or both: give at least one", field="url")
    return [AgreementDocumentAttached(cmd.agreement_id, cmd.document_id, cmd.kind, cmd.url, cmd.sha256,
                                      cmd.dated_on, cmd.title, cmd.source)]


def decide_delist_agreement(cmd: DelistAgreement, agreement: Agreement | None,
                            view: PolicyView) -> list[AgreementDelisted]:
    found = _found(agreement, cmd.agreement_id)
    _not_after_today(cmd.delisted_on, "delisted_on", view)
    if found.delisted_on is not None:
        raise Invalid(f"agreement {cmd.agreement_id} is already delisted since {found.delisted_on}",
                      field="agreement_id")
    return [AgreementDelisted(cmd.agreement_id, cmd.delisted_on, cmd.inferred, cmd.reason, cmd.source)]


def decide_relist_agreement(cmd: RelistAgreement, agreement: Agreement | None,
                            view: PolicyView) -> list[AgreementRelisted]:
    found = _found(agreement, cmd.agreement_id)
    _not_after_today(cmd.listed_on, "listed_on", view)
    if found.delisted_on is None:
        raise Invalid(f"agreement {cmd.agreement_id} is on the list: nothing to relist", field="agreement_id")
    return [AgreementRelisted(cmd.agreement_id, cmd.listed_on, cmd.source)]


def _not_after_today(day: date, field: str, view: PolicyView) -> None:
    """An edition describes a day that has come: a list is not known before it is published."""
    if day > view.day:
        raise Invalid(f"{field} {day} is after the day of the act ({view.day})", field=field)


def evolve_document(_: AgreementDocument | None, e: AgreementDocumentAttached) -> AgreementDocument:
    return AgreementDocument(e.agreement_id, e.document_id, e.kind, e.url, e.sha256, e.dated_on, e.title)
