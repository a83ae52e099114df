"""A real SMTP server on loopback that keeps what it receives, for tests and demonstrations.

It runs aiosmtpd in a thread and can be told to misbehave the way real relays do: refuse a
recipient for good (550), put one off for a while (451), hang up on a busy connection (421), or
be down altogether and come back on the same port. It can also demand STARTTLS or implicit TLS
and a login, like Microsoft 365. Needs the `aiosmtpd` package (a development dependency).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as it arrived: the envelope and the raw bytes."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    tls: bool = False  # whether it came over an encrypted connection
    login: str | None = None  # who the client logged in as, if anyone

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern email API (headers decoded, parts walkable)."""
        return email.message_from_bytes(self.raw, policy=email.policy.default)


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class _Handler:
    """aiosmtpd hooks: count connections, apply the scripted replies, keep the messages."""

    def __init__(self, server: CapturingSmtpServer) -> None:
        self._server = server
        self._delivered: weakref.WeakKeyDictionary[Session, int] = weakref.WeakKeyDictionary()

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # the hook must set it (aiosmtpd's documented contract)
        self._server._count_connection()
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        limit = self._server.messages_per_connection
        if limit is not None and self._delivered.get(session, 0) >= limit:
            # Like a relay capping messages per connection: refuse and hang up.
            transport = server.transport
            if transport is not None:
                server.loop.call_soon(transport.close)
            return "421 4.7.0 Too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self._server._reply_for(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        stall = self._server._stall_for(envelope.rcpt_tos)
        if stall:
            await asyncio.sleep(stall)  # a relay that has stopped answering mid-message
        self._delivered[session] = self._delivered.get(session, 0) + 1
        transport = server.transport
        received = ReceivedEmail(
            envelope.mail_from or "",
            tuple(envelope.rcpt_tos),
            envelope.original_content or b"",
            tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            login=str(session.auth_data) if session.authenticated else None,
        )
        return f"250 OK queued as {self._server._keep(received)}"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        expected = self._server.credentials
        if not isinstance(data, LoginPassword) or expected is None:
            return AuthResult(success=False, handled=False)
        given = (data.login.decode(), data.password.decode())
        return AuthResult(success=given == expected, handled=False, auth_data=given[0])


class CountingSmtp(SMTP):
    """aiosmtpd's SMTP, telling its server when a connection ends (a client's QUIT, or the
    server hanging up on an idle one)."""

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        server = getattr(self.event_handler, "_server", None)
        if isinstance(server, CapturingSmtpServer):
            server._count_hang_up()


class _CountingController(Controller):
    def factory(self) -> SMTP:
        return CountingSmtp(self.handler, **self.SMTP_kwargs)


class CapturingSmtpServer:
    """An SMTP server on 127.0.0.1 (a free port unless given); a context manager.

    `received` holds every accepted message; `connections` counts sessions (one EHLO each) and
    `hang_ups` the connections ended; `wait_until` waits for any of them to reach a mark.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        keep: bool = True,
        idle_timeout: float = 300.0,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.host = LOOPBACK
        self.port = port or free_port()
        # False keeps only the count: a benchmark's server should not spend CPU on storage.
        self.keep = keep
        # Seconds a connection may sit idle before the server closes it, as relays do.
        self.idle_timeout = idle_timeout
        # A server-side context: offered through STARTTLS, or from the first byte if implicit.
        self.tls = tls
        self.implicit_tls = implicit_tls
        # (user, password) to require a login; aiosmtpd allows AUTH only over TLS.
        self.credentials = credentials
        self.messages_per_connection: int | None = None
        self._lock = threading.Lock()
        self._received: list[ReceivedEmail] = []
        self._count = 0
        self._connections = 0
        self._hang_ups = 0
        # Notified whenever something arrives or a connection ends; its own lock, so a waiter's
        # check may read the counts (which take `_lock`).
        self._changed = threading.Condition()
        self._refused: dict[str, str] = {}
        self._deferred: dict[str, tuple[str, int]] = {}
        self._stalled: dict[str, float] = {}
        self._rcpt_seen: Counter[str] = Counter()
        self._controller: Controller | None = None

    # Running ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Listen (again) on the same port."""
        if self._controller is not None:
            return
        handler = _Handler(self)
        starttls = self.tls is not None and not self.implicit_tls
        controller = _CountingController(
            handler,
            hostname=self.host,
            port=self.port,
            # Named, so aiosmtpd does not look up this machine's name for every connection.
            server_hostname="improveflow-test-smtp",
            ready_timeout=10.0,
            timeout=self.idle_timeout,
            ssl_context=self.tls if self.implicit_tls else None,
            tls_context=self.tls if starttls else None,
            require_starttls=starttls,
            auth_required=self.credentials is not None,
            authenticator=handler.authenticate if self.credentials is not None else None,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: clients now get "connection refused" until `start` again."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> CapturingSmtpServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # Scripted replies ---------------------------------------------------------------------------

    def refuse(self, address: str, reply: str | None = None) -> None:
        """Answer every RCPT for `address` with a permanent refusal (550 unless `reply` says)."""
        with self._lock:
            self._refused[address.lower()] = reply or f"550 5.1.1 <{address}>: Recipient unknown"

    def defer(self, address: str, times: int = 1, reply: str | None = None) -> None:
        """Answer the next `times` RCPTs for `address` with a temporary failure (451)."""
        text = reply or f"451 4.3.0 <{address}>: Temporary local problem, try again later"
        with self._lock:
            self._deferred[address.lower()] = (text, times)

    def stall(self, address: str, seconds: float) -> None:
        """Hold every message to `address` for `seconds` after its data, before answering."""
        with self._lock:
            self._stalled[address.lower()] = seconds

    def _stall_for(self, recipients: list[str]) -> float:
        with self._lock:
            return max((self._stalled.get(r.lower(), 0.0) for r in recipients), default=0.0)

    def _reply_for(self, address: str) -> str | None:
        key = address.lower()
        with self._lock:
            self._rcpt_seen[key] += 1
            if key in self._refused:
                return self._refused[key]
            deferred = self._deferred.get(key)
            if deferred is None:
                return None
            text, left = deferred
            if left <= 1:
                del self._deferred[key]
            else:
                self._deferred[key] = (text, left - 1)
            return text

    # What arrived -------------------------------------------------------------------------------

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1
        self._tell_waiters()

    def _count_hang_up(self) -> None:
        with self._lock:
            self._hang_ups += 1
        self._tell_waiters()

    def _keep(self, received: ReceivedEmail) -> int:
        with self._lock:
            self._count += 1
            if self.keep:
                self._received.append(received)
            count = self._count
        self._tell_waiters()
        return count

    def _tell_waiters(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_until(self, reached: Callable[[], bool], timeout: float) -> bool:
        """Block until `reached()` holds, checked each time a message arrives or a connection
        starts or ends, or until `timeout` seconds pass; whether it holds. Tests wait on this
        rather than sleeping for a guessed while."""
        with self._changed:
            return self._changed.wait_for(reached, timeout)

    @property
    def received(self) -> list[ReceivedEmail]:
        with self._lock:
            return list(self._received)

    @property
    def count(self) -> int:
        """Messages accepted so far (kept or not)."""
        with self._lock:
            return self._count

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    @property
    def hang_ups(self) -> int:
        """Connections ended so far, by either side."""
        with self._lock:
            return self._hang_ups

    def attempts_for(self, address: str) -> int:
        """RCPT commands seen for `address`, accepted or not."""
        with self._lock:
            return self._rcpt_seen[address.lower()]

    def to(self, address: str) -> list[ReceivedEmail]:
        """The messages delivered to `address`."""
        wanted = address.lower()
        return [got for got in self.received if wanted in (r.lower() for r in got.recipients)]

    def clear(self) -> None:
        """Forget what arrived and the connection count (scripted replies stay)."""
        with self._lock:
            self._received.clear()
            self._count = 0
            self._connections = 0
            self._hang_ups = 0
            self._rcpt_seen.clear()
