"""`custody-ledger replay`: the what-if report on the command line, its formats, and bad input named by option."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.cli import app
from custody_ledger.domain.policy import Policy
from tests.integration.test_replay import EXAMPLE, build_history

RUNNER = CliRunner()
WINDOW = ["--from", "2026-03-02", "--to", "2026-03-10"]


def invoke(db: str, *args: str) -> Any:
    return RUNNER.invoke(app, ["replay", "--db", db, *args])


@pytest.fixture
def history(engine: Engine, db_url: str, policy: Policy) -> str:
    build_history(engine, policy)
    return db_url


def test_replay_as_json_gives_the_figures_per_agency(history: str) -> None:
    run = invoke(history, "--policy", str(EXAMPLE), *WINDOW, "--format", "json")
    agencies = {a["agency_id"]: (a["holds"], a["would_breach"], a["accepted_refused"])
                for a in json.loads(run.stdout)["agencies"]}
    assert (run.exit_code, agencies) == (0, {"AG-A": (5, 2, 1), "AG-B": (1, 0, 0)})


def test_replay_as_csv_is_the_figures_then_the_findings(history: str) -> None:
    run = invoke(history, "--policy", str(EXAMPLE), *WINDOW, "--format", "csv", "--agency", "AG-A")
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert (rows[1][:5], rows[3][:3], [r[2] for r in rows[4:]]) == (
        ["AG-A", "5", "6", "1", "2"], ["agency", "kind", "id"], ["H5", "H1", "H3", "H6"])


def test_replay_text_to_a_file_is_plain_lines(history: str, tmp_path: Path) -> None:
    out = tmp_path / "what-if.txt"
    run = invoke(history, "--policy", str(EXAMPLE), *WINDOW, "--out", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert (run.exit_code, run.stdout, lines[2].split("  ")[:6]) == (0, "", ["AG-A", "5", "6", "1", "2", "2"])


def _error(run: Any) -> tuple[int, int, str]:
    return run.exit_code, run.stderr.count("\n"), run.stderr


def test_a_missing_policy_file_is_named_by_its_option(history: str, tmp_path: Path) -> None:
    code, lines, text = _error(invoke(history, "--policy", str(tmp_path / "nope.yaml"), *WINDOW))
    assert (code, lines, "--policy" in text, "nope.yaml" in text, "cannot read" in text) == (2, 1, True, True, True)


def test_an_invalid_policy_is_named_by_its_option_key_and_reason(history: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("hours: 24", "hours: 0"), encoding="utf-8")
    code, _, text = _error(invoke(history, "--policy", str(bad), *WINDOW))
    assert (code, "--policy" in text, "custody_limit[0].hours" in text) == (2, True, True)


def test_from_after_to_is_refused_naming_both(history: str) -> None:
    code, _, text = _error(invoke(history, "--policy", str(EXAMPLE), "--from", "2026-03-10", "--to", "2026-03-02"))
    assert (code, "--from" in text and "--to" in text) == (2, True)


def test_an_unknown_agency_is_refused_naming_the_option(history: str) -> None:
    code, _, text = _error(invoke(history, "--policy", str(EXAMPLE), *WINDOW, "--agency", "AG-NOPE"))
    assert (code, "--agency" in text, "AG-NOPE does not exist" in text) == (2, True, True)


def test_a_missing_database_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nothere.db"
    code, lines, _ = _error(invoke(str(missing), "--policy", str(EXAMPLE), *WINDOW))
    assert (code, lines, missing.exists()) == (2, 1, False)
