"""An SMTP server that logs clients in as Exchange Online does from 2027: AUTH XOAUTH2 with a
token the token endpoint issued, for the SMTP audience and with the SMTP.SendAsApp permission.

Scripted, it also answers the way Exchange refuses: basic authentication (a password) turned
off (`535 5.7.139`), SMTP AUTH turned off for the tenant (`auth_refusal`), SendAs denied for a
sender other than the mailbox logged in as (`550 5.7.60`). A session whose token has expired is
ended at its next message (`421`), so a client must log in again with a renewed token.
"""

from __future__ import annotations

import base64
import binascii
import collections
import ssl
import weakref
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from improveflow.testing.mail_apis.tokens import SMTP_AUDIENCE, TokenEndpoint, Verdict
from improveflow.testing.smtp import CapturingSmtpServer, CountingSmtp, _Handler

BASIC_AUTH_DISABLED = (
    "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
    "[LO2P265CA0001.GBRP265.PROD.OUTLOOK.COM]"
)
TOKEN_REFUSED = "535 5.7.3 Authentication unsuccessful [LO2P265CA0001.GBRP265.PROD.OUTLOOK.COM]"
SEND_AS_DENIED = "550 5.7.60 SMTP; Client does not have permissions to send as this sender"
TOKEN_EXPIRED = "421 4.7.0 Session token expired, closing transmission channel"


class _ExchangeSmtp(CountingSmtp):
    """aiosmtpd's SMTP, taking AUTH lines as long as a bearer token makes them (Exchange does:
    Microsoft's tokens run to a few thousand characters, past aiosmtpd's 512 for a command)."""

    line_length_limit = 16384

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An instance's own limits: aiosmtpd keeps its defaults in a dict shared by the class.
        self.command_size_limits = collections.defaultdict(
            lambda: SMTP.command_size_limit, {"AUTH": self.line_length_limit}
        )


class _ExchangeController(Controller):
    def factory(self) -> SMTP:
        return _ExchangeSmtp(self.handler, **self.SMTP_kwargs)


class _OAuthHandler(_Handler):
    """The capturing handler, plus AUTH XOAUTH2 and Exchange's refusals."""

    def __init__(self, server: OAuthSmtpServer) -> None:
        super().__init__(server)
        self._oauth = server
        self._sessions: weakref.WeakKeyDictionary[Session, tuple[str, str]] = (
            weakref.WeakKeyDictionary()
        )

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """aiosmtpd's hook for a mechanism of the handler's own (AUTH XOAUTH2 <base64>)."""
        fake = self._oauth
        if len(args) > 1:
            try:
                decoded = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            decoded = answer
        # "user={mailbox}\x01auth=Bearer {token}\x01\x01"
        parts = decoded.decode(errors="replace").split("\x01")
        fields = dict(part.split("=", 1) for part in parts if "=" in part)
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        if fake.auth_refusal is not None:
            await server.push(fake.auth_refusal)
            return AuthResult(success=False, handled=True)
        verdict = fake.tokens.verify(token, fake.audience, fake.role)
        fake.verdicts.append(verdict)
        if verdict is not Verdict.VALID:
            await server.push(TOKEN_REFUSED)
            return AuthResult(success=False, handled=True)
        if server.session is not None:
            self._sessions[server.session] = (user, token)
        return AuthResult(success=True, auth_data=user)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        if self._oauth.basic_auth_disabled:
            return AuthResult(success=False, handled=False, message=BASIC_AUTH_DISABLED)
        return super().authenticate(server, session, envelope, mechanism, data)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        fake = self._oauth
        logged_in = self._sessions.get(session)
        if logged_in is not None:
            user, token = logged_in
            if fake.tokens.verify(token, fake.audience) is Verdict.EXPIRED:
                fake.sessions_ended += 1
                transport = server.transport
                if transport is not None:
                    server.loop.call_soon(transport.close)
                return TOKEN_EXPIRED
            if fake.deny_send_as and address.lower() != user.lower():
                return SEND_AS_DENIED
        return await super().handle_MAIL(server, session, envelope, address, options)


class OAuthSmtpServer(CapturingSmtpServer):
    """A capturing SMTP server (see CapturingSmtpServer) that logs clients in with XOAUTH2.

    As Exchange Online, it offers AUTH only after STARTTLS (with `tls`, a server context such
    as `loopback_tls` makes). `credentials` also allows a password login (unless
    `basic_auth_disabled`).
    """

    def __init__(
        self,
        tokens: TokenEndpoint,
        port: int | None = None,
        *,
        tls: ssl.SSLContext,
        credentials: tuple[str, str] | None = None,
        audience: str = SMTP_AUDIENCE,
        role: str = "SMTP.SendAsApp",
        keep: bool = True,
    ) -> None:
        super().__init__(port, keep=keep, tls=tls, credentials=credentials)
        self.tokens = tokens
        self.audience = audience
        self.role = role
        self.basic_auth_disabled = False
        self.auth_refusal: str | None = None  # the reply to every AUTH, when set
        self.deny_send_as = False  # refuse a sender other than the mailbox logged in as
        self.verdicts: list[Verdict] = []  # one per XOAUTH2 attempt
        self.sessions_ended = 0  # sessions ended because their token had expired

    def __enter__(self) -> Self:
        self.start()
        return self

    def start(self) -> None:
        if self._controller is not None:
            return
        handler = _OAuthHandler(self)
        starttls = self.tls is not None and not self.implicit_tls
        controller = _ExchangeController(
            handler,
            hostname=self.host,
            port=self.port,
            server_hostname="improveflow-test-exchange",
            ready_timeout=10.0,
            timeout=self.idle_timeout,
            ssl_context=self.tls if self.implicit_tls else None,
            tls_context=self.tls if starttls else None,
            require_starttls=starttls,
            auth_required=True,
            authenticator=handler.authenticate,
        )
        controller.start()
        self._controller = controller
