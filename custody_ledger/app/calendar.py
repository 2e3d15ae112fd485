"""Which calendar each command is judged on: one day for the policy, the agreement and the certificate.

DOMAIN.md: dates are days on the agency's calendar, the facility's for acts on people and the field
office's for the program's own acts (agreements, officers, certification, training). The policy in
force, every date compared and every notice's effective day are read on that one local day, so
2019-05-05 20:00 CDT is judged under the rules of 5 May in Chicago, not of 6 May in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from custody_ledger.ledger import projections

from .context import Tx

UTC_ZONE = ZoneInfo("UTC")


def _named(name: object) -> ZoneInfo:
    """A zone the command itself names; UTC while it is invalid, which the domain then refuses by field."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


# Where a record's calendar comes from: field offices and facilities have a zone of their own; every other
# record takes the zone of the record it belongs to.
_BELONGS_TO: Mapping[str, tuple[str, str]] = {
    "agency": ("field_office", "field_office_id"),
    "officer": ("agency", "agency_id"),
    "agreement": ("agency", "agency_id"),
    "booking": ("facility", "facility_id"),
    "warrant": ("facility", "facility_id"),
    "hold": ("facility", "facility_id"),
    "alert": ("facility", "facility_id"),
    "subject": ("booking", "booking_id"),
    "alert_route": ("agency", "agency_id"),
    "complaint": ("agency", "agency_id"),
    "steering_meeting": ("agency", "agency_id"),  # a field office's route: UTC, no date of its own is judged
}


def _zone(tx: Tx, kind: str, ident: object) -> ZoneInfo:
    """The zone of record `ident` of `kind`; UTC when it does not exist, which the domain then answers."""
    record = tx.load(kind, **{projections.KINDS[kind].keys[0]: ident})
    if record is None:
        return UTC_ZONE
    if kind not in _BELONGS_TO:
        return _named(record.timezone)
    parent, field = _BELONGS_TO[kind]
    return _zone(tx, parent, getattr(record, field))


# Command name -> the kind of record whose calendar judges it (None: the zone the command itself names) and the
# payload field naming it; a command missing here fails closed (KeyError).
CALENDARS: Mapping[str, tuple[str | None, str]] = {
    "register_field_office": (None, "timezone"),
    "register_agency": ("field_office", "field_office_id"),
    "amend_agency": ("agency", "agency_id"),
    "register_facility": (None, "timezone"),
    "request_agreement": ("agency", "agency_id"),
    "review_agreement": ("agreement", "agreement_id"),
    "sign_agreement": ("agreement", "agreement_id"),
    "suspend_agreement": ("agreement", "agreement_id"),
    "reinstate_agreement": ("agreement", "agreement_id"),
    "terminate_agreement": ("agreement", "agreement_id"),
    **{name: ("agreement", "agreement_id") for name in (
        "resign_agreement", "amend_agreement", "attach_agreement_document", "delist_agreement", "relist_agreement")},
    "nominate_officer": ("agency", "agency_id"),
    "record_background_check": ("officer", "officer_id"),
    "record_training": ("officer", "officer_id"),
    "separate_officer": ("officer", "officer_id"),
    "certify_officer": ("officer", "officer_id"),
    "suspend_certificate": ("officer", "officer_id"),
    "revoke_certificate": ("officer", "officer_id"),
    "book_person": ("facility", "facility_id"),
    "release_from_criminal_custody": ("booking", "booking_id"),
    "lodge_warrant": ("booking", "booking_id"),
    "cancel_warrant": ("warrant", "warrant_id"),
    "serve_warrant": ("warrant", "warrant_id"),
    "interview_status": ("booking", "booking_id"),
    "issue_detainer": ("booking", "booking_id"),
    "enter_ice_data": ("booking", "booking_id"),
    "transfer_custody": ("hold", "hold_id"),
    "release_hold": ("hold", "hold_id"),
    "record_alert": ("hold", "hold_id"),
    "acknowledge_alert": ("alert", "alert_id"),
    "set_alert_route": ("agency", "agency_id"),
    "remove_alert_route": ("alert_route", "route_id"),
    "seal_person": ("booking", "booking_id"),
    "unseal_person": ("booking", "booking_id"),
    "expunge_person": ("booking", "booking_id"),
    # Costs, complaints and committee meetings are the program's own records: the agency's calendar (its field
    # office's), like its agreements.
    "record_cost": ("agency", "agency_id"),
    "record_complaint": ("agency", "agency_id"),
    "refer_complaint": ("complaint", "complaint_id"),
    "close_complaint": ("complaint", "complaint_id"),
    "record_steering_meeting": ("agency", "agency_id"),
    "publish_steering_minutes": ("steering_meeting", "meeting_id"),
}


def zone_for(tx: Tx, command: str, payload: Any) -> ZoneInfo:
    kind, field = CALENDARS[command]
    value = getattr(payload, field)
    return _named(value) if kind is None else _zone(tx, kind, value)
