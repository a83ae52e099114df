"""A council whose owners answer by email: reply settings, a reminder queued for Owen's action
in progress, and the reply address its email carries."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from improveflow.calendar import LONDON, WorkingCalendar
from improveflow.clock import FrozenClock
from improveflow.models import ApprovalRequest, InboundReply, Notice, Outbox, ProgressUpdate
from improveflow.services import bundling, notices, people, replies
from improveflow.services import sign_in as sign_in_service
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.stores import actions
from improveflow.stores import people as people_store
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.testing.smtp import CapturingSmtpServer
from improveflow.web.app import create_app
from tests.web.web_helpers import CERI, follow, start_action

SECRET = "a-test-secret-for-reply-addresses"
REPLY_ADDRESS = "improvement@council.example"
OWEN = "owen@council.example"


def with_replies(ctx: Context, **changes: Any) -> Context:
    """`ctx` with reply addresses on (and whatever else `changes` sets)."""
    settings = ctx.settings.model_copy(
        update={
            "secret_key": SECRET,
            "reply_address": REPLY_ADDRESS,
            "base_url": "https://plans.council.example",
            **changes,
        }
    )
    return Context(
        settings=settings, database=ctx.database, workflows=ctx.workflows, clock=ctx.clock
    )


@dataclass(frozen=True)
class RepliesCouncil:
    ctx: Context
    action_id: int  # in progress, owned by Owen, with no progress yet
    second_id: int  # also Owen's, in progress

    def person_id(self, email: str) -> int:
        with self.ctx.database.reading() as session:
            found = people_store.person_by_email(session, email)
            assert found.id is not None
            return found.id


def recent_working_morning() -> FrozenClock:
    """A clock at 10:00 on the last working day before today: reply addresses made then are
    still in date for a command, which reads the real clock."""
    day = datetime.now(LONDON).date() - timedelta(days=1)
    while not WorkingCalendar().is_working_day(day):
        day -= timedelta(days=1)
    return FrozenClock(datetime(day.year, day.month, day.day, 10, tzinfo=LONDON).astimezone(UTC))


def mail_council(database_url: str, smtp: CapturingSmtpServer, base_url: str) -> RepliesCouncil:
    """A council on `database_url` sending through `smtp`, its clock a recent working morning."""
    ctx = make_context(
        database_url,
        clock=recent_working_morning(),
        secret_key=SECRET,
        base_url=base_url,
        reply_address=REPLY_ADDRESS,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="plans@council.example",
    )
    return replies_council(ctx)


def command_env(council: RepliesCouncil, **more: str) -> dict[str, str]:
    """The environment `improveflow` runs in for this council (its database and settings)."""
    env = dict(os.environ)
    env.update(
        IMPROVEFLOW_DATABASE_URL=council.ctx.settings.database_url,
        IMPROVEFLOW_SECRET_KEY=SECRET,
        IMPROVEFLOW_REPLY_ADDRESS=REPLY_ADDRESS,
        IMPROVEFLOW_BASE_URL=council.ctx.settings.base_url,
        **more,
    )
    return env


def replies_council(ctx: Context) -> RepliesCouncil:
    add_sample_people(ctx)
    people.import_people(ctx, [CERI])
    plan_id = add_plan(ctx)
    # Months ahead of the context's clock, whatever it is set to.
    today = ctx.clock.now().date()
    action_id = add_action(
        ctx, plan_id, "Improve housing repairs", target=today + timedelta(days=120)
    )
    start_action(ctx, action_id)
    second_id = add_action(
        ctx, plan_id, "Publish the asset review", target=today + timedelta(days=150)
    )
    start_action(ctx, second_id)
    return RepliesCouncil(ctx, action_id, second_id)


def queue_reminders(ctx: Context, person_id: int, *action_ids: int) -> int:
    """Reminders about `action_ids` bundled into one email for `person_id`; its outbox id."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        for action_id in action_ids:
            notices.add(
                session,
                key=f"{notices.REMINDER}:{action_id}:test",
                kind=notices.REMINDER,
                person_id=person_id,
                action_id=action_id,
                due_at=now,
                now=now,
            )
    bundling.bundle_due_by_page(ctx, now)
    with ctx.database.reading() as session:
        found = session.exec(
            select(Notice.outbox_id).where(
                Notice.idempotency_key == f"{notices.REMINDER}:{action_ids[0]}:test"
            )
        ).first()
        assert found is not None
        return found


def reply_address(ctx: Context, person_id: int, email_id: int) -> str:
    addresses = replies.reply_addresses(ctx)
    assert addresses is not None
    return addresses.address(person_id, email_id, ctx.clock.now())


def progress_of(ctx: Context, action_id: int) -> list[tuple[str, str | None]]:
    with ctx.database.reading() as session:
        found = session.exec(
            select(ProgressUpdate.text, ProgressUpdate.rag)
            .where(ProgressUpdate.action_id == action_id)
            .order_by(ProgressUpdate.id)  # type: ignore[arg-type]
        ).all()
        return [(text, rag) for text, rag in found]


def requests_of(ctx: Context, action_id: int) -> list[tuple[str, str, str | None]]:
    """The action's requests since it was started: (transition, status, reason)."""
    with ctx.database.reading() as session:
        found = session.exec(
            select(
                ApprovalRequest.transition, ApprovalRequest.status, ApprovalRequest.reason
            ).where(ApprovalRequest.action_id == action_id, ApprovalRequest.transition != "approve")
        ).all()
        return [(transition, status, reason) for transition, status, reason in found]


def state_of(ctx: Context, action_id: int) -> tuple[str, str | None]:
    with ctx.database.reading() as session:
        action = actions.action_by_id(session, action_id)
        return action.state, action.rag


@dataclass(frozen=True)
class Answer:
    recipient_email: str
    context: dict[str, Any]


def answers(ctx: Context) -> list[Answer]:
    """The polite answers queued, oldest first."""
    with ctx.database.reading() as session:
        found = session.exec(
            select(Outbox.recipient_email, Outbox.context)
            .where(Outbox.template == replies.REFUSED_TEMPLATE)
            .order_by(Outbox.id)  # type: ignore[arg-type]
        ).all()
        return [Answer(email, dict(context)) for email, context in found]


@dataclass(frozen=True)
class Kept:
    outcome: str
    reason: str | None


def kept_replies(ctx: Context) -> list[Kept]:
    with ctx.database.reading() as session:
        found = session.exec(select(InboundReply.outcome, InboundReply.reason)).all()
        return [Kept(outcome, reason) for outcome, reason in found]


def reminder_reply_to(council: RepliesCouncil, smtp: CapturingSmtpServer) -> str:
    """Send Owen a reminder through the loopback server; the Reply-To it arrived with."""
    ctx = council.ctx
    queue_reminders(ctx, council.person_id(OWEN), council.action_id)
    send_due(ctx, now=ctx.clock.now())
    [reminder] = [m.message for m in smtp.to(OWEN) if "Reminder" in str(m.message["Subject"])]
    text = reminder.get_body(preferencelist=("plain",))
    assert text is not None
    assert "You can answer by replying to this email" in text.get_content()
    reply_to = str(reminder["Reply-To"])
    assert reply_to.startswith("improvement+")
    assert reply_to.endswith("@council.example")
    return reply_to


def action_page(ctx: Context, action_id: int, person_id: int) -> str:
    with TestClient(create_app(ctx), base_url=ctx.settings.base_url) as client:
        follow(client, sign_in_service.signer(ctx).sign_in_link(person_id))
        page = client.get(f"/actions/{action_id}")
        assert page.status_code == 200
        return page.text
