"""Settings from the environment (IMPROVEFLOW_*) and command-line flags.

Built by `load_settings()`, never at import time, so tests and commands each get their own.

Email is sent from `IMPROVEFLOW_SMTP_FROM`. `IMPROVEFLOW_SMTP_REPLY_TO` (optional: an address,
or "Name <address>") adds a Reply-To header, so replies reach a mailbox people read (the
improvement team's, say) rather than the sending one; without it there is no Reply-To.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from improveflow import resources

DEFAULT_DATABASE_URL = "sqlite:///improveflow.db"


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


class Settings(BaseSettings):
    """Every setting, read from IMPROVEFLOW_<NAME> (IMPROVEFLOW_SMTP_REPLY_TO for smtp_reply_to).

    smtp_reply_to: where replies to improveflow's email go (an address or "Name <address>");
    unset, email carries no Reply-To and replies go to smtp_from.
    """

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
    # How many sign-in links the form sends in an hour. Per client means per IP address as the
    # app sees it: an office behind one address, or a proxy not trusted for forwarded headers,
    # counts as one client.
    sign_in_links_per_address: int = Field(default=5, ge=1, description="For one address.")
    sign_in_links_per_client: int = Field(default=50, ge=1, description="From one IP address.")
    sign_in_links_overall: int = Field(default=500, ge=1, description="For everyone together.")

    sweep_every_minutes: int = Field(default=15, ge=1, le=60)
    dispatch_every_seconds: int = Field(default=60, ge=1)

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = Field(default=False, description="Implicit TLS (usually port 465).")
    smtp_from: str = "improveflow@localhost"
    smtp_reply_to: str | None = Field(
        default=None,
        description="Where replies go (Reply-To): an address or 'Name <address>'; unset, none.",
    )
    smtp_timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds one message's exchange with the server may take."
    )
    smtp_pool_size: int = Field(default=8, ge=1, description="Connections used at once.")
    smtp_rate_limit: int | None = Field(
        default=None, ge=1, description="Messages per minute at most (Microsoft 365: 30)."
    )
    email_useful_days: float = Field(
        default=3,
        gt=0,
        description="How long after it was due an email that cannot be sent is still retried.",
    )

    audit_key: SecretStr | None = Field(
        default=None,
        description="Keys the audit log's hashes and signs its checkpoints; never the same as "
        "secret_key, and kept apart from the database.",
    )
    audit_checkpoint_email: str | None = Field(
        default=None, description="Who is emailed the daily signed audit checkpoint."
    )
    audit_checkpoint_dir: Path | None = Field(
        default=None, description="A folder the daily signed audit checkpoint is written to."
    )

    @field_validator("smtp_reply_to")
    @classmethod
    def _reply_to_is_an_address(cls, value: str | None) -> str | None:
        # Checked here, once, rather than failing every email at the last step.
        if value is None or not value.strip():
            return None
        local, at, domain = parseaddr(value)[1].rpartition("@")
        if _CONTROL.search(value) or not (local and at and domain):
            raise ValueError(f"{value!r} is not an email address (IMPROVEFLOW_SMTP_REPLY_TO)")
        return value.strip()


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (from flags) winning."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
