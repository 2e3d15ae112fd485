"""Every error is RFC 9457 problem details with the right status, and a failed request changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.ledger.schema import events, holds
from tests.api.conftest import Api

PROBLEM = "application/problem+json"
BOOKING = {"booking_id": "AG-A.BK-NEW", "facility_id": "AG-A-JAIL", "person": {"name": "John Doe", "dob": "1985-05-05"},
           "charge_status": "pending"}


def _ledger(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(events.c.seq, events.c.type).order_by(events.c.seq))]


def _problem(response: Any) -> tuple[int, str, dict[str, Any]]:
    return response.status_code, response.headers["content-type"], response.json()


def test_a_refusal_is_403_with_the_rule_id_citation_and_sentence(api: Api) -> None:
    # A WSO may not question anyone about immigration status: that is a JEM function.
    status, kind, body = _problem(api.command("interview_status", "wso-a", booking_id="BK-H-A", officer_id="OFF-A"))
    assert (status, kind, body["rule_id"], body["field"]) == (403, PROBLEM, "authority.wso", "officer_id")
    assert body["citation"] and body["message"] and body["type"].endswith(":refused")


def test_a_refusal_appends_exactly_one_action_refused_event_and_nothing_else(api: Api, engine: Engine) -> None:
    before = _ledger(engine)
    api.command("interview_status", "wso-a", booking_id="BK-H-A", officer_id="OFF-A")
    assert [t for _, t in _ledger(engine)[len(before):]] == ["action_refused"]


def test_an_invalid_field_is_422_naming_it(api: Api) -> None:
    status, kind, body = _problem(api.command("book_person", "staff-a", **{**BOOKING, "charge_status": "guilty"}))
    assert (status, kind, body["field"]) == (422, PROBLEM, "charge_status")


def test_an_invalid_value_found_by_the_domain_is_422_naming_the_nested_field(api: Api) -> None:
    person = {"name": "John Doe", "dob": "2099-01-01"}
    status, _, body = _problem(api.command("book_person", "staff-a", **{**BOOKING, "person": person}))
    assert (status, body["field"]) == (422, "person.dob")


def test_an_unknown_field_is_rejected_by_name(api: Api) -> None:
    status, _, body = _problem(api.command("book_person", "staff-a", **BOOKING, nickname="JD"))
    assert (status, body["field"]) == (422, "nickname")


def test_the_actor_cannot_be_sent_in_the_body(api: Api) -> None:
    status, _, body = _problem(api.command("book_person", "staff-a", **BOOKING, actor="someone-else"))
    assert (status, body["field"]) == (422, "actor")


def test_server_owned_fields_are_rejected(api: Api) -> None:
    fields = {"agency_id": "AG-B", "status": "released", "role": "auditor"}
    answers = [api.command("book_person", "staff-a", **BOOKING, **{k: v}).json()["field"] for k, v in fields.items()]
    assert answers == list(fields)


def test_a_missing_idempotency_key_is_422(api: Api) -> None:
    response = api.client.post("/commands/book_person", json=BOOKING, headers=api.headers("staff-a"))
    status, kind, body = _problem(response)
    assert (status, kind, body["field"]) == (422, PROBLEM, "Idempotency-Key")


def test_malformed_json_is_400_problem(api: Api) -> None:
    headers = {**api.headers("staff-a"), "Idempotency-Key": "k-bad-json", "Content-Type": "application/json"}
    status, kind, _ = _problem(api.client.post("/commands/book_person", content=b'{"booking_id": ', headers=headers))
    assert (status, kind) == (400, PROBLEM)


def test_a_body_over_the_limit_is_413(api: Api) -> None:
    headers = {**api.headers("staff-a"), "Idempotency-Key": "k-big"}
    big = {**BOOKING, "person": {"name": "x" * (api.settings.max_body_bytes + 1), "dob": "1985-05-05"}}
    status, kind, _ = _problem(api.client.post("/commands/book_person", json=big, headers=headers))
    assert (status, kind) == (413, PROBLEM)


def test_a_streamed_body_over_the_limit_is_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while the body arrives
        yield b'{"booking_id": "'
        yield b"x" * (api.settings.max_body_bytes + 1)
        yield b'"}'

    headers = {**api.headers("staff-a"), "Idempotency-Key": "k-stream", "Content-Type": "application/json"}
    status, kind, _ = _problem(api.client.post("/commands/book_person", content=chunks(), headers=headers))
    assert (status, kind) == (413, PROBLEM)


def test_an_unknown_id_is_404(api: Api) -> None:
    read = api.client.get("/holds/H-NOWHERE", headers=api.headers("staff-a"))
    write = api.command("release_hold", "staff-a", hold_id="H-NOWHERE", reason="other")
    assert [_problem(r)[:2] for r in (read, write)] == [(404, PROBLEM)] * 2


def test_an_unknown_route_is_404_problem(api: Api) -> None:
    assert _problem(api.client.get("/nothing-here"))[:2] == (404, PROBLEM)


def test_releasing_a_hold_twice_is_409(api: Api) -> None:
    first = api.command("release_hold", "staff-a", hold_id="H-A", reason="ice_declined")
    second = api.command("release_hold", "staff-a", hold_id="H-A", reason="ice_declined")
    assert (first.status_code, *_problem(second)[:2]) == (200, 409, PROBLEM)


def test_an_invalid_request_changes_nothing(api: Api, engine: Engine) -> None:
    before = _ledger(engine)
    api.command("release_hold", "staff-a", hold_id="H-A", reason="because")  # not a release reason
    api.command("transfer_custody", "sup-fo1", hold_id="H-A", receiving_officer="Deportation Officer Smith",
                field_office_id="FO-NOWHERE")
    with engine.connect() as conn:
        status = conn.execute(sa.select(holds.c.status).where(holds.c.hold_id == "H-A")).scalar_one()
    assert (_ledger(engine), status) == (before, "open")


def test_the_same_idempotency_key_returns_the_first_result(api: Api, engine: Engine) -> None:
    first = api.command("release_hold", "staff-a", key="release-H-A", hold_id="H-A", reason="ice_declined")
    count = len(_ledger(engine))
    again = api.command("release_hold", "staff-a", key="release-H-A", hold_id="H-A", reason="ice_declined")
    assert (again.json()["events"], again.json()["replayed"], len(_ledger(engine))) == (first.json()["events"], True,
                                                                                       count)


def test_the_same_idempotency_key_with_another_body_is_409(api: Api) -> None:
    api.command("release_hold", "staff-a", key="release-H-A", hold_id="H-A", reason="ice_declined")
    other = api.command("release_hold", "staff-a", key="release-H-A", hold_id="H-A", reason="court_order")
    assert _problem(other)[:2] == (409, PROBLEM)


def test_a_successful_serve_returns_the_deadline_in_utc_and_facility_time(api: Api) -> None:
    api.world.ok("book_person", booking_id="BK-S", facility_id="AG-A-JAIL",
                 person={"name": "Jane Roe", "dob": "1990-01-01"}, charge_status="pending")
    api.world.ok("lodge_warrant", warrant_id="WR-S", booking_id="BK-S", form="I-200", number="N-S",
                 issued_on=api.world.clock.date().isoformat())
    api.world.ok("release_from_criminal_custody", booking_id="BK-S", reason="bail")
    body = api.command("serve_warrant", "wso-a", hold_id="AG-A.H-S", warrant_id="WR-S", officer_id="OFF-A").json()
    assert (body["ok"], body["deadline"].endswith("Z"), body["deadline_local"][-6:]) == (True, True, "-06:00")


# Another agency's object and an id that exists nowhere: (user, command, body, field, B's id).
_OUT_OF_SCOPE = [
    ("staff-a", "release_hold", {"reason": "ice_declined"}, "hold_id", "H-B"),
    ("sup-fo1", "lodge_warrant", {"form": "I-200", "number": "N-9", "issued_on": "2026-03-01"}, "booking_id",
     "BK-H-B"),
    ("admin-a", "nominate_officer", {"officer_id": "OFF-NEW", "name": "Pat Roe", "badge": "77"}, "agency_id", "AG-B"),
    ("sup-fo1", "register_agency", {"agency_id": "AG-NEW", "name": "New County Sheriff", "kind": "sheriff",
                                    "state": "TX", "county": "Bexar", "ori": "TX0150000"}, "field_office_id", "FO-2"),
]


def test_another_agencys_object_is_answered_word_for_word_as_one_that_does_not_exist(api: Api) -> None:
    """No broken object-level authorization: not even the wording tells that B's record exists."""
    def problem(user: str, command: str, body: dict[str, Any], field: str, ident: str) -> tuple[int, str]:
        extra = {"warrant_id": "WR-NEW"} if command == "lodge_warrant" else {}
        response = api.command(command, user, **body, **extra, **{field: ident})
        return response.status_code, response.text.replace(ident, "<id>")

    pairs = [(problem(u, c, b, f, theirs), problem(u, c, b, f, "NOBODY-9")) for u, c, b, f, theirs in _OUT_OF_SCOPE]
    assert [(theirs[0], theirs == missing) for theirs, missing in pairs] == [(404, True)] * len(_OUT_OF_SCOPE)


def test_a_log_in_name_with_a_nul_byte_is_422_not_a_database_error(api: Api) -> None:
    response = api.client.post("/auth/login", json={"username": "staff\u0000a", "password": "x" * 12})
    assert (response.status_code, response.json()["field"]) == (422, "username")
