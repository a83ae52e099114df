"""An email's HTML for the demo's mail page to frame, with a policy of its own.

The app's pages may not be framed at all and allow no inline style, which is right for them
and wrong for an email: its HTML is styled inline (as mail clients need) and is shown inside
the mail page. So `/demo/mail/{n}/body` is answered here, in front of the app, with headers
that let only this site frame it, let its inline styles and embedded images show, run nothing
(no script, no plugin, no form) and sandbox it; the frame is sandboxed by its page as well.
A link in the email, when clicked, opens in the whole window, as a mail client opens a browser.
"""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from improveflow.demo import mailbox
from improveflow.testing.smtp import CapturingSmtpServer

BODY_PATH = re.compile(r"^/demo/mail/(\d{1,9})/body$")
BODY_POLICY = (
    "default-src 'none'; script-src 'none'; object-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-top-navigation-by-user-activation"
)
_HEADERS = {
    "Content-Security-Policy": BODY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
_OPEN_IN_WINDOW = '<base target="_top">'


def framed_html(html: str) -> str:
    """The email's HTML with its links set to open in the whole window, not the frame."""
    found = _HEAD.search(html)
    if found is None:
        return _OPEN_IN_WINDOW + html
    return html[: found.end()] + _OPEN_IN_WINDOW + html[found.end() :]


class MailBodies:
    """Answers GET /demo/mail/{n}/body itself; everything else goes on to `app`."""

    def __init__(self, app: ASGIApp, smtp: CapturingSmtpServer) -> None:
        self.app = app
        self.smtp = smtp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = BODY_PATH.match(str(scope.get("path", ""))) if scope["type"] == "http" else None
        if found is None or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        response = self._body(int(found.group(1)))
        await response(scope, receive, send)

    def _body(self, number: int) -> Response:
        received = self.smtp.received
        if not 1 <= number <= len(received):
            return Response("No such email", status_code=404, headers=_HEADERS)
        mail = mailbox.mail_number(self.smtp, number)
        if mail.html is None:
            return Response("This email has no HTML part", status_code=404, headers=_HEADERS)
        return Response(framed_html(mail.html), media_type="text/html", headers=_HEADERS)
