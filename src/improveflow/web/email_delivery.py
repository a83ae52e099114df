"""Whether email is getting out: a page for administrators, and `/healthz` and `/metrics` for
monitoring, which nobody signs in to and which name nobody.

All three read the same facts (services.delivery.health). `/healthz` answers 200 when email is
getting out and 503 when it is failing or stuck, or the database cannot be reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from improveflow import exceptions
from improveflow.models import OutboxStatus, Role
from improveflow.notify.delivery_health import DeliveryHealth, Problem
from improveflow.notify.spans import describe_span
from improveflow.services import delivery
from improveflow.web.pages import page
from improveflow.web.state import ViewerDep, WebDep

router = APIRouter()

# How many failed, and superseded, emails the page lists.
LISTED = 20
# What each email template is, said for the page.
EMAIL_KINDS = {
    "reminder": "Reminder of a target date",
    "progress_prompt": "Request for a progress update",
    "escalation": "Escalation",
    "no_progress": "No progress update for a while",
    "digest": "Several things at once (a digest)",
    "approval_needed": "Request for a decision",
    "decision": "Decision on a request",
    "sign_in": "Sign-in link",
}
_UNREACHABLE = {"status": "failing", "problems": ["database_unreachable"]}


@router.get("/healthz")
def healthz(web: WebDep) -> JSONResponse:
    """200 when email is getting out, 503 when not; the facts as JSON either way."""
    try:
        found = delivery.health(web.ctx)
    except sa.exc.DBAPIError:
        return JSONResponse(_UNREACHABLE, status_code=503)
    return JSONResponse(found.as_json(public=True), status_code=200 if found.healthy else 503)


@router.get("/metrics")
def metrics(web: WebDep) -> Response:
    """The same facts in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    try:
        found: DeliveryHealth | None = delivery.health(web.ctx)
    except sa.exc.DBAPIError:
        found = None
    registry.register(_DeliveryCollector(found))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class _DeliveryCollector:
    """Gauges made from one reading of the facts, at scrape time."""

    def __init__(self, health: DeliveryHealth | None) -> None:
        self.health = health

    def collect(self) -> Iterator[Metric]:
        health = self.health
        yield _gauge("improveflow_database_up", "1 when the database answered.", health is not None)
        if health is None:
            return
        yield _gauge("improveflow_email_ok", "1 when email is getting out.", health.healthy)
        problems = GaugeMetricFamily(
            "improveflow_email_problem",
            "1 for each problem email has now (mail_failing, mail_stuck).",
            labels=["problem"],
        )
        for problem in Problem:
            problems.add_metric([problem.value], float(problem in health.problems))
        yield problems
        for name, help_text, value in (
            ("outbox_queued_emails", "Emails waiting to go, due or not.", health.queued),
            ("outbox_due_emails", "Emails waiting to go that are due now.", health.due),
            ("outbox_retrying_emails", "Emails waiting after a failed attempt.", health.retrying),
            ("outbox_failed_emails", "Emails that failed: refused, or never sent.", health.failed),
            ("outbox_superseded_emails", "Emails not sent: no longer needed.", health.superseded),
            (
                "outbox_last_error_emails",
                "Emails not sent whose latest attempt failed with the last error.",
                health.last_error_count,
            ),
        ):
            yield _gauge(f"improveflow_{name}", help_text, value)
        age = health.oldest_due_age
        if age is not None:
            yield _gauge(
                "improveflow_outbox_oldest_queued_age_seconds",
                "How long the longest-waiting due email has waited.",
                age.total_seconds(),
            )
        for name, help_text, at in (
            ("last_sent", "When an email was last sent.", health.last_sent_at),
            ("last_error", "When an attempt last failed.", health.last_error_at),
        ):
            if at is not None:
                yield _gauge(
                    f"improveflow_outbox_{name}_timestamp_seconds", help_text, at.timestamp()
                )


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=float(value))


@router.get("/admin/email")
def email_delivery_page(request: Request, web: WebDep, viewer: ViewerDep) -> Response:
    """The facts, what they mean, and the emails that failed or were set aside."""
    if Role.ADMIN.value not in viewer.roles:
        raise exceptions.NotAllowedToView(
            "The email delivery page is for administrators. Ask one if email seems not to "
            "be arriving."
        )
    found = delivery.health(web.ctx)
    values: dict[str, Any] = {
        "health": found,
        "oldest_age": _span(found.oldest_due_age),
        "sent_ago": _span(found.checked_at - found.last_sent_at) if found.last_sent_at else None,
        "failed": delivery.listed(web.ctx, limit=LISTED, status=OutboxStatus.FAILED),
        "superseded": delivery.listed(web.ctx, limit=LISTED, status=OutboxStatus.SUPERSEDED),
        "listed": LISTED,
        "kinds": EMAIL_KINDS,
    }
    return page(request, web, "email_delivery.html", values, viewer=viewer)


def _span(value: Any) -> str | None:
    return describe_span(value) if value is not None else None
