from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from custody_ledger.domain.policy import Policy
from tests.support.world import World, build_agency


@pytest.fixture
def world(engine: Engine, policy: Policy) -> World:
    """Agency AG-A (Texas, WSO agreement in force, no IGSA) with its jail."""
    w = World(engine, policy)
    build_agency(w, "AG-A")
    return w
