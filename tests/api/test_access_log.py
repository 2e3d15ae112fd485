"""The access log: who read or tried what, when, from where, with what outcome; append-only in the database."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from custody_ledger.app import reads
from custody_ledger.ledger.schema import access_log
from tests.api.conftest import PASSWORD, Api


def _log(engine: Engine, **where: str) -> list[dict[str, Any]]:
    conditions = [access_log.c[k] == v for k, v in where.items()]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(access_log).where(*conditions).order_by(access_log.c.seq))
        return [dict(r._mapping) for r in rows]


def test_reading_a_hold_records_who_agency_what_when_where_and_outcome(api: Api, engine: Engine) -> None:
    headers = api.headers("staff-a")
    api.client.get("/holds/H-A", headers=headers)
    (record,) = _log(engine, action="read_hold")
    seen = {k: record[k] for k in ("principal", "role", "agency_id", "resource", "at", "remote", "outcome")}
    assert seen == {"principal": "staff-a", "role": "facility_staff", "agency_id": "AG-A", "resource": "hold:H-A",
                    "at": api.clock(), "remote": "testclient", "outcome": "ok"}


def test_no_person_record_is_shown_unless_its_access_record_is_written(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # The log write and the read share one transaction: when the log cannot be written, nothing is shown.
    def failing(*_: object, **__: object) -> None:
        raise RuntimeError("access log unavailable")

    monkeypatch.setattr(reads, "log_access", failing)
    client = TestClient(api.client.app, raise_server_exceptions=False)
    response = client.get("/holds/H-A", headers=api.headers("staff-a"))
    assert (response.status_code, "H-A" in response.text) == (500, False)


def test_lists_and_details_of_bookings_warrants_and_holds_are_logged(api: Api, engine: Engine) -> None:
    headers = api.headers("sup-fo1")
    for path in ("/bookings", "/bookings/BK-H-A", "/warrants", "/warrants/WR-BK-H-A", "/holds"):
        api.client.get(path, headers=headers)
    actions = [r["action"] for r in _log(engine, principal="sup-fo1") if r["action"] != "login"]
    assert actions == ["list_bookings", "read_booking", "list_warrants", "read_warrant", "list_holds"]


def test_looking_for_a_record_outside_the_scope_is_logged_as_not_found(api: Api, engine: Engine) -> None:
    api.client.get("/holds/H-B", headers=api.headers("staff-a"))
    assert [(r["resource"], r["outcome"]) for r in _log(engine, action="read_hold")] == [("hold:H-B", "not_found")]


def test_log_in_success_and_failure_are_logged(api: Api, engine: Engine) -> None:
    api.client.post("/auth/login", json={"username": "staff-a", "password": "wrong-password-123"})
    api.client.post("/auth/login", json={"username": "staff-a", "password": PASSWORD})
    api.client.post("/auth/login", json={"username": "nobody", "password": PASSWORD})
    outcomes = [(r["principal"], r["outcome"]) for r in _log(engine, action="login")]
    assert outcomes == [("staff-a", "failed:bad_password"), ("staff-a", "ok"), ("nobody", "failed:unknown_user")]


def test_the_auditor_can_list_the_access_log_page_by_page(api: Api) -> None:
    headers = api.headers("auditor")
    api.client.get("/holds/H-A", headers=api.headers("staff-a"))
    first = api.client.get("/access-log", params={"limit": 2}, headers=headers).json()
    rest = api.client.get("/access-log", params={"after": first["next"], "limit": 500}, headers=headers).json()
    seqs = [r["seq"] for r in first["items"] + rest["items"]]
    assert (seqs == sorted(set(seqs)), rest["next"], "read_hold" in {r["action"] for r in rest["items"]}) == (
        True, None, True)


@pytest.mark.parametrize("statement", ["UPDATE access_log SET outcome = 'ok'", "DELETE FROM access_log"])
def test_the_database_rejects_editing_or_deleting_the_access_log(api: Api, engine: Engine, statement: str) -> None:
    api.client.get("/holds/H-A", headers=api.headers("staff-a"))
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.execute(sa.text(statement))


def test_acting_on_another_agencys_hold_is_logged_and_changes_nothing_else(api: Api, engine: Engine) -> None:
    with engine.connect() as conn:
        events_before = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    response = api.command("release_hold", "staff-a", hold_id="H-B", reason="ice_declined")
    with engine.connect() as conn:
        events_after = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    denied = [(r["principal"], r["agency_id"], r["resource"], r["outcome"])
              for r in _log(engine, action="command:release_hold")]
    assert (response.status_code, events_after - events_before, denied) == (
        404, 0, [("staff-a", "AG-A", "hold_id:H-B", "not_found")])


def test_a_command_outside_the_role_is_logged_as_refused(api: Api, engine: Engine) -> None:
    response = api.command("transfer_custody", "staff-a", hold_id="H-A", receiving_officer="DO Smith",
                           field_office_id="FO-1")
    denied = [(r["principal"], r["outcome"]) for r in _log(engine, action="command:transfer_custody")]
    assert (response.status_code, denied) == (403, [("staff-a", "refused")])


def test_a_command_that_passes_role_and_scope_writes_no_access_record(api: Api, engine: Engine) -> None:
    response = api.command("release_hold", "staff-a", hold_id="H-A", reason="ice_declined")
    assert (response.status_code, _log(engine, action="command:release_hold")) == (200, [])


def test_a_list_read_records_the_query_and_every_record_it_showed(api: Api, engine: Engine) -> None:
    api.client.get("/holds", params={"agency_id": "AG-A", "status": "open"}, headers=api.headers("sup-fo1"))
    api.client.get("/bookings", params={"limit": 1}, headers=api.headers("program-admin"))
    holds, bookings = _log(engine, action="list_holds"), _log(engine, action="list_bookings")
    listed = api.client.get("/access-log", params={"action": "list_holds"}, headers=api.headers("auditor")).json()
    assert ([(r["resource"], r["shown"]) for r in holds + bookings], listed["items"][0]["shown"]) == (
        [("holds?status=open&agency_id=AG-A", '["H-A"]'), ("bookings?", '["BK-H-A"]')], ["H-A"])
