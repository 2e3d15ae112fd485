"""`custody-ledger report ...` as an auditor runs it: every format, the range it names, and `verify --through`
on that range (issue 15 points 1 and 4), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.cli import app
from custody_ledger.domain.policy import Policy
from custody_ledger.reports import columnar
from custody_ledger.settings import Settings
from tests.support.world import World, build_agency, certified_officer, open_hold

RUNNER = CliRunner()
PERIOD = ["--from", "2026-03-01", "--to", "2026-03-31"]


@pytest.fixture
def world(engine: Engine, policy: Policy) -> World:
    w = World(engine, policy)
    build_agency(w, "AG-A")
    certified_officer(w, "OFF-1")
    for n in range(3):
        open_hold(w, f"H{n}", "OFF-1", released_at=datetime(2026, 3, 5 + n, 12, tzinfo=UTC))
        w.ok("transfer_custody", at=datetime(2026, 3, 5 + n, 20, tzinfo=UTC), hold_id=f"H{n}",
             receiving_officer="DO, ERO", field_office_id="FO-1")
    return w


def _provenance(text: str) -> dict[str, str]:
    return {r["measure"]: r["value"] for r in csv.DictReader(io.StringIO(text)) if r["section"] == "provenance"}


def test_the_report_names_its_range_and_verify_through_it_prints_the_same_head(world: World, db_url: str) -> None:
    run = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", db_url])
    assert run.exit_code == 0, run.stderr
    about = _provenance(run.stdout)
    through = about["ledger_events"].split("-")[1]
    check = RUNNER.invoke(app, ["verify", "--through", through, "--db", db_url])
    assert (check.exit_code, f"{through} events, head {about['chain_head']};" in check.stderr) == (0, True)


def test_the_same_range_gives_the_same_csv_after_more_is_recorded(world: World, db_url: str) -> None:
    first = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", db_url]).stdout
    open_hold(world, "H9", "OFF-1", released_at=datetime(2026, 3, 20, 12, tzinfo=UTC))
    through = _provenance(first)["ledger_events"].split("-")[1]
    again = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--through", through,
                                "--db", db_url]).stdout
    now = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", db_url]).stdout
    assert (again == first, now == first) == (True, False)


def test_html_and_pdf_carry_the_charts_and_parquet_the_rows(world: World, db_url: str, tmp_path: Path) -> None:
    html = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--db", db_url]).stdout
    pdf, table = tmp_path / "r.pdf", tmp_path / "r.parquet"
    for fmt, out in (("pdf", pdf), ("parquet", table)):
        run = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", fmt, "--out", str(out), "--db", db_url])
        assert run.exit_code == 0, run.stderr
    rows = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", db_url]).stdout
    assert ("Hold durations against the limit" in html, html.count("<svg") >= 2, pdf.read_bytes()[:5]) == (
        True, True, b"%PDF-")
    assert pq.read_table(table).num_rows == rows.count("\n") - 1


@pytest.mark.parametrize(("args", "named"), [
    (["--format", "pdf"], "--out"), (["--format", "parquet"], "--out"),
    (["--from", "2026-04-01", "--to", "2026-03-01"], "--to"),
    (["--from", "2026-13-01", "--to", "2026-12-31"], "--from"), (["--agency", "AG-NOPE"], "--agency"),
])
def test_bad_options_are_refused_naming_the_option(world: World, db_url: str, args: list[str], named: str) -> None:
    full = args if "--from" in args else [*PERIOD, *args]
    run = RUNNER.invoke(app, ["report", "oversight", *full, "--db", db_url])
    assert (run.exit_code, named in run.stderr) == (2, True)


def test_a_range_beyond_the_ledger_is_refused(world: World, db_url: str) -> None:
    run = RUNNER.invoke(app, ["report", "transparency", *PERIOD, "--format", "csv", "--through", "99999999",
                              "--db", db_url])
    assert (run.exit_code, "through" in run.stderr) == (2, True)


def test_the_copy_beside_a_sqlite_file_is_rebuilt_for_another_ledger(tmp_path: Path, policy: Policy) -> None:
    from custody_ledger.app.admin import open_engine

    path = tmp_path / "a.db"
    engine = open_engine(str(path))
    w = World(engine, policy)
    build_agency(w, "AG-A")
    first = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", str(path)]).stdout
    engine.dispose()
    path.unlink()
    engine = open_engine(str(path))  # another ledger at the same path, its copy's file left beside it
    w = World(engine, policy, start=datetime(2026, 3, 2, 14, tzinfo=UTC) + timedelta(days=1))
    build_agency(w, "AG-B", state="LA")
    second = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", str(path)]).stdout
    assert (Path(f"{path}.reports.duckdb").exists(), "AG-A" in first, "AG-A" in second, "AG-B" in second) == (
        True, True, False, True)


def test_the_copy_is_kept_between_reports_and_only_appended_to(world: World, db_url: str, engine: Engine) -> None:
    path = columnar.cache_path(engine, Settings())
    assert path is not None
    RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", db_url])
    with duckdb.connect(str(path)) as con:
        first = columnar.Mirror(con).through
    open_hold(world, "H8", "OFF-1", released_at=datetime(2026, 3, 21, 12, tzinfo=UTC))
    RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", db_url])
    with duckdb.connect(str(path)) as con:
        later = columnar.Mirror(con).through
        holds = con.execute("SELECT count(*), count(DISTINCT seq) FROM holds").fetchone()
    assert (path.exists(), later.through > first.through, holds) == (True, True, (4, 4))


def test_the_report_names_the_first_signed_checkpoint_covering_its_range(world: World, db_url: str,
                                                                          tmp_path: Path) -> None:
    key, log = tmp_path / "ckpt.key", tmp_path / "checkpoints.log"
    assert RUNNER.invoke(app, ["checkpoint-key", "new", str(key), "--name", "custody-ledger.test/r"]).exit_code == 0
    env = {"CUSTODY_LEDGER_CHECKPOINT_KEY_FILE": str(key), "CUSTODY_LEDGER_CHECKPOINT_LOG": str(log)}
    before = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", db_url], env=env)
    assert RUNNER.invoke(app, ["checkpoint", "--db", db_url, "--key", str(key), "--log", str(log)]).exit_code == 0
    after = RUNNER.invoke(app, ["report", "oversight", *PERIOD, "--format", "csv", "--db", db_url], env=env)
    size = _provenance(after.stdout)["ledger_events"].split("-")[1]
    assert (_provenance(before.stdout)["checkpoint"], _provenance(after.stdout)["checkpoint"].split(" ")[:3]) == (
        "none covering this range", ["custody-ledger.test/r", "size", size])
