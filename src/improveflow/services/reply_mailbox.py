"""Reading replies from a shared mailbox (`improveflow inbound poll`, and the scheduler every
few minutes): the IMAP settings, the login, and each message handed to `replies`."""

from __future__ import annotations

import asyncio

from improveflow import exceptions
from improveflow.config import SMTP_OAUTH_SCOPE
from improveflow.inbound.mailbox import MailboxError, MailboxLogin, PollReport, poll_mailbox
from improveflow.services import replies
from improveflow.services.context import Context

__all__ = ["is_configured", "poll_replies"]


def is_configured(ctx: Context) -> bool:
    """Whether a mailbox to read replies from is set (IMPROVEFLOW_IMAP_HOST)."""
    return bool(ctx.settings.imap_host) and ctx.settings.reply_address is not None


def poll_replies(ctx: Context) -> PollReport:
    """Read the mailbox once: record (or answer) each reply, moving it to the handled folder.

    ConfigurationError when the settings cannot work; MailboxUnavailable when the server
    cannot be reached or refuses the login.
    """
    settings = ctx.settings
    if replies.reply_addresses(ctx) is None:
        raise exceptions.ConfigurationError(
            "IMPROVEFLOW_REPLY_ADDRESS must be set so that emails carry reply addresses"
        )
    if not settings.imap_host or not settings.imap_username:
        raise exceptions.ConfigurationError(
            "IMPROVEFLOW_IMAP_HOST and IMPROVEFLOW_IMAP_USERNAME must be set to read the "
            "mailbox replies arrive in"
        )
    password = settings.imap_password.get_secret_value() if settings.imap_password else None
    token = None
    if password is None:
        if not (settings.oauth_client_id and (settings.oauth_tenant or settings.oauth_token_url)):
            raise exceptions.ConfigurationError(
                "Set IMPROVEFLOW_IMAP_PASSWORD, or the OAuth settings "
                "(IMPROVEFLOW_OAUTH_TENANT, _CLIENT_ID, and a secret or certificate), to log in "
                "to the mailbox"
            )
        # Imported here: the HTTP client loads only for an OAuth login.
        from improveflow.transports.oauth import ClientCredentials, TokenProvider

        provider = TokenProvider(
            ClientCredentials.from_settings(settings),
            settings.oauth_scope or SMTP_OAUTH_SCOPE,
            timeout_s=settings.smtp_timeout_s,
        )

        def token() -> str:
            return asyncio.run(provider.token())

    login = MailboxLogin(
        host=settings.imap_host,
        port=settings.imap_port,
        username=settings.imap_username,
        tls=settings.imap_tls,
        password=password,
        token=token,
        timeout_s=settings.smtp_timeout_s,
    )
    try:
        return poll_mailbox(
            login,
            lambda data, size: replies.handle_reply(ctx, data, size=size),
            folder=settings.imap_folder,
            done_folder=settings.imap_done_folder,
            max_bytes=settings.reply_max_bytes,
        )
    except MailboxError as error:
        raise exceptions.MailboxUnavailable(str(error)) from error
