"""Log-in, lockout, idle sessions, the second factor, and the production start-up checks."""

from __future__ import annotations

import secrets
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from custody_ledger.api.main import create_app
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import users
from custody_ledger.settings import DEFAULT_SECRET_KEY, Settings, SettingsError
from tests.api.conftest import PASSWORD, Api


def _login(api: Api, user: str, password: str = PASSWORD, **extra: str) -> int:
    return api.client.post("/auth/login", json={"username": user, "password": password, **extra}).status_code


def test_passwords_are_stored_only_as_argon2id_hashes(api: Api, engine: Engine) -> None:
    with engine.connect() as conn:
        hashes = conn.execute(sa.select(users.c.password_hash)).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_login_returns_a_token_its_expiry_and_whether_mfa_passed(api: Api) -> None:
    body = api.client.post("/auth/login", json={"username": "staff-a", "password": PASSWORD}).json()
    assert (sorted(body), body["mfa_passed"]) == (["expires_at", "mfa_passed", "token"], False)


def test_a_wrong_password_is_401_problem(api: Api) -> None:
    response = api.client.post("/auth/login", json={"username": "staff-a", "password": "wrong-password-123"})
    assert (response.status_code, response.headers["content-type"]) == (401, "application/problem+json")


def test_five_wrong_passwords_lock_the_account_for_ten_minutes_even_against_the_right_one(api: Api) -> None:
    failures = [_login(api, "staff-a", "wrong-password-123") for _ in range(5)]
    api.clock.advance(seconds=2)  # past the throttle's first wait (1 s), so the answer is the lock's
    locked = [_login(api, "staff-a")]
    api.clock.advance(minutes=9, seconds=57)
    locked.append(_login(api, "staff-a"))
    # The lock ended at 10:00; the throttle asks 4 s after the 7th failure of its window (9:59), then lets in.
    api.clock.advance(seconds=5)
    assert (failures, locked, _login(api, "staff-a")) == ([401] * 5, [401, 401], 200)


def test_a_session_idle_longer_than_the_setting_expires(api: Api) -> None:
    headers = api.login("staff-a")
    api.clock.advance(minutes=api.settings.session_idle_minutes - 1)
    kept_alive = api.client.get("/facilities", headers=headers).status_code
    api.clock.advance(minutes=api.settings.session_idle_minutes, seconds=1)
    assert (kept_alive, api.client.get("/facilities", headers=headers).status_code) == (200, 401)


def test_logout_ends_the_session(api: Api) -> None:
    headers = api.login("staff-a")
    assert api.client.post("/auth/logout", headers=headers).status_code == 204
    assert api.client.get("/facilities", headers=headers).status_code == 401


def test_an_unknown_api_key_is_401(api: Api) -> None:
    assert api.client.get("/facilities", headers={"X-API-Key": "clk_not-a-key"}).status_code == 401


def test_with_mfa_on_a_login_without_or_with_a_wrong_code_is_401(mfa_api: Api) -> None:
    secret = mfa_api.totp_secrets["staff-a"]
    assert secret is not None
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    assert (_login(mfa_api, "staff-a"), _login(mfa_api, "staff-a", totp=wrong)) == (401, 401)


def test_with_mfa_on_the_current_code_logs_in_and_opens_person_records(mfa_api: Api) -> None:
    secret = mfa_api.totp_secrets["staff-a"]
    assert secret is not None
    headers = mfa_api.login("staff-a", totp=pyotp.TOTP(secret).now())
    assert mfa_api.client.get("/holds/H-A", headers=headers).status_code == 200


def test_with_mfa_on_a_session_without_the_second_factor_cannot_reach_person_records(
        mfa_api: Api, engine: Engine, policy: Policy) -> None:
    # A session opened while MFA was off (same database and key, same real clock), then MFA turned on.
    settings = Settings(mfa_required=False, secret_key=mfa_api.settings.secret_key)
    plain = Api(TestClient(create_app(settings, engine=engine, policy=policy)), mfa_api.clock, mfa_api.world,
                settings, mfa_api.totp_secrets, mfa_api.api_key)
    headers = plain.login("staff-a")
    person = [mfa_api.client.get(path, headers=headers).status_code
              for path in ("/holds/H-A", "/holds", "/bookings/BK-H-A", "/bookings", "/warrants/WR-BK-H-A")]
    assert (person, mfa_api.client.get("/facilities", headers=headers).status_code) == ([403] * 5, 200)


def test_production_refuses_to_start_with_the_default_secret_key(tmp_path: Path) -> None:
    settings = Settings(environment="production", secret_key=DEFAULT_SECRET_KEY, db=str(tmp_path / "x.db"))
    with pytest.raises(SettingsError):
        create_app(settings)


def test_production_refuses_to_start_with_mfa_off(tmp_path: Path) -> None:
    settings = Settings(environment="production", secret_key=secrets.token_urlsafe(32), mfa_required=False,
                        db=str(tmp_path / "x.db"))
    with pytest.raises(SettingsError):
        create_app(settings)
