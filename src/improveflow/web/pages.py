"""Rendering pages: the site's Jinja2 environment, its page-only filters, and responses.

The environment's rules and date filters are the emails' too (see improveflow.templating), so a
day reads the same on a page as in the email that links to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader

from improveflow import templating
from improveflow.notify.wording import humanise
from improveflow.services.sessions import Viewer

# Re-exported: the web's own modules have long imported these date words from here.
from improveflow.templating import moment as moment
from improveflow.templating import short_date as short_date
from improveflow.web.state import WebState, form_token, remember_form_cookie

RAG_LABELS = {"green": "Green", "amber": "Amber", "red": "Red", "none": "Not given"}


@dataclass(frozen=True)
class FieldError:
    """One problem with what was sent, shown in the error summary and next to its field."""

    field: str  # the id of the field it is about ("" for the form as a whole)
    message: str


class FormValues(dict[str, str]):
    """What a form sent, to show again beside its errors; a field not sent reads as ''."""

    def __missing__(self, key: str) -> str:
        return ""


def rag_label(value: str | None) -> str:
    return RAG_LABELS.get(value or "none", value or "")


# Why an action is on the escalation table, as the emails say it.
_ESCALATION_REASONS = {
    "overdue": "Past its target date",
    "rag_red": "Rated red",
    "stalled": "No progress update",
}


def escalation_reason(reason: str) -> str:
    return _ESCALATION_REASONS.get(reason, humanise(reason))


def make_templates() -> Environment:
    """The environment for the site's templates, with the page-only filters beside the dates."""
    env = templating.environment(PackageLoader("improveflow.web", "templates"))
    env.filters.update(
        humanise=humanise,
        rag_label=rag_label,
        escalation_reason=escalation_reason,
    )
    return env


def page(
    request: Request,
    web: WebState,
    template: str,
    values: Mapping[str, Any] | None = None,
    *,
    viewer: Viewer | None = None,
    status: int = 200,
    errors: list[FieldError] | None = None,
    forms: bool = True,
) -> HTMLResponse:
    """Render `template` with the viewer, their form token and any errors.

    `forms=False` for a page with no form at all: it then needs no token (nor a cookie).
    """
    if viewer is None:
        viewer = getattr(request.state, "viewer", None)
    context = {
        "viewer": viewer,
        "csrf_token": form_token(request, web, viewer) if forms else "",
        "errors": errors or [],
        "path": request.url.path,
        **(values or {}),
    }
    context["form"] = FormValues(context.get("form") or {})
    response = HTMLResponse(web.templates.get_template(template).render(context), status)
    remember_form_cookie(request, response, web)
    return response


def message(
    request: Request,
    web: WebState,
    title: str,
    paragraphs: list[str],
    *,
    status: int,
    links: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    """A page that explains something: a refusal, a problem with a link, a missing page."""
    return page(
        request,
        web,
        "message.html",
        {"title": title, "paragraphs": paragraphs, "links": links or []},
        status=status,
        # Its only form is the signed-in header's: a visitor needs no form cookie for it.
        forms=getattr(request.state, "viewer", None) is not None,
    )


def redirect(path: str, **query: str | int | None) -> RedirectResponse:
    """A 303 to one of our own pages, so a POST is never repeated by a reload."""
    given = {key: value for key, value in query.items() if value not in (None, "")}
    suffix = f"?{urlencode(given)}" if given else ""
    return RedirectResponse(path + suffix, status_code=303)


def local_path(candidate: str | None, default: str = "/") -> str:
    """`candidate` if it is a path on this site (never another site's address), else default."""
    if (
        not candidate
        or not candidate.startswith("/")
        or candidate.startswith("//")
        or "\\" in candidate
        or any(ord(ch) < 32 for ch in candidate)
    ):
        return default
    return candidate
