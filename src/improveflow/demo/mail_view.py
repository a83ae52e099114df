"""`/demo/mail`: the demo's mailbox, read as in a mail client.

A list of every email (when, to whom, subject) with a filter by recipient; each email on a
page of its own, its HTML in a sandboxed frame (served by demo/mail_body.py with a policy of
its own) and its plain text one click away; and each one downloadable as an .eml file.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup, escape

from improveflow.demo import mailbox
from improveflow.services.sessions import Viewer
from improveflow.testing.smtp import CapturingSmtpServer
from improveflow.web.pages import make_templates, page
from improveflow.web.state import MaybeViewer, WebDep, WebState

_LINK = re.compile(r"https?://[^\s<>&\"]+(?:&amp;[^\s<>&\"]+)*")


def linked(text: str) -> Markup:
    """The text, escaped, as paragraphs, with each web address turned into a link."""
    paragraphs = []
    for paragraph in text.strip().split("\n\n"):
        safe = str(escape(paragraph)).replace("\n", "<br>")
        paragraphs.append(
            "<p>" + _LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', safe) + "</p>"
        )
    return Markup("\n".join(paragraphs))


def _templates() -> Environment:
    """The app's templates and filters, with the demo's pages in front of them."""
    env = make_templates()
    assert env.loader is not None
    env.loader = ChoiceLoader([FileSystemLoader(Path(__file__).parent / "templates"), env.loader])
    env.filters["linked"] = linked
    return env


def eml_name(mail: mailbox.Mail) -> str:
    return f"improveflow-demo-email-{mail.number}.eml"


def mail_router(smtp: CapturingSmtpServer) -> APIRouter:
    router = APIRouter()
    templates = _templates()

    def demo_page(
        request: Request,
        web: WebState,
        viewer: Viewer | None,
        template: str,
        values: dict[str, object],
    ) -> Response:
        return page(
            request,
            replace(web, templates=templates),
            template,
            values,
            viewer=viewer,
            forms=viewer is not None,  # only the signed-in header has a form
        )

    @router.get("/demo/mail")
    def mail_list(
        request: Request,
        web: WebDep,
        viewer: MaybeViewer,
        to: Annotated[str, Query(max_length=320)] = "",
    ) -> Response:
        everyone = mailbox.recipients(smtp)
        chosen = to.strip().lower() if to.strip().lower() in everyone else ""
        return demo_page(
            request,
            web,
            viewer,
            "mail.html",
            {
                "mails": mailbox.newest_first(smtp, chosen or None),
                "recipients": everyone,
                "to": chosen,
                "total": smtp.count,
            },
        )

    # Before /demo/mail/{number}, which would otherwise take "3.eml" as a number and fail.
    @router.get("/demo/mail/{number}.eml")
    def mail_eml(number: int) -> Response:
        mail = mailbox.mail_number(smtp, number)
        return Response(
            mail.raw,
            media_type="message/rfc822",
            headers={"Content-Disposition": f'attachment; filename="{eml_name(mail)}"'},
        )

    @router.get("/demo/mail/{number}")
    def mail_message(request: Request, web: WebDep, viewer: MaybeViewer, number: int) -> Response:
        mail = mailbox.mail_number(smtp, number)
        return demo_page(
            request,
            web,
            viewer,
            "mail_message.html",
            {"mail": mail, "part": "html" if mail.html else "text", "eml": eml_name(mail)},
        )

    @router.get("/demo/mail/{number}/text")
    def mail_text(request: Request, web: WebDep, viewer: MaybeViewer, number: int) -> Response:
        mail = mailbox.mail_number(smtp, number)
        return demo_page(
            request,
            web,
            viewer,
            "mail_message.html",
            {"mail": mail, "part": "text", "eml": eml_name(mail)},
        )

    return router
