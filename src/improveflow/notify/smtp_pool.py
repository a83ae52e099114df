"""A few SMTP connections, each reused for many messages, shared by one dispatch run.

aiosmtplib has no pool of its own: one client is one connection and serialises its sends, so
concurrency means several clients. Connecting (TCP, greeting, EHLO, TLS, login) costs more than
sending a message, so each client is connected once and handed from sender to sender through
a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from types import TracebackType
from typing import TYPE_CHECKING

import aiosmtplib
from aiosmtplib import SMTPStatus

from improveflow.config import Settings
from improveflow.exceptions import SmtpUnavailable

if TYPE_CHECKING:
    from improveflow.notify.message import OutgoingEmail

log = logging.getLogger(__name__)

# "Service not available, closing transmission channel": the server hung up, nothing was taken.
_CLOSING = 421


def connection_closed(error: BaseException) -> bool:
    """Whether `error` means the connection is gone rather than the message refused."""
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, aiosmtplib.SMTPResponseException) and error.code == _CLOSING


class SmtpPool:
    """Up to `size` connected clients; `send` borrows one for a message and gives it back."""

    def __init__(self, settings: Settings, size: int) -> None:
        self._settings = settings
        self._size = max(1, size)
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        self._clients: list[aiosmtplib.SMTP] = []
        self._local_hostname: str | None = None
        # Once a reconnect fails, later ones fail at once instead of each waiting out a timeout.
        self._down: SmtpUnavailable | None = None
        self.connections_opened = 0

    @property
    def size(self) -> int:
        """Clients actually connected at the start."""
        return len(self._clients)

    def _client(self) -> aiosmtplib.SMTP:
        settings = self._settings
        return aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password if settings.smtp_username else None,
            local_hostname=self._local_hostname,
            timeout=settings.smtp_timeout_s,
            use_tls=settings.smtp_tls,
            # Only what is configured: never an opportunistic upgrade that may fail validation.
            start_tls=settings.smtp_starttls and not settings.smtp_tls,
        )

    def _unavailable(self, error: BaseException) -> SmtpUnavailable:
        settings = self._settings
        return SmtpUnavailable(
            f"Could not connect to the mail server {settings.smtp_host}:{settings.smtp_port}: "
            f"{describe(error)}"
        )

    async def _connect(self, client: aiosmtplib.SMTP) -> None:
        if self._down is not None:
            raise self._down
        try:
            await _greeted(client)
        except (aiosmtplib.SMTPException, OSError) as error:
            self._down = self._unavailable(error)
            raise self._down from error
        self.connections_opened += 1

    async def open(self) -> None:
        """Connect the clients; SmtpUnavailable when not even one connects."""
        # Resolved once for all clients: aiosmtplib would otherwise look it up per connection.
        self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        clients = [self._client() for _ in range(self._size)]
        outcomes = await asyncio.gather(
            *(_greeted(client) for client in clients), return_exceptions=True
        )
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        for client, outcome in zip(clients, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                client.close()
                continue
            self.connections_opened += 1
            self._clients.append(client)
            self._idle.put_nowait(client)
        if not self._clients:
            raise self._unavailable(errors[0]) from errors[0]
        if errors:
            log.info("%d of %d SMTP connections opened", len(self._clients), self._size)

    async def send(self, email: OutgoingEmail, *, sender: str, recipient: str) -> None:
        """Send on a pooled connection; a dropped one is reconnected and the message retried once.

        Raises aiosmtplib's errors (and SmtpUnavailable) for the caller to judge.
        """
        client = await self._idle.get()
        try:
            if not client.is_connected:
                await self._connect(client)
            try:
                await self._transaction(client, email, sender, recipient)
            except (aiosmtplib.SMTPException, ConnectionError) as error:
                if not connection_closed(error):
                    if isinstance(error, aiosmtplib.SMTPTimeoutError):
                        client.close()  # its state is unknown: start afresh next time
                    raise
                # The server dropped an idle or well-used connection before taking the message.
                client.close()
                await self._connect(client)
                await self._transaction(client, email, sender, recipient)
        finally:
            self._idle.put_nowait(client)

    async def _transaction(
        self, client: aiosmtplib.SMTP, email: OutgoingEmail, sender: str, recipient: str
    ) -> None:
        """MAIL, RCPT and DATA for one message to one recipient, within one deadline.

        What `sendmail` does for one recipient, less what is already done or wasted here: the
        addresses were checked when the message was built (sendmail parses each one three
        times), the bytes already have CRLF endings (it normalises them twice), and one timer
        for the exchange costs less than one per command. The deadline is `smtp_timeout_s`.
        """
        mail = [b"MAIL", b"FROM:<" + sender.encode("ascii") + b">"]
        if client.supports_extension("size"):
            # RFC 1870: the server can refuse a message too large before its DATA.
            mail.append(b"SIZE=%d" % len(email.data))
        rcpt = [b"RCPT", b"TO:<" + recipient.encode("ascii") + b">"]
        try:
            async with asyncio.timeout(self._settings.smtp_timeout_s):
                reply = await client.execute_command(*mail, timeout=None)
                if reply.code != SMTPStatus.completed:
                    raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender)
                reply = await client.execute_command(*rcpt, timeout=None)
                if reply.code not in (SMTPStatus.completed, SMTPStatus.will_forward):
                    raise aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, recipient)
                await client.data(email.data, timeout=None)
        except TimeoutError as error:
            # Whatever the server does next can no longer be paired with a command.
            client.close()
            raise aiosmtplib.SMTPTimeoutError(
                f"no reply within {self._settings.smtp_timeout_s:g} seconds"
            ) from error
        except aiosmtplib.SMTPResponseException:
            # Clear the envelope so the connection can carry the next message. A failure here
            # is not reported: the refusal is the error worth reporting, and this would confuse.
            with contextlib.suppress(aiosmtplib.SMTPResponseException, ConnectionError):
                await client.rset()
            raise

    async def close(self) -> None:
        """Say goodbye on every connection; errors on the way out do not matter."""
        await asyncio.gather(*(_quit(client) for client in self._clients))
        self._clients.clear()
        # A TLS connection finishes closing on the next turns of the event loop; let it,
        # or a loop that ends straight after leaves its socket to the garbage collector.
        await asyncio.sleep(_SETTLE_S)

    async def __aenter__(self) -> SmtpPool:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


_SETTLE_S = 0.05


async def _greeted(client: aiosmtplib.SMTP) -> None:
    """Connect, and say EHLO (HELO to a server that does not know it) unless that is done.

    A connection is greeted before its first message, which then goes as bare commands.
    """
    await client.connect()
    if client.is_ehlo_or_helo_needed:
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()


async def _quit(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


def describe(error: BaseException) -> str:
    """A one-line account of an SMTP error, with the server's reply when there is one."""
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        return f"{error.code} {error.message} (recipient {error.recipient})"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}"
    text = str(error) or type(error).__name__
    return " ".join(text.split())
