"""`improveflow inbound serve` and `inbound poll`: owners' replies by email, read and recorded.

Both hand each message to `services.replies`, which records it or answers why not.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from improveflow import exceptions
from improveflow.cli.common import context_of, out, reports_refusals, sub_app
from improveflow.services.context import Context

if TYPE_CHECKING:
    from improveflow.services.replies import ReplyResult

inbound_app = sub_app("Replies by email: owners answer reminders by replying to them.")


def _replies_context(ctx: typer.Context) -> Context:
    # Imported here: reading replies loads a reply parser no other command needs.
    from improveflow.services import replies

    context = context_of(ctx)
    if replies.reply_addresses(context) is None:
        raise exceptions.ConfigurationError(
            "IMPROVEFLOW_REPLY_ADDRESS must be set (for example improvement@council.gov.uk) "
            "so that emails carry reply addresses and replies can be read"
        )
    return context


def _said(result: ReplyResult) -> str:
    about = f" (action {result.action_id})" if result.action_id else ""
    why = f": {result.reason}" if result.reason and result.outcome != "recorded" else ""
    answered = "; answered" if result.answered else ""
    return f"{result.outcome} {result.message_id}{about}{why}{answered}"


@inbound_app.command("serve")
@reports_refusals
def inbound_serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 2525,
    lmtp: Annotated[
        bool, typer.Option("--lmtp", help="Speak LMTP (from a local mail server) instead of SMTP.")
    ] = False,
) -> None:
    """Receive replies over SMTP (or LMTP) and record them, until interrupted."""
    from improveflow.inbound.listener import serve  # the listener only when serving
    from improveflow.services import replies

    context = _replies_context(ctx)

    def handle(data: bytes, sender: str, recipients: tuple[str, ...]) -> None:
        result = replies.handle_reply(
            context, data, envelope_sender=sender, envelope_recipients=recipients
        )
        out.print(_said(result), markup=False, soft_wrap=True)

    def started(bound_host: str, bound_port: int) -> None:
        kind = "LMTP" if lmtp else "SMTP"
        out.print(f"Reading replies by {kind} on {bound_host}:{bound_port}", markup=False)

    try:
        asyncio.run(
            serve(
                handle,
                host=host,
                port=port,
                lmtp=lmtp,
                max_bytes=context.settings.reply_max_bytes,
                started=started,
            )
        )
    except KeyboardInterrupt:
        out.print("Stopped.", markup=False)
    finally:
        context.close()


@inbound_app.command("poll")
@reports_refusals
def inbound_poll(ctx: typer.Context) -> None:
    """Read the shared mailbox once: record each reply and move it to the handled folder.

    The scheduler does this every few minutes when IMPROVEFLOW_IMAP_HOST is set.
    """
    from improveflow.services import reply_mailbox

    context = _replies_context(ctx)
    try:
        report = reply_mailbox.poll_replies(context)
    finally:
        context.close()
    out.print(f"{report.handled} handled, {report.left} left for the next poll", markup=False)
    for problem in report.errors:
        out.print(f"Not handled: {problem}", markup=False, soft_wrap=True)
    if report.errors:
        raise typer.Exit(1)
