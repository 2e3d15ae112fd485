"""A small world for the API: agencies A (field office FO-1) and B (FO-2), their people and their users.

Built through the real write path (tests/support/world.py) on the real backends; the API is a
FastAPI app on that database with an injected clock. Users of every role belong to A, plus one ICE
supervisor per field office, a program administrator, an auditor, and an integration key for A.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from custody_ledger.api.main import create_app
from custody_ledger.app import auth
from custody_ledger.app.auth import Role
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db
from custody_ledger.settings import Settings
from tests.support.world import World, add_agreement, certified_officer, open_hold

PASSWORD = "correct-horse-battery-staple"
AGENCIES = {"AG-A": ("FO-1", "TX", "America/Chicago"), "AG-B": ("FO-2", "FL", "America/New_York")}

# user id -> (role, scope): every role for agency A, one supervisor per field office, and the nationwide roles.
USERS: dict[str, tuple[Role, dict[str, str]]] = {
    "staff-a": (Role.FACILITY_STAFF, {"agency_id": "AG-A"}),
    "admin-a": (Role.AGENCY_ADMIN, {"agency_id": "AG-A"}),
    "wso-a": (Role.CERTIFIED_OFFICER, {"agency_id": "AG-A", "officer_id": "OFF-A"}),
    "sup-fo1": (Role.ICE_SUPERVISOR, {"field_office_id": "FO-1"}),
    "sup-fo2": (Role.ICE_SUPERVISOR, {"field_office_id": "FO-2"}),
    "program-admin": (Role.PROGRAM_ADMIN, {}),
    "auditor": (Role.AUDITOR, {}),
}


class Clock:
    """The app's clock: tests move it instead of waiting."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Api:
    client: TestClient
    clock: Clock
    world: World
    settings: Settings
    totp_secrets: dict[str, str | None]
    api_key: str
    _sessions: dict[str, dict[str, str]] = field(default_factory=dict)

    def login(self, user: str, **extra: Any) -> dict[str, str]:
        """Headers of a fresh session for `user`."""
        response = self.client.post("/auth/login", json={"username": user, "password": PASSWORD, **extra})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def headers(self, user: str) -> dict[str, str]:
        """One session per user for the life of this Api; "integration" is the API key, "anonymous" nothing."""
        if user == "anonymous":
            return {}
        if user == "integration":
            return {"X-API-Key": self.api_key}
        if user not in self._sessions:
            self._sessions[user] = self.login(user)
        return self._sessions[user]

    def command(self, command: str, user: str, /, key: str | None = None, **body: Any) -> Any:
        # Positional-only, so a body field may be called `name` or `user`.
        headers = {**self.headers(user), "Idempotency-Key": key or secrets.token_hex(8)}
        return self.client.post(f"/commands/{command}", json=body, headers=headers)


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """argon2id still, with the lightest parameters: the default (64 MiB, t=3) costs ~0.1 s per user and log-in."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


def build_world(engine: Engine, policy: Policy) -> World:
    """Two agencies under two field offices, each with a jail, a WSO agreement, a certified officer and an open hold."""
    w = World(engine, policy)
    for agency, (office, state, tz) in AGENCIES.items():
        w.ok("register_field_office", field_office_id=office, name=f"{office} ERO", timezone=tz)
        w.ok("register_agency", agency_id=agency, name=f"{agency} Sheriff", kind="sheriff", state=state,
             county="Harris", ori=f"{state}1010000", field_office_id=office)
        w.ok("register_facility", facility_id=f"{agency}-JAIL", agency_id=agency, name=f"{agency} Jail", timezone=tz)
        add_agreement(w, agency)
        certified_officer(w, f"OFF-{agency[-1]}", agency=agency)
        open_hold(w, f"H-{agency[-1]}", f"OFF-{agency[-1]}", agency)  # booking BK-H-A, warrant WR-BK-H-A
    return w


def make_api(engine: Engine, policy: Policy, world: World) -> Api:
    """MFA off (the demo setting), a random 40-character secret key, a clock an hour after the world's last event."""
    settings = Settings(mfa_required=False, secret_key=secrets.token_hex(20))
    clock = Clock(world.clock + timedelta(hours=1))
    totp: dict[str, str | None] = {}
    for user, (role, scope) in USERS.items():
        totp[user] = auth.add_user(engine, user, PASSWORD, role, now=clock(), by="test-setup", **scope)
    key = auth.add_api_key(engine, "jms-a", "AG-A", settings, now=clock(), by="test-setup")
    app = create_app(settings, engine=engine, policy=policy, clock=clock)
    return Api(TestClient(app), clock, world, settings, totp, key)


@pytest.fixture
def world(engine: Engine, policy: Policy) -> World:
    return build_world(engine, policy)


@pytest.fixture
def api(engine: Engine, policy: Policy, world: World) -> Api:
    return make_api(engine, policy, world)


@pytest.fixture
def mfa_api(api: Api, engine: Engine, policy: Policy) -> Api:
    """The same database and secret key with MFA on, on the real clock so pyotp's current code is valid."""
    settings = Settings(mfa_required=True, secret_key=api.settings.secret_key)
    app = create_app(settings, engine=engine, policy=policy)  # no clock given: the real one
    return Api(TestClient(app), Clock(datetime.now(UTC)), api.world, settings, api.totp_secrets, api.api_key)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One database per module and backend, for read-mostly tables of cases that share one world."""
    template: Any = request.getfixturevalue(f"{request.param}_template")
    folder: Path = tmp_path_factory.mktemp("api-module")
    with template.copy(folder) as url:
        engine = db.make_engine(url)
        yield engine
        engine.dispose()

