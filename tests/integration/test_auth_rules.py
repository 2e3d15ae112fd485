"""Accounts on the app layer: argon2id hashes, lockout, idle sessions, TOTP, and the access log."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.app import auth
from custody_ledger.app.auth import Role, Unauthorized
from custody_ledger.ledger.schema import access_log, users
from custody_ledger.settings import DEFAULT_SECRET_KEY, Settings, SettingsError, check_production

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _settings(**kw: object) -> Settings:
    return Settings(secret_key=secrets.token_urlsafe(40), **kw)  # type: ignore[arg-type]


@pytest.fixture
def staff(engine: Engine) -> str:
    auth.add_user(engine, "records", PASSWORD, Role.FACILITY_STAFF, agency_id="AG-A", now=NOW, by="test",
                  with_mfa=False)
    return "records"


def _log(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(access_log.c.principal, access_log.c.action, access_log.c.outcome)
                            .order_by(access_log.c.seq))
        return [tuple(r) for r in rows]


def test_passwords_are_stored_as_argon2id_hashes(engine: Engine, staff: str) -> None:
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_five_failed_log_ins_lock_the_account_for_ten_minutes(engine: Engine, staff: str) -> None:
    settings = _settings(mfa_required=False)
    for minute in range(5):
        with pytest.raises(Unauthorized):
            auth.login(engine, settings, staff, "wrong password!", None, now=NOW + timedelta(minutes=minute))
    with pytest.raises(Unauthorized):
        auth.login(engine, settings, staff, PASSWORD, None, now=NOW + timedelta(minutes=13))
    assert auth.login(engine, settings, staff, PASSWORD, None, now=NOW + timedelta(minutes=15)).token


def test_every_log_in_success_or_failure_is_in_the_access_log(engine: Engine, staff: str) -> None:
    settings = _settings(mfa_required=False)
    with pytest.raises(Unauthorized):
        auth.login(engine, settings, staff, "nope nope nope", None, now=NOW)
    auth.login(engine, settings, staff, PASSWORD, None, now=NOW)
    assert _log(engine)[-2:] == [("records", "login", "failed:bad_password"), ("records", "login", "ok")]


def test_an_idle_session_expires(engine: Engine, staff: str) -> None:
    settings = _settings(mfa_required=False, session_idle_minutes=30)
    token = auth.login(engine, settings, staff, PASSWORD, None, now=NOW).token
    auth.authenticate(engine, settings, token, now=NOW + timedelta(minutes=29))
    with pytest.raises(Unauthorized):
        auth.authenticate(engine, settings, token, now=NOW + timedelta(minutes=29 + 31))


def test_with_mfa_on_a_log_in_needs_the_current_totp_code(engine: Engine) -> None:
    secret = auth.add_user(engine, "sup", PASSWORD, Role.ICE_SUPERVISOR, field_office_id="FO-1", now=NOW, by="t")
    settings = _settings(mfa_required=True)
    with pytest.raises(Unauthorized):
        auth.login(engine, settings, "sup", PASSWORD, None, now=NOW)
    code = pyotp.TOTP(secret or "").at(NOW)
    assert auth.login(engine, settings, "sup", PASSWORD, code, now=NOW).mfa_passed


def test_a_role_change_is_logged_and_ends_the_old_sessions(engine: Engine, staff: str) -> None:
    settings = _settings(mfa_required=False)
    token = auth.login(engine, settings, staff, PASSWORD, None, now=NOW).token
    auth.change_role(engine, staff, Role.AUDITOR, now=NOW, by="admin")
    with pytest.raises(Unauthorized):
        auth.authenticate(engine, settings, token, now=NOW + timedelta(minutes=1))
    assert _log(engine)[-1] == ("admin", "role_changed:auditor", "ok")


def test_a_disabled_account_cannot_log_in(engine: Engine, staff: str) -> None:
    auth.disable_user(engine, staff, now=NOW, by="admin")
    with pytest.raises(Unauthorized):
        auth.login(engine, _settings(mfa_required=False), staff, PASSWORD, None, now=NOW)


def test_the_access_log_cannot_be_edited_or_deleted(engine: Engine, staff: str) -> None:
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.execute(access_log.delete())


def test_production_refuses_the_default_secret_key() -> None:
    with pytest.raises(SettingsError):
        check_production(Settings(environment="production", secret_key=DEFAULT_SECRET_KEY))


def test_production_refuses_mfa_off() -> None:
    with pytest.raises(SettingsError):
        check_production(Settings(environment="production", secret_key="k7Qz-2pWm9xR4vLt8bNc3yHf6gJd1sAe0uKo5iTq",
                                  mfa_required=False))
