"""Who is asking: accounts, log-in with lockout and TOTP, idle-expiring sessions, integration keys.

Passwords are hashed with argon2id; session tokens and API keys are stored only as HMAC-SHA256
under the server's secret key. Every log-in, success or failure, and every account change appends
an access record in the same transaction as the change itself.

Issue 11: a log-in costs one argon2 verification whoever asks (a dummy hash stands in for an unknown,
locked or disabled account) and answers them alike; the verification runs outside any transaction,
the outcome is written in a short one. A TOTP code is accepted once. Sessions per user are capped,
listed and ended by their id (a prefix of the token's digest, never the token). Failed log-ins are
throttled per address and per account name (LoginThrottle).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from collections import deque
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
from custody_ledger.ledger import access_chain
from custody_ledger.ledger.db import write_transaction
from custody_ledger.ledger.schema import agencies, api_keys, sessions, users
from custody_ledger.settings import Settings

from . import access_records

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


class TooManyAttempts(DomainError):
    """Too many failed log-ins lately from this address or on this account name (HTTP 429, Retry-After)."""

    kind = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field="credentials")
        self.retry_after = retry_after


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
    # Hash-chained (ledger/access_chain.py): `verify` names a row deleted or edited behind the log's back.
    record = {"at": now, "principal": principal, "role": role, "agency_id": agency_id, "action": action,
              "resource": resource, "outcome": outcome, "remote": remote,
              "shown": None if shown is None else json.dumps(shown)}
    collected = access_records.collector()
    if collected is not None:  # a read: committed with others' before it is answered (reads.run)
        collected.append(record)
    else:
        access_chain.append(conn, record)


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
    hashed = _HASHER.hash(password)  # never inside the write transaction (issue 11)
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(users.c.user_id).where(users.c.user_id == user_id)).first():
            raise Conflict(f"user {user_id} already exists", field="user_id")
        conn.execute(users.insert(), {
            "user_id": user_id, "password_hash": hashed, "role": role.value, "agency_id": agency_id,
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
    values = {"password_hash": _HASHER.hash(password), "failed_logins": 0, "locked_until": None}  # before the tx
    _change_user(engine, user_id, values, "password_reset", now=now, by=by)


@dataclass(frozen=True)
class Login:
    token: str
    expires_at: datetime
    mfa_passed: bool


_UNAUTHORIZED = "unknown user, wrong password or code, or account locked"
# Failures that count towards the lockout: a guess at the secret. Unknown, disabled and locked accounts do not.
_COUNTED = frozenset({"bad_password", "bad_totp", "totp_replayed"})
_DUMMY_HASHES: dict[tuple[int, int, int, int, int], str] = {}
# argon2 is CPU and memory by design: sixteen log-ins at once would take every core from the commands. At most
# half the cores hash at a time; other log-ins wait their turn (holding no transaction), commands keep theirs.
_HASH_SLOTS = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


class LoginThrottle:
    """Slows guessing in this process: past the free failures of the window, from one address or on one
    account name (existing or not), each further attempt must wait 1 s, 2 s, 4 s ... after the last failure,
    capped at login_max_delay_seconds, or it is answered 429 without a password check.

    The wait is bounded and counted from the last failure, so a stranger cannot shut an account out: a
    minute after they stop, its owner gets in (the lockout of issue 3 is separate and expires by itself)."""

    _MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], deque[datetime]] = {}

    @staticmethod
    def _keys(settings: Settings, user_id: str, remote: str | None) -> list[tuple[tuple[str, str], int]]:
        keys = [(("account", user_id.casefold()), settings.login_free_failures_per_account)]
        if remote:
            keys.append((("ip", remote), settings.login_free_failures_per_ip))
        return keys

    def _recent(self, key: tuple[str, str], settings: Settings, now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        horizon = now - timedelta(minutes=settings.login_window_minutes)
        while times and times[0] <= horizon:
            times.popleft()
        return times

    def check(self, settings: Settings, user_id: str, remote: str | None, now: datetime) -> None:
        wait = 0.0
        with self._lock:
            for key, free in self._keys(settings, user_id, remote):
                times = self._recent(key, settings, now)
                if len(times) >= free:
                    delay = min(float(settings.login_max_delay_seconds), 2.0 ** min(len(times) - free, 30))
                    wait = max(wait, delay - (now - times[-1]).total_seconds())
        if wait > 0:
            raise TooManyAttempts(f"too many failed log-ins; try again in {int(-(-wait // 1))} s",
                                  retry_after=int(-(-wait // 1)))

    def failed(self, settings: Settings, user_id: str, remote: str | None, now: datetime) -> None:
        with self._lock:
            if len(self._failures) >= self._MAX_KEYS:
                for key in list(self._failures):
                    if not self._recent(key, settings, now):
                        del self._failures[key]
                if len(self._failures) >= self._MAX_KEYS:
                    self._failures.clear()  # a flood of names: forget rather than grow without bound
            for key, _ in self._keys(settings, user_id, remote):
                self._failures.setdefault(key, self._recent(key, settings, now)).append(now)

    def succeeded(self, user_id: str) -> None:
        # Only the account's count: an address that also guesses elsewhere keeps its own.
        with self._lock:
            self._failures.pop(("account", user_id.casefold()), None)


def login(engine: Engine, settings: Settings, user_id: str, password: str, totp: str | None, *,
          now: datetime, remote: str | None = None, throttle: LoginThrottle | None = None) -> Login:
    """Check password (and TOTP when MFA is on); lock the account after repeated failures.

    The account is read, the password verified outside any transaction (argon2 takes a tenth of a second
    and must not hold the write lock), then the outcome is written in a short transaction that re-reads
    the account, so a lock or a code accepted meanwhile is respected."""
    if throttle is not None:
        try:
            throttle.check(settings, user_id, remote, now)
        except TooManyAttempts:
            with write_transaction(engine) as conn:
                log_access(conn, user_id, "login", "failed:throttled", now=now, remote=remote)
            raise
    with engine.connect() as conn:
        user = conn.execute(sa.select(users).where(users.c.user_id == user_id)).first()
    failure, step = _judge(user, settings, password, totp, now)
    with write_transaction(engine) as conn:
        if failure is None:
            opened = _open_session(conn, settings, user_id, step, now, remote)
            if isinstance(opened, Login):
                if throttle is not None:
                    throttle.succeeded(user_id)
                return opened
            failure = opened
        _record_failure(conn, settings, user_id, failure, now, remote)
    if throttle is not None:
        throttle.failed(settings, user_id, remote, now)
    raise Unauthorized(_UNAUTHORIZED, field="credentials")


def _dummy_hash() -> str:
    """A hash made with the current hasher's parameters, so verifying against it costs what a real one does."""
    h = _HASHER
    params = (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len)
    if params not in _DUMMY_HASHES:
        _DUMMY_HASHES[params] = h.hash(secrets.token_urlsafe(24))
    return _DUMMY_HASHES[params]


def _verify(password_hash: str, password: str) -> bool:
    with _HASH_SLOTS:
        try:
            return _HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _judge(user: Any, settings: Settings, password: str, totp: str | None,
           now: datetime) -> tuple[str | None, int | None]:
    """(failure reason or None, the TOTP step accepted). Exactly one argon2 verification, whoever the user."""
    usable = user is not None and not user.disabled and not (user.locked_until is not None and user.locked_until > now)
    password_ok = _verify(user.password_hash if usable else _dummy_hash(), password)
    if user is None:
        return "unknown_user", None
    if user.disabled:
        return "disabled", None
    if not usable:
        return "locked", None
    if not password_ok:
        return "bad_password", None
    if not settings.mfa_required:
        return None, None
    step = _totp_step(user.mfa_secret, totp, now)
    if step is None:
        return "bad_totp", None
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return "totp_replayed", None
    return None, step


def _totp_step(secret: str | None, code: str | None, now: datetime) -> int | None:
    """The time step whose code this is. One step of drift either way (RFC 6238 §5.2) for phones whose clocks
    are a little off; every candidate is computed and compared in constant time."""
    if not (secret and code):
        return None
    otp = pyotp.TOTP(secret)
    current = otp.timecode(now)
    found = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(otp.generate_otp(step), code):
            found = step
    return found


def _open_session(conn: Connection, settings: Settings, user_id: str, step: int | None, now: datetime,
                  remote: str | None) -> Login | str:
    """The session, or why not after all: the account changed while the password was being checked."""
    user = conn.execute(sa.select(users.c.role, users.c.agency_id, users.c.disabled, users.c.locked_until)
                        .where(users.c.user_id == user_id)).first()
    if user is None:
        return "unknown_user"
    if user.disabled:
        return "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    update = users.update().where(users.c.user_id == user_id)
    if step is not None:
        # A TOTP code is used once (RFC 6238 §5.2): the step is recorded only if it is newer than the last one.
        update = update.where(sa.or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
    if not conn.execute(update.values(failed_logins=0, locked_until=None,
                                      **({} if step is None else {"totp_last_step": step}))).rowcount:
        return "totp_replayed"
    token = secrets.token_urlsafe(32)
    digest = token_digest(settings, token)
    expires = now + timedelta(hours=settings.session_max_hours)
    conn.execute(sessions.insert(), {"token_hash": digest, "user_id": user_id, "mfa_passed": settings.mfa_required,
                                     "created_at": now, "last_seen_at": now, "expires_at": expires,
                                     "remote": None if remote is None else remote[:100]})
    log_access(conn, user_id, "login", "ok", now=now, role=user.role, agency_id=user.agency_id, remote=remote)
    _cap_sessions(conn, settings, user_id, digest, now)
    return Login(token, expires, settings.mfa_required)


def _cap_sessions(conn: Connection, settings: Settings, user_id: str, newest: str, now: datetime) -> None:
    """End the user's expired sessions and, beyond the cap, the oldest others (never the one just opened)."""
    conn.execute(sessions.delete().where(sessions.c.user_id == user_id, sessions.c.expires_at <= now))
    others = conn.execute(sa.select(sessions.c.token_hash).where(sessions.c.user_id == user_id,
                                                                 sessions.c.token_hash != newest)
                          .order_by(sessions.c.created_at.desc(), sessions.c.last_seen_at.desc())).scalars().all()
    for digest in others[settings.max_sessions_per_user - 1:]:
        conn.execute(sessions.delete().where(sessions.c.token_hash == digest))
        log_access(conn, user_id, "session_ended", "ok", now=now, resource=f"session:{session_id(digest)}:limit")


def _record_failure(conn: Connection, settings: Settings, user_id: str, reason: str, now: datetime,
                    remote: str | None) -> None:
    user = conn.execute(sa.select(users.c.failed_logins, users.c.locked_until, users.c.role, users.c.agency_id)
                        .where(users.c.user_id == user_id)).first()
    if user is not None and reason in _COUNTED:
        # A lock that has ended takes its failures with it: only new failures lock the account again.
        lock_over = user.locked_until is not None and user.locked_until <= now
        failures = (0 if lock_over else user.failed_logins) + 1
        locked = now + timedelta(minutes=settings.lockout_minutes) if failures >= settings.lockout_failures else None
        conn.execute(users.update().where(users.c.user_id == user_id)
                     .values(failed_logins=failures, locked_until=locked or (None if lock_over else user.locked_until)))
    log_access(conn, user_id, "login", f"failed:{reason}", now=now, remote=remote,
               role=None if user is None else user.role, agency_id=None if user is None else user.agency_id)


def session_id(digest: str) -> str:
    """How a session is named to its user: a prefix of its token's digest, from which the token cannot be had."""
    return digest[:12]


@dataclass(frozen=True)
class SessionInfo:
    id: str
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    mfa_passed: bool
    remote: str | None
    current: bool


def list_sessions(engine: Engine, settings: Settings, user_id: str, *, now: datetime,
                  token: str | None = None) -> list[SessionInfo]:
    """The user's live sessions, newest first; `current` marks the one of `token`."""
    mine = None if token is None else token_digest(settings, token)
    idle = timedelta(minutes=settings.session_idle_minutes)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sessions).where(sessions.c.user_id == user_id, sessions.c.expires_at > now,
                                                      sessions.c.last_seen_at >= now - idle)
                            .order_by(sessions.c.created_at.desc(), sessions.c.token_hash)).all()
    return [SessionInfo(session_id(r.token_hash), r.user_id, r.created_at, r.last_seen_at, r.expires_at,
                        r.mfa_passed, r.remote, r.token_hash == mine) for r in rows]


def end_sessions(engine: Engine, user_id: str, *, now: datetime, by: str, only: str | None = None) -> int:
    """End the user's sessions (or the one whose id is `only`: NotFound if none); how many ended."""
    where = [sessions.c.user_id == user_id]
    if only is not None:
        if len(only) != 12 or any(c not in "0123456789abcdef" for c in only):
            raise NotFound(f"session {only} does not exist", field="session_id")
        where.append(sessions.c.token_hash.startswith(only, autoescape=True))
    with write_transaction(engine) as conn:
        ended = conn.execute(sessions.delete().where(*where)).rowcount
        if only is not None and not ended:
            raise NotFound(f"session {only} does not exist", field="session_id")
        log_access(conn, by, "sessions_ended", "ok", now=now,
                   resource=f"user:{user_id}" + ("" if only is None else f":session:{only}"))
    return int(ended)


def require_write_factors(engine: Engine, settings: Settings, principal: Principal, action: str,
                          now: datetime) -> None:
    """Commands need the factors the policy requires now: a session opened while MFA was off, or without its
    code, keeps its reads of non-personal records but may not write (403), until its user logs in again."""
    if settings.mfa_required and not principal.mfa_passed:
        with write_transaction(engine) as conn:
            log_access(conn, principal.id, action, "refused:mfa", now=now, role=principal.role.value,
                       agency_id=principal.agency_id, remote=principal.remote)
        raise Forbidden("commands need a session that passed the second factor (TOTP); log in again with "
                        "your code", field="totp")


def logout(engine: Engine, settings: Settings, token: str, *, now: datetime) -> None:
    digest = token_digest(settings, token)
    with write_transaction(engine) as conn:
        user = conn.execute(sa.select(sessions.c.user_id).where(sessions.c.token_hash == digest)).scalar()
        conn.execute(sessions.delete().where(sessions.c.token_hash == digest))
        if user is not None:
            log_access(conn, user, "logout", "ok", now=now)


def authenticate(engine: Engine, settings: Settings, token: str, *, now: datetime,
                 remote: str | None = None, activity: bool = True) -> Principal:
    """The principal behind a session token; idle or expired sessions end here. `activity=False`: a request no
    person made (a page refreshing itself), which must not keep an unattended session alive."""
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
    if activity and now - row.last_seen_at >= _TOUCH_EVERY:
        with write_transaction(engine) as conn:
            conn.execute(sessions.update().where(sessions.c.token_hash == digest).values(last_seen_at=now))
    return Principal(row.user_id, Role(row.role), row.agency_id, row.field_office_id, row.officer_id,
                     row.mfa_passed, remote)


def add_api_key(engine: Engine, key_id: str, agency_id: str | None, settings: Settings, *, now: datetime,
                by: str) -> str:
    """An integration client's key, shown only now: a jail management system's, scoped to one agency; or, with no
    agency, a program-wide key for ICE's public list (POST /imports/ice-agreements, GET /exports/agreements),
    which reaches no agency's records (app/transfers.py)."""
    if not key_id or len(key_id) > 100:
        raise Invalid("key_id must have 1 to 100 characters", field="key_id")
    key = f"clk_{secrets.token_urlsafe(32)}"
    with write_transaction(engine) as conn:
        if agency_id is not None and conn.execute(
                sa.select(agencies.c.agency_id).where(agencies.c.agency_id == agency_id)).first() is None:
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
