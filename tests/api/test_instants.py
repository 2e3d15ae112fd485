"""One form for every instant the API shows (RFC 3339, UTC `Z`, a fraction only when there is one)."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.api.conftest import PASSWORD, Api

# Whole seconds, or a fraction without trailing zeros; Z for UTC, an offset for facility time.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?(Z|[+-]\d\d:\d\d)")
INSTANTS = ("clock_started_at", "deadline", "deadline_local")


def _serve_at_a_fraction(api: Api, fraction: timedelta, key: str | None = None) -> dict[str, str]:
    at = api.world.clock + fraction
    api.world.ok("book_person", booking_id="BK-S", facility_id="AG-A-JAIL",
                 person={"name": "Jane Roe", "dob": "1990-01-01"}, charge_status="pending")
    api.world.ok("lodge_warrant", warrant_id="WR-S", booking_id="BK-S", form="I-200", number="N-S",
                 issued_on=api.world.clock.date().isoformat())
    api.world.ok("release_from_criminal_custody", at=at, booking_id="BK-S", reason="bail")
    response = api.command("serve_warrant", "wso-a", key=key, hold_id="AG-A.H-S", warrant_id="WR-S", officer_id="OFF-A",
                           occurred_at=at.isoformat())
    assert response.status_code == 200, response.text
    return {name: response.json()[name] for name in INSTANTS}


def test_a_command_result_writes_its_instants_as_the_read_of_the_same_hold_does(api: Api) -> None:
    result = _serve_at_a_fraction(api, timedelta())
    hold = api.client.get("/holds/AG-A.H-S", headers=api.headers("program-admin")).json()
    assert (result, result["deadline"].endswith(":00Z")) == ({name: hold[name] for name in INSTANTS}, True)


def test_a_fraction_of_a_second_prints_only_its_digits_in_results_and_reads(api: Api) -> None:
    result = _serve_at_a_fraction(api, timedelta(milliseconds=250))
    hold = api.client.get("/holds/AG-A.H-S", headers=api.headers("program-admin")).json()
    assert (result["deadline"][-4:], {name: hold[name] for name in INSTANTS}) == (".25Z", result)


def test_a_replayed_result_writes_its_instants_as_the_first_did(api: Api) -> None:
    first = _serve_at_a_fraction(api, timedelta(microseconds=500), key="serve-S")
    replay = api.command("serve_warrant", "wso-a", key="serve-S", hold_id="AG-A.H-S", warrant_id="WR-S",
                         occurred_at=first["clock_started_at"], officer_id="OFF-A").json()
    assert (replay["replayed"], {name: replay[name] for name in INSTANTS}) == (True, first)


def test_every_instant_of_the_reads_has_the_one_form(api: Api) -> None:
    headers = api.headers("program-admin")
    shown = [value for path in ("/holds", "/bookings", "/warrants", "/alerts")
             for item in api.client.get(path, headers=headers).json()["items"]
             for key, value in item.items() if key.endswith(("_at", "deadline", "deadline_local")) and value]
    login = api.client.post("/auth/login", json={"username": "auditor", "password": PASSWORD}).json()
    events = api.client.get("/events", headers=api.headers("auditor")).json()["items"]
    shown += [login["expires_at"], *(e[k] for e in events for k in ("occurred_at", "recorded_at"))]
    assert shown and [v for v in shown if not RFC3339.fullmatch(v)] == []
