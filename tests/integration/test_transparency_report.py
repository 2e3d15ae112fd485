"""The public report as the public gets it (issue 15 point 2): the CSV is read back, each published table is
attacked from its published figures alone, and no withheld count may be worked out or proved small.

The history: WSO arrests in 2026 by state and quarter — TX 12 and 3, LA 11 and 12, AZ 2 and 0 — each hold
transferred to ICE two hours after the arrest (so transfers repeat the arrests' table).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from custody_ledger.api.main import create_app
from custody_ledger.domain.policy import Policy
from custody_ledger.reports import publish
from custody_ledger.reports.render import Format
from custody_ledger.reports.suppression import Table
from custody_ledger.settings import Settings
from tests.support.world import World, build_agency, certified_officer, open_hold
from tests.unit.test_suppression import determined

ARRESTS = {("TX", "2026-Q1"): 12, ("TX", "2026-Q2"): 3, ("LA", "2026-Q1"): 11, ("LA", "2026-Q2"): 12,
           ("AZ", "2026-Q1"): 2}
YEAR_HALF = (date(2026, 1, 1), date(2026, 6, 30))
QUARTER_STARTS = {"2026-Q1": datetime(2026, 1, 5, 15, 0, tzinfo=UTC), "2026-Q2": datetime(2026, 4, 6, 15, 0,
                                                                                          tzinfo=UTC)}


@pytest.fixture
def history(engine: Engine, policy: Policy) -> World:
    w = World(engine, policy, start=datetime(2025, 12, 1, 14, 0, tzinfo=UTC))
    for state in ("TX", "LA", "AZ"):
        build_agency(w, f"AG-{state}", state=state)
        certified_officer(w, f"OFF-{state}", f"AG-{state}")
    n, within = 0, dict.fromkeys(QUARTER_STARTS, 0)
    for (state, quarter), count in sorted(ARRESTS.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        for _ in range(count):
            n, within[quarter] = n + 1, within[quarter] + 1
            released = QUARTER_STARTS[quarter] + timedelta(hours=3 * within[quarter])
            hold = f"H-{state}-{n}"
            open_hold(w, hold, f"OFF-{state}", f"AG-{state}", released_at=released)
            w.ok("transfer_custody", at=released + timedelta(hours=2), hold_id=hold, receiving_officer="DO, ERO",
                 field_office_id="FO-1")
    return w


def _tables(data: bytes) -> dict[tuple[str, str], Table]:
    """The published tables, rebuilt from the CSV alone, as an outsider would."""
    rows = [r for r in csv.DictReader(io.StringIO(data.decode())) if r["section"] == "transparency"
            and r["unit"] == "count"]
    out = {}
    for model, measure in {(r["model"], r["measure"]) for r in rows}:
        mine = {(r["state"], r["period"]): (int(r["value"]) if r["value"] else None) for r in rows
                if (r["model"], r["measure"]) == (model, measure)}
        states = tuple(sorted({s for s, _ in mine if s != "all"}))
        periods = tuple(sorted({p for _, p in mine if p != "all"}))
        if ("all", "all") not in mine:  # a stock (agreements in force) has no totals over quarters
            continue
        out[(model, measure)] = Table(states, periods, {(s, p): mine[(s, p)] for s in states for p in periods},
                                      {s: mine[(s, "all")] for s in states}, {p: mine[("all", p)] for p in periods},
                                      mine[("all", "all")])
    return out


def _report(engine: Engine) -> bytes:
    return publish.transparency_report(engine, Settings(), YEAR_HALF, Format.CSV)


def test_no_withheld_count_can_be_worked_out_from_the_published_figures(history: World) -> None:
    tables = _tables(_report(history.engine))
    assert ("WSO", "arrests") in tables
    assert {key: determined(table, 11) for key, table in tables.items() if determined(table, 11)} == {}


def test_small_counts_are_withheld_and_every_published_count_is_true(history: World) -> None:
    arrests = _tables(_report(history.engine))[("WSO", "arrests")]
    assert (arrests.cells[("TX", "2026-Q2")], arrests.cells[("AZ", "2026-Q1")]) == (None, None)
    published = {k: v for k, v in arrests.cells.items() if v is not None}
    assert all(v == 0 or v >= 11 for v in [*published.values(), *filter(None, arrests.row_totals.values())])
    assert published == {k: ARRESTS.get(k, 0) for k in published}


def test_the_same_range_gives_the_same_bytes(history: World) -> None:
    first = _report(history.engine)
    with_more = open_hold(history, "H-LATER", "OFF-TX", "AG-TX", released_at=datetime(2026, 5, 1, tzinfo=UTC))
    assert with_more["ok"]
    through = int(next(r for r in csv.reader(io.StringIO(first.decode())) if r[6] == "ledger_events")[8].split("-")[1])
    again = publish.transparency_report(history.engine, Settings(), YEAR_HALF, Format.CSV, through=through)
    assert again == first


def test_the_public_page_and_csv_need_no_log_in(history: World, policy: Policy) -> None:
    client = TestClient(create_app(Settings(mfa_required=False), engine=history.engine, policy=policy))
    page = client.get("/transparency", params={"from": "2026-01-01", "to": "2026-06-30"})
    table = client.get("/transparency.csv", params={"from": "2026-01-01", "to": "2026-06-30"})
    assert (page.status_code, table.status_code, table.headers["content-type"]) == (
        200, 200, "text/csv; charset=utf-8")
    assert "WSO: arrests" in page.text and "unsafe-inline" not in page.headers["content-security-policy"]
    assert table.content.split(b"\n")[9:] == _report(history.engine).split(b"\n")[9:]


def test_a_bad_period_names_the_parameter(history: World, policy: Policy) -> None:
    client = TestClient(create_app(Settings(mfa_required=False), engine=history.engine, policy=policy))
    answer = client.get("/transparency.csv", params={"from": "2026-07-01", "to": "2026-01-01"})
    assert (answer.status_code, answer.text.split(":")[0]) == (422, "to")
