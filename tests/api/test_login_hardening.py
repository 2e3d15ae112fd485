"""Issue 11: log-in answers alike in time, no hashing under the write lock, TOTP once, sessions capped and
listed, lockout that re-arms only on new failures, throttling, no-store, a body read timeout, key entropy,
idempotency keys per principal."""

from __future__ import annotations

import asyncio
import random
import secrets
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from custody_ledger.api.main import create_app
from custody_ledger.app import auth
from custody_ledger.app.auth import Role
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import command_results, users
from custody_ledger.settings import Settings, SettingsError, check_production, estimated_entropy_bits
from tests.api.conftest import PASSWORD, Api


def _login(api: Api, user: str, password: str = PASSWORD, **extra: str) -> Any:
    return api.client.post("/auth/login", json={"username": user, "password": password, **extra})


# --- timing and transactions ------------------------------------------------------------------------------

def test_unknown_wrong_locked_and_disabled_take_the_same_time(api: Api, engine: Engine,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # A hasher heavy enough (~40 ms; production's default is slower still) that hashing, not the database, is
    # what a log-in costs: a counted failure's extra UPDATE is a few ms on PostgreSQL.
    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=3, memory_cost=32768, parallelism=1))
    now = api.clock()
    for name in ("timing-wrong", "timing-locked", "timing-disabled"):
        auth.add_user(engine, name, PASSWORD, Role.AUDITOR, now=now, by="test")
    auth.disable_user(engine, "timing-disabled", now=now, by="test")
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.user_id == "timing-locked")
                     .values(locked_until=datetime(2999, 1, 1, tzinfo=UTC)))
    cases = {"unknown": "timing-ghost", "wrong": "timing-wrong", "locked": "timing-locked",
             "disabled": "timing-disabled"}
    times: dict[str, list[float]] = {case: [] for case in cases}
    answers = set()
    order = list(cases.items())
    for _ in range(20):
        api.clock.advance(hours=1)  # no lock and no throttle carries over between rounds
        random.shuffle(order)  # no case always follows another
        for case, user in order:
            # The work each case costs, in this process's CPU time (every thread, the server's included): what an
            # attacker's clock reads on an idle server, without the other test workers' load on this machine.
            start = time.process_time()
            response = _login(api, user, "wrong-password-123")
            times[case].append(time.process_time() - start)
            answers.add((response.status_code, response.json()["detail"]))
    medians = {case: statistics.median(t) for case, t in times.items()}
    assert len(answers) == 1 and max(medians.values()) <= 1.2 * min(medians.values()), (answers, medians)


def test_no_password_is_hashed_or_verified_inside_a_write_transaction(api: Api, engine: Engine,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    depth = {"open": 0}
    original = auth.write_transaction

    @contextmanager
    def tracked(e: Engine) -> Iterator[Any]:
        with original(e) as conn:
            depth["open"] += 1
            try:
                yield conn
            finally:
                depth["open"] -= 1

    seen: list[int] = []
    real = auth._HASHER

    class Spy:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def verify(self, h: str, p: str) -> Any:
            seen.append(depth["open"])
            return real.verify(h, p)

        def hash(self, p: str) -> str:
            seen.append(depth["open"])
            return real.hash(p)

    monkeypatch.setattr(auth, "write_transaction", tracked)
    monkeypatch.setattr(auth, "_HASHER", Spy())
    codes = [_login(api, "staff-a").status_code, _login(api, "staff-a", "wrong-password-123").status_code,
             _login(api, "nobody-here").status_code]
    auth.reset_password(engine, "auditor", PASSWORD, now=api.clock(), by="test")
    assert (codes, seen and set(seen)) == ([200, 401, 401], {0})


# --- lockout and throttling -------------------------------------------------------------------------------

def test_after_a_lock_ends_one_wrong_password_does_not_lock_again(api: Api) -> None:
    assert [_login(api, "staff-a", "wrong-password-123").status_code for _ in range(5)] == [401] * 5
    api.clock.advance(minutes=11)
    again = _login(api, "staff-a", "wrong-password-123").status_code
    api.clock.advance(seconds=30)  # the throttle's wait after the 6th failure of its window is 2 s
    assert (again, _login(api, "staff-a").status_code) == (401, 200)


def test_repeated_failures_on_one_name_are_throttled_alike_known_or_not_and_never_for_long(api: Api) -> None:
    answers = {}
    for user in ("auditor", "no-such-user"):
        codes = [_login(api, user, "wrong-password-123").status_code for _ in range(5)]
        throttled = _login(api, user, "wrong-password-123")
        answers[user] = (codes, throttled.status_code, throttled.headers.get("retry-after"))
        api.clock.advance(minutes=30)
    # The wait is counted from the last failure and capped: the owner gets in a minute after a stranger stops.
    for _ in range(12):
        api.clock.advance(seconds=61)
        _login(api, "auditor", "wrong-password-123")
    api.clock.advance(seconds=api.settings.login_max_delay_seconds + 1)
    with_lock_over = api.clock.advance(minutes=api.settings.lockout_minutes)
    assert with_lock_over and answers["auditor"] == answers["no-such-user"] == ([401] * 5, 429, "1")
    assert _login(api, "auditor").status_code == 200


def test_many_names_from_one_address_are_throttled(api: Api) -> None:
    codes = [_login(api, f"guess-{i}", "wrong-password-123").status_code
             for i in range(api.settings.login_free_failures_per_ip + 1)]
    assert codes == [401] * api.settings.login_free_failures_per_ip + [429]


# --- TOTP and the factors of a session ----------------------------------------------------------------------

def test_a_totp_code_is_accepted_once(mfa_api: Api) -> None:
    secret = mfa_api.totp_secrets["staff-a"]
    assert secret is not None
    code = pyotp.TOTP(secret).now()
    first = _login(mfa_api, "staff-a", totp=code).status_code
    assert (first, _login(mfa_api, "staff-a", totp=code).status_code) == (200, 401)


def test_a_session_without_the_second_factor_loses_write_access_when_mfa_becomes_required(
        mfa_api: Api, engine: Engine, policy: Policy) -> None:
    settings = Settings(mfa_required=False, secret_key=mfa_api.settings.secret_key)
    plain = Api(TestClient(create_app(settings, engine=engine, policy=policy)), mfa_api.clock, mfa_api.world,
                settings, mfa_api.totp_secrets, mfa_api.api_key)
    headers = {**plain.login("staff-a"), "Idempotency-Key": "mfa-less-1"}
    command = mfa_api.client.post("/commands/release_hold", headers=headers,
                                  json={"hold_id": "H-A", "reason": "ice_declined"})
    before = plain.client.post("/commands/release_hold", headers=headers,
                               json={"hold_id": "H-NONE", "reason": "ice_declined"}).status_code
    assert (command.status_code, command.json()["field"], before,
            mfa_api.client.get("/facilities", headers=headers).status_code) == (403, "totp", 404, 200)


# --- sessions ---------------------------------------------------------------------------------------------

def test_sessions_are_capped_listed_and_ended_by_id(api: Api) -> None:
    tokens = []
    for _ in range(api.settings.max_sessions_per_user + 1):
        tokens.append(api.login("staff-a"))
        api.clock.advance(seconds=1)
    alive = [api.client.get("/facilities", headers=h).status_code for h in tokens]
    listed = api.client.get("/auth/sessions", headers=tokens[-1]).json()
    assert alive == [401] + [200] * api.settings.max_sessions_per_user
    assert (len(listed), [s["current"] for s in listed].count(True), listed[0]["current"]) == (5, 1, True)
    assert all(len(s["id"]) == 12 and s["id"] not in tokens[-1]["Authorization"] for s in listed)
    assert api.client.delete(f"/auth/sessions/{listed[1]['id']}", headers=tokens[-1]).status_code == 204
    assert api.client.get("/facilities", headers=tokens[-2]).status_code == 401
    # Another user's session id is not found for staff; listing another user is for a program admin only.
    other = api.login("admin-a")
    other_id = api.client.get("/auth/sessions", headers=other).json()[0]["id"]
    assert api.client.delete(f"/auth/sessions/{other_id}", headers=tokens[-1]).status_code == 404
    assert api.client.get("/auth/sessions", params={"user_id": "admin-a"}, headers=tokens[-1]).status_code == 403


def test_a_program_admin_lists_and_ends_a_users_sessions(api: Api) -> None:
    victim = api.login("staff-a")
    admin = api.headers("program-admin")
    listed = api.client.get("/auth/sessions", params={"user_id": "staff-a"}, headers=admin).json()
    ended = api.client.delete("/auth/sessions", params={"user_id": "staff-a"}, headers=admin).status_code
    assert (len(listed) >= 1, ended, api.client.get("/facilities", headers=victim).status_code) == (True, 204, 401)


# --- transport --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/holds/H-A", "/holds", "/bookings", "/warrants", "/alerts", "/events",
                                  "/access-log"])
def test_person_record_responses_are_not_stored_by_caches(api: Api, path: str) -> None:
    response = api.client.get(path, headers=api.headers("auditor" if path in ("/events", "/access-log")
                                                        else "staff-a"))
    assert (response.status_code, response.headers.get("cache-control")) == (200, "no-store")


def test_a_search_and_a_login_are_not_stored_by_caches(api: Api) -> None:
    search = api.client.post("/persons/search", headers=api.headers("staff-a"),
                             json={"name": "Nobody Known", "dob": "1990-01-01"})
    assert (search.headers.get("cache-control"), _login(api, "staff-a").headers.get("cache-control")) == (
        "no-store", "no-store")


def test_a_body_that_never_finishes_is_answered_408(api: Api, engine: Engine, policy: Policy) -> None:
    settings = Settings(mfa_required=False, secret_key=api.settings.secret_key, body_timeout_seconds=0.3)
    app = create_app(settings, engine=engine, policy=policy, clock=api.clock)
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/auth/login", "raw_path": b"/auth/login", "query_string": b"",
             "root_path": "", "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    chunks = [{"type": "http.request", "body": b'{"username": ', "more_body": True}]

    async def receive() -> dict[str, Any]:
        if chunks:
            return chunks.pop()
        await asyncio.sleep(3600)  # the rest of the body never comes
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    started = time.perf_counter()
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 5))
    status = sent[0]["status"]
    headers = dict(sent[0]["headers"])
    assert (status, headers.get(b"connection"), time.perf_counter() - started < 3) == (408, b"close", True)


# --- settings ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["a" * 36, "k" * 40, "abab" * 10, "abcd" * 9])
def test_production_refuses_a_secret_key_with_little_entropy(key: str, tmp_path: Path) -> None:
    settings = Settings(environment="production", secret_key=key, master_key="x" * 44)
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        check_production(settings)


def test_a_random_key_has_the_entropy_production_asks() -> None:
    assert min(estimated_entropy_bits(secrets.token_urlsafe(32)) for _ in range(50)) >= 128


# --- idempotency keys per principal -------------------------------------------------------------------------

def test_the_same_idempotency_key_from_two_principals_is_two_commands(api: Api, engine: Engine) -> None:
    body = {"facility_id": "AG-A-JAIL", "person": {"name": "Key Test", "dob": "1990-01-01"},
            "charge_status": "pending"}
    first = api.command("book_person", "staff-a", key="shared-key", booking_id="AG-A.BK-KEY-1", **body)
    second = api.command("book_person", "admin-a", key="shared-key", booking_id="AG-A.BK-KEY-2", **body)
    replay = api.command("book_person", "staff-a", key="shared-key", booking_id="AG-A.BK-KEY-1", **body)
    with engine.connect() as conn:
        keys = set(conn.execute(sa.select(command_results.c.idempotency_key)
                                .where(command_results.c.idempotency_key.like("%shared-key"))).scalars())
    assert (first.status_code, second.status_code, replay.json().get("replayed")) == (200, 200, True)
    assert first.json()["events"] != second.json()["events"] and len(keys) == 2
    assert first.json()["idempotency_key"] == second.json()["idempotency_key"] == "shared-key"
