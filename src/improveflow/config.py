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
    base_url: str = "http://localhost:8000"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (from flags) winning."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
