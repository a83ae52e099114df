"""One loopback mail service per transport, with the same levers, so that a dispatch test can
run unchanged against each: SMTP (no login), SMTP with OAuth (a token endpoint and an XOAUTH2
server behind STARTTLS), Microsoft Graph (a token endpoint and sendMail) and GOV.UK Notify.

`mail_service(kind, folder)` starts one and gives its settings (Settings field names, to apply
to a context or to pass as IMPROVEFLOW_* variables) and its levers: stop and start it, refuse a
recipient for good, put one off once, hold one's messages, and list who received what.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from improveflow.testing.mail_apis.graph import GraphServer
from improveflow.testing.mail_apis.http import loopback_tls
from improveflow.testing.mail_apis.notify import NotifyServer
from improveflow.testing.mail_apis.smtp import OAuthSmtpServer
from improveflow.testing.mail_apis.tokens import TokenEndpoint
from improveflow.testing.smtp import CapturingSmtpServer

__all__ = ["KINDS", "Kind", "MailService", "mail_service"]

Kind = Literal["smtp", "smtp-oauth", "graph", "notify"]
KINDS: tuple[Kind, ...] = ("smtp", "smtp-oauth", "graph", "notify")


@dataclass
class MailService:
    """A running loopback service of one kind, and what a test can do to it."""

    kind: Kind
    settings: dict[str, Any]  # Settings fields that send through it
    stop: Callable[[], None]
    start: Callable[[], None]
    refuse: Callable[[str], None]  # refuse every message to this recipient for good
    put_off: Callable[[str], None]  # refuse the next message to this recipient for now
    stall: Callable[[str, float], None]  # hold messages to this recipient for seconds
    recipients: Callable[[], list[str]]  # one entry per message received, in arrival order
    # Block until the check holds (tried as messages arrive) or the seconds pass; whether it does.
    wait_until: Callable[[Callable[[], bool], float], bool]
    put_off_wait: timedelta  # the wait the service asks for when it puts a message off
    tokens: TokenEndpoint | None = None
    trusted: Path | None = None  # the certificate clients must trust (SSL_CERT_FILE), if any
    levers: dict[str, Any] = field(default_factory=dict)  # the fakes themselves, by name

    @property
    def environment(self) -> dict[str, str]:
        """The settings as IMPROVEFLOW_* variables, and SSL_CERT_FILE if TLS needs it."""
        found = {f"IMPROVEFLOW_{name.upper()}": str(value) for name, value in self.settings.items()}
        if self.trusted is not None:
            found["SSL_CERT_FILE"] = str(self.trusted)
        return found


@contextmanager
def mail_service(
    kind: Kind, folder: Path, *, mailbox: str = "plans@council.example"
) -> Iterator[MailService]:
    """Start a service of `kind` sending as `mailbox` (its TLS certificate is made in `folder`,
    or reused from it); stop it on leaving."""
    with ExitStack() as stack:
        if kind == "smtp":
            yield _smtp(stack.enter_context(CapturingSmtpServer()), mailbox)
        elif kind == "smtp-oauth":
            yield _smtp_oauth(stack, folder, mailbox)
        elif kind == "graph":
            yield _graph(stack, mailbox)
        else:
            yield _notify(stack.enter_context(NotifyServer()), mailbox)


def _smtp_recipients(server: CapturingSmtpServer) -> Callable[[], list[str]]:
    return lambda: [to for got in server.received for to in got.recipients]


def _smtp(server: CapturingSmtpServer, mailbox: str) -> MailService:
    return MailService(
        "smtp",
        {"smtp_host": server.host, "smtp_port": server.port, "smtp_from": mailbox},
        server.stop,
        server.start,
        lambda to: server.refuse(to),
        lambda to: server.defer(to),
        server.stall,
        _smtp_recipients(server),
        server.wait_until,
        timedelta(),
        levers={"smtp": server},
    )


def _tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """The loopback certificate made in `folder` before, or a new one."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    if not (cert.is_file() and key.is_file()):
        return loopback_tls(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


def _smtp_oauth(stack: ExitStack, folder: Path, mailbox: str) -> MailService:
    tls, trusted = _tls(folder)
    endpoint = stack.enter_context(TokenEndpoint())
    server = stack.enter_context(OAuthSmtpServer(endpoint, tls=tls))
    return MailService(
        "smtp-oauth",
        {
            "smtp_host": server.host,
            "smtp_port": server.port,
            "smtp_from": mailbox,
            "smtp_starttls": True,
            "smtp_auth": "oauth2",
            "oauth_token_url": endpoint.token_url,
            "oauth_client_id": endpoint.client_id,
            "oauth_client_secret": endpoint.client_secret,
        },
        server.stop,
        server.start,
        lambda to: server.refuse(to),
        lambda to: server.defer(to),
        server.stall,
        _smtp_recipients(server),
        server.wait_until,
        timedelta(),
        tokens=endpoint,
        trusted=trusted,
        levers={"smtp": server, "tokens": endpoint},
    )


def _graph(stack: ExitStack, mailbox: str) -> MailService:
    endpoint = stack.enter_context(TokenEndpoint())
    graph = stack.enter_context(GraphServer(endpoint, (mailbox,)))
    retry_after = timedelta(minutes=2)
    return MailService(
        "graph",
        {
            "mail_transport": "graph",
            "graph_url": graph.url,
            "smtp_from": mailbox,
            "oauth_token_url": endpoint.token_url,
            "oauth_client_id": endpoint.client_id,
            "oauth_client_secret": endpoint.client_secret,
        },
        graph.stop,
        graph.start,
        graph.refuse,
        lambda to: graph.put_off(to, retry_after_s=retry_after.total_seconds()),
        graph.stall,
        lambda: [got.message["To"].addresses[0].addr_spec for got in graph.received],
        graph.wait_until,
        retry_after,
        tokens=endpoint,
        levers={"graph": graph, "tokens": endpoint},
    )


def _notify(notify: NotifyServer, mailbox: str) -> MailService:
    return MailService(
        "notify",
        {
            "mail_transport": "notify",
            "notify_base_url": notify.url,
            "notify_api_key": notify.key("live"),
            "notify_template_id": notify.template_id,
            "smtp_from": mailbox,
        },
        notify.stop,
        notify.start,
        notify.refuse,
        notify.put_off,
        notify.stall,
        lambda: [got.email_address for got in notify.received],
        notify.wait_until,
        timedelta(),
        levers={"notify": notify},
    )
