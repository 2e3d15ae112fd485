"""Who is asking: accounts, log-in with lockout and TOTP, idle-expiring sessions, integration keys.

Passwords are hashed with argon2id; session tokens and API keys are stored only as HMAC-SHA256
under the server's secret key. Every log-in, success or failure, and every account change appends
an access record in the same transaction as the change itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain.errors import Conflict, DomainError, Invalid, NotFound
from custody_ledger.ledger.db import write_transaction
from custody_ledger.ledger.schema import access_log, agencies, api_keys, sessions, users
from custody_ledger.settings import Settings

_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106) defaults
# Recording activity at most once a minute keeps most requests free of a durable write; the idle
# timeout is measured in tens of minutes, so a minute of slack does not matter.
_TOUCH_EVERY = timedelta(minutes=1)


class Role(StrEnum):
    FACILITY_STAFF = "facility_staff"
    AGENCY_ADMIN = "agency_admin"
    CERTIFIED_OFFICER = "certified_officer"
    ICE_SUPERVISOR = "ice_supervisor"
    PROGRAM_ADMIN = "program_admin"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


class Unauthorized(DomainError):
    """No valid credentials (HTTP 401)."""

    kind = "unauthorized"


class Forbidden(DomainError):
    """Authenticated, but the role may not do this (HTTP 403)."""

    kind = "forbidden"


@dataclass(frozen=True)
class Principal:
    id: str
    role: Role
    agency_id: str | None = None
    field_office_id: str | None = None
    officer_id: str | None = None
    mfa_passed: bool = False
    remote: str | None = None


def token_digest(settings: Settings, token: str) -> str:
    return hmac.new(settings.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def log_access(conn: Connection, principal: str, action: str, outcome: str, *, now: datetime,
               role: str | None = None, agency_id: str | None = None, resource: str | None = None,
               remote: str | None = None, shown: list[Any] | None = None) -> None:
    conn.execute(access_log.insert(), {"at": now, "principal": principal, "role": role, "agency_id": agency_id,
                                       "action": action, "resource": resource, "outcome": outcome,
                                       "remote": remote, "shown": None if shown is None else json.dumps(shown)})


def _needs_scope(role: Role, agency_id: str | None, field_office_id: str | None) -> None:
    if role in (Role.FACILITY_STAFF, Role.AGENCY_ADMIN, Role.CERTIFIED_OFFICER) and not agency_id:
        raise Invalid(f"a {role.value} account belongs to an agency", field="agency_id")
    if role is Role.ICE_SUPERVISOR and not field_office_id:
        raise Invalid("an ICE supervisor account belongs to a field office", field="field_office_id")


def check_scope(role: Role, agency_id: str | None, field_office_id: str | None, officer_id: str | None) -> None:
    """The scope an account of `role` needs: an agency, a field office, an officer record."""
    _needs_scope(role, agency_id, field_office_id)
    if role is Role.CERTIFIED_OFFICER and not officer_id:
        raise Invalid("a certified_officer account is linked to its officer record", field="officer_id")


def add_user(engine: Engine, user_id: str, password: str, role: Role, *, now: datetime, by: str,
             agency_id: str | None = None, field_office_id: str | None = None, officer_id: str | None = None,
             with_mfa: bool = True) -> str | None:
    """Create an account; returns the TOTP secret to enrol in an authenticator app, if any."""
    check_scope(role, agency_id, field_office_id, officer_id)
    if len(password) < 12:
        raise Invalid("password must have at least 12 characters", field="password")
    secret = pyotp.random_base32() if with_mfa else None
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(users.c.user_id).where(users.c.user_id == user_id)).first():
            raise Conflict(f"user {user_id} already exists", field="user_id")
        conn.execute(users.insert(), {
            "user_id": user_id, "password_hash": _HASHER.hash(password), "role": role.value, "agency_id": agency_id,
            "field_office_id": field_office_id, "officer_id": officer_id, "mfa_secret": secret, "disabled": False,
            "failed_logins": 0, "locked_until": None, "created_at": now,
        })
        log_access(conn, by, "user_added", "ok", now=now, resource=f"user:{user_id}:{role.value}",
                   agency_id=agency_id)
    return secret


def _change_user(engine: Engine, user_id: str, values: dict[str, Any], action: str, *, now: datetime,
                 by: str) -> None:
    with write_transaction(engine) as conn:
        changed = conn.execute(users.update().where(users.c.user_id == user_id).values(**values)).rowcount
        if not changed:
            raise NotFound.of("user_id", user_id)
        conn.execute(sessions.delete().where(sessions.c.user_id == user_id))
        log_access(conn, by, action, "ok", now=now, resource=f"user:{user_id}")


def disable_user(engine: Engine, user_id: str, *, now: datetime, by: str) -> None:
    _change_user(engine, user_id, {"disabled": True}, "user_disabled", now=now, by=by)


def change_role(engine: Engine, user_id: str, role: Role, *, now: datetime, by: str,
                agency_id: str | None = None, field_office_id: str | None = None,
                officer_id: str | None = None) -> None:
    """A new role with its scope; the account's sessions end so the old rights do not linger."""
    _needs_scope(role, agency_id, field_office_id)
    values = {"role": role.value, "agency_id": agency_id, "field_office_id": field_office_id,
              "officer_id": officer_id}
    _change_user(engine, user_id, values, f"role_changed:{role.value}", now=now, by=by)


def reset_password(engine: Engine, user_id: str, password: str, *, now: datetime, by: str) -> None:
    if len(password) < 12:
        raise Invalid("password must have at least 12 characters", field="password")
    values = {"password_hash": _HASHER.hash(password), "failed_logins": 0, "locked_until": None}
    _change_user(engine, user_id, values, "password_reset", now=now, by=by)


@dataclass(frozen=True)
class Login:
    token: str
    expires_at: datetime
    mfa_passed: bool


def login(engine: Engine, settings: Settings, user_id: str, password: str, totp: str | None, *,
          now: datetime, remote: str | None = None) -> Login:
    """Check password (and TOTP when MFA is on); lock the account after repeated failures."""
    with write_transaction(engine) as conn:
        user = conn.execute(sa.select(users).where(users.c.user_id == user_id)).first()
        failure = _login_failure(user, settings, password, totp, now)
        if failure is not None:
            _record_failure(conn, settings, user, user_id, failure, now, remote)
        elif user is not None:
            token = secrets.token_urlsafe(32)
            expires = now + timedelta(hours=settings.session_max_hours)
            conn.execute(users.update().where(users.c.user_id == user_id).values(failed_logins=0, locked_until=None))
            conn.execute(sessions.insert(), {"token_hash": token_digest(settings, token), "user_id": user_id,
                                             "mfa_passed": settings.mfa_required, "created_at": now,
                                             "last_seen_at": now, "expires_at": expires})
            log_access(conn, user_id, "login", "ok", now=now, role=user.role, agency_id=user.agency_id, remote=remote)
            return Login(token, expires, settings.mfa_required)
    raise Unauthorized("unknown user, wrong password or code, or account locked", field="credentials")


def _login_failure(user: Any, settings: Settings, password: str, totp: str | None, now: datetime) -> str | None:
    if user is None:
        return "unknown_user"
    if user.disabled:
        return "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return "bad_password"
    if settings.mfa_required and not _totp_ok(user.mfa_secret, totp, now):
        return "bad_totp"
    return None


def _totp_ok(secret: str | None, code: str | None, now: datetime) -> bool:
    # One step of drift either way (RFC 6238 §5.2) for phones whose clocks are a little off.
    return bool(secret and code and pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1))


def _record_failure(conn: Connection, settings: Settings, user: Any, user_id: str, reason: str, now: datetime,
                    remote: str | None) -> None:
    if user is not None and reason in ("bad_password", "bad_totp"):
        failures = user.failed_logins + 1
        locked = now + timedelta(minutes=settings.lockout_minutes) if failures >= settings.lockout_failures else None
        conn.execute(users.update().where(users.c.user_id == user_id)
                     .values(failed_logins=failures, locked_until=locked or user.locked_until))
    log_access(conn, user_id, "login", f"failed:{reason}", now=now, remote=remote,
               role=None if user is None else user.role, agency_id=None if user is None else user.agency_id)


def logout(engine: Engine, settings: Settings, token: str, *, now: datetime) -> None:
    digest = token_digest(settings, token)
    with write_transaction(engine) as conn:
        user = conn.execute(sa.select(sessions.c.user_id).where(sessions.c.token_hash == digest)).scalar()
        conn.execute(sessions.delete().where(sessions.c.token_hash == digest))
        if user is not None:
            log_access(conn, user, "logout", "ok", now=now)


def authenticate(engine: Engine, settings: Settings, token: str, *, now: datetime,
                 remote: str | None = None) -> Principal:
    """The principal behind a session token; idle or expired sessions end here."""
    digest = token_digest(settings, token)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sessions, users.c.role, users.c.agency_id, users.c.field_office_id, users.c.officer_id,
                      users.c.disabled).join(users, users.c.user_id == sessions.c.user_id)
            .where(sessions.c.token_hash == digest)
        ).first()
    idle = timedelta(minutes=settings.session_idle_minutes)
    if row is None or row.disabled or row.expires_at <= now or now - row.last_seen_at > idle:
        if row is not None:
            with write_transaction(engine) as conn:
                conn.execute(sessions.delete().where(sessions.c.token_hash == digest))
        raise Unauthorized("session missing, expired or idle too long; log in again", field="authorization")
    if now - row.last_seen_at >= _TOUCH_EVERY:
        with write_transaction(engine) as conn:
            conn.execute(sessions.update().where(sessions.c.token_hash == digest).values(last_seen_at=now))
    return Principal(row.user_id, Role(row.role), row.agency_id, row.field_office_id, row.officer_id,
                     row.mfa_passed, remote)


def add_api_key(engine: Engine, key_id: str, agency_id: str, settings: Settings, *, now: datetime, by: str) -> str:
    """An integration client's key (a jail management system), scoped to one agency; shown only now."""
    if not key_id or len(key_id) > 100:
        raise Invalid("key_id must have 1 to 100 characters", field="key_id")
    key = f"clk_{secrets.token_urlsafe(32)}"
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(agencies.c.agency_id).where(agencies.c.agency_id == agency_id)).first() is None:
            raise NotFound.of("agency_id", agency_id)
        if conn.execute(sa.select(api_keys.c.key_id).where(api_keys.c.key_id == key_id)).first() is not None:
            raise Conflict(f"API key {key_id} already exists", field="key_id")
        conn.execute(api_keys.insert(), {"key_id": key_id, "key_hash": token_digest(settings, key),
                                         "agency_id": agency_id, "disabled": False, "created_at": now})
        log_access(conn, by, "api_key_added", "ok", now=now, agency_id=agency_id, resource=f"api_key:{key_id}")
    return key


def disable_api_key(engine: Engine, key_id: str, *, now: datetime, by: str) -> None:
    """Revoke a key at once: its next request is 401."""
    with write_transaction(engine) as conn:
        found = conn.execute(sa.select(api_keys.c.agency_id).where(api_keys.c.key_id == key_id)).first()
        if found is None:
            raise NotFound(f"API key {key_id} does not exist", field="key_id")
        conn.execute(api_keys.update().where(api_keys.c.key_id == key_id).values(disabled=True))
        log_access(conn, by, "api_key_disabled", "ok", now=now, agency_id=found.agency_id,
                   resource=f"api_key:{key_id}")


def authenticate_key(engine: Engine, settings: Settings, key: str, *, remote: str | None = None) -> Principal:
    with engine.connect() as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.key_hash == token_digest(settings, key))).first()
    if row is None or row.disabled:
        raise Unauthorized("unknown or disabled API key", field="x-api-key")
    # A machine client has no second factor; it is limited to its agency's jail records instead.
    return Principal(f"api_key:{row.key_id}", Role.INTEGRATION, row.agency_id, mfa_passed=True, remote=remote)
