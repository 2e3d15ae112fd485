"""Which calendar each command is judged on: one day for the policy, the agreement and the certificate.

DOMAIN.md: dates are days on the agency's calendar, the facility's for acts on people and the field
office's for the program's own acts (agreements, officers, certification, training). The policy in
force, every date compared and every notice's effective day are read on that one local day, so
2019-05-05 20:00 CDT is judged under the rules of 5 May in Chicago, not of 6 May in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .context import Tx

UTC_ZONE = ZoneInfo("UTC")


def _named(name: object) -> ZoneInfo:
    """A zone the command itself names; UTC while it is invalid, which the domain then refuses by field."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def _zone_of(record: Any) -> ZoneInfo:
    return UTC_ZONE if record is None else _named(record.timezone)


def _office(tx: Tx, field_office_id: object) -> ZoneInfo:
    return _zone_of(tx.load("field_office", field_office_id=field_office_id))


def _agency(tx: Tx, agency_id: object) -> ZoneInfo:
    agency = tx.load("agency", agency_id=agency_id)
    return UTC_ZONE if agency is None else _office(tx, agency.field_office_id)


def _officer(tx: Tx, officer_id: object) -> ZoneInfo:
    officer = tx.load("officer", officer_id=officer_id)
    return UTC_ZONE if officer is None else _agency(tx, officer.agency_id)


def _agreement(tx: Tx, agreement_id: object) -> ZoneInfo:
    agreement = tx.load("agreement", agreement_id=agreement_id)
    return UTC_ZONE if agreement is None else _agency(tx, agreement.agency_id)


def _facility(tx: Tx, facility_id: object) -> ZoneInfo:
    return _zone_of(tx.load("facility", facility_id=facility_id))


def _booking(tx: Tx, booking_id: object) -> ZoneInfo:
    booking = tx.load("booking", booking_id=booking_id)
    return UTC_ZONE if booking is None else _facility(tx, booking.facility_id)


def _warrant(tx: Tx, warrant_id: object) -> ZoneInfo:
    warrant = tx.load("warrant", warrant_id=warrant_id)
    return UTC_ZONE if warrant is None else _facility(tx, warrant.facility_id)


def _hold(tx: Tx, hold_id: object) -> ZoneInfo:
    hold = tx.load("hold", hold_id=hold_id)
    return UTC_ZONE if hold is None else _facility(tx, hold.facility_id)


def _own(_: Tx, name: object) -> ZoneInfo:
    return _named(name)


# Command name -> how to find its zone, from which payload field; a command missing here fails closed (KeyError).
CALENDARS: Mapping[str, tuple[Callable[[Tx, Any], ZoneInfo], str]] = {
    "register_field_office": (_own, "timezone"),
    "register_agency": (_office, "field_office_id"),
    "register_facility": (_own, "timezone"),
    "request_agreement": (_agency, "agency_id"),
    "review_agreement": (_agreement, "agreement_id"),
    "sign_agreement": (_agreement, "agreement_id"),
    "suspend_agreement": (_agreement, "agreement_id"),
    "reinstate_agreement": (_agreement, "agreement_id"),
    "terminate_agreement": (_agreement, "agreement_id"),
    "nominate_officer": (_agency, "agency_id"),
    "record_background_check": (_officer, "officer_id"),
    "record_training": (_officer, "officer_id"),
    "separate_officer": (_officer, "officer_id"),
    "certify_officer": (_officer, "officer_id"),
    "suspend_certificate": (_officer, "officer_id"),
    "revoke_certificate": (_officer, "officer_id"),
    "book_person": (_facility, "facility_id"),
    "release_from_criminal_custody": (_booking, "booking_id"),
    "lodge_warrant": (_booking, "booking_id"),
    "cancel_warrant": (_warrant, "warrant_id"),
    "serve_warrant": (_warrant, "warrant_id"),
    "interview_status": (_booking, "booking_id"),
    "issue_detainer": (_booking, "booking_id"),
    "enter_ice_data": (_booking, "booking_id"),
    "transfer_custody": (_hold, "hold_id"),
    "release_hold": (_hold, "hold_id"),
}


def zone_for(tx: Tx, command: str, payload: Any) -> ZoneInfo:
    zone_of, field = CALENDARS[command]
    return zone_of(tx, getattr(payload, field))
