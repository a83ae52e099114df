"""`/demo/mail`: the emails the demo's SMTP server caught, with their links made clickable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from improveflow.testing_smtp import CapturingSmtpServer

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
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


def mail_router(smtp: CapturingSmtpServer) -> APIRouter:
    router = APIRouter()

    @router.get("/demo/mail", response_class=HTMLResponse)
    def demo_mail(request: Request) -> HTMLResponse:
        messages: list[dict[str, Any]] = []
        for received in reversed(smtp.received):
            message = received.message
            body = message.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            messages.append(
                {
                    "subject": message["Subject"],
                    "to": ", ".join(received.recipients),
                    "date": message["Date"],
                    "body_html": linked(text),
                }
            )
        page = _TEMPLATES.get_template("mail.html").render(messages=messages)
        return HTMLResponse(page)

    return router
