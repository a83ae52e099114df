"""Settings from the environment (IMPROVEFLOW_*) and command-line flags.

Built by `load_settings()`, never at import time, so tests and commands each get their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from improveflow import resources

DEFAULT_DATABASE_URL = "sqlite:///improveflow.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IMPROVEFLOW_", extra="ignore", frozen=True)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="Any SQLAlchemy URL; SQLite in the working directory by default.",
    )
    workflows_dir: Path = Field(default_factory=lambda: resources.bundled_dir("workflows"))
    templates_dir: Path = Field(default_factory=lambda: resources.bundled_dir("templates"))
    base_url: str = Field(
        default="http://localhost:8000", description="Where links in emails point."
    )
    secret_key: str | None = Field(
        default=None, description="Signs the links in emails; required to send them."
    )
    link_max_age_days: int = Field(default=14, ge=1)
    sign_in_link_max_age_minutes: int = Field(
        default=60, ge=5, description="How long a sign-in link works (at most link_max_age_days)."
    )

    sweep_every_minutes: int = Field(default=15, ge=1, le=60)
    dispatch_every_seconds: int = Field(default=60, ge=1)

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = Field(default=False, description="Implicit TLS (usually port 465).")
    smtp_from: str = "improveflow@localhost"
    smtp_timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds one message's exchange with the server may take."
    )
    smtp_pool_size: int = Field(default=8, ge=1, description="Connections used at once.")
    smtp_rate_limit: int | None = Field(
        default=None, ge=1, description="Messages per minute at most (Microsoft 365: 30)."
    )
    smtp_max_attempts: int = Field(default=8, ge=1)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (from flags) winning."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
