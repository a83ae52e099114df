"""A scrutiny plan's timetable over simulated time, across Christmas and its substitute bank
holiday: the reminder and the escalation about the executive's response go on working days
only, to the plan's scrutiny officer and its chief executive, each once, in the scrutiny words;
a response marked given is never chased, and a plan's own response period moves it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sweep_helpers import daily_sweeps, emails_to, london, run, whys_by_day

from improveflow import exceptions, resources
from improveflow.calendar import as_london
from improveflow.clock import FrozenClock
from improveflow.links import LinkSigner
from improveflow.models import PlanKind
from improveflow.notify.render import EmailRenderer
from improveflow.services import milestones, people, plans, scrutiny
from improveflow.services.context import Context
from improveflow.stores import plans as plan_store
from improveflow.testing import add_sample_people

OFFICER = "sid@council.example"
CHIEF = "cara@council.example"
LEAD = "pia@peers.example"  # the sample peer-challenge lead: nothing to do with scrutiny
# A report the executive received on Tuesday 27 October 2026: the two months beginning with
# that day end on Saturday 26 December, Boxing Day, whose substitute holiday is Monday 28
# December.
REPORT = date(2026, 10, 27)
RESPONSE = milestones.milestone_kind("executive-response")


@pytest.fixture
def plan_id(ctx: Context, clock: FrozenClock) -> int:
    add_sample_people(ctx)
    people.import_people(
        ctx,
        [
            people.PersonInput("Cara Evans", CHIEF, (), (), ("chief_executive",)),
            people.PersonInput("Sid Amin", OFFICER, (), (), ("scrutiny_officer",)),
        ],
    )
    clock.set(london(2026, 11, 2, 12, 0))
    return plans.create_plan(
        ctx, "Scrutiny review of school transport", PlanKind.SCRUTINY, report_date=REPORT
    ).id


def test_the_response_is_reminded_and_escalated_on_working_days_to_officer_and_chief_once(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Reminded on Thursday 10 December, ten working days before; escalated on Tuesday 29
    December, past Christmas and the substitute holiday; each to the scrutiny officer and the
    chief executive once, in the scrutiny email, never to the peer-challenge lead or owners."""
    listed = milestones.list_milestones(ctx, plan_id)
    assert [(v.label, v.due_on, v.latest_on) for v in listed] == [
        ("Executive response given", date(2026, 12, 26), None)
    ]
    reports = daily_sweeps(ctx, clock, date(2026, 12, 1), 40)
    reminders = whys_by_day(reports, "milestone_reminder")
    overdue = whys_by_day(reports, "milestone_overdue")
    assert list(reminders) == [date(2026, 12, 10)]
    assert list(overdue) == [date(2026, 12, 29)]
    assert len(reminders[date(2026, 12, 10)]) == 2
    assert all(
        w.startswith("Executive response given: due by 26 Dec 2026")
        for w in reminders[date(2026, 12, 10)]
    )
    for email, role in ((OFFICER, "scrutiny_officer"), (CHIEF, "chief_executive")):
        sent = emails_to(ctx, email, "scrutiny_response")
        assert sorted(row["context"]["stage"] for row in sent) == ["overdue", "reminder"]
        for row in sent:
            assert row["context"]["role"] == role
            assert row["context"]["report_date"] == "2026-10-27"
            assert row["context"]["response_period"] == "two months"
            day = as_london(row["due_at"]).date()
            assert day.weekday() < 5
            assert day not in (date(2026, 12, 25), date(2026, 12, 28))
        assert emails_to(ctx, email, "milestone") == []
    for nobody in (LEAD, "owen@council.example", "alex@council.example"):
        assert emails_to(ctx, nobody) == []
    # What the sweep queued renders in the scrutiny words.
    [queued] = [r for r in emails_to(ctx, OFFICER) if r["context"]["stage"] == "reminder"]
    signer = LinkSigner("a-test-secret-of-sufficient-length", "https://x.example/", timedelta(1))
    rendered = EmailRenderer(resources.bundled_dir("templates"), signer).render(
        queued["template"], queued["context"], recipient_name="Sid Amin", person_id=1
    )
    assert rendered.subject == (
        "Coming up: the executive's response to the scrutiny report it received on Tuesday 27 "
        "October 2026 is due by Saturday 26 December 2026"
    )
    assert (
        "because the executive must respond within two months beginning with the day it "
        "received the report"
    ) in rendered.text


def test_a_sweep_on_a_bank_holiday_or_twice_a_day_adds_nothing(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Sweeps on Christmas Day and the substitute holiday decide nothing about the response; a
    second sweep on the day the escalation went, and the next working day's, add nothing."""
    for holiday in (date(2026, 12, 25), date(2026, 12, 28)):
        for hour in (9, 12, 16):
            report = run(ctx, clock, london(holiday.year, holiday.month, holiday.day, hour))
            assert [d for d in report.decisions if d.kind.startswith("milestone")] == []
    first = run(ctx, clock, london(2026, 12, 29, 9, 5))
    assert len([d for d in first.decisions if d.kind == "milestone_overdue"]) == 2
    for when in (london(2026, 12, 29, 15, 0), london(2026, 12, 30, 9, 30)):
        again = run(ctx, clock, when)
        assert [d for d in again.decisions if d.kind.startswith("milestone")] == []


def test_a_response_given_is_not_escalated(ctx: Context, plan_id: int, clock: FrozenClock) -> None:
    """The response marked given on 17 December, with a link, is never escalated."""
    clock.set(london(2026, 12, 18, 14, 0))
    done = milestones.mark_done(
        ctx,
        plan_id,
        RESPONSE,
        done_on=date(2026, 12, 17),
        link="https://council.example/cabinet/2026-12-17/response",
        by_email=OFFICER,
    )
    assert done.words == "Done on Thursday 17 December 2026"
    reports = daily_sweeps(ctx, clock, date(2026, 12, 19), 20)
    assert whys_by_day(reports, "milestone_overdue") == {}
    assert [r["context"]["stage"] for r in emails_to(ctx, CHIEF)] == []


def test_the_plans_own_period_and_a_corrected_report_date_move_the_response(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Three months, the council's own rule read as the law's (beginning with the day
    received), makes it due on 26 January 2027; a corrected report date keeps the plan's
    period; the notices follow the new date."""
    views = scrutiny.set_report_date(ctx, plan_id, REPORT, response_months=3, by_email=OFFICER)
    assert [v.due_on for v in views] == [date(2027, 1, 26)]
    views = scrutiny.set_report_date(ctx, plan_id, date(2026, 10, 31), by_email=CHIEF)
    assert [v.due_on for v in views] == [date(2027, 1, 30)]
    reports = daily_sweeps(ctx, clock, date(2026, 12, 1), 70)
    # Due Saturday 30 January 2027: escalated on Monday 1 February; reminded on Friday 15
    # January, with ten working days (18 to 29 January) left.
    assert list(whys_by_day(reports, "milestone_overdue")) == [date(2027, 2, 1)]
    assert list(whys_by_day(reports, "milestone_reminder")) == [date(2027, 1, 15)]
    [sent] = [r for r in emails_to(ctx, OFFICER) if r["context"]["stage"] == "overdue"]
    assert sent["context"]["response_period"] == "three months"
    assert sent["context"]["report_date"] == "2026-10-31"


def test_who_may_keep_the_timetable_and_what_is_refused(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """An owner, or the peer-challenge lead, may not change a scrutiny plan's timetable; a
    report date in the future, a period of none or of years, and a report date for a plan of
    another kind are each refused with a sentence."""
    with pytest.raises(exceptions.Refused, match="only the scrutiny officer, the chief executive"):
        scrutiny.set_report_date(ctx, plan_id, REPORT, by_email="owen@council.example")
    with pytest.raises(exceptions.Refused, match="only the scrutiny officer"):
        milestones.mark_done(
            ctx, plan_id, RESPONSE, done_on=date(2026, 11, 1), link="https://x.example/r",
            by_email=LEAD,
        )  # fmt: skip
    with pytest.raises(
        exceptions.InvalidValue,
        match=r"^The report date, Tuesday 3 November 2026, is in the future: record the day",
    ):
        scrutiny.set_report_date(ctx, plan_id, date(2026, 11, 3), by_email=OFFICER)
    for months in (0, 13):
        with pytest.raises(exceptions.InvalidValue, match="is not a response period"):
            scrutiny.set_report_date(ctx, plan_id, REPORT, response_months=months)
    with pytest.raises(
        exceptions.InvalidValue,
        match=r"^Thursday 1 October 2026 is before the executive received the scrutiny report, "
        r"on Tuesday 27 October 2026$",
    ):
        milestones.mark_done(
            ctx, plan_id, RESPONSE, done_on=date(2026, 10, 1), link="https://x.example/r",
            by_email=OFFICER,
        )  # fmt: skip
    service = plans.create_plan(ctx, "Service plan", PlanKind.SERVICE_PLAN).id
    with pytest.raises(
        exceptions.InvalidValue,
        match=f"^Plan {service} is a service plan: only a scrutiny plan has a report date",
    ):
        scrutiny.set_report_date(ctx, service, REPORT)
    peer = plans.create_plan(ctx, "CPC", PlanKind.PEER_CHALLENGE, challenge_date=REPORT).id
    with pytest.raises(exceptions.InvalidValue, match="only a peer-challenge plan has"):
        milestones.set_challenge_date(ctx, plan_id, REPORT)
    with pytest.raises(exceptions.InvalidValue, match="only a scrutiny plan has a report date"):
        scrutiny.set_report_date(ctx, peer, REPORT)
    assert "executive_response" not in {v.kind for v in milestones.list_milestones(ctx, peer)}
    with pytest.raises(exceptions.NotFound, match="only a scrutiny plan has one"):
        milestones.mark_done(
            ctx, peer, RESPONSE, done_on=date(2026, 11, 1), link="https://x.example/r",
            by_email=LEAD,
        )  # fmt: skip
    with pytest.raises(exceptions.NotFound, match="only a peer-challenge plan has one"):
        milestones.mark_done(
            ctx, plan_id, milestones.milestone_kind("action-plan"), done_on=date(2026, 11, 1),
            link="https://x.example/r", by_email=OFFICER,
        )  # fmt: skip
    unscheduled = plans.create_plan(ctx, "Later scrutiny", PlanKind.SCRUTINY).id
    with pytest.raises(
        exceptions.NotFound,
        match=f"^Plan {unscheduled} has no milestone for the executive's response yet: record "
        "the day the executive received the scrutiny report first",
    ):
        milestones.mark_done(
            ctx, unscheduled, RESPONSE, done_on=date(2026, 11, 1), link="https://x.example/r",
            by_email=OFFICER,
        )  # fmt: skip


def test_a_report_date_after_the_response_was_given_is_refused_in_words(
    ctx: Context, plan_id: int
) -> None:
    """The response given on Friday 30 October 2026: a report date after it is refused, naming
    the response, its day and the new date in words, and how to put it right; the report date
    and the response's due date stay as they were."""
    milestones.mark_done(
        ctx, plan_id, RESPONSE, done_on=date(2026, 10, 30), link="https://x.example/r",
        by_email=OFFICER,
    )  # fmt: skip
    before = milestones.list_milestones(ctx, plan_id)
    with pytest.raises(exceptions.InvalidValue) as refused:
        scrutiny.set_report_date(ctx, plan_id, date(2026, 11, 1), by_email=OFFICER)
    assert refused.value.message == (
        "The executive's response is recorded as given on Friday 30 October 2026, before "
        "Sunday 1 November 2026, the day you give as when the executive received the report. "
        "Check the date; if it is right, first correct the day the executive's response was "
        f"given (improveflow plan milestone done {plan_id} executive-response --on YYYY-MM-DD "
        "--link ... --by ...), then run set-report-date again"
    )
    assert milestones.list_milestones(ctx, plan_id) == before
    with ctx.database.reading() as session:
        assert plan_store.plan_by_id(session, plan_id).report_date == REPORT


def test_only_the_plans_own_council_is_told_and_may_record_it(
    ctx: Context, clock: FrozenClock
) -> None:
    """Two councils: Northshire's response is told to its scrutiny officer and chief executive,
    never Southshire's; Southshire's officer is answered as if the plan did not exist."""
    staff = [
        ("nia@north.example", "scrutiny_officer", "Northshire"),
        ("cai@north.example", "chief_executive", "Northshire"),
        ("sol@south.example", "scrutiny_officer", "Southshire"),
        ("sue@south.example", "chief_executive", "Southshire"),
    ]
    people.import_people(
        ctx,
        [
            people.PersonInput(email.split("@")[0].title(), email, roles=(role,), organisation=org)
            for email, role, org in staff
        ],
    )
    clock.set(london(2026, 11, 2, 12, 0))
    plan_id = plans.create_plan(
        ctx, "Northshire scrutiny", PlanKind.SCRUTINY, organisation="Northshire",
        report_date=REPORT,
    ).id  # fmt: skip
    plans.create_plan(ctx, "Southshire plan", PlanKind.SCRUTINY, organisation="Southshire")
    run(ctx, clock, london(2026, 12, 10, 9, 30))
    told = {email for email, _, _ in staff if emails_to(ctx, email, "scrutiny_response")}
    assert told == {"nia@north.example", "cai@north.example"}
    with pytest.raises(exceptions.NotFound, match=f"No plan with id {plan_id}"):
        scrutiny.set_report_date(ctx, plan_id, REPORT, by_email="sol@south.example")
