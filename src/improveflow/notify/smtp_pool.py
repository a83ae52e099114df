"""A few SMTP connections, each reused for many messages, shared by one dispatch run.

aiosmtplib has no pool of its own: one client is one connection and serialises its sends, so
concurrency means several clients. Connecting (TCP, greeting, EHLO, TLS, login) costs more than
sending a message, so each client is connected once and handed from sender to sender through
a queue.

How a client logs in (a password, an OAuth token, or not at all) is the caller's choice: it
hands in a client factory, given the local host name resolved once for the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiosmtplib
from aiosmtplib import SMTPStatus
from aiosmtplib.protocol import SMTPProtocol

from improveflow.config import Settings
from improveflow.exceptions import SmtpUnavailable

if TYPE_CHECKING:
    from improveflow.notify.message import OutgoingEmail

log = logging.getLogger(__name__)


class PooledClient(aiosmtplib.SMTP):
    """An aiosmtplib client that remembers the connections it closed until their sockets shut.

    Closing a TLS connection only starts its shutdown; the socket is released some turns of the
    event loop later. A run that ends sooner (a CLI command, `asyncio.run`) would leave it to the
    garbage collector, so the pool waits for `settled` before it returns.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._closing: list[SMTPProtocol] = []

    def close(self) -> None:
        if self.protocol is not None:
            self._closing.append(self.protocol)
        super().close()

    async def settled(self) -> None:
        """Return once every connection this client closed has let go of its socket."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_SETTLE_LIMIT_S):
                # aiosmtplib clears a protocol's transport when the connection is finally lost.
                while any(protocol.transport is not None for protocol in self._closing):
                    await asyncio.sleep(_SETTLE_POLL_S)
        self._closing = [protocol for protocol in self._closing if protocol.transport is not None]


# Makes one unconnected client, given the local host name to greet the server with.
ClientFactory = Callable[[str | None], PooledClient]

# A TLS shutdown waits for the server's reply; one that never comes is not waited for long.
_SETTLE_LIMIT_S = 2.0
_SETTLE_POLL_S = 0.005

# "Service not available, closing transmission channel": the server hung up, nothing was taken.
_CLOSING = 421


def connection_closed(error: BaseException) -> bool:
    """Whether `error` means the connection is gone rather than the message refused."""
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, aiosmtplib.SMTPResponseException) and error.code == _CLOSING


class SmtpPool:
    """Up to `size` connected clients; `send` borrows one for a message and gives it back.

    `client_factory` makes each client (by default one logging in with the configured username
    and password, if any).
    """

    def __init__(
        self, settings: Settings, size: int, client_factory: ClientFactory | None = None
    ) -> None:
        self._settings = settings
        self._size = max(1, size)
        self._make_client = client_factory or password_client(settings)
        self._idle: asyncio.Queue[PooledClient] = asyncio.Queue()
        self._clients: list[PooledClient] = []
        self._failed: list[PooledClient] = []  # never connected; kept to settle their sockets
        self._local_hostname: str | None = None
        # Once a reconnect fails, later ones fail at once instead of each waiting out a timeout.
        self._down: SmtpUnavailable | None = None
        self.connections_opened = 0

    @property
    def size(self) -> int:
        """Clients actually connected at the start."""
        return len(self._clients)

    def _unavailable(self, error: BaseException) -> SmtpUnavailable:
        settings = self._settings
        return SmtpUnavailable(
            f"Could not connect to the mail server {settings.smtp_host}:{settings.smtp_port}: "
            f"{describe(error)}"
        )

    async def _connect(self, client: PooledClient) -> None:
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
        clients = [self._make_client(self._local_hostname) for _ in range(self._size)]
        outcomes = await asyncio.gather(
            *(_greeted(client) for client in clients), return_exceptions=True
        )
        errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        for client, outcome in zip(clients, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._failed.append(client)
                continue
            self.connections_opened += 1
            self._clients.append(client)
            self._idle.put_nowait(client)
        if not self._clients:
            await self._settle()
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
        self, client: PooledClient, email: OutgoingEmail, sender: str, recipient: str
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
        await self._settle()
        self._clients.clear()
        self._failed.clear()

    async def _settle(self) -> None:
        """Wait until the sockets of closed connections are released (see `PooledClient`)."""
        await asyncio.gather(*(client.settled() for client in [*self._clients, *self._failed]))

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


def password_client(settings: Settings) -> ClientFactory:
    """Clients that log in with the configured username and password (none if no username)."""

    def make(local_hostname: str | None) -> PooledClient:
        return PooledClient(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password if settings.smtp_username else None,
            local_hostname=local_hostname,
            timeout=settings.smtp_timeout_s,
            use_tls=settings.smtp_tls,
            # Only what is configured: never an opportunistic upgrade that may fail validation.
            start_tls=settings.smtp_starttls and not settings.smtp_tls,
        )

    return make


async def _greeted(client: PooledClient) -> None:
    """Connect, and say EHLO (HELO to a server that does not know it) unless that is done.

    A connection is greeted before its first message, which then goes as bare commands. One
    that cannot be greeted is closed (aiosmtplib closes one that fails to connect or log in).
    """
    await client.connect()
    if client.is_ehlo_or_helo_needed:
        try:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
        except BaseException:
            client.close()
            raise


async def _quit(client: PooledClient) -> None:
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
