"""Choosing the transport from the settings, with one token provider for the process.

Build a `TransportFactory` once where the settings are (the composition root) and ask it for a
transport per dispatch run: the runs then share its token provider, so an access token is
fetched about once an hour however often the dispatcher runs.
"""

from __future__ import annotations

from improveflow.config import Settings
from improveflow.transports.base import Transport
from improveflow.transports.graph import GraphTransport
from improveflow.transports.notify import NotifyTransport
from improveflow.transports.oauth import ClientCredentials, TokenProvider
from improveflow.transports.smtp import SmtpTransport

__all__ = ["TransportFactory"]


class TransportFactory:
    """Transports of the configured kind (IMPROVEFLOW_MAIL_TRANSPORT)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tokens: TokenProvider | None = (
            TokenProvider(
                ClientCredentials.from_settings(settings),
                settings.oauth_token_scope,
                timeout_s=settings.smtp_timeout_s,
            )
            if settings.uses_oauth
            else None
        )

    def __call__(self, size: int) -> Transport:
        """A new, unopened transport that sends up to `size` emails at once."""
        settings = self.settings
        if settings.mail_transport == "graph":
            assert self.tokens is not None  # settings validation guarantees it
            return GraphTransport(settings, size, self.tokens)
        if settings.mail_transport == "notify":
            return NotifyTransport(settings, size)
        return SmtpTransport(settings, size, self.tokens)
