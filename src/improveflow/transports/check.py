"""The mail check: whether email would leave with the configured transport, step by step.

For OAuth it first gets a token and reads which permissions it carries; then it opens the
transport (connects and logs in, or checks the Notify key and template); then, if asked, it sends
one test email. The first step that fails ends the check, with its explanation.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

from improveflow.config import Settings
from improveflow.notify.message import OutgoingEmail, build_message
from improveflow.notify.render import RenderedEmail
from improveflow.transports.base import Cause, DeliveryFailure, Stage, TransportUnavailable
from improveflow.transports.diagnosis import Explanation, explain
from improveflow.transports.factory import TransportFactory
from improveflow.transports.graph import GraphTransport
from improveflow.transports.notify import NotifyTransport
from improveflow.transports.oauth import granted_roles

__all__ = ["CheckReport", "Step", "check_email", "check_mail"]

# The application permission each transport's token must carry.
_NEEDED_ROLE = {"graph": "Mail.Send", "smtp": "SMTP.SendAsApp"}
_LABELS = {
    "smtp": "SMTP",
    "graph": "Microsoft Graph",
    "notify": "GOV.UK Notify",
}


@dataclass(frozen=True)
class Step:
    """One thing checked: whether it worked, what was seen, and, if not, what to change."""

    title: str
    ok: bool
    detail: str
    explanation: Explanation | None = None
    cause: Cause | None = None


@dataclass
class CheckReport:
    """Every step taken, and notes that are worth knowing but are not failures."""

    transport: str
    target: str
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)


def _target(settings: Settings) -> str:
    if settings.mail_transport == "graph":
        return f"{settings.graph_url} as {settings.mailbox}"
    if settings.mail_transport == "notify":
        return f"{settings.notify_base_url}, template {settings.notify_template_id}"
    login = {"password": "with a password", "oauth2": "with OAuth", "none": "without a login"}
    return (
        f"{settings.smtp_host}:{settings.smtp_port} {login[settings.smtp_login]}, "
        f"as {settings.mailbox}"
    )


async def check_mail(
    settings: Settings, *, send_test: str | None = None, now: datetime
) -> CheckReport:
    """Check the configured transport; send one test email to `send_test` if given."""
    report = CheckReport(_LABELS[settings.mail_transport], _target(settings))
    factory = TransportFactory(settings)

    def failed(title: str, failure: DeliveryFailure) -> CheckReport:
        report.steps.append(
            Step(title, False, failure.reason, explain(failure, settings), failure.cause)
        )
        return report

    if factory.tokens is not None:
        try:
            token = await factory.tokens.token()
        except DeliveryFailure as failure:
            return failed("Access token", failure)
        report.steps.append(
            Step(
                "Access token",
                True,
                f"{settings.oauth_token_endpoint} issued a token for {factory.tokens.scope}",
            )
        )
        needed = _NEEDED_ROLE[settings.mail_transport]
        roles = granted_roles(token)
        if roles is None:
            report.notes.append(
                "The token's permissions could not be read; the server checks them when sending."
            )
        elif needed not in roles:
            granted = ", ".join(sorted(roles)) or "none"
            return failed(
                "Permission",
                TransportUnavailable(
                    f"the token carries no {needed} permission (it carries: {granted})",
                    stage=Stage.TOKEN,
                    cause=Cause.PERMISSION_MISSING,
                ),
            )
        else:
            report.steps.append(Step("Permission", True, f"the token carries {needed}"))

    transport = factory(1)
    try:
        await transport.open()
    except DeliveryFailure as failure:
        await transport.close()
        return failed(_open_title(settings), failure)
    try:
        report.steps.append(Step(_open_title(settings), True, _opened(settings)))
        if send_test is None:
            if isinstance(transport, GraphTransport):
                report.notes.append(
                    "Microsoft Graph checks the mailbox and its permissions only when sending: "
                    "add --send-test ADDRESS to be sure."
                )
            return report
        message = check_email(settings, send_test, now=now)
        try:
            await transport.send(
                message,
                sender=settings.mailbox,
                recipient=send_test,
                reference=f"mail-check-{now:%Y%m%dT%H%M%S}",
            )
        except DeliveryFailure as failure:
            return failed("Test email", failure)
        report.steps.append(Step("Test email", True, f"sent to {send_test} as {settings.mailbox}"))
        if isinstance(transport, NotifyTransport):
            report.notes.append(
                "Notify accepted the test email. With a test API key Notify delivers nothing: "
                "if it does not arrive, check that IMPROVEFLOW_NOTIFY_API_KEY is a live key."
            )
        return report
    finally:
        await transport.close()


def _open_title(settings: Settings) -> str:
    return {
        "smtp": "Connect and log in",
        "graph": "Microsoft Graph",
        "notify": "Notify key and template",
    }[settings.mail_transport]


def _opened(settings: Settings) -> str:
    if settings.mail_transport == "notify":
        return "the key is accepted and the template has ((subject)) and ((body))"
    if settings.mail_transport == "graph":
        return "ready to send with the token"
    how = {"password": "logged in", "oauth2": "logged in with the token", "none": "connected"}
    return f"{how[settings.smtp_login]} to {settings.smtp_host}:{settings.smtp_port}"


def check_email(settings: Settings, address: str, *, now: datetime) -> OutgoingEmail:
    """The test email: short, saying what sent it and that nothing needs doing.

    Raises InvalidValue for an address that is not one.
    """
    moment = f"{now:%d %B %Y at %H:%M} UTC"
    text = (
        "This is a test email from improveflow's mail check, sent on "
        f"{moment} through {_LABELS[settings.mail_transport]}.\n\n"
        "If you can read it, improveflow can send email to this address. "
        "Nothing needs doing, and there is no need to reply.\n"
    )
    paragraphs = "".join(f"<p>{html.escape(part)}</p>" for part in text.strip().split("\n\n"))
    rendered = RenderedEmail(
        subject="improveflow mail check", text=text, html=f"<html><body>{paragraphs}</body></html>"
    )
    domain = settings.mailbox.rpartition("@")[2] or "localhost"
    return build_message(
        rendered,
        sender=settings.smtp_from,
        recipient_email=address,
        recipient_name="",
        message_id_domain=domain,
        idempotency_key=f"mail-check:{now.isoformat()}",
        list_unsubscribe_url=f"{settings.base_url.rstrip('/')}/preferences",
        sent_at=now,
        reply_to=settings.smtp_reply_to,
    )
