"""Every law scenario (tests/scenarios/*.yaml) runs through the real write path, on SQLite and on PostgreSQL.

A failing step names its file, its number and the whole result; see README.md in this folder for the format.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.scenarios.scenario import WORLDS, ScenarioError, StepFailed, load, load_world, run, scenario_files


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_scenario(engine: Engine, path: Path) -> None:
    scenario = load(path)
    failure: str | None = None
    try:
        run(engine, scenario)
    except (StepFailed, ScenarioError) as failed:
        failure = str(failed)
    if failure is not None:
        pytest.fail(failure, pytrace=False)


def test_every_scenario_and_world_reads() -> None:
    """The format is checked without a database: a typo in a key is an error, not a silently skipped check."""
    for path in scenario_files():
        assert list(load(path).all_steps())
    for path in WORLDS.glob("*.yaml"):
        assert load_world(path.stem)
