"""From the sweep to a real SMTP server: what an owner and an approver actually receive.

Each test reads the words of the messages as they arrived, in both parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from improveflow import resources
from improveflow.calendar import LONDON, as_london
from improveflow.clock import FrozenClock
from improveflow.links import LinkSigner
from improveflow.models import PlanKind, Rag, Verdict
from improveflow.services import approvals, delivery, plans, progress, sweep, views
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.testing.smtp import CapturingSmtpServer, ReceivedEmail

SECRET = "a-test-signing-key-of-some-length"
BASE = "https://plans.council.example"


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def mail_ctx(tmp_path: Path, smtp: CapturingSmtpServer) -> Iterator[Context]:
    clock = FrozenClock(datetime(2014, 7, 21, 12, 0, tzinfo=LONDON))  # a Monday
    context = make_context(
        f"sqlite:///{tmp_path / 'mail.db'}",
        clock=clock,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="improvement-plans@council.example",
        secret_key=SECRET,
        base_url=BASE,
    )
    add_sample_people(context)
    yield context
    context.close()


def _links(text: str) -> list[str]:
    return re.findall(r"https://plans\.council\.example/[^\s\"<>]+", text)


def test_owner_reminder_arrives_with_both_parts_and_working_links(
    mail_ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """The 5-working-day reminder reaches the owner as text and HTML, with a link that verifies."""
    clock = mail_ctx.clock
    assert isinstance(clock, FrozenClock)
    plan_id = add_plan(mail_ctx)
    action_id = add_action(
        mail_ctx, plan_id, "Extend medium term financial strategy", target=date(2014, 8, 29)
    )
    opened = approvals.request_change(
        mail_ctx, action_id, "approve", by_email="owen@council.example"
    )
    assert opened.request_id is not None
    approvals.decide(mail_ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")
    smtp.clear()
    when = datetime(2014, 8, 21, 9, 5, tzinfo=LONDON)
    clock.set(when)
    report = sweep.sweep(mail_ctx, now=when)
    assert [d.kind for d in report.decisions] == ["reminder"]
    sent = send_due(mail_ctx, now=when)
    reminders = [m for m in smtp.to("owen@council.example") if "Reminder" in m.message["Subject"]]
    assert len(reminders) == 1, [m.message["Subject"] for m in smtp.received]
    message = reminders[0].message
    assert message["Subject"] == (
        "Reminder: 'Extend medium term financial strategy' is due in 5 working days"
    )
    assert message["To"] == "Owen Marsh <owen@council.example>"
    assert message["List-Unsubscribe"].startswith(f"<{BASE}/unsubscribe?token=")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Friday 29 August 2014" in text
    assert "Friday 29 August 2014" in html
    signer = LinkSigner(SECRET, BASE, timedelta(days=14))
    action_links = [link for link in _links(text) if "/actions/" in link]
    assert action_links
    token = action_links[0].split("token=")[1]
    assert signer.verify(token, "action", when)["action"] == action_id
    assert sent.sent >= 1


def test_approval_request_reaches_each_member_and_decision_reaches_the_requester(
    mail_ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """Opening a request emails every CMT member but the requester; deciding emails the owner."""
    plan_id = add_plan(mail_ctx)
    action_id = add_action(mail_ctx, plan_id, "Publish the workforce plan")
    opened = approvals.request_change(
        mail_ctx, action_id, "approve", by_email="owen@council.example"
    )
    assert opened.request_id is not None
    now = mail_ctx.clock.now()
    sweep.queue_due_notices(mail_ctx, now=now)
    send_due(mail_ctx, now=now)
    to_cmt = sorted(r for m in smtp.received for r in m.recipients)
    assert to_cmt == ["dana@council.example", "sam@council.example"]
    approval = smtp.to("dana@council.example")[0].message
    assert approval["Subject"].startswith("Approval needed:")
    link = next(
        found
        for found in _links(approval.get_body(("plain",)).get_content())
        if "/approvals/" in found
    )
    assert f"/approvals/{opened.request_id}?token=" in link
    approvals.decide(mail_ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")
    sweep.queue_due_notices(mail_ctx, now=now)
    send_due(mail_ctx, now=now)
    decision = smtp.to("owen@council.example")[-1].message
    assert decision["Subject"].startswith("Approved:")
    assert "Dana Reeve" in decision.get_body(("plain",)).get_content()


# Helpers for the tests below ----------------------------------------------------------------

OWEN = "owen@council.example"
DANA = "dana@council.example"
SAM = "sam@council.example"
RUTH = "ruth@council.example"
PIA = "pia@peers.example"
PRIYA = "priya@council.example"


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def agreed(
    ctx: Context, plan_id: int, description: str, owner: str, decider: str, target: date | None
) -> int:
    """An action agreed by `decider` now, owned by `owner`."""
    action_id = add_action(ctx, plan_id, description, owner=owner, target=target)
    opened = approvals.request_change(ctx, action_id, "approve", by_email=owner)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=decider)
    return action_id


def tick(ctx: Context, when: datetime) -> None:
    """What the scheduler does at `when`: the sweep, then bundling and sending what is due."""
    assert isinstance(ctx.clock, FrozenClock)
    ctx.clock.set(when)
    sweep.sweep(ctx, now=when)
    delivery.deliver_due(ctx, when)


def parts(received: ReceivedEmail) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a message as it arrived."""
    message = received.message
    return (
        str(message["Subject"]),
        message.get_body(("plain",)).get_content().replace("\r\n", "\n"),
        message.get_body(("html",)).get_content().replace("\r\n", "\n"),
    )


def buttons(html: str) -> list[tuple[int, str]]:
    """The green buttons of an HTML part: (the action each opens, its words)."""
    found = re.findall(
        r'<a href="' + re.escape(BASE) + r'/actions/(\d+)\?token=[^"]+" '
        r'style="display:inline-block;[^"]*">([^<]+)</a>',
        html,
    )
    return [(int(action_id), words) for action_id, words in found]


# Escalations worded for each reader ------------------------------------------------------------


def test_one_sweeps_escalations_are_worded_for_each_recipients_role(
    mail_ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """Two actions escalated in one sweep reach the owner, a CMT member who owns the other, a
    Cabinet member and the peer-challenge lead, each worded for their role in each action;
    only an action's owner is asked to update it or given the button to."""
    plan_id = add_plan(mail_ctx)
    assert isinstance(mail_ctx.clock, FrozenClock)
    mail_ctx.clock.set(london(2014, 5, 29, 10, 0))
    workforce = agreed(
        mail_ctx, plan_id, "Publish the workforce plan", OWEN, DANA, date(2014, 5, 30)
    )
    strategy = agreed(
        mail_ctx, plan_id, "Extend the medium term financial strategy", DANA, SAM, date(2014, 5, 30)
    )
    tick(mail_ctx, london(2014, 5, 29, 10, 0))  # the requests and decisions go
    smtp.clear()
    # The scheduler was stopped for four weeks: its first sweep, on Friday 27 June, finds both
    # actions 20 working days late, and raises levels 1, 2 and 3 at once.
    tick(mail_ctx, london(2014, 6, 27, 9, 30))

    (to_owen,) = smtp.to(OWEN)
    subject, text, html = parts(to_owen)
    assert subject == "Overdue (level 3): 'Publish the workforce plan' is 20 working days late"
    assert text.startswith(
        "Dear Owen Marsh,\n\nYour action has been escalated. Add a progress update, or ask for "
        "a new target date if you need one.\n\nPublish the workforce plan\n"
        "Plan: Peer Challenge Improvement Plan\nTarget date: Friday 30 May 2014\n"
        "It is 20 working days late, so it has reached escalation level 3.\n"
    )
    assert f"Update this action:\n{BASE}/actions/{workforce}?token=" in text
    assert "For information" not in text
    assert "You are getting this email because you own this action." in text
    assert buttons(html) == [(workforce, "Update this action")]

    (to_dana,) = smtp.to(DANA)
    subject, text, html = parts(to_dana)
    assert subject == "Escalation: 2 actions are overdue, 1 of them yours"
    hers, others = text.split("\n\nFor information\n")
    assert hers.startswith(
        "Dear Dana Reeve,\n\nYour actions\nYour action has been escalated. Add a progress "
        "update, or ask for a new target date if you need one.\n\n"
        "Extend the medium term financial strategy\nPlan: Peer Challenge Improvement Plan\n"
        "Target date: Friday 30 May 2014\n"
        "It is 20 working days late, so it has reached escalation level 3.\n"
    )
    assert f"Update this action:\n{BASE}/actions/{strategy}?token=" in hers
    assert "Publish the workforce plan" not in hers
    assert others.startswith(
        "An action you do not own has been escalated. You do not need to do anything, but you "
        "may want to ask its owner about it.\n\nPublish the workforce plan\nOwner: Owen Marsh\n"
    )
    assert "It is 20 working days late, so it has reached escalation level 2." in others
    assert f"See this action:\n{BASE}/actions/{workforce}?token=" in others
    assert "Update this action" not in others
    assert (
        "You are getting this email because you own one of these actions, and because you are "
        "a member of the Corporate Management Team, which is told of escalations at level 2."
        in text
    )
    assert buttons(html) == [(strategy, "Update this action")]
    assert ">Your actions</h2>" in html
    assert ">For information</h2>" in html
    assert "An action you do not own has been escalated." in html
    assert f"{BASE}/actions/{workforce}?token=" in html

    for reader, told_as in (
        (RUTH, "you are a member of the Cabinet, which is told of escalations at level 3."),
        (PIA, "you are a peer-challenge lead, and peer-challenge leads are told of escalations "
              "at level 3."),
    ):  # fmt: skip
        (received,) = smtp.to(reader)
        subject, text, html = parts(received)
        assert subject == "Escalation (level 3): 2 actions are overdue"
        assert (
            "For information: 2 actions have been escalated. You do not need to do anything, "
            "but you may want to ask their owners about them." in text
        )
        assert "1. Publish the workforce plan\nOwner: Owen Marsh\n" in text
        assert "2. Extend the medium term financial strategy\nOwner: Dana Reeve\n" in text
        assert text.count("It is 20 working days late, so it has reached escalation level 3.") == 2
        assert "Your action" not in text
        assert "Update this action" not in text + html
        assert text.count("See this action:") == 2
        assert f"You are getting this email because {told_as}" in text
        assert buttons(html) == []

    for received in smtp.received:
        for words in parts(received):
            assert "level 0" not in words
            assert "slipped" not in words
            assert "2 of your actions" not in words


# Working days only -----------------------------------------------------------------------------


def test_nothing_is_raised_or_sent_at_a_weekend_or_on_a_bank_holiday(
    mail_ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """Ticking every morning, weekends and Christmas included, escalations are raised and
    emails sent only on working days, and each level arrives on the day the ladder says, with
    that day's count of working days in its subject."""
    plan_id = add_plan(mail_ctx)
    assert isinstance(mail_ctx.clock, FrozenClock)
    mail_ctx.clock.set(london(2026, 10, 1, 10, 0))
    # "October 2026" is Saturday 31 October, as councils write target dates.
    saturday_target = agreed(mail_ctx, plan_id, "Publish the workforce plan", OWEN, DANA,
                             date(2026, 10, 31))  # fmt: skip
    quiet = agreed(mail_ctx, plan_id, "Sell the former depot site", PRIYA, DANA, date(2027, 3, 31))
    christmas = agreed(mail_ctx, plan_id, "Agree the budget", DANA, SAM, date(2026, 12, 21))
    tick(mail_ctx, london(2026, 10, 1, 10, 0))
    day = date(2026, 10, 29)
    while day <= date(2027, 1, 5):
        if day == date(2026, 11, 28):  # a Saturday: the owner rates another action red
            mail_ctx.clock.set(london(2026, 11, 28, 8, 0))
            progress.record_progress(
                mail_ctx, quiet, "The buyer has withdrawn.", Rag.RED, by_email=PRIYA
            )
        if day == date(2026, 12, 25):  # Christmas Day: the owner asks to complete
            mail_ctx.clock.set(london(2026, 12, 25, 8, 0))
            approvals.request_change(mail_ctx, christmas, "start", by_email=DANA)
            progress.record_progress(mail_ctx, christmas, "Budget agreed.", None, by_email=DANA)
            approvals.request_change(mail_ctx, christmas, "complete", by_email=DANA)
        tick(mail_ctx, london(day.year, day.month, day.day, 9, 30))
        day += timedelta(days=1)

    days_off = {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)}
    sent_on = {as_london(received.message["Date"].datetime).date() for received in smtp.received}
    assert sent_on
    assert all(d.weekday() < 5 and d not in days_off for d in sent_on), sorted(sent_on)
    raised = {
        (row["action_id"], row["level"]): as_london(datetime.fromisoformat(row["raised_at"]))
        for row in views.escalation_rows(mail_ctx, open_only=False)
    }
    assert all(
        moment.weekday() < 5 and moment.date() not in days_off for moment in raised.values()
    ), raised
    assert raised[(saturday_target, 1)].date() == date(2026, 11, 2)  # Monday
    assert raised[(saturday_target, 2)].date() == date(2026, 11, 6)  # Friday, not Saturday
    assert raised[(saturday_target, 3)].date() == date(2026, 11, 27)
    assert raised[(quiet, 3)].date() == date(2026, 11, 30)  # rated red on Saturday
    assert raised[(christmas, 2)].date() == date(2026, 12, 30)  # 25th and 28th are holidays

    owen = {
        as_london(received.message["Date"].datetime).date(): parts(received)[0]
        for received in smtp.to(OWEN)
    }
    assert owen[date(2026, 11, 2)] == (
        "Overdue (level 1): 'Publish the workforce plan' is 1 working day late"
    )
    assert owen[date(2026, 11, 6)] == (
        "Overdue (level 2): 'Publish the workforce plan' is 5 working days late"
    )
    assert owen[date(2026, 11, 27)] == (
        "Overdue (level 3): 'Publish the workforce plan' is 20 working days late"
    )
    priya = [
        (as_london(received.message["Date"].datetime).date(), parts(received)[0])
        for received in smtp.to(PRIYA)
        if parts(received)[0].startswith("No progress")
    ]
    assert priya == [
        (
            date(2026, 11, 13),  # the first morning six weeks after 10:00 on 1 October
            "No progress update for 6 weeks: 'Sell the former depot site'",
        )
    ]
    requests = [
        as_london(received.message["Date"].datetime)
        for received in smtp.to(SAM)
        if parts(received)[0].startswith("Approval needed: mark the action complete")
    ]
    assert [moment.date() for moment in requests] == [date(2026, 12, 29)]
    for received in smtp.received:
        for words in parts(received):
            assert "level 0" not in words
            assert "slipped" not in words


def test_a_request_made_on_a_sunday_reaches_the_members_on_monday_morning(
    mail_ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """Requests arrive as they are made on working days, but one made at the weekend waits
    for the next working morning."""
    plan_id = add_plan(mail_ctx)
    action_id = add_action(mail_ctx, plan_id, "Publish the workforce plan")
    tick(mail_ctx, london(2014, 7, 27, 11, 0))  # Sunday
    approvals.request_change(mail_ctx, action_id, "approve", by_email=OWEN)
    for when in (london(2014, 7, 27, 11, 1), london(2014, 7, 28, 8, 59)):
        tick(mail_ctx, when)
    assert smtp.to(DANA) == []
    tick(mail_ctx, london(2014, 7, 28, 9, 0))
    (request,) = smtp.to(DANA)
    assert (
        parts(request)[0]
        == "Approval needed: approve the action \u2013 'Publish the workforce plan'"
    )
    assert as_london(request.message["Date"].datetime) == london(2014, 7, 28, 9, 0)


# One calendar per workflow ---------------------------------------------------------------------


@pytest.fixture
def two_calendars(tmp_path: Path, smtp: CapturingSmtpServer) -> Iterator[Context]:
    """An installation with an English workflow and a Scottish one (St Andrew's Day)."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    english = (resources.bundled_dir("workflows") / "improvement_action.yaml").read_text("utf-8")
    (folder / "improvement_action.yaml").write_text(english, encoding="utf-8")
    scottish = english.replace("workflow: improvement_action", "workflow: scottish_action")
    scottish = scottish.replace("bank_holidays: england-and-wales", "bank_holidays: scotland")
    assert "bank_holidays: scotland" in scottish
    (folder / "scottish_action.yaml").write_text(scottish, encoding="utf-8")
    context = make_context(
        f"sqlite:///{tmp_path / 'two.db'}",
        clock=FrozenClock(london(2026, 11, 2, 10, 0)),
        workflows_dir=folder,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="improvement-plans@council.example",
        secret_key=SECRET,
        base_url=BASE,
    )
    add_sample_people(context)
    yield context
    context.close()


def test_each_workflow_counts_working_days_with_its_own_bank_holidays(
    two_calendars: Context, smtp: CapturingSmtpServer
) -> None:
    """Around St Andrew's Day (Monday 30 November 2026) the Scottish plan's owner is reminded
    on the Friday, one working day before a Tuesday target, and told it is due on Tuesday;
    the English plan's owner, for whom Monday is a working day, hears on Monday that it is
    due tomorrow. Nothing of the Scottish plan goes out on the holiday."""
    ctx = two_calendars
    english_plan = plans.create_plan(ctx, "Workforce Plan", PlanKind.SERVICE_PLAN).id
    scottish_plan = plans.create_plan(
        ctx, "Scottish Workforce Plan", PlanKind.SERVICE_PLAN, workflow="scottish_action"
    ).id
    english = agreed(ctx, english_plan, "Publish the workforce plan", OWEN, DANA,
                     date(2026, 12, 1))  # fmt: skip
    scottish = agreed(ctx, scottish_plan, "Publish the Scottish workforce plan", PRIYA, DANA,
                      date(2026, 12, 1))  # fmt: skip
    late_english = agreed(ctx, english_plan, "Agree the budget", OWEN, DANA, date(2026, 11, 27))
    late_scottish = agreed(ctx, scottish_plan, "Agree the Scottish budget", PRIYA, DANA,
                           date(2026, 11, 27))  # fmt: skip
    tick(ctx, london(2026, 11, 2, 10, 0))
    tick(ctx, london(2026, 11, 26, 9, 30))  # the budgets' reminders: due tomorrow
    smtp.clear()

    tick(ctx, london(2026, 11, 27, 9, 30))  # Friday
    (friday,) = smtp.to(PRIYA)
    subject, text, html = parts(friday)
    assert subject == "Reminder: 'Publish the Scottish workforce plan' is due on Tuesday"
    assert "Your action is due on Tuesday." in text
    assert "Target date: Tuesday 1 December 2026 (in 1 working day)" in text
    assert "Tuesday 1 December 2026 (in 1 working day)" in html
    assert f"{BASE}/actions/{scottish}?token=" in text
    assert smtp.to(OWEN) == []  # two working days before his Tuesday: no reminder is due

    smtp.clear()
    tick(ctx, london(2026, 11, 30, 9, 30))  # St Andrew's Day: a holiday in Scotland only
    assert smtp.to(PRIYA) == []
    (monday,) = smtp.to(OWEN)  # one email: his reminder and his escalation together
    subject, text, _ = parts(monday)
    assert subject == "Improvement plan actions: 1 reminder, 1 escalation"
    assert "Your action is due tomorrow." in text
    assert "Target date: Tuesday 1 December 2026 (in 1 working day)" in text
    assert "It is 1 working day late, so it has reached escalation level 1." in text
    assert f"{BASE}/actions/{english}?token=" in text
    assert f"{BASE}/actions/{late_english}?token=" in text
    assert "daily" not in text

    smtp.clear()
    tick(ctx, london(2026, 12, 1, 9, 30))  # Tuesday: Friday's target is late in Scotland too
    (scottish_overdue,) = smtp.to(PRIYA)
    subject, text, _ = parts(scottish_overdue)
    assert subject == "Overdue (level 1): 'Agree the Scottish budget' is 1 working day late"
    assert "It is 1 working day late, so it has reached escalation level 1." in text
    assert f"{BASE}/actions/{late_scottish}?token=" in text


# Mail that reaches only people -----------------------------------------------------------------


def test_every_email_asks_for_no_automatic_replies(
    mail_ctx: Context, smtp: CapturingSmtpServer
) -> None:
    """A message as the server receives it tells Exchange not to answer it with out-of-office
    replies, and has no Reply-To when none is set."""
    action_id = add_action(mail_ctx, add_plan(mail_ctx), "Publish the workforce plan")
    approvals.request_change(mail_ctx, action_id, "approve", by_email=OWEN)
    tick(mail_ctx, mail_ctx.clock.now())
    (received,) = smtp.to(DANA)
    assert received.message["X-Auto-Response-Suppress"] == "All"
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert received.message["Reply-To"] is None


def test_replies_go_to_the_reply_to_setting(tmp_path: Path, smtp: CapturingSmtpServer) -> None:
    """With IMPROVEFLOW_SMTP_REPLY_TO set, every message the server receives names it as
    Reply-To, so replies reach a mailbox people read."""
    context = make_context(
        f"sqlite:///{tmp_path / 'replies.db'}",
        clock=FrozenClock(london(2014, 7, 21, 12, 0)),
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="improvement-plans@council.example",
        smtp_reply_to="Improvement team <improvement.team@council.example>",
        secret_key=SECRET,
        base_url=BASE,
    )
    try:
        add_sample_people(context)
        action_id = add_action(context, add_plan(context), "Publish the workforce plan")
        approvals.request_change(context, action_id, "approve", by_email=OWEN)
        tick(context, context.clock.now())
    finally:
        context.close()
    assert sorted(r for m in smtp.received for r in m.recipients) == [DANA, SAM]
    for received in smtp.received:
        (reply_to,) = received.message["Reply-To"].addresses
        assert (reply_to.display_name, reply_to.addr_spec) == (
            "Improvement team",
            "improvement.team@council.example",
        )
        assert received.message["X-Auto-Response-Suppress"] == "All"
