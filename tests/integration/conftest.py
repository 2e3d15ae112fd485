from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from custody_ledger.domain.policy import Policy
from tests.support.world import World, build_agency, certified_officer


@pytest.fixture
def world(engine: Engine, policy: Policy) -> World:
    w = World(engine, policy)
    build_agency(w, "AG-A")
    certified_officer(w, "OFF-1")
    return w
