"""Every route x every role x A's object / B's object: the exact status code, from one table.

Users of agency A (FO-1) and the rest of the world (tests/api/conftest.py) act on an object of A and
on the same kind of object of B (FO-2). Out of scope is 404, as if absent, never 403; a role that may
not issue a command is 403 whatever the target; no credentials is 401. One world per backend serves
the whole table: a case expected to succeed acts on an object of its own, so no case changes another.
The /auth routes have a table of their own: each role with its own credentials, then with wrong ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from custody_ledger.app import watchdog
from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db
from tests.api.conftest import AGENCIES, PASSWORD, USERS, Api, build_world, make_api
from tests.support.world import World, booked_with_warrant, certified_officer, open_hold

ROLES = ("staff-a", "admin-a", "wso-a", "integration", "sup-fo1", "sup-fo2", "program-admin", "auditor", "anonymous")
SIDES = ("A", "B")
AUTH_SIDES = ("right", "wrong")

# Status for each role above, acting on A's object / on B's object. Commands in the vocabulary's order.
TABLE = """
GET /field-offices                  200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /agencies?field_office_id={fo}  200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /facilities?agency_id={agency}  200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /agreements?agency_id={agency}  200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /officers?agency_id={agency}    200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /officers/{officer}             200/404 200/404 200/404 200/404 200/404 404/200 200/200 200/200 401/401
GET /bookings?agency_id={agency}    200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /bookings/{booking}             200/404 200/404 200/404 200/404 200/404 404/200 200/200 200/200 401/401
GET /warrants?agency_id={agency}    200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /warrants/{warrant}             200/404 200/404 200/404 200/404 200/404 404/200 200/200 200/200 401/401
GET /holds?agency_id={agency}       200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /holds/{hold}                   200/404 200/404 200/404 200/404 200/404 404/200 200/200 200/200 401/401
GET /events                         403/403 403/403 403/403 403/403 403/403 403/403 200/200 200/200 401/401
GET /alerts?agency_id={agency}      200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
GET /access-log                     403/403 403/403 403/403 403/403 403/403 403/403 403/403 200/200 401/401
POST /persons/search                200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 401/401
POST register_field_office          403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST register_agency                403/403 403/403 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST amend_agency                   403/403 403/403 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST register_facility              403/403 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST request_agreement              403/403 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST review_agreement               403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST sign_agreement                 403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST resign_agreement               403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST amend_agreement                403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST attach_agreement_document      403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST delist_agreement               403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST relist_agreement               403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST suspend_agreement              403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST reinstate_agreement            403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST terminate_agreement            403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST nominate_officer               403/403 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST record_background_check        403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST record_training                403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST separate_officer               403/403 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST certify_officer                403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST suspend_certificate            403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST revoke_certificate             403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST book_person                    200/404 200/404 403/403 200/404 403/403 403/403 403/403 403/403 401/401
POST release_from_criminal_custody  200/404 200/404 403/403 200/404 403/403 403/403 403/403 403/403 401/401
POST lodge_warrant                  403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST cancel_warrant                 403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST serve_warrant                  403/403 403/403 200/404 403/403 403/403 403/403 403/403 403/403 401/401
POST serve_warrant+other_officer    403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST interview_status               403/403 403/403 403/404 403/403 403/403 403/403 403/403 403/403 401/401
POST issue_detainer                 403/403 403/403 403/404 403/403 403/403 403/403 403/403 403/403 401/401
POST enter_ice_data                 403/403 403/403 403/404 403/403 403/403 403/403 403/403 403/403 401/401
POST transfer_custody               403/403 403/403 403/403 403/403 200/404 404/200 403/403 403/403 401/401
POST release_hold                   200/404 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST record_alert                   403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST acknowledge_alert              200/404 200/404 200/404 403/403 200/404 404/200 200/200 403/403 401/401
POST set_alert_route                403/403 200/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST set_alert_route+field_office   403/403 404/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST remove_alert_route             403/403 200/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST seal_person                    403/403 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST unseal_person                  403/403 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST expunge_person                 403/403 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST record_cost                    403/403 200/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST record_complaint               403/403 200/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST refer_complaint                403/403 200/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST close_complaint                403/403 200/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST record_steering_meeting        403/403 200/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST publish_steering_minutes       403/403 200/404 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST /imports/ice-agreements        403/403 403/403 403/403 403/403 403/403 403/403 200/200 403/403 401/401
GET /exports/ledger                 403/403 403/403 403/403 403/403 403/403 403/403 200/200 200/200 401/401
GET /exports/{what}                 403/403 200/200 403/403 200/200 200/200 200/200 200/200 200/200 401/401
"""
# Imports and exports (issue 13): an edition of ICE's list is the program administrator's to import; the ledger
# goes to the administrator and the auditor; a table to every role that reads an agency's records as a whole,
# each seeing its own agencies' rows (tests/api/test_interop_api.py).
# Costs, complaints and steering committee meetings (issue 15): the agency's own administrator, the supervisors of
# its field office and the program administrator record them.
# record_alert is the watchdog's alone. A field office's route is its supervisors' (and the program's), never
# an agency's.
# The JEM functions (interview_status, issue_detainer, enter_ice_data) are a certified officer's only, and
# the one officer here is a WSO: on a booking of A the domain refuses it (403, authority.wso), B's is out of scope.

# Status for each role with its own credentials / with wrong ones: its password, or a wrong one; a live
# session (the key) to log out, or a session already logged out (a wrong key). A key has no account to log in to.
AUTH_TABLE = """
POST /auth/login                    200/401 200/401 200/401 401/401 200/401 200/401 200/401 200/401 401/401
POST /auth/logout                   204/401 204/401 204/401 204/401 204/401 204/401 204/401 204/401 401/401
GET /auth/sessions                  200/401 200/401 200/401 200/401 200/401 200/401 200/401 200/401 401/401
DELETE /auth/sessions/{id}          204/401 204/401 204/401 404/401 204/401 204/401 204/401 204/401 401/401
DELETE /auth/sessions?user_id=other 403/401 403/401 403/401 403/401 403/401 403/401 204/401 403/401 401/401
"""
# Sessions (issue 11): your own listed and ended by id (a key has none: 404); another user's only by a program
# administrator. "Wrong" is a token that is no session (for the key, an unknown key).

OBJECTS = {side: {"agency": f"AG-{side}", "fo": AGENCIES[f"AG-{side}"][0], "officer": f"OFF-{side}",
                  "agreement": f"AGR-AG-{side}-WSO", "booking": f"BK-H-{side}", "warrant": f"WR-BK-H-{side}",
                  "hold": f"H-{side}", "alert": f"H-{side}:24h", "route": f"R-{side}",
                  "complaint": f"CMP-{side}", "meeting": f"SC-{side}",
                  "what": "holds" if side == "A" else "officers"} for side in SIDES}


@dataclass(frozen=True)
class Case:
    route: str  # "GET <path>", "POST <command>[+variant]" or "POST /auth/<action>"
    role: str
    side: str
    status: int

    def __str__(self) -> str:
        return f"{self.route} | {self.role} | {self.side}"


def _cases(table: str, sides: tuple[str, str]) -> Iterator[Case]:
    for line in table.strip().splitlines():
        method, target, *cells = line.split()
        assert len(cells) == len(ROLES), line
        for role, cell in zip(ROLES, cells, strict=True):
            for side, status in zip(sides, cell.split("/"), strict=True):
                yield Case(f"{method} {target}", role, side, int(status))


CASES = [*_cases(TABLE, SIDES), *_cases(AUTH_TABLE, AUTH_SIDES)]
Body = Callable[[Case], dict[str, Any]]


def _agreement(w: World, ident: str, side: str, steps: int) -> None:
    """A JEM agreement of the side, `steps` along its life: requested, found suitable, signed, suspended."""
    life = [("request_agreement", {"agency_id": f"AG-{side}", "model": "JEM"}),
            ("review_agreement", {"decision": "suitable", "reasons": "no state law limits cooperation"}),
            ("sign_agreement", {"signed_on": "2026-03-01", "effective_from": "2026-03-01", "igsa": False}),
            ("suspend_agreement", {"reason": "annual inspection"})]
    for command, payload in life[:steps]:
        w.ok(command, agreement_id=ident, **payload)


def _officer(w: World, ident: str, side: str, steps: int) -> None:
    """An officer of the side, `steps` toward a WSO certificate: nominated, background checked, trained."""
    life = [("nominate_officer", {"agency_id": f"AG-{side}", "name": f"Officer {ident}", "badge": "B-100"}),
            ("record_background_check", {"result": "passed"}),
            ("record_training", {"model": "WSO", "course": "WSO basic", "hours": 8, "completed_on": "2026-03-01"})]
    for command, payload in life[:steps]:
        w.ok(command, officer_id=ident, **payload)


def _booking(w: World, ident: str, side: str) -> None:
    w.ok("book_person", booking_id=ident, facility_id=f"AG-{side}-JAIL",
         person={"name": "Ann Poe", "dob": "1980-02-02"}, charge_status="pending")


def _warrant(w: World, ident: str, side: str) -> None:
    _booking(w, f"BK-{ident}", side)
    w.ok("lodge_warrant", warrant_id=ident, booking_id=f"BK-{ident}", form="I-200", number="N-1",
         issued_on="2026-03-01")


# Commands that change their target: the kind of target (a key of OBJECTS), and how _prepare makes one ready.
Prepare = Callable[[World, str, str], object]
OWN: dict[str, tuple[str, Prepare]] = {
    "review_agreement": ("agreement", lambda w, i, s: _agreement(w, i, s, 1)),
    "sign_agreement": ("agreement", lambda w, i, s: _agreement(w, i, s, 2)),
    "suspend_agreement": ("agreement", lambda w, i, s: _agreement(w, i, s, 3)),
    "reinstate_agreement": ("agreement", lambda w, i, s: _agreement(w, i, s, 4)),
    "terminate_agreement": ("agreement", lambda w, i, s: _agreement(w, i, s, 3)),
    "resign_agreement": ("agreement", lambda w, i, s: _agreement(w, i, s, 3)),
    "amend_agreement": ("agreement", lambda w, i, s: _agreement(w, i, s, 3)),
    "delist_agreement": ("agreement", lambda w, i, s: _agreement(w, i, s, 3)),
    "relist_agreement": ("agreement", lambda w, i, s: _delisted(w, i, s)),
    "record_background_check": ("officer", lambda w, i, s: _officer(w, i, s, 1)),
    "certify_officer": ("officer", lambda w, i, s: _officer(w, i, s, 3)),
    "separate_officer": ("officer", lambda w, i, s: certified_officer(w, i, f"AG-{s}")),
    "suspend_certificate": ("officer", lambda w, i, s: certified_officer(w, i, f"AG-{s}")),
    "revoke_certificate": ("officer", lambda w, i, s: certified_officer(w, i, f"AG-{s}")),
    "release_from_criminal_custody": ("booking", _booking),
    "cancel_warrant": ("warrant", _warrant),
    "transfer_custody": ("hold", lambda w, i, s: open_hold(w, i, f"OFF-{s}", f"AG-{s}")),
    "release_hold": ("hold", lambda w, i, s: open_hold(w, i, f"OFF-{s}", f"AG-{s}")),
    "remove_alert_route": ("route", lambda w, i, s: _route(w, i, s)),
    "seal_person": ("booking", _booking),
    "unseal_person": ("booking", lambda w, i, s: _sealed(w, i, s)),
    "expunge_person": ("booking", _booking),
    "refer_complaint": ("complaint", lambda w, i, s: _complaint(w, i, s)),
    "close_complaint": ("complaint", lambda w, i, s: _complaint(w, i, s)),
    "publish_steering_minutes": ("meeting", lambda w, i, s: _meeting(w, i, s)),
}


def _complaint(w: World, ident: str, side: str) -> None:
    w.ok("record_complaint", complaint_id=ident, agency_id=f"AG-{side}", received_on="2026-03-01", category="other")


def _meeting(w: World, ident: str, side: str) -> None:
    w.ok("record_steering_meeting", meeting_id=ident, agency_id=f"AG-{side}", agreement_id=f"AGR-AG-{side}-WSO",
         held_on="2026-03-01")


def _delisted(w: World, ident: str, side: str) -> None:
    _agreement(w, ident, side, 3)
    w.ok("delist_agreement", agreement_id=ident, delisted_on="2026-03-02", inferred=True, reason="not on the list")


def _sealed(w: World, ident: str, side: str) -> None:
    _booking(w, ident, side)
    w.ok("seal_person", booking_id=ident, court_order="Sealing order 1")


def _route(w: World, ident: str, side: str) -> None:
    w.ok("set_alert_route", route_id=ident, channel="email", target=f"desk-{side}@county.example",
         agency_id=f"AG-{side}")


def _own(case: Case) -> str:
    """An object of the case's own when it is expected to succeed; else the shared one, which it cannot change."""
    command = case.route.split()[1]
    return f"{command}-{case.role}-{case.side}" if case.status == 200 else OBJECTS[case.side][OWN[command][0]]


def _jail(c: Case) -> dict[str, Any]:
    return {"booking_id": OBJECTS[c.side]["booking"], "officer_id": "OFF-A"}


BODIES: dict[str, Body] = {
    "register_field_office": lambda c: {"field_office_id": f"FO-{c.role}-{c.side}", "name": "Denver ERO",
                                        "timezone": "America/Denver"},
    "register_agency": lambda c: {"agency_id": f"AG-{c.role}-{c.side}", "name": "Town Police", "kind": "police",
                                  "state": "TX", "county": "Harris", "ori": "TX1010001",
                                  "field_office_id": OBJECTS[c.side]["fo"]},
    "amend_agency": lambda c: {"agency_id": f"AG-{c.side}", "county": f"County of {c.role}", "reason": "corrected"},
    "register_facility": lambda c: {"facility_id": f"AG-{c.side}.FAC-{c.role}", "agency_id": f"AG-{c.side}",
                                    "name": "Annex", "timezone": "America/Chicago"},
    "request_agreement": lambda c: {"agreement_id": f"AG-{c.side}.AGR-{c.role}", "agency_id": f"AG-{c.side}",
                                    "model": "JEM"},
    "review_agreement": lambda c: {"agreement_id": _own(c), "decision": "suitable", "reasons": "no limits"},
    "sign_agreement": lambda c: {"agreement_id": _own(c), "signed_on": "2026-03-01",
                                 "effective_from": "2026-03-01", "igsa": False},
    "resign_agreement": lambda c: {"agreement_id": _own(c), "signed_on": "2026-03-05"},
    "amend_agreement": lambda c: {"agreement_id": _own(c), "expires_on": "2029-03-01", "reason": "Addendum 1"},
    "attach_agreement_document": lambda c: {"agreement_id": OBJECTS[c.side]["agreement"],
                                            "document_id": f"DOC-{c.role}", "kind": "addendum",
                                            "url": "https://example.org/addendum-1.pdf"},
    "delist_agreement": lambda c: {"agreement_id": _own(c), "delisted_on": "2026-03-02", "inferred": True,
                                   "reason": "missing from the list"},
    "relist_agreement": lambda c: {"agreement_id": _own(c), "listed_on": "2026-03-02"},
    "suspend_agreement": lambda c: {"agreement_id": _own(c), "reason": "annual inspection"},
    "reinstate_agreement": lambda c: {"agreement_id": _own(c), "reason": "inspection passed"},
    "terminate_agreement": lambda c: {"agreement_id": _own(c), "reason": "the agency withdrew"},
    "nominate_officer": lambda c: {"officer_id": f"AG-{c.side}.OFF-{c.role}", "agency_id": f"AG-{c.side}",
                                   "name": "Officer Doe", "badge": "B-200"},
    "record_background_check": lambda c: {"officer_id": _own(c), "result": "passed"},
    "record_training": lambda c: {"officer_id": f"OFF-{c.side}", "model": "WSO", "course": f"Refresher {c.role}",
                                  "hours": 8, "completed_on": "2026-03-01"},
    "separate_officer": lambda c: {"officer_id": _own(c), "reason": "retired from the sheriff's office"},
    "certify_officer": lambda c: {"officer_id": _own(c), "model": "WSO", "agreement_id": OBJECTS[c.side]["agreement"],
                                  "credential_no": f"CR-{c.role}-{c.side}", "supervisor": "SDDO, Houston ERO"},
    "suspend_certificate": lambda c: {"officer_id": _own(c), "model": "WSO", "reason": "under investigation"},
    "revoke_certificate": lambda c: {"officer_id": _own(c), "model": "WSO", "reason": "misconduct"},
    "book_person": lambda c: {"booking_id": f"AG-{c.side}.BK-{c.role}", "facility_id": f"AG-{c.side}-JAIL",
                              "person": {"name": "John Doe", "dob": "1985-05-05"}, "charge_status": "pending"},
    "release_from_criminal_custody": lambda c: {"booking_id": _own(c), "reason": "bail"},
    "lodge_warrant": lambda c: {"warrant_id": f"AG-{c.side}.WR-L-{c.role}", "booking_id": f"BK-L-{c.side}",
                                "form": "I-200", "number": f"N-{c.role}-{c.side}", "issued_on": "2026-03-01"},
    "cancel_warrant": lambda c: {"warrant_id": _own(c), "reason": "issued in error"},
    "serve_warrant": lambda c: {"hold_id": f"AG-{c.side}.H-S-{c.role}", "warrant_id": f"WR-S-{c.side}",
                                "officer_id": "OFF-A"},
    "serve_warrant+other_officer": lambda c: {"hold_id": f"AG-{c.side}.H-X-{c.role}", "warrant_id": f"WR-S-{c.side}",
                                              "officer_id": "OFF-B"},
    "interview_status": _jail,
    "issue_detainer": _jail,
    "enter_ice_data": _jail,
    "transfer_custody": lambda c: {"hold_id": _own(c), "receiving_officer": "Deportation Officer Smith",
                                   "field_office_id": OBJECTS[c.side]["fo"]},
    "release_hold": lambda c: {"hold_id": _own(c), "reason": "ice_declined"},
    "record_alert": lambda c: {"hold_id": OBJECTS[c.side]["hold"], "threshold": "12h"},
    "acknowledge_alert": lambda c: {"alert_id": OBJECTS[c.side]["alert"]},
    "set_alert_route": lambda c: {"route_id": f"AG-{c.side}.R-{c.role}", "channel": "webhook",
                                  "target": "https://jail.example/alerts", "agency_id": f"AG-{c.side}"},
    "set_alert_route+field_office": lambda c: {"route_id": f"{OBJECTS[c.side]['fo']}.R-{c.role}", "channel": "email",
                                               "target": "ero-duty@ice.example",
                                               "field_office_id": OBJECTS[c.side]["fo"]},
    "remove_alert_route": lambda c: {"route_id": _own(c), "reason": "desk closed"},
    "seal_person": lambda c: {"booking_id": _own(c), "court_order": "Sealing order 2"},
    "unseal_person": lambda c: {"booking_id": _own(c), "court_order": "Order lifting the seal"},
    "expunge_person": lambda c: {"booking_id": _own(c), "court_order": "Expunction order"},
    "record_cost": lambda c: {"cost_id": f"AG-{c.side}.COST-{c.role}", "agency_id": f"AG-{c.side}",
                              "kind": "officer_hours", "payer": "agency", "incurred_from": "2026-03-01",
                              "incurred_to": "2026-03-01", "hours": 1.5},
    "record_complaint": lambda c: {"complaint_id": f"AG-{c.side}.CMP-{c.role}", "agency_id": f"AG-{c.side}",
                                   "received_on": "2026-03-01", "category": "language_access"},
    "refer_complaint": lambda c: {"complaint_id": _own(c), "referred_to": "ice_opr", "referred_on": "2026-03-02"},
    "close_complaint": lambda c: {"complaint_id": _own(c), "outcome": "unfounded", "closed_on": "2026-03-02"},
    "record_steering_meeting": lambda c: {"meeting_id": f"AG-{c.side}.SC-{c.role}", "agency_id": f"AG-{c.side}",
                                          "agreement_id": OBJECTS[c.side]["agreement"], "held_on": "2026-03-01"},
    "publish_steering_minutes": lambda c: {"meeting_id": _own(c), "published_on": "2026-03-02"},
}


def _prepare(w: World) -> None:
    """What the successful command cases act on: bookings to lodge on, warrants to serve, objects of their own."""
    for side in SIDES:
        _booking(w, f"BK-L-{side}", side)
        booked_with_warrant(w, f"S-{side}", agency=f"AG-{side}")  # booking S-A, warrant WR-S-A
        w.ok("release_from_criminal_custody", at=w.later(minutes=5), booking_id=f"S-{side}", reason="bail")
        _route(w, f"R-{side}", side)
        _complaint(w, f"CMP-{side}", side)
        _meeting(w, f"SC-{side}", side)
    for case in CASES:
        command = case.route.split()[1]
        if command in OWN and case.status == 200:
            OWN[command][1](w, _own(case), case.side)
    # A day and more later, a watchdog pass: every hold has its 24-hour alert to acknowledge (H-A:24h, H-B:24h).
    watchdog.run_pass(w.engine, now=w.later(hours=30), policy=w.policy)


@pytest.fixture(scope="module")
def matrix(module_engine: Engine, policy: Policy) -> Api:
    world = build_world(module_engine, policy)
    _prepare(world)
    api = make_api(module_engine, policy, world)
    # The table logs each role in many times over; the per-user cap (test_login_hardening.py) must not end the
    # shared sessions the other cases use.
    api.settings.max_sessions_per_user = 100
    return api


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def untouched(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              policy: Policy) -> Iterator[Api]:
    """The world as built, on a database of its own: the table registers agencies and field offices."""
    template: Any = request.getfixturevalue(f"{request.param}_template")
    folder: Path = tmp_path_factory.mktemp("api-untouched")
    with template.copy(folder) as url:
        engine = db.make_engine(url)
        yield make_api(engine, policy, build_world(engine, policy))
        engine.dispose()


def _send_auth(api: Api, case: Case) -> Any:
    """Log in with the role's password or a wrong one; log out a live session, or one already logged out."""
    wrong = case.side == "wrong"
    if case.route == "POST /auth/login":
        # An integration client holds a key, not an account; the anonymous caller holds neither.
        user, password = ("jms-a", api.api_key) if case.role == "integration" else (case.role, PASSWORD)
        return api.client.post("/auth/login", json={"username": user, "password": password + ("x" if wrong else "")})
    if case.role in USERS:
        headers = api.login(case.role)  # a session of its own: the shared one serves the other cases
        if wrong:
            api.client.post("/auth/logout", headers=headers)
    else:
        headers = {"X-API-Key": "clk_not-a-key"} if wrong and case.role == "integration" else api.headers(case.role)
    return api.client.post("/auth/logout", headers=headers)


def _send_sessions(api: Api, case: Case) -> Any:
    if case.side == "wrong":
        headers = {"X-API-Key": "clk_not-a-key"} if case.role == "integration" else \
            {"Authorization": "Bearer not-a-session"}
    else:
        headers = api.headers(case.role)
    if case.route == "GET /auth/sessions":
        return api.client.get("/auth/sessions", headers=headers)
    if case.route == "DELETE /auth/sessions?user_id=other":
        return api.client.delete("/auth/sessions", params={"user_id": "nobody-else"}, headers=headers)
    session_id = "0" * 12
    if case.role in USERS and case.side == "right":
        headers = api.login(case.role)  # a session of its own to end: the shared one serves the other cases
        session_id = next(s["id"] for s in api.client.get("/auth/sessions", headers=headers).json() if s["current"])
    return api.client.delete(f"/auth/sessions/{session_id}", headers=headers)


def _send(api: Api, case: Case) -> Any:
    method, target = case.route.split(" ", 1)
    if target.startswith("/auth/sessions"):
        return _send_sessions(api, case)
    if target.startswith("/auth/"):
        return _send_auth(api, case)
    if method == "GET":
        return api.client.get(target.format(**OBJECTS[case.side]), headers=api.headers(case.role))
    if target.startswith("/imports/"):
        edition = Path(__file__).parent.parent / "fixtures" / "ice" / "participating-2025-03-01.csv"
        # Dated today: the table's delist and relist cases put the list's last edition in March 2026.
        params = {"as_of": api.clock().date().isoformat(), "field_office_id": OBJECTS[case.side]["fo"]}
        return api.client.post(target, params=params,
                               content=edition.read_bytes(), headers=api.headers(case.role))
    if target.startswith("/"):  # a read sent as POST: the person search
        return api.client.post(target, json={"name": "Jane Roe", "dob": "1990-01-01"}, headers=api.headers(case.role))
    return api.command(target.split("+")[0], case.role, **BODIES[target](case))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_route_role_and_scope_give_the_expected_status(matrix: Api, case: Case) -> None:
    response = _send(matrix, case)
    assert response.status_code == case.status, response.text


def test_every_route_has_a_row(matrix: Api) -> None:
    def shape(route: str) -> str:
        method, target = route.split(" ", 1)
        path = target if target.startswith("/") else f"/commands/{target.split('+')[0]}"
        return f"{method} {re.sub(r'{[^}]*}', '{}', path.split('?')[0])}"

    spec = matrix.client.get("/openapi.json").json()["paths"]
    served = {shape(f"{method.upper()} {path}") for path, ops in spec.items() for method in ops}
    assert {shape(case.route) for case in CASES} == served


VISIBLE = {"staff-a": {"AG-A"}, "admin-a": {"AG-A"}, "wso-a": {"AG-A"}, "integration": {"AG-A"},
           "sup-fo1": {"AG-A"}, "sup-fo2": {"AG-B"}, "program-admin": {"AG-A", "AG-B"}, "auditor": {"AG-A", "AG-B"}}
LISTS = ("/agencies", "/facilities", "/agreements", "/officers", "/bookings", "/warrants", "/holds")


@pytest.mark.parametrize(("path", "role"), list(product(LISTS, VISIBLE)))
def test_a_list_holds_exactly_the_agencies_in_scope(untouched: Api, path: str, role: str) -> None:
    items = untouched.client.get(path, params={"limit": 500}, headers=untouched.headers(role)).json()["items"]
    assert {item["agency_id"] for item in items} == VISIBLE[role]


@pytest.mark.parametrize("role", list(VISIBLE))
def test_field_offices_are_those_of_the_agencies_in_scope(untouched: Api, role: str) -> None:
    items = untouched.client.get("/field-offices", headers=untouched.headers(role)).json()["items"]
    assert {item["field_office_id"] for item in items} == {AGENCIES[a][0] for a in VISIBLE[role]}


def test_every_command_of_the_vocabulary_has_a_route_whose_body_has_exactly_its_fields(matrix: Api) -> None:
    spec = matrix.client.get("/openapi.json").json()
    documented = {}
    for name in COMMANDS:
        ref = spec["paths"][f"/commands/{name}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        documented[name] = set(spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]["properties"])
    expected = {name: {f.name for f in fields(cls)} | {"occurred_at"} for name, cls in COMMANDS.items()}
    assert documented == expected


def test_the_docs_are_served(matrix: Api) -> None:
    assert [matrix.client.get(p).status_code for p in ("/openapi.json", "/docs")] == [200, 200]


# --- what the read routes return: paging, the deadline in two zones, the watch list, alerts -------------


def test_pages_chain_through_every_item_once(matrix: Api) -> None:
    headers, seen, after = matrix.headers("program-admin"), [], None
    while True:
        page = matrix.client.get("/holds", params={"limit": 2, **({"after": after} if after else {})},
                                 headers=headers).json()
        seen += [h["hold_id"] for h in page["items"]]
        if page["next"] is None:
            break
        after = page["next"]
    everything = matrix.client.get("/holds", params={"limit": 500}, headers=headers).json()["items"]
    assert seen == [h["hold_id"] for h in everything] and len(seen) > 2


def _hold(api: Api, hold_id: str) -> dict[str, Any]:
    return api.client.get(f"/holds/{hold_id}", headers=api.headers("program-admin")).json()


def test_a_hold_shows_its_deadline_in_utc_and_in_the_facilitys_zone(api: Api) -> None:
    a, b = _hold(api, "H-A"), _hold(api, "H-B")
    # Chicago and New York in early March, before daylight saving time starts on 8 March 2026.
    assert (a["deadline"][-1], a["deadline_local"][-6:], b["deadline_local"][-6:]) == ("Z", "-06:00", "-05:00")


def test_due_within_keeps_the_open_holds_due_by_then(api: Api) -> None:
    deadline_a = datetime.fromisoformat(_hold(api, "H-A")["deadline"])
    api.clock.now = deadline_a - timedelta(hours=3)  # H-B is due two hours after H-A
    page = api.client.get("/holds", params={"due_within": "4h"}, headers=api.login("program-admin")).json()
    assert [(h["hold_id"], h["seconds_left"]) for h in page["items"]] == [("H-A", 3 * 3600)]


def test_alerts_are_what_the_watchdog_raised_each_under_its_rule(api: Api) -> None:
    deadline_a = datetime.fromisoformat(_hold(api, "H-A")["deadline"])
    api.clock.now = deadline_a + timedelta(minutes=1)
    headers = api.login("program-admin")
    assert api.client.get("/alerts", headers=headers).json()["items"] == [], "nothing until the watchdog raised it"
    watchdog.run_pass(api.world.engine, now=api.clock.now, policy=api.world.policy)
    items = api.client.get("/alerts", params={"limit": 500}, headers=headers).json()["items"]
    newest = {a["hold_id"]: (a["kind"], a["threshold"], a["rule_id"]) for a in sorted(items, key=lambda a: a["stage"])}
    assert newest == {"H-A": ("release_due", "deadline", "custody.limit"),
                      "H-B": ("alert_raised", "4h", "custody.alerts")}  # H-B is due two hours later
    first = next(a for a in items if a["alert_id"] == "H-A:deadline")
    assert (first["person_name"], first["deadline_local"][-6:], first["seconds_left"], first["acknowledged"]) == (
        "Jane Roe", "-06:00", -60, False)


def test_an_acknowledgement_is_the_callers_own_and_is_recorded(api: Api) -> None:
    api.clock.now = datetime.fromisoformat(_hold(api, "H-A")["deadline"])
    watchdog.run_pass(api.world.engine, now=api.clock.now, policy=api.world.policy)
    assert api.command("acknowledge_alert", "staff-a", alert_id="H-A:24h").status_code == 200
    again = api.command("acknowledge_alert", "staff-a", alert_id="H-A:24h")
    mine = api.client.get("/alerts", params={"unacknowledged": "true", "limit": 500},
                          headers=api.headers("staff-a")).json()["items"]
    theirs = api.client.get("/alerts", params={"unacknowledged": "true", "limit": 500},
                            headers=api.headers("admin-a")).json()["items"]
    assert (again.status_code, "H-A:24h" in {a["alert_id"] for a in mine},
            "H-A:24h" in {a["alert_id"] for a in theirs}) == (409, False, True)


def test_reading_alerts_is_logged_with_every_alert_shown(api: Api) -> None:
    api.clock.now = datetime.fromisoformat(_hold(api, "H-A")["deadline"])
    watchdog.run_pass(api.world.engine, now=api.clock.now, policy=api.world.policy)
    shown = [a["alert_id"] for a in api.client.get("/alerts", headers=api.headers("sup-fo1")).json()["items"]]
    log = api.client.get("/access-log", params={"principal": "sup-fo1", "action": "list_alerts"},
                         headers=api.headers("auditor")).json()["items"]
    assert (shown != [], {a.split(":")[0] for a in shown}, log[-1]["shown"]) == (True, {"H-A"}, shown)


CROSS_SCOPE_CREATES = [
    ("book_person", "staff-a", {"facility_id": "AG-A-JAIL", "charge_status": "pending",
                                "person": {"name": "Cross Scope", "dob": "1990-01-01"}}, "booking_id", "BK-H-B"),
    ("register_facility", "admin-a", {"agency_id": "AG-A", "name": "X", "timezone": "America/Chicago"},
     "facility_id", "AG-B-JAIL"),
]


@pytest.mark.parametrize(("command", "user", "body", "field", "theirs"), CROSS_SCOPE_CREATES)
def test_the_ids_a_caller_creates_are_its_agencys_own_so_no_answer_tells_of_another_agencys(
        api: Api, command: str, user: str, body: dict[str, Any], field: str, theirs: str) -> None:
    """Issue 11: ids per agency. A scoped caller's new id begins with its agency and "/", so an id another agency
    holds is refused exactly as one no one holds: the answer cannot tell them apart."""
    taken = api.command(command, user, **{**body, field: theirs})
    free = api.command(command, user, **{**body, field: "NEVER-USED-1"})
    answers = [(r.status_code, r.json()["detail"].replace(name, "<id>"))
               for r, name in ((taken, theirs), (free, "NEVER-USED-1"))]
    assert answers[0] == answers[1] and answers[0][0] == 422, answers
    assert "AG-B" not in taken.text.replace(theirs, "") and "exists" not in taken.text
    mine = api.command(command, user, **{**body, field: "AG-A.NEW-1"})
    again = api.command(command, user, **{**body, field: "AG-A.NEW-1"})
    # Within the caller's own namespace a taken id is its own agency's record: the rule answers as for any.
    assert (mine.status_code, again.status_code, again.json().get("rule_id")) == (200, 409, "record.unique_id")


OTHER_AGENCYS_RECORDS = [
    ("record_cost", "admin-a", {"cost_id": "AG-A.COST-X", "agency_id": "AG-A", "kind": "detention_hours",
                                "payer": "agency", "incurred_from": "2026-03-01", "incurred_to": "2026-03-01",
                                "hours": 2}, "hold_id", "H-B"),
    ("record_cost", "sup-fo1", {"cost_id": "AG-A.COST-Y", "agency_id": "AG-A", "kind": "officer_hours",
                                "payer": "ice", "incurred_from": "2026-03-01", "incurred_to": "2026-03-01",
                                "hours": 2}, "agreement_id", "AGR-AG-B-WSO"),
    ("record_complaint", "admin-a", {"complaint_id": "AG-A.CMP-X", "agency_id": "AG-A", "received_on": "2026-03-01",
                                     "category": "other"}, "officer_id", "OFF-B"),
    ("record_steering_meeting", "sup-fo1", {"meeting_id": "AG-A.SC-X", "agency_id": "AG-A",
                                            "held_on": "2026-03-01"}, "agreement_id", "AGR-AG-B-WSO"),
]


@pytest.mark.parametrize(("command", "user", "body", "field", "theirs"), OTHER_AGENCYS_RECORDS)
def test_naming_a_record_outside_the_callers_scope_is_answered_as_if_it_did_not_exist(
        api: Api, command: str, user: str, body: dict[str, Any], field: str, theirs: str) -> None:
    """Issue 15 with issue 11: a cost, complaint or meeting that names another agency's hold, agreement or officer
    gets the answer an id no one holds gets, so it tells nothing of that agency's records."""
    answers = [(r.status_code, r.json()["detail"].replace(name, "<id>"))
               for r, name in ((api.command(command, user, **{**body, field: theirs}), theirs),
                               (api.command(command, user, **{**body, field: "NEVER-USED-9"}), "NEVER-USED-9"))]
    assert answers[0] == answers[1] and answers[0][0] == 404, answers
