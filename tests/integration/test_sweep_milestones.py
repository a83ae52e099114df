"""A peer-challenge plan's timetable over simulated time, across Christmas and its substitute
bank holiday: each milestone's reminder and escalations go on working days only, to the plan's
lead and its chief executive, each once; a milestone marked done is never chased."""

from __future__ import annotations

from datetime import date

import pytest
from sweep_helpers import daily_sweeps, emails_to, london, run, whys_by_day

from improveflow import exceptions
from improveflow.calendar import as_london
from improveflow.clock import FrozenClock
from improveflow.models import PlanKind
from improveflow.services import milestones, people, plans
from improveflow.services.context import Context
from improveflow.testing import add_sample_people

LEAD = "pia@peers.example"
CHIEF = "cara@council.example"
# A peer challenge that ended on 25 September 2026: its feedback report and action plan are
# due by Christmas Day (a Friday), with Boxing Day's substitute holiday on Monday 28 December.
CHALLENGE = date(2026, 9, 25)


@pytest.fixture
def plan_id(ctx: Context, clock: FrozenClock) -> int:
    add_sample_people(ctx)
    people.import_people(
        ctx, [people.PersonInput("Cara Evans", CHIEF, (), (), ("chief_executive",))]
    )
    clock.set(london(2026, 10, 1, 12, 0))
    return plans.create_plan(
        ctx, "Corporate Peer Challenge 2026", PlanKind.PEER_CHALLENGE, challenge_date=CHALLENGE
    ).id


def test_milestones_are_reminded_and_escalated_on_working_days_to_lead_and_chief_once(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """The 10-working-day reminder goes on Thursday 10 December; the escalation waits past
    Christmas Day and the substitute Boxing Day holiday to Tuesday 29 December; each to the
    lead and the chief executive once, and never again on later sweeps."""
    reports = daily_sweeps(ctx, clock, date(2026, 12, 1), 40)
    reminders = whys_by_day(reports, "milestone_reminder")
    overdue = whys_by_day(reports, "milestone_overdue")
    assert list(reminders) == [date(2026, 12, 10)]
    assert list(overdue) == [date(2026, 12, 29)]
    # Two milestones (the feedback report and the action plan) to two people.
    assert len(reminders[date(2026, 12, 10)]) == 4
    assert any(
        w.startswith("Feedback report published: due by 25 Dec 2026")
        for w in reminders[date(2026, 12, 10)]
    )
    assert any(
        w.startswith("Action plan published: not done by its due date, 25 Dec 2026")
        for w in overdue[date(2026, 12, 29)]
    )
    for email in (LEAD, CHIEF):
        sent = emails_to(ctx, email, "milestone")
        assert len(sent) == 4  # two reminders, two escalations: one email each
        stages = sorted(row["context"]["stage"] for row in sent)
        assert stages == ["overdue", "overdue", "reminder", "reminder"]
        for row in sent:
            day = as_london(row["due_at"]).date()
            assert day.weekday() < 5
            assert day not in (date(2026, 12, 25), date(2026, 12, 28))
    assert {row["context"]["role"] for row in emails_to(ctx, LEAD, "milestone")} == {"lead"}
    assert {row["context"]["role"] for row in emails_to(ctx, CHIEF, "milestone")} == {
        "chief_executive"
    }
    # Nobody else hears of it: not the owners, not the CMT.
    assert emails_to(ctx, "owen@council.example", "milestone") == []
    assert emails_to(ctx, "dana@council.example", "milestone") == []


def test_a_sweep_on_a_bank_holiday_or_twice_a_day_adds_nothing(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Sweeps on Christmas Day and the substitute holiday decide nothing; a second sweep on the
    day an escalation went, and the next working day's, add nothing more."""
    for holiday in (date(2026, 12, 25), date(2026, 12, 28)):
        for hour in (9, 11, 15):
            report = run(ctx, clock, london(holiday.year, holiday.month, holiday.day, hour))
            assert [d for d in report.decisions if d.kind.startswith("milestone")] == []
    first = run(ctx, clock, london(2026, 12, 29, 9, 5))
    assert len([d for d in first.decisions if d.kind == "milestone_overdue"]) == 4
    for when in (london(2026, 12, 29, 16, 0), london(2026, 12, 30, 9, 30)):
        again = run(ctx, clock, when)
        assert [d for d in again.decisions if d.kind.startswith("milestone")] == []


def test_a_milestone_done_is_not_escalated_and_the_latest_date_is(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """The feedback report marked done before its due date is never chased; the action plan,
    still not done, is escalated again on the first working day past its latest date."""
    clock.set(london(2026, 12, 18, 14, 0))
    done = milestones.mark_done(
        ctx,
        plan_id,
        milestones.milestone_kind("feedback-report"),
        done_on=date(2026, 12, 17),
        link="https://council.example/cpc-feedback-report",
        by_email=LEAD,
    )
    assert done.words == "Done on Thursday 17 December 2026"
    reports = daily_sweeps(ctx, clock, date(2026, 12, 19), 14)
    reports |= daily_sweeps(ctx, clock, date(2027, 2, 20), 10)
    overdue = whys_by_day(reports, "milestone_overdue")
    # Due 25 February 2027 at the latest (a Thursday): told on Friday the 26th.
    assert list(overdue) == [date(2026, 12, 29), date(2027, 2, 26)]
    assert all(w.startswith("Action plan published") for ws in overdue.values() for w in ws)
    assert overdue[date(2027, 2, 26)][0].startswith(
        "Action plan published: not done by its latest date, 25 Feb 2027"
    )
    stages = sorted(row["context"]["stage"] for row in emails_to(ctx, CHIEF, "milestone"))
    assert stages == ["overdue", "past_latest"]  # the reminder went before this test's sweeps


def test_a_corrected_challenge_date_moves_the_milestones_and_their_notices(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """Correcting the challenge date moves every milestone; the notices follow the new dates."""
    clock.set(london(2026, 11, 2, 12, 0))
    views = milestones.set_challenge_date(ctx, plan_id, date(2026, 10, 2), by_email=LEAD)
    assert [(v.kind, v.due_on, v.latest_on) for v in views] == [
        ("feedback_report", date(2027, 1, 2), None),
        ("action_plan", date(2027, 1, 2), date(2027, 3, 2)),
        ("progress_review", date(2027, 8, 2), None),
        ("progress_review_report", date(2027, 10, 2), None),
    ]
    reports = daily_sweeps(ctx, clock, date(2026, 12, 1), 40)
    # Due Saturday 2 January 2027: reminded ten working days before (Christmas Day, the
    # substitute Boxing Day and New Year's Day skipped), escalated on Monday 4 January.
    assert list(whys_by_day(reports, "milestone_reminder")) == [date(2026, 12, 15)]
    assert list(whys_by_day(reports, "milestone_overdue")) == [date(2027, 1, 4)]


def test_only_the_plans_own_council_is_told_and_may_record_it(
    ctx: Context, clock: FrozenClock
) -> None:
    """Two councils: Northshire's milestones go to its lead and chief executive (and the LGA's
    lead, who belongs with both), never Southshire's; Southshire's lead is answered as if the
    plan did not exist, and an owner of Northshire may not mark a milestone done."""
    staff = [
        ("nia@north.example", "peer_challenge_lead", "Northshire"),
        ("cai@north.example", "chief_executive", "Northshire"),
        ("owen@north.example", "owner", "Northshire"),
        ("sol@south.example", "peer_challenge_lead", "Southshire"),
        ("sue@south.example", "chief_executive", "Southshire"),
        ("pat@lga.example", "peer_challenge_lead", None),  # the LGA's: no council recorded
    ]
    people.import_people(
        ctx,
        [
            people.PersonInput(email.split("@")[0].title(), email, roles=(role,), organisation=org)
            for email, role, org in staff
        ],
    )
    clock.set(london(2026, 10, 1, 12, 0))
    plan_id = plans.create_plan(
        ctx, "Northshire CPC", PlanKind.PEER_CHALLENGE, organisation="Northshire",
        challenge_date=CHALLENGE,
    ).id  # fmt: skip
    plans.create_plan(ctx, "Southshire plan", PlanKind.SERVICE_PLAN, organisation="Southshire")
    run(ctx, clock, london(2026, 12, 10, 9, 30))
    told = {email for email, _, _ in staff if emails_to(ctx, email, "milestone")}
    assert told == {"nia@north.example", "cai@north.example", "pat@lga.example"}
    feedback = milestones.milestone_kind("feedback-report")
    link = "https://north.example/cpc-report"
    day = date(2026, 12, 9)
    with pytest.raises(exceptions.NotFound, match=f"No plan with id {plan_id}"):
        milestones.mark_done(
            ctx, plan_id, feedback, done_on=day, link=link, by_email="sol@south.example"
        )
    with pytest.raises(exceptions.Refused, match="only a peer-challenge lead, the chief executive"):
        milestones.mark_done(
            ctx, plan_id, feedback, done_on=day, link=link, by_email="owen@north.example"
        )
    done = milestones.mark_done(
        ctx, plan_id, feedback, done_on=day, link=link, by_email="cai@north.example"
    )
    assert done.done_by == "cai@north.example"


def test_a_timetable_recorded_late_is_told_once_where_it_stands(
    ctx: Context, plan_id: int, clock: FrozenClock
) -> None:
    """A challenge date recorded long after: no stale reminder, only the escalation each has
    reached (the action plan past its latest date, the feedback report, which has none, past
    its due date), once to each, on the first working-hours sweep."""
    clock.set(london(2027, 3, 1, 12, 0))
    milestones.set_challenge_date(ctx, plan_id, date(2026, 9, 18), by_email=LEAD)
    quiet = run(ctx, clock, london(2027, 3, 6, 10, 0))  # a Saturday
    assert [d for d in quiet.decisions if d.kind.startswith("milestone")] == []
    reports = daily_sweeps(ctx, clock, date(2027, 3, 8), 5)
    told = whys_by_day(reports, "milestone_overdue")
    assert list(told) == [date(2027, 3, 8)]
    assert len(told[date(2027, 3, 8)]) == 4  # two milestones, two people
    assert sorted(w.split(" -> ")[0] for w in told[date(2027, 3, 8)]) == [
        "Action plan published: not done by its latest date, 18 Feb 2027",
        "Action plan published: not done by its latest date, 18 Feb 2027",
        "Feedback report published: not done by its due date, 18 Dec 2026",
        "Feedback report published: not done by its due date, 18 Dec 2026",
    ]
    assert whys_by_day(reports, "milestone_reminder") == {}
