"""Fifty concurrent HTTP requests race to end one open hold: exactly one wins, the rest get 409."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine

from custody_ledger.api.main import create_app
from custody_ledger.app import auth
from custody_ledger.app.auth import Role
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.verify import verify
from custody_ledger.settings import Settings
from tests.support.world import World, build_agency, certified_officer, open_hold

PASSWORD = "concurrency-password-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(engine: Engine, policy: Policy):
    w = World(engine, policy, start=datetime.now(UTC) - timedelta(hours=6))
    build_agency(w, "AG-A")
    certified_officer(w, "OFF-1")
    open_hold(w, "H-1", "OFF-1")
    now = datetime.now(UTC)
    auth.add_user(engine, "records", PASSWORD, Role.FACILITY_STAFF, agency_id="AG-A", now=now, by="t", with_mfa=False)
    auth.add_user(engine, "sup", PASSWORD, Role.ICE_SUPERVISOR, field_office_id="FO-1", now=now, by="t",
                  with_mfa=False)
    settings = Settings(mfa_required=False, secret_key=secrets.token_urlsafe(40))
    port = _free_port()
    config = uvicorn.Config(create_app(settings, engine=engine, policy=policy), host="127.0.0.1", port=port,
                            log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def _token(base: str, user: str) -> str:
    response = httpx.post(f"{base}/auth/login", json={"username": user, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return str(response.json()["token"])


def test_fifty_concurrent_http_transfers_and_releases_end_the_hold_once(server: str, engine: Engine) -> None:
    tokens = {"transfer_custody": _token(server, "sup"), "release_hold": _token(server, "records")}

    def attempt(n: int) -> int:
        command = "transfer_custody" if n % 2 else "release_hold"
        body = ({"hold_id": "H-1", "receiving_officer": f"DO {n}", "field_office_id": "FO-1"} if n % 2
                else {"hold_id": "H-1", "reason": "ice_declined"})
        response = httpx.post(f"{server}/commands/{command}", json=body, timeout=60,
                              headers={"Authorization": f"Bearer {tokens[command]}", "Idempotency-Key": f"race-{n}"})
        return response.status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = sorted(pool.map(attempt, range(50)))
    assert (codes, verify(engine).ok) == ([200] + [409] * 49, True)
