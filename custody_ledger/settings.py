"""Configuration from the environment (CUSTODY_LEDGER_*); built by a function, never at import."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only ever acceptable outside production; `check_production` refuses it there.
DEFAULT_SECRET_KEY = "insecure-development-key-change-me"
# The development master key (urlsafe base64 of b"insecure development master key!"): what wraps the people's data
# keys (app/persons.py) when no key is configured. Anyone can read this line, so production refuses it.
DEFAULT_MASTER_KEY = "aW5zZWN1cmUgZGV2ZWxvcG1lbnQgbWFzdGVyIGtleSE="


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTODY_LEDGER_")

    db: str = "custody_ledger.db"
    policy_file: Path | None = None
    environment: Literal["development", "production"] = "development"  # production turns the safety checks on
    secret_key: str = DEFAULT_SECRET_KEY
    # FBI CJIS Security Policy (5.6.2.2): advanced authentication for criminal justice information.
    mfa_required: bool = True
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    session_max_hours: int = Field(8, ge=1, le=24)
    # Issue 3: five failed log-ins lock the account for at least ten minutes; stricter is allowed.
    lockout_failures: int = Field(5, ge=1, le=5)
    lockout_minutes: int = Field(10, ge=10)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    # Issue 13: an edition of ICE's list uploaded to POST /imports/... (the May 2026 xlsx is a few hundred KB).
    max_import_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    # Issue 11: a request body must arrive in full within this time, or the request is answered 408 and the
    # connection closed (a client that never finishes its body would otherwise hold a connection forever).
    body_timeout_seconds: float = Field(10, gt=0, le=300)
    # Issue 11: at most this many open sessions per user; a new log-in ends the oldest beyond it.
    max_sessions_per_user: int = Field(5, ge=1, le=100)
    # Issue 11: log-in throttling (app/auth.py LoginThrottle), per process. Past the free failures within the
    # window, each further attempt from that address / on that account must wait 1 s, 2 s, 4 s ... after the
    # last failure, never longer than the cap: guessing slows down, and no one can lock an account by it.
    login_window_minutes: int = Field(15, ge=1, le=24 * 60)
    login_free_failures_per_ip: int = Field(20, ge=1, le=10_000)
    login_free_failures_per_account: int = Field(5, ge=1, le=1000)
    login_max_delay_seconds: int = Field(60, ge=1, le=3600)
    # How often the watchdog looks for moments that fell due; an alert is "late" only past a minute.
    watch_interval_seconds: float = Field(15, gt=0, le=60)
    # Alert delivery (app/notify.py): the SMTP relay that carries e-mail alerts, and how the outbox retries.
    smtp_host: str = Field("127.0.0.1", min_length=1)
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = Field("custody-ledger@localhost", min_length=3)
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(10, gt=0, le=300)
    # Signs webhooks whose route names no secret variable of its own.
    webhook_secret: SecretStr | None = None
    webhook_timeout_seconds: float = Field(10, gt=0, le=300)
    outbox_max_attempts: int = Field(8, ge=1, le=100)  # failures before a message is dead-lettered
    outbox_backoff_seconds: int = Field(30, ge=1, le=24 * 3600)  # wait after the first failure, doubled after each
    outbox_backoff_max_seconds: int = Field(3600, ge=1, le=7 * 24 * 3600)
    # How long a worker's claim on a message holds: past it, a worker that died mid-send loses the message to
    # another, so it must outlast a send (the timeouts above) or a slow send is sent twice.
    outbox_lease_seconds: int = Field(300, ge=1, le=24 * 3600)
    # Issue 10: the master key that wraps each person's data key (urlsafe base64 of 32 random bytes), given
    # directly or as a file holding that text (a mounted secret); never stored in the database. While a rotation
    # (`custody-ledger persons rotate-key`) is under way the key being replaced is the previous one.
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    previous_master_key: SecretStr | None = None
    previous_master_key_file: Path | None = None
    # Issue 11: signed checkpoints of the chain kept outside the database (app/checkpoints.py). serve and watch
    # append one to the log every interval when both the key file and the log are set; the key names the log
    # (its origin), and a witness, when set, is sent each new checkpoint (best effort).
    checkpoint_key_file: Path | None = None
    checkpoint_log: Path | None = None
    checkpoint_interval_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    checkpoint_origin: str = Field("custody-ledger.local/ledger", min_length=1, pattern=r"^[^\s+]+$")
    witness_url: str | None = None
    # Issue 15: the reports' columnar copy of the ledger (reports/columnar.py). Unset: beside a SQLite database
    # file; for PostgreSQL in the user's cache folder (~/.cache/custody-ledger/).
    reports_cache: Path | None = None
    # Issue 15: the public transparency report suppresses every count below this (and what would reveal it).
    transparency_threshold: int = Field(11, ge=2, le=1000)


class SettingsError(ValueError):
    pass


def check_production(settings: Settings) -> None:
    """Production refuses to start on the default secret key, without MFA, or on the development master key."""
    if settings.environment != "production":
        return
    if settings.secret_key == DEFAULT_SECRET_KEY or len(settings.secret_key) < 32 or \
            estimated_entropy_bits(settings.secret_key) < MIN_SECRET_KEY_BITS:
        raise SettingsError("CUSTODY_LEDGER_SECRET_KEY must be a random value of 32+ characters and at least "
                            f"{MIN_SECRET_KEY_BITS} bits of entropy in production (e.g. python -c \"import secrets; "
                            "print(secrets.token_urlsafe(32))\")")
    if not settings.mfa_required:
        raise SettingsError("CUSTODY_LEDGER_MFA_REQUIRED may not be turned off in production (CJIS Security Policy)")
    source = master_key_text(settings)
    if source is None or _same_key_text(source[1], DEFAULT_MASTER_KEY):
        raise SettingsError(MASTER_KEY_REQUIRED)


# What a secret key must carry at least, estimated by `estimated_entropy_bits`.
MIN_SECRET_KEY_BITS = 128


def estimated_entropy_bits(text: str) -> float:
    """A conservative estimate of a key's entropy: its length times the Shannon entropy of its characters.

    36 x "a" is 0 bits, a word repeated scores by its few distinct letters; 43 characters of
    secrets.token_urlsafe(32) score about 220. It cannot see a predictable but varied text (a sentence)."""
    if not text:
        return 0.0
    counts = Counter(text)
    per_char = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return per_char * len(text)


MASTER_KEY_REQUIRED = ("CUSTODY_LEDGER_MASTER_KEY or CUSTODY_LEDGER_MASTER_KEY_FILE must give a random key "
                       "(urlsafe base64 of 32 bytes), not the development key, in production")


def master_key_text(settings: Settings, *, previous: bool = False) -> tuple[str, str] | None:
    """The master key's text (or the previous one's) and the variable it came from; None when neither the
    variable nor its _FILE twin is set. Both set, or an unreadable file, is a SettingsError naming the variable
    (never the key)."""
    name = "CUSTODY_LEDGER_" + ("PREVIOUS_MASTER_KEY" if previous else "MASTER_KEY")
    value = settings.previous_master_key if previous else settings.master_key
    path = settings.previous_master_key_file if previous else settings.master_key_file
    if value is not None and path is not None:
        raise SettingsError(f"{name} and {name}_FILE are both set; set one")
    if value is not None:
        return name, value.get_secret_value().strip()
    if path is None:
        return None
    try:
        return f"{name}_FILE", path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{name}_FILE: cannot read the key file ({type(exc).__name__})") from None


def _same_key_text(a: str, b: str) -> bool:
    # The same bytes may be written with either base64 alphabet and with or without padding.
    def canonical(text: str) -> str:
        return text.strip().rstrip("=").replace("+", "-").replace("/", "_")
    return canonical(a) == canonical(b)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad value is a SettingsError naming the variable and the rule."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problem = exc.errors()[0]
        name = "CUSTODY_LEDGER_" + "_".join(str(part) for part in problem["loc"]).upper()
        raise SettingsError(f"{name}: {problem['msg']}") from None
