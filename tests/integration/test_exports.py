"""Exports (issue 13): the ledger as JSON Lines, whole or a range, checked by tools/check_export.py without the
database; holds, agreements and officers as CSV and Parquet. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.cli import app
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db
from tests.support.world import World, build_agency, certified_officer, open_hold

TOOL = Path(__file__).parent.parent.parent / "tools" / "check_export.py"
RUNNER = CliRunner()


@pytest.fixture
def filled(db_url: str, policy: Policy) -> str:
    engine: Engine = db.make_engine(db_url)
    w = World(engine, policy)
    build_agency(w)
    certified_officer(w, "OFF-1")
    open_hold(w, "H-1", "OFF-1", "AG-A")
    engine.dispose()
    return db_url


def _export(db_url: str, *args: str) -> str:
    result = RUNNER.invoke(app, ["export", *args, "--db", db_url])
    assert result.exit_code == 0, result.output
    return result.stdout


def _check(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    # The tool runs as an auditor would run it: its own interpreter, no product on the path.
    return subprocess.run([sys.executable, "-I", str(TOOL), "-", *args], input=text, capture_output=True,
                          text=True, check=False)


def test_a_whole_export_chains_from_genesis_and_checks_without_the_database(filled: str) -> None:
    checked = _check(_export(filled, "ledger"))
    assert (checked.returncode, checked.stdout.startswith("OK: events 1 to")) == (0, True)


def test_export_without_what_is_still_the_ledger(filled: str) -> None:
    assert _export(filled) == _export(filled, "ledger")


def test_a_range_checks_from_the_prev_hash_its_first_line_names(filled: str) -> None:
    text = _export(filled, "ledger", "--from", "3", "--to", "6")
    lines = [json.loads(line) for line in text.splitlines()]
    checked = _check(text, "--head", lines[-1]["hash"])
    assert ([x["seq"] for x in lines], checked.returncode, lines[0]["prev_hash"] in checked.stdout) == (
        [3, 4, 5, 6], 0, True)


def test_an_edited_event_is_named_by_the_checker(filled: str) -> None:
    text = _export(filled, "ledger").replace('"Houston ERO"', '"Dallas ERO"', 1)
    checked = _check(text)
    assert (checked.returncode, "seq 1" in checked.stdout, "altered" in checked.stdout) == (1, True, True)


def test_a_missing_event_is_named_by_the_checker(filled: str) -> None:
    lines = _export(filled, "ledger").splitlines()
    checked = _check("\n".join(lines[:2] + lines[3:]) + "\n")
    assert (checked.returncode, "does not follow" in checked.stdout) == (1, True)


def test_a_wrong_head_is_refused(filled: str) -> None:
    assert _check(_export(filled, "ledger"), "--head", "f" * 64).returncode == 1


def test_holds_export_as_csv_with_every_column(filled: str) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(filled, "holds"))))
    assert ([r["hold_id"] for r in rows], rows[0]["status"], rows[0]["deadline"].endswith("Z")) == (
        ["H-1"], "open", True)


@pytest.mark.parametrize("what", ["agreements", "officers", "holds"])
def test_a_table_exports_as_parquet_with_its_rows(filled: str, tmp_path: Path, what: str) -> None:
    out = tmp_path / f"{what}.parquet"
    _export(filled, what, "--format", "parquet", "--out", str(out))
    assert pq.read_table(out).num_rows == 1


def test_a_parquet_export_needs_a_file(filled: str) -> None:
    result = RUNNER.invoke(app, ["export", "holds", "--format", "parquet", "--db", filled])
    assert (result.exit_code, "--out" in result.output) == (2, True)


def test_a_range_is_only_for_the_ledger(filled: str) -> None:
    result = RUNNER.invoke(app, ["export", "holds", "--from", "1", "--db", filled])
    assert result.exit_code == 2
