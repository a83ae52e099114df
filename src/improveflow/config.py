"""Settings from the environment (IMPROVEFLOW_*) and command-line flags.

Built by `load_settings()`, never at import time, so tests and commands each get their own.

Email is sent from `IMPROVEFLOW_SMTP_FROM`. `IMPROVEFLOW_SMTP_REPLY_TO` (optional: an address,
or "Name <address>") adds a Reply-To header, so replies reach a mailbox people read (the
improvement team's, say) rather than the sending one; without it there is no Reply-To.

How email leaves is `IMPROVEFLOW_MAIL_TRANSPORT`: `smtp` (the default; `IMPROVEFLOW_SMTP_AUTH`
says how it logs in: `password`, `oauth2` or `none`), `graph` (Microsoft Graph sendMail) or
`notify` (GOV.UK Notify). OAuth (SMTP with `oauth2`, and Graph) uses one app registration:
`IMPROVEFLOW_OAUTH_TENANT`, `_CLIENT_ID`, and `_CLIENT_SECRET` or a certificate instead
(`_CERTIFICATE_PATH`: a PEM file with the certificate and its private key, `_CERTIFICATE_PASSWORD`
if the key is encrypted); `IMPROVEFLOW_OAUTH_TOKEN_URL` replaces Microsoft's token endpoint for
the tenant. Each transport's requirements are checked on loading,
so a missing setting stops a command with its name rather than failing every email.
"""

from __future__ import annotations

import re
import uuid
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from improveflow import resources

DEFAULT_DATABASE_URL = "sqlite:///improveflow.db"


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# A directory (tenant) id or one of its domain names, as it goes into the token endpoint's path.
_TENANT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")

MailTransport = Literal["smtp", "graph", "notify"]
SmtpAuth = Literal["password", "oauth2", "none"]

MICROSOFT_TOKEN_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
# The scopes of an app-only token: Exchange Online's SMTP, and Microsoft Graph.
SMTP_OAUTH_SCOPE = "https://outlook.office365.com/.default"
GRAPH_OAUTH_SCOPE = "https://graph.microsoft.com/.default"


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
    mail_transport: MailTransport = Field(
        default="smtp", description="How email leaves: smtp, graph (Microsoft Graph) or notify."
    )
    smtp_auth: SmtpAuth | None = Field(
        default=None,
        description="How to log in to the SMTP server: password, oauth2 or none; unset, "
        "password when smtp_username is set, else none.",
    )
    oauth_tenant: str | None = Field(
        default=None, description="The Microsoft Entra tenant: its id or a domain name."
    )
    oauth_client_id: str | None = Field(
        default=None, description="The app registration's application (client) id."
    )
    oauth_client_secret: SecretStr | None = Field(
        default=None, description="A client secret of the app registration."
    )
    oauth_certificate_path: Path | None = Field(
        default=None,
        description="Instead of a client secret: a PEM file with a certificate uploaded to the "
        "app registration and its private key (RSA).",
    )
    oauth_certificate_password: SecretStr | None = Field(
        default=None, description="The password of the certificate's private key, if it has one."
    )
    oauth_token_url: str | None = Field(
        default=None,
        description="The token endpoint; unset, Microsoft's v2.0 endpoint for the tenant.",
    )
    oauth_scope: str | None = Field(
        default=None,
        description="The token's scope; unset, Exchange Online's for SMTP and Graph's for graph.",
    )
    graph_url: str = Field(
        default="https://graph.microsoft.com/v1.0", description="Microsoft Graph's address."
    )
    notify_api_key: SecretStr | None = Field(
        default=None, description="A GOV.UK Notify API key (live, to send to anyone)."
    )
    notify_template_id: str | None = Field(
        default=None,
        description="The Notify email template whose subject is ((subject)) and body ((body)).",
    )
    notify_base_url: str = Field(
        default="https://api.notifications.service.gov.uk", description="GOV.UK Notify's API."
    )
    notify_reply_to_id: str | None = Field(
        default=None, description="The id of a Notify reply-to address; unset, the default."
    )
    email_useful_days: float = Field(
        default=3,
        gt=0,
        description="How long after it was due an email that cannot be sent is still retried.",
    )

    # Replies by email (improveflow inbound serve / poll).
    reply_address: str | None = Field(
        default=None,
        description="The mailbox owners reply to: improvement@council.gov.uk gives each email "
        "the Reply-To improvement+TOKEN@council.gov.uk; unset, replies are not read.",
    )
    reply_address_style: Literal["plus", "local"] = Field(
        default="plus",
        description="plus: improvement+TOKEN@domain; local: TOKEN@domain (a domain routed "
        "to improveflow whole).",
    )
    reply_max_bytes: int = Field(
        default=5_000_000, ge=10_000, description="The largest reply read (bytes)."
    )
    reply_authserv_ids: str = Field(
        default="",
        description="The council's own mail servers' names in Authentication-Results "
        "(comma-separated); their DMARC (or SPF and DKIM) verdict must be a pass.",
    )
    imap_host: str | None = Field(default=None, description="The shared mailbox's IMAP server.")
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_tls: bool = Field(default=True, description="Implicit TLS (port 993).")
    imap_username: str | None = Field(default=None, description="The shared mailbox.")
    imap_password: SecretStr | None = Field(
        default=None, description="Its password; unset, the OAuth client's token (XOAUTH2)."
    )
    imap_folder: str = Field(default="INBOX", description="Where replies arrive.")
    imap_done_folder: str = Field(
        default="improveflow-handled", description="Where handled replies are moved."
    )
    imap_poll_every_minutes: int = Field(
        default=5, ge=1, le=60, description="How often the scheduler reads the mailbox."
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

    @field_validator("reply_address")
    @classmethod
    def _reply_address_is_an_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        name, address = parseaddr(value.strip())
        local, at, domain = address.rpartition("@")
        plain = not name and address == value.strip()
        if _CONTROL.search(value) or not (plain and local and at and domain) or "+" in local:
            raise ValueError(
                f"{value!r} is not a plain email address (IMPROVEFLOW_REPLY_ADDRESS): write "
                "the mailbox, as improvement@council.gov.uk, without '+' or a name"
            )
        return value.strip()

    @property
    def authserv_ids(self) -> list[str]:
        """The council's mail servers' names in Authentication-Results."""
        return [name.strip() for name in self.reply_authserv_ids.split(",") if name.strip()]

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

    @field_validator(
        "oauth_tenant",
        "oauth_client_id",
        "oauth_token_url",
        "oauth_scope",
        "notify_template_id",
        "notify_reply_to_id",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        # An empty variable in a service file means "not set", not "set to nothing".
        return value.strip() or None if value is not None else None

    @field_validator("oauth_client_secret", "notify_api_key", "oauth_certificate_password")
    @classmethod
    def _blank_secret_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return SecretStr(value.get_secret_value().strip())

    @field_validator("oauth_token_url", "graph_url", "notify_base_url")
    @classmethod
    def _is_a_web_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or _CONTROL.search(value):
            raise ValueError(f"{value!r} is not a web address (https://...) ({_env(info)})")
        return value.rstrip("/")

    @field_validator("oauth_certificate_path", mode="before")
    @classmethod
    def _certificate_is_a_file(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None  # an empty variable means "not set"
        path = Path(str(value).strip()).expanduser()
        if not path.is_file():
            raise ValueError(
                f"{str(path)!r} is not a file (IMPROVEFLOW_OAUTH_CERTIFICATE_PATH): give the PEM "
                "file holding the app's certificate and its private key"
            )
        return path

    @field_validator("oauth_tenant")
    @classmethod
    def _tenant_is_a_name(cls, value: str | None) -> str | None:
        if value is not None and not _TENANT.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a tenant id or domain (IMPROVEFLOW_OAUTH_TENANT): use the "
                "Directory (tenant) ID from the app registration's overview, or a domain such as "
                "council.onmicrosoft.com"
            )
        return value

    @field_validator("notify_template_id", "notify_reply_to_id")
    @classmethod
    def _is_an_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not _is_uuid(value):
            raise ValueError(
                f"{value!r} is not a Notify id ({_env(info)}): copy it from Notify (it looks "
                "like f33517ff-2a88-4f6e-b855-c550268ce08a)"
            )
        return value

    @model_validator(mode="after")
    def _transport_has_what_it_needs(self) -> Settings:
        missing = _missing_for_transport(self)
        if missing:
            raise ValueError(missing)
        return self

    # Derived values ---------------------------------------------------------------------------

    @property
    def smtp_login(self) -> SmtpAuth:
        """How the SMTP transport logs in: the setting, else password when a username is set."""
        if self.smtp_auth is not None:
            return self.smtp_auth
        return "password" if self.smtp_username else "none"

    @property
    def uses_oauth(self) -> bool:
        """Whether email leaves with an OAuth token from the app registration."""
        return self.mail_transport == "graph" or (
            self.mail_transport == "smtp" and self.smtp_login == "oauth2"
        )

    @property
    def oauth_token_endpoint(self) -> str:
        """Where client-credentials tokens come from (the setting, else Microsoft's)."""
        if self.oauth_token_url:
            return self.oauth_token_url
        return MICROSOFT_TOKEN_URL.format(tenant=self.oauth_tenant or "organizations")

    @property
    def oauth_token_scope(self) -> str:
        """The scope asked for: the setting, else the one the transport's service expects."""
        if self.oauth_scope:
            return self.oauth_scope
        return GRAPH_OAUTH_SCOPE if self.mail_transport == "graph" else SMTP_OAUTH_SCOPE

    @property
    def mailbox(self) -> str:
        """The sending mailbox: the address in smtp_from."""
        return parseaddr(self.smtp_from)[1] or self.smtp_from


def _env(info: ValidationInfo) -> str:
    """The environment variable a field is read from."""
    return f"IMPROVEFLOW_{(info.field_name or '').upper()}"


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# A Notify key is "{name}-{service id}-{secret}": two UUIDs, 73 characters, at its end.
_NOTIFY_KEY_TAIL = 73


def _notify_key_problem(key: str) -> str | None:
    tail = key[-_NOTIFY_KEY_TAIL:]
    service, secret = tail[:36], tail[37:]
    if (
        len(key) < _NOTIFY_KEY_TAIL
        or tail[36] != "-"
        or not (_is_uuid(service) and _is_uuid(secret))
    ):
        return (
            "IMPROVEFLOW_NOTIFY_API_KEY is not a whole GOV.UK Notify API key: copy the key as "
            "Notify showed it when it was created (its name, then two long codes)"
        )
    return None


def _missing_for_transport(settings: Settings) -> str | None:
    """What the chosen transport lacks, in a sentence naming the settings; None if nothing."""
    if settings.smtp_auth == "password" and not (settings.smtp_username and settings.smtp_password):
        return (
            "IMPROVEFLOW_SMTP_AUTH=password needs IMPROVEFLOW_SMTP_USERNAME and "
            "IMPROVEFLOW_SMTP_PASSWORD"
        )
    if settings.uses_oauth:
        what = (
            "IMPROVEFLOW_MAIL_TRANSPORT=graph"
            if settings.mail_transport == "graph"
            else "IMPROVEFLOW_SMTP_AUTH=oauth2"
        )
        if settings.oauth_client_secret and settings.oauth_certificate_path:
            return (
                f"{what} takes IMPROVEFLOW_OAUTH_CLIENT_SECRET or "
                "IMPROVEFLOW_OAUTH_CERTIFICATE_PATH, not both: unset the one not in use"
            )
        needed = [
            name
            for name, value in (
                ("IMPROVEFLOW_OAUTH_CLIENT_ID", settings.oauth_client_id),
                (
                    "IMPROVEFLOW_OAUTH_CLIENT_SECRET (or IMPROVEFLOW_OAUTH_CERTIFICATE_PATH)",
                    settings.oauth_client_secret or settings.oauth_certificate_path,
                ),
                (
                    "IMPROVEFLOW_OAUTH_TENANT (or IMPROVEFLOW_OAUTH_TOKEN_URL)",
                    settings.oauth_tenant or settings.oauth_token_url,
                ),
            )
            if not value
        ]
        if needed:
            return f"{what} needs {', '.join(needed)}: they come from the app registration"
    if settings.mail_transport == "notify":
        needed = [
            name
            for name, value in (
                ("IMPROVEFLOW_NOTIFY_API_KEY", settings.notify_api_key),
                ("IMPROVEFLOW_NOTIFY_TEMPLATE_ID", settings.notify_template_id),
            )
            if value is None
        ]
        if needed:
            return f"IMPROVEFLOW_MAIL_TRANSPORT=notify needs {' and '.join(needed)}"
        assert settings.notify_api_key is not None
        return _notify_key_problem(settings.notify_api_key.get_secret_value())
    return None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit overrides (from flags) winning."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)
