"""`improveflow inbound serve`: an SMTP or LMTP listener that hands each message to a handler.

For councils that route a mailbox, or a subdomain, to improveflow. The handler (the replies
service, bound to a context) runs in a worker thread, so a slow database does not stop the
listener. A message is accepted (250) once the handler has dealt with it, whatever it decided;
a handler that fails (the database down, say) is answered 451, so the sending server tries
again later. A message larger than the limit is refused during DATA (552), and the sending
server tells its sender.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ["MessageHandler", "ReplyListener", "serve"]

log = logging.getLogger(__name__)

# (the message's bytes, the envelope sender ("" for a bounce), the envelope recipients)
MessageHandler = Callable[[bytes, str, tuple[str, ...]], object]


class ReplyListener:
    """aiosmtpd hooks: accept mail for the reply address, pass each message to `handle`."""

    def __init__(self, handle: MessageHandler, *, lmtp: bool = False) -> None:
        self._handle = handle
        self._lmtp = lmtp

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        sender = (envelope.mail_from or "").strip()
        if sender == "<>":  # the null sender of a bounce
            sender = ""
        recipients = tuple(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._handle, data, sender, recipients)
        except Exception:
            log.exception("could not handle a reply from %s; the sender will try again", sender)
            status = "451 4.3.0 improveflow could not take this message now; try again later"
        else:
            status = "250 2.0.0 Received by improveflow"
        # LMTP answers DATA once per recipient.
        return "\r\n".join([status] * len(recipients)) if self._lmtp else status


def make_server(handle: MessageHandler, *, lmtp: bool, max_bytes: int) -> Callable[[], Any]:
    """A protocol factory for asyncio's create_server."""
    listener = ReplyListener(handle, lmtp=lmtp)
    kind = LMTP if lmtp else SMTP

    def factory() -> SMTP:
        return kind(
            listener,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="improveflow replies",
        )

    return factory


async def serve(
    handle: MessageHandler,
    *,
    host: str,
    port: int,
    lmtp: bool = False,
    max_bytes: int,
    started: Callable[[str, int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Listen on host:port until `stop` is set (for ever, when not given)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        make_server(handle, lmtp=lmtp, max_bytes=max_bytes), host=host, port=port
    )
    bound = server.sockets[0].getsockname()
    if started is not None:
        started(str(bound[0]), int(bound[1]))
    async with server:
        if stop is None:
            await server.serve_forever()
        else:
            await stop.wait()
