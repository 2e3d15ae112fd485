"""Imports and exports over HTTP (issue 13): who may, what each sees, streamed; SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq

from custody_ledger.app import auth
from tests.api.conftest import Api

EDITION = Path(__file__).parent.parent / "fixtures" / "ice" / "participating-2025-03-01.csv"


def _import(api: Api, user: str, data: bytes | None = None, **params: str) -> object:
    query = {"as_of": "2025-03-01", "field_office_id": "FO-1", **params}
    return api.client.post("/imports/ice-agreements", params=query, content=EDITION.read_bytes() if data is None
                           else data, headers={**api.headers(user), "X-File-Name": EDITION.name,
                                               "Content-Type": "text/csv"})


def test_the_program_administrator_imports_an_edition_and_gets_its_summary(api: Api) -> None:
    response = _import(api, "program-admin")
    body = response.json()  # type: ignore[attr-defined]
    assert (response.status_code, body["created"], body["rejected"], body["problems"][0]["column"]) == (  # type: ignore[attr-defined]
        200, 6, 2, "SIGNED")


def test_an_imported_record_names_the_uploading_principal_as_its_actor(api: Api) -> None:
    _import(api, "program-admin")
    events = api.client.get("/events", params={"limit": 500}, headers=api.headers("auditor")).json()["items"]
    imported = [e for e in events if e["type"] == "agency_registered" and e["stream"].startswith("agency:ICE-")]
    assert {e["actor"] for e in imported} == {"program-admin"}


def test_no_other_role_may_import(api: Api) -> None:
    codes = {user: _import(api, user).status_code for user in  # type: ignore[attr-defined]
             ("staff-a", "admin-a", "sup-fo1", "auditor", "integration")}
    assert set(codes.values()) == {403}


def test_an_unreadable_upload_is_refused_naming_the_file(api: Api) -> None:
    response = _import(api, "program-admin", data=b"no header here\n1,2,3\n")
    assert (response.status_code, response.json()["field"]) == (422, "file")  # type: ignore[attr-defined]


def test_the_auditor_streams_a_range_of_the_ledger(api: Api) -> None:
    response = api.client.get("/exports/ledger", params={"from": 2, "to": 4}, headers=api.headers("auditor"))
    lines = [json.loads(x) for x in response.text.splitlines()]
    assert (response.status_code, response.headers["content-type"], [x["seq"] for x in lines]) == (
        200, "application/x-ndjson", [2, 3, 4])


def test_an_agency_may_not_export_the_ledger(api: Api) -> None:
    assert {api.client.get("/exports/ledger", headers=api.headers(u)).status_code
            for u in ("admin-a", "integration", "sup-fo1")} == {403}


def test_an_integration_key_exports_only_its_own_agencys_holds(api: Api) -> None:
    response = api.client.get("/exports/holds", headers=api.headers("integration"))
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert (response.status_code, {r["agency_id"] for r in rows}) == (200, {"AG-A"})


def test_the_program_administrator_exports_every_agreement_as_parquet(api: Api) -> None:
    response = api.client.get("/exports/agreements", params={"format": "parquet"},
                              headers=api.headers("program-admin"))
    table = pq.read_table(io.BytesIO(response.content))
    assert (response.status_code, sorted(table.column("agency_id").to_pylist())) == (200, ["AG-A", "AG-B"])


def test_a_supervisor_exports_only_the_officers_of_their_field_office(api: Api) -> None:
    rows = list(csv.DictReader(io.StringIO(api.client.get("/exports/officers", headers=api.headers("sup-fo2")).text)))
    assert {r["agency_id"] for r in rows} == {"AG-B"}


def test_a_command_over_http_may_not_claim_an_imported_source(api: Api) -> None:
    source = {"file": "x.csv", "sha256": "a" * 64, "row": 2, "as_of": "2025-03-01"}
    response = api.command("register_agency", "program-admin", agency_id="AG-Z", name="Z Sheriff", kind="sheriff",
                           state="TX", field_office_id="FO-1", source=source)
    assert (response.status_code, response.json()["field"]) == (403, "source")


def _program_key(api: Api) -> dict[str, str]:
    key = auth.add_api_key(api.client.app.state.engine, "ice-list", None, api.settings, now=api.clock(),  # type: ignore[attr-defined]
                           by="test-setup")
    return {"X-API-Key": key}


def test_a_program_wide_key_imports_the_list_and_exports_its_agreements(api: Api) -> None:
    headers = _program_key(api)
    imported = api.client.post("/imports/ice-agreements", params={"as_of": "2025-03-01", "field_office_id": "FO-1"},
                               content=EDITION.read_bytes(), headers={**headers, "X-File-Name": EDITION.name})
    exported = api.client.get("/exports/agreements", headers=headers)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert (imported.status_code, imported.json()["created"], exported.status_code, len(rows)) == (200, 6, 200, 8)


def test_a_program_wide_key_reaches_no_agencys_records(api: Api) -> None:
    headers = _program_key(api)
    statuses = {path: api.client.get(path, headers=headers).status_code
                for path in ("/exports/holds", "/exports/officers", "/exports/ledger")}
    holds = api.client.get("/holds", headers=headers).json()["items"]
    booked = api.client.post("/commands/book_person", headers={**headers, "Idempotency-Key": "k-1"},
                             json={"booking_id": "AG-A.BK-9", "facility_id": "AG-A-JAIL", "charge_status": "pending",
                                   "person": {"name": "John Doe", "dob": "1985-05-05"}})
    assert (set(statuses.values()), holds, booked.status_code) == ({403}, [], 404)
