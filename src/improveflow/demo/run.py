"""Running the demo: a fresh database, a sample council, a local mail catcher, the web app.

With a fast-forward, the plan is imported as of that long ago and the sweep and dispatch run
once a simulated working morning up to today, so reminders, prompts and escalations are
already there when the page opens.
"""

from __future__ import annotations

import re
import secrets
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from starlette.types import ASGIApp

from improveflow import exceptions, schema
from improveflow.calendar import LONDON, as_london
from improveflow.clock import FrozenClock, SystemClock
from improveflow.config import load_settings
from improveflow.demo.sample import PEOPLE, plan_text
from improveflow.services import importing, people, sweep
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.testing.smtp import CapturingSmtpServer

_SPAN = re.compile(r"^\s*(\d+)\s*([dw])\s*$")


def parse_span(text: str) -> timedelta:
    """'90d' or '12w' as a timedelta."""
    found = _SPAN.match(text.lower())
    if found is None:
        raise exceptions.InvalidValue(f"'{text}' is not a span of days or weeks such as 90d or 12w")
    number, unit = int(found.group(1)), found.group(2)
    return timedelta(days=number) if unit == "d" else timedelta(weeks=number)


def prepare(
    folder: Path, smtp: CapturingSmtpServer, port: int, fast_forward: timedelta | None
) -> Context:
    """The demo's context: database, people and plan ready, the simulated time run through."""
    now = SystemClock().now()
    start = now - fast_forward if fast_forward else now
    clock = FrozenClock(start)
    settings = load_settings(
        database_url=f"sqlite:///{folder / 'demo.db'}",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="improveflow-demo@demo.council.example",
        secret_key=secrets.token_urlsafe(32),
        base_url=f"http://127.0.0.1:{port}",
    )
    ctx = Context.build(settings, clock)
    schema.upgrade_to_head(ctx.database)
    people.import_people(ctx, PEOPLE)
    plan_file = folder / "demo_peer_challenge_plan.txt"
    plan_file.write_text(plan_text(as_london(start).date()), encoding="utf-8")
    importing.import_plan_files(ctx, [plan_file], importing.ImportOptions())
    _run_until(ctx, clock, start, now)
    ctx.clock = SystemClock()
    return ctx


def _run_until(ctx: Context, clock: FrozenClock, start: datetime, end: datetime) -> None:
    """Sweep and send each simulated morning (and once now), as the scheduler would have."""
    day: date = as_london(start).date()
    while True:
        morning = datetime(day.year, day.month, day.day, 9, 30, tzinfo=LONDON)
        if morning > end:
            break
        if morning >= start:
            _tick(ctx, clock, morning)
        day += timedelta(days=1)
    _tick(ctx, clock, end)


def _tick(ctx: Context, clock: FrozenClock, moment: datetime) -> None:
    clock.set(moment)
    sweep.sweep(ctx, now=moment)
    sweep.queue_due_notices(ctx, now=moment)
    send_due(ctx, moment)


def demo_app(ctx: Context, smtp: CapturingSmtpServer) -> ASGIApp:
    """The web app with the demo's mailbox: its pages, and the emails' HTML in front."""
    from improveflow.demo.mail_body import MailBodies
    from improveflow.demo.mail_view import mail_router
    from improveflow.web.app import create_app

    return MailBodies(create_app(ctx, [mail_router(smtp)]), smtp)


def run_demo(port: int, fast_forward: timedelta | None, announce: object = print) -> None:
    """Prepare the demo and serve it, with the scheduler beside it, until interrupted."""
    import uvicorn

    from improveflow.scheduler import build_scheduler

    with (
        tempfile.TemporaryDirectory(prefix="improveflow-demo-") as folder,
        CapturingSmtpServer(keep=True) as smtp,
    ):
        ctx = prepare(Path(folder), smtp, port, fast_forward)
        url = f"http://127.0.0.1:{port}"
        assert callable(announce)
        announce(
            f"improveflow demo running: start at {url}/demo/mail\n"
            f"  (the emails it has sent, with working links; the plans are at {url}/plans)\n"
            "  stop with Ctrl+C"
        )
        config = uvicorn.Config(
            demo_app(ctx, smtp), host="127.0.0.1", port=port, server_header=False, lifespan="off"
        )
        scheduler = build_scheduler(ctx, blocking=False)
        scheduler.start()
        try:
            uvicorn.Server(config).run()
        finally:
            scheduler.shutdown(wait=False)
            ctx.close()
