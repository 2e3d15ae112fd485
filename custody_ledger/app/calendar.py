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


Calendar = Callable[[Tx, Any], ZoneInfo]


def _of_officer(tx: Tx, cmd: Any) -> ZoneInfo:
    return _officer(tx, cmd.officer_id)


def _of_agreement(tx: Tx, cmd: Any) -> ZoneInfo:
    return _agreement(tx, cmd.agreement_id)


def _of_agency(tx: Tx, cmd: Any) -> ZoneInfo:
    return _agency(tx, cmd.agency_id)


def _of_booking(tx: Tx, cmd: Any) -> ZoneInfo:
    return _booking(tx, cmd.booking_id)


def _of_hold(tx: Tx, cmd: Any) -> ZoneInfo:
    return _hold(tx, cmd.hold_id)


def _of_warrant(tx: Tx, cmd: Any) -> ZoneInfo:
    return _warrant(tx, cmd.warrant_id)


def _of_facility(tx: Tx, cmd: Any) -> ZoneInfo:
    return _facility(tx, cmd.facility_id)


def _of_office(tx: Tx, cmd: Any) -> ZoneInfo:
    return _office(tx, cmd.field_office_id)


def _own_zone(_: Tx, cmd: Any) -> ZoneInfo:
    return _named(cmd.timezone)


# Command name -> the zone whose local day judges it; a command missing here fails closed (KeyError).
CALENDARS: Mapping[str, Calendar] = {
    "register_field_office": _own_zone,
    "register_agency": _of_office,
    "register_facility": _own_zone,
    "request_agreement": _of_agency,
    "review_agreement": _of_agreement,
    "sign_agreement": _of_agreement,
    "suspend_agreement": _of_agreement,
    "reinstate_agreement": _of_agreement,
    "terminate_agreement": _of_agreement,
    "nominate_officer": _of_agency,
    "record_background_check": _of_officer,
    "record_training": _of_officer,
    "separate_officer": _of_officer,
    "certify_officer": _of_officer,
    "suspend_certificate": _of_officer,
    "revoke_certificate": _of_officer,
    "book_person": _of_facility,
    "release_from_criminal_custody": _of_booking,
    "lodge_warrant": _of_booking,
    "cancel_warrant": _of_warrant,
    "serve_warrant": _of_warrant,
    "interview_status": _of_booking,
    "issue_detainer": _of_booking,
    "enter_ice_data": _of_booking,
    "transfer_custody": _of_hold,
    "release_hold": _of_hold,
}


def zone_for(tx: Tx, command: str, payload: Any) -> ZoneInfo:
    return CALENDARS[command](tx, payload)
