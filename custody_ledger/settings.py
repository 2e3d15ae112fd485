"""Configuration from the environment (CUSTODY_LEDGER_*); built by a function, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTODY_LEDGER_")

    db: str = "custody_ledger.db"
    policy_file: Path | None = None


def load_settings() -> Settings:
    return Settings()
