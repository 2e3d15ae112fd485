"""Every route x every role x A's object / B's object: the exact status code, from one table.

Users of agency A (FO-1) and the rest of the world (tests/api/conftest.py) act on an object of A and
on the same kind of object of B (FO-2). Out of scope is 404, as if absent, never 403; a role that may
not issue a command is 403 whatever the target; no credentials is 401. One world per backend serves
the whole table: a case expected to succeed acts on an object of its own, so no case changes another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from itertools import product
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.policy import Policy
from tests.api.conftest import AGENCIES, Api, build_world, make_api
from tests.support.world import World, booked_with_warrant, open_hold

ROLES = ("staff-a", "admin-a", "wso-a", "integration", "sup-fo1", "sup-fo2", "program-admin", "auditor", "anonymous")
SIDES = ("A", "B")

# Status for each role above, acting on A's object / on B's object.
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
POST book_person                    200/404 200/404 403/403 200/404 403/403 403/403 403/403 403/403 401/401
POST release_hold                   200/404 200/404 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST serve_warrant                  403/403 403/403 200/404 403/403 403/403 403/403 403/403 403/403 401/401
POST serve_warrant+other_officer    403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 401/401
POST lodge_warrant                  403/403 403/403 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST register_facility              403/403 200/404 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST request_agreement              403/403 200/404 403/403 403/403 403/403 403/403 200/200 403/403 401/401
POST record_training                403/403 403/403 403/403 403/403 200/404 404/200 200/200 403/403 401/401
POST transfer_custody               403/403 403/403 403/403 403/403 200/404 404/200 200/200 403/403 401/401
"""

OBJECTS = {side: {"agency": f"AG-{side}", "fo": AGENCIES[f"AG-{side}"][0], "officer": f"OFF-{side}",
                  "booking": f"BK-H-{side}", "warrant": f"WR-BK-H-{side}", "hold": f"H-{side}"} for side in SIDES}


@dataclass(frozen=True)
class Case:
    route: str  # "GET <path>" or "POST <command>[+variant]"
    role: str
    side: str
    status: int

    def __str__(self) -> str:
        return f"{self.route} | {self.role} | {self.side}"


def _cases() -> Iterator[Case]:
    for line in TABLE.strip().splitlines():
        method, target, *cells = line.split()
        assert len(cells) == len(ROLES), line
        for role, cell in zip(ROLES, cells, strict=True):
            for side, status in zip(SIDES, cell.split("/"), strict=True):
                yield Case(f"{method} {target}", role, side, int(status))


CASES = list(_cases())
Body = Callable[[Case], dict[str, Any]]


def _own(kind: str, case: Case) -> str:
    """An object of the case's own when it is expected to succeed; else the shared one, which it cannot change."""
    return f"H-{kind}-{case.role}-{case.side}" if case.status == 200 else f"H-{case.side}"


BODIES: dict[str, Body] = {
    "book_person": lambda c: {"booking_id": f"BK-{c.role}-{c.side}", "facility_id": f"AG-{c.side}-JAIL",
                              "person": {"name": "John Doe", "dob": "1985-05-05"}, "charge_status": "pending"},
    "release_hold": lambda c: {"hold_id": _own("R", c), "reason": "ice_declined"},
    "serve_warrant": lambda c: {"hold_id": f"H-S-{c.role}-{c.side}", "warrant_id": f"WR-S-{c.side}",
                                "officer_id": "OFF-A"},
    "serve_warrant+other_officer": lambda c: {"hold_id": f"H-X-{c.role}-{c.side}", "warrant_id": f"WR-S-{c.side}",
                                              "officer_id": "OFF-B"},
    "lodge_warrant": lambda c: {"warrant_id": f"WR-L-{c.role}-{c.side}", "booking_id": f"BK-L-{c.side}",
                                "form": "I-200", "number": f"N-{c.role}-{c.side}", "issued_on": "2026-03-01"},
    "register_facility": lambda c: {"facility_id": f"FAC-{c.role}-{c.side}", "agency_id": f"AG-{c.side}",
                                    "name": "Annex", "timezone": "America/Chicago"},
    "request_agreement": lambda c: {"agreement_id": f"AGR-{c.role}-{c.side}", "agency_id": f"AG-{c.side}",
                                    "model": "JEM"},
    "record_training": lambda c: {"officer_id": f"OFF-{c.side}", "model": "WSO", "course": f"Refresher {c.role}",
                                  "hours": 8, "completed_on": "2026-03-01"},
    "transfer_custody": lambda c: {"hold_id": _own("T", c), "receiving_officer": "Deportation Officer Smith",
                                   "field_office_id": OBJECTS[c.side]["fo"]},
}


def _prepare(w: World) -> None:
    """What the successful command cases act on: bookings to lodge on, warrants to serve, their own holds."""
    for side in SIDES:
        w.ok("book_person", booking_id=f"BK-L-{side}", facility_id=f"AG-{side}-JAIL",
             person={"name": "Ann Poe", "dob": "1980-02-02"}, charge_status="pending")
        booked_with_warrant(w, f"S-{side}", agency=f"AG-{side}")  # booking S-A, warrant WR-S-A
        w.ok("release_from_criminal_custody", at=w.later(minutes=5), booking_id=f"S-{side}", reason="bail")
    for case in CASES:
        kind = {"POST release_hold": "R", "POST transfer_custody": "T"}.get(case.route)
        if kind and case.status == 200:
            open_hold(w, _own(kind, case), f"OFF-{case.side}", f"AG-{case.side}")


@pytest.fixture(scope="module")
def matrix(module_engine: Engine, policy: Policy) -> Api:
    world = build_world(module_engine, policy)
    _prepare(world)
    return make_api(module_engine, policy, world)


def _send(api: Api, case: Case) -> Any:
    method, target = case.route.split(" ", 1)
    if method == "GET":
        return api.client.get(target.format(**OBJECTS[case.side]), headers=api.headers(case.role))
    return api.command(target.split("+")[0], case.role, **BODIES[target](case))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_route_role_and_scope_give_the_expected_status(matrix: Api, case: Case) -> None:
    response = _send(matrix, case)
    assert response.status_code == case.status, response.text


VISIBLE = {"staff-a": {"AG-A"}, "admin-a": {"AG-A"}, "wso-a": {"AG-A"}, "integration": {"AG-A"},
           "sup-fo1": {"AG-A"}, "sup-fo2": {"AG-B"}, "program-admin": {"AG-A", "AG-B"}, "auditor": {"AG-A", "AG-B"}}
LISTS = ("/agencies", "/facilities", "/agreements", "/officers", "/bookings", "/warrants", "/holds")


@pytest.mark.parametrize(("path", "role"), list(product(LISTS, VISIBLE)))
def test_a_list_holds_exactly_the_agencies_in_scope(matrix: Api, path: str, role: str) -> None:
    items = matrix.client.get(path, params={"limit": 500}, headers=matrix.headers(role)).json()["items"]
    assert {item["agency_id"] for item in items} == VISIBLE[role]


@pytest.mark.parametrize("role", list(VISIBLE))
def test_field_offices_are_those_of_the_agencies_in_scope(matrix: Api, role: str) -> None:
    items = matrix.client.get("/field-offices", headers=matrix.headers(role)).json()["items"]
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
    page = api.client.get("/holds", params={"due_within": 4 * 3600}, headers=api.login("program-admin")).json()
    assert [(h["hold_id"], h["seconds_left"]) for h in page["items"]] == [("H-A", 3 * 3600)]


def test_alerts_name_the_alert_rule_before_the_limit_and_the_violation_rule_after_it(api: Api) -> None:
    deadline_a = datetime.fromisoformat(_hold(api, "H-A")["deadline"])
    api.clock.now = deadline_a + timedelta(minutes=1)
    items = api.client.get("/alerts", headers=api.login("program-admin")).json()["items"]
    assert [(a["hold_id"], a["kind"], a["rule_id"]) for a in items] == [
        ("H-A", "violation", "custody.violation"), ("H-B", "alert", "custody.alerts")]
