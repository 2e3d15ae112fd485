"""History from editions of ICE's list (issue 13), on SQLite and PostgreSQL: three fictional editions under
tests/fixtures/ice (participating 2025-03-01, pending 2025-04-01, participating 2025-05-01) and an xlsx built
here, imported in date order through the write path, then read back edition by edition."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.app import listings
from custody_ledger.app.execute import execute
from custody_ledger.cli import app
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.policy import Policy
from custody_ledger.interop.ice_agreements import Report, import_edition
from custody_ledger.ledger.schema import events

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ice"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
EDITIONS = (("participating-2025-03-01.csv", date(2025, 3, 1), False),
            ("pending-2025-04-01.csv", date(2025, 4, 1), True),
            ("participating-2025-05-01.csv", date(2025, 5, 1), False))
LONE_OAK = "ICE-TX-LONE-OAK-COUNTY-SHERIFFS-OFFICE"
BIRCH = "ICE-PA-BIRCH-TOWNSHIP-POLICE-DEPARTMENT"


@pytest.fixture
def office(engine: Engine, policy: Policy) -> str:
    raw = {"command": "register_field_office", "idempotency_key": "fo", "actor": "setup",
           "occurred_at": "2020-01-01T00:00:00+00:00", "field_office_id": "HQ", "name": "Program-wide",
           "timezone": "America/New_York"}
    assert execute(engine, raw, now=datetime(2020, 1, 1, 0, 1, tzinfo=UTC), policy=policy).ok
    return "HQ"


def _import(engine: Engine, policy: Policy, name: str, as_of: date, pending: bool) -> Report:
    return import_edition(engine, name, (FIXTURES / name).read_bytes(), as_of=as_of, pending=pending,
                          field_office_id="HQ", now=NOW, policy=policy)


def _all(engine: Engine, policy: Policy) -> list[Report]:
    return [_import(engine, policy, *edition) for edition in EDITIONS]


def _count(report: Report) -> tuple[int, ...]:
    s = report.summary()
    return s["created"], s["amended"], s["unchanged"], s["delisted"], s["rejected"]


def _events(engine: Engine, *types: str) -> list[tuple[str, dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.type, events.c.payload).where(events.c.type.in_(types))
                            .order_by(events.c.seq))
        return [(r.type, json.loads(r.payload)) for r in rows]


def _listed(engine: Engine, day: date) -> dict[str, dict[str, Any]]:
    return {line["agreement_id"]: line for line in listings.as_of(engine, day)}


def test_the_first_edition_creates_what_it_can_read_and_names_each_row_it_cannot(
        engine: Engine, policy: Policy, office: str) -> None:
    report = _import(engine, policy, *EDITIONS[0])
    problems = {(p.row, p.column) for p in report.rejected}
    assert (_count(report), problems) == ((6, 0, 0, 0, 2), {(9, "SIGNED"), (12, "LAW ENFORCEMENT AGENCY")})


def test_editions_in_date_order_record_what_changed(engine: Engine, policy: Policy, office: str) -> None:
    reports = _all(engine, policy)
    assert [_count(r) for r in reports] == [(6, 0, 0, 0, 2), (2, 0, 0, 0, 0), (2, 4, 2, 1, 1)]


def test_the_programs_growth_reads_back_edition_by_edition(engine: Engine, policy: Policy, office: str) -> None:
    _all(engine, policy)
    on_list = [sum(1 for x in listings.as_of(engine, d) if x["listed"]) for d in
               (date(2025, 2, 28), date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1))]
    assert on_list == [0, 6, 8, 9]


def test_a_missing_agreement_is_delisted_inferred_not_terminated(engine: Engine, policy: Policy, office: str) -> None:
    _all(engine, policy)
    guam = _listed(engine, date(2025, 5, 1))["ICE-GU-GUAM-DEPARTMENT-OF-CORRECTIONS.JEM"]
    delisted = [p for t, p in _events(engine, "agreement_delisted")]
    assert (guam["status"], guam["listed"], str(guam["delisted_on"]), delisted[0]["inferred"]) == (
        "active", False, "2025-05-01", True)


def test_a_spelling_change_with_the_same_state_model_and_signed_is_an_amendment(
        engine: Engine, policy: Policy, office: str) -> None:
    _all(engine, policy)
    birch = _listed(engine, date(2025, 5, 1))[f"{BIRCH}.TFM"]
    renames = [p["changes"] for t, p in _events(engine, "agency_amended") if p["agency_id"] == BIRCH]
    assert (birch["agency"], birch["listed"], renames) == (
        "Birch Twp. Police Department", True,
        [[{"field": "name", "old": "Birch Township Police Department", "new": "Birch Twp. Police Department"}]])


def test_a_new_signed_date_is_a_re_signing_with_the_old_date_kept(engine: Engine, policy: Policy, office: str) -> None:
    _all(engine, policy)
    resigned = [p for t, p in _events(engine, "agreement_resigned")]
    assert [(p["agreement_id"], p["previous_signed_on"], p["signed_on"]) for p in resigned] == [
        (f"{LONE_OAK}.JEM", "2023-03-15", "2025-04-02")]


def test_a_pending_agency_turns_up_signed_even_before_its_pending_listing(
        engine: Engine, policy: Policy, office: str) -> None:
    _all(engine, policy)
    before, after = (_listed(engine, d)["ICE-TX-MAPLE-COUNTY-SHERIFFS-OFFICE.WSO"]
                     for d in (date(2025, 4, 1), date(2025, 5, 1)))
    assert ((before["status"], before["signed_on"]), (after["status"], str(after["signed_on"]))) == (
        ("requested", None), ("active", "2025-03-20"))


def test_a_corrected_county_is_recorded_with_its_old_value(engine: Engine, policy: Policy, office: str) -> None:
    _all(engine, policy)
    counties = [p["changes"] for t, p in _events(engine, "agency_amended") if p["agency_id"] == LONE_OAK]
    assert counties == [[{"field": "county", "old": None, "new": "Lone Oak County"}]]


def test_moa_and_addendum_links_are_attached_with_their_urls(engine: Engine, policy: Policy, office: str) -> None:
    _all(engine, policy)
    docs = {(p["agreement_id"], p["kind"], p["url"]) for t, p in _events(engine, "agreement_document_attached")}
    assert docs == {(f"{LONE_OAK}.WSO", "moa", "https://example.org/moa/lone-oak-wso.pdf"),
                    (f"{LONE_OAK}.WSO", "addendum", "https://example.org/moa/lone-oak-wso-addendum-1.pdf"),
                    (f"{BIRCH}.TFM", "moa", "https://example.org/moa/birch-tfm.pdf")}


def test_a_rejected_row_holds_back_delisting_in_its_state(engine: Engine, policy: Policy, office: str) -> None:
    reports = _all(engine, policy)
    assert reports[2].held_back == ["FL"]


def test_imported_events_carry_their_source_and_are_not_late_entries(
        engine: Engine, policy: Policy, office: str) -> None:
    reports = _all(engine, policy)
    signed = [p for t, p in _events(engine, "agreement_signed")]
    flags = [p for t, p in _events(engine, "record_flagged") if p["kind"] == "late_entry"]
    first = signed[0]["source"]
    assert (first["file"], first["sha256"], first["as_of"], isinstance(first["row"], int), len(flags)) == (
        "participating-2025-03-01.csv", reports[0].sha256, "2025-03-01", True, 0)


def test_importing_an_edition_again_changes_nothing(engine: Engine, policy: Policy, office: str) -> None:
    _all(engine, policy)
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    again = _import(engine, policy, *EDITIONS[2])
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    assert (after - before, again.summary()["unchanged"]) == (0, 8)


def test_an_older_edition_after_a_newer_one_is_refused_and_changes_nothing(
        engine: Engine, policy: Policy, office: str) -> None:
    _import(engine, policy, *EDITIONS[2])
    with pytest.raises(Invalid) as caught:
        _import(engine, policy, *EDITIONS[0])
    assert (caught.value.field, "date order" in caught.value.message) == ("as_of", True)


def test_an_edition_dated_after_today_is_refused(engine: Engine, policy: Policy, office: str) -> None:
    with pytest.raises(Invalid) as caught:
        _import(engine, policy, "participating-2025-03-01.csv", date(2027, 1, 1), False)
    assert caught.value.field == "as_of"


def test_an_unreadable_state_holds_back_every_delisting(engine: Engine, policy: Policy, office: str) -> None:
    _import(engine, policy, *EDITIONS[0])
    text = ("STATE,LAW ENFORCEMENT AGENCY,TYPE,SUPPORT TYPE,SIGNED\n"
            "ATLANTIS,Sunken Police Department,City,TFM,1/2/2025\n")
    report = import_edition(engine, "odd.csv", text.encode(), as_of=date(2025, 6, 1), pending=False,
                            field_office_id="HQ", now=NOW, policy=policy)
    assert (report.summary()["delisted"], report.held_back) == (0, ["all"])


def test_an_xlsx_edition_is_imported_with_its_hyperlinks(engine: Engine, policy: Policy, office: str) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["STATE", "COUNTY", "LAW ENFORCEMENT AGENCY", "TYPE", "SUPPORT TYPE", "SIGNED", "MOA"])
    sheet.append(["NORTHERN MARIANA ISLANDS", "#N/A", "Saipan Department of Public Safety", "State Agency",
                  "Task Force Model", datetime(2025, 1, 5), "MOA"])
    sheet.cell(row=2, column=7).hyperlink = "https://example.org/moa/saipan.pdf"
    data = io.BytesIO()
    book.save(data)
    report = import_edition(engine, "edition.xlsx", data.getvalue(), as_of=date(2025, 3, 1), pending=False,
                            field_office_id="HQ", now=NOW, policy=policy)
    line = _listed(engine, date(2025, 3, 1))["ICE-MP-SAIPAN-DEPARTMENT-OF-PUBLIC-SAFETY.TFM"]
    docs = [p["url"] for t, p in _events(engine, "agreement_document_attached")]
    assert (_count(report), line["state"], line["county"], docs) == (
        (1, 0, 0, 0, 0), "MP", None, ["https://example.org/moa/saipan.pdf"])


def test_the_command_line_imports_and_lists_agreements_as_of_a_day(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    commands = tmp_path / "fo.jsonl"
    commands.write_text(json.dumps({"command": "register_field_office", "idempotency_key": "fo", "actor": "t",
                                    "field_office_id": "HQ", "name": "Program-wide",
                                    "timezone": "America/New_York"}) + "\n")
    assert runner.invoke(app, ["apply", "--db", db_url, str(commands)]).exit_code == 0
    imported = runner.invoke(app, ["import", "ice-agreements", str(FIXTURES / EDITIONS[0][0]), "--as-of",
                                   "2025-03-01", "--field-office", "HQ", "--db", db_url])
    listed = runner.invoke(app, ["agreements", "--as-of", "2025-03-01", "--format", "csv", "--db", db_url])
    summary = json.loads(imported.stdout.strip().splitlines()[-1])
    assert (imported.exit_code, summary["created"], summary["rejected"], listed.exit_code,
            len(listed.stdout.strip().splitlines())) == (1, 6, 2, 0, 7)


def test_a_program_wide_key_is_issued_for_the_list_and_one_scope_is_required(db_url: str) -> None:
    runner = CliRunner()
    issued = runner.invoke(app, ["key", "add", "ice-list", "--program-data", "--db", db_url])
    neither = runner.invoke(app, ["key", "add", "nothing", "--db", db_url])
    both = runner.invoke(app, ["key", "add", "both", "--agency", "AG-A", "--program-data", "--db", db_url])
    assert (issued.exit_code, issued.stdout.startswith("clk_"), neither.exit_code, both.exit_code) == (0, True, 2, 2)
