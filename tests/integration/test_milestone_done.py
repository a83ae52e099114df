"""Marking a peer-challenge milestone done: a day in the future, a day before the challenge
ended, or a link that is not a web address is refused, naming which (so a form can say it
beside the field), with both days in words; a milestone done can be corrected, each change
recorded in the audit log; a challenge date after a milestone was done is refused as well."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from improveflow import audit_events, exceptions
from improveflow.models import AuditEvent, PlanKind
from improveflow.services import milestones, plans
from improveflow.services.context import Context
from improveflow.services.milestones import DoneValueInvalid
from improveflow.stores import plans as plan_store
from improveflow.stores.tables import table_of
from improveflow.testing import add_sample_people

LEAD = "pia@peers.example"
REPORT = "https://council.example/cpc-feedback-report"
FEEDBACK = milestones.milestone_kind("feedback-report")


@pytest.fixture
def plan_id(ctx: Context) -> int:
    """A peer challenge that ended on Friday 14 March 2014; today is Monday 2 June 2014."""
    add_sample_people(ctx)
    return plans.create_plan(
        ctx, "Corporate Peer Challenge", PlanKind.PEER_CHALLENGE, challenge_date=date(2014, 3, 14)
    ).id


@pytest.mark.parametrize(
    ("day", "link", "field", "said"),
    [
        (date(2014, 6, 3), REPORT, "done_on", "Tuesday 3 June 2014 is in the future"),
        (
            date(2014, 3, 13),
            REPORT,
            "done_on",
            "Thursday 13 March 2014 is before the peer challenge ended, on Friday 14 March 2014",
        ),
        (date(2014, 6, 2), "council.example/report", "link", "is not a web address"),
    ],
)
def test_a_day_or_link_that_cannot_be_used_is_refused_naming_which(
    ctx: Context, plan_id: int, day: date, link: str, field: str, said: str
) -> None:
    """Each refusal is an InvalidValue (as the command line reads it) that names its field."""
    with pytest.raises(DoneValueInvalid, match=said) as refused:
        milestones.mark_done(ctx, plan_id, FEEDBACK, done_on=day, link=link, by_email=LEAD)
    assert refused.value.field == field
    views = milestones.list_milestones(ctx, plan_id)
    assert all(view.done_on is None for view in views)


def test_a_milestone_done_is_corrected_and_both_are_audited(ctx: Context, plan_id: int) -> None:
    """Marked done, then corrected: the timetable shows the correction; the audit log keeps
    both, in order, with their days and links."""
    milestones.mark_done(
        ctx, plan_id, FEEDBACK, done_on=date(2014, 5, 30), link=REPORT, by_email=LEAD
    )
    fixed = milestones.mark_done(
        ctx, plan_id, FEEDBACK, done_on=date(2014, 5, 29), link=REPORT + "-v2", by_email=LEAD
    )
    assert (fixed.done_on, fixed.link) == (date(2014, 5, 29), REPORT + "-v2")
    with ctx.database.reading() as session:
        table = table_of(AuditEvent)
        rows = session.connection().execute(sa.select(table).order_by(table.c.id)).all()
    events = [audit_events.from_row(row).event for row in rows]
    done = [event for event in events if isinstance(event, audit_events.MilestoneDone)]
    assert [(event.done_on, event.link) for event in done] == [
        (date(2014, 5, 30), REPORT),
        (date(2014, 5, 29), REPORT + "-v2"),
    ]


def test_a_challenge_date_after_a_milestone_done_is_refused_in_words(
    ctx: Context, plan_id: int
) -> None:
    """The feedback report published on Friday 30 May 2014: a challenge date after that day is
    refused, naming the milestone, its day and the new date in words, and how to put it right;
    the challenge date and the milestones' due dates stay as they were. The day itself, or an
    earlier one, is accepted."""
    milestones.mark_done(
        ctx, plan_id, FEEDBACK, done_on=date(2014, 5, 30), link=REPORT, by_email=LEAD
    )
    before = milestones.list_milestones(ctx, plan_id)
    with pytest.raises(exceptions.InvalidValue) as refused:
        milestones.set_challenge_date(ctx, plan_id, date(2014, 5, 31), by_email=LEAD)
    assert refused.value.message == (
        "The feedback report is recorded as published on Friday 30 May 2014, before Saturday "
        "31 May 2014, the day you give as when the peer challenge ended. Check the date; if it "
        "is right, first correct the day the feedback report was published (improveflow plan "
        f"milestone done {plan_id} feedback-report --on YYYY-MM-DD --link ... --by ...), then "
        "run set-challenge-date again"
    )
    assert milestones.list_milestones(ctx, plan_id) == before
    with ctx.database.reading() as session:
        assert plan_store.plan_by_id(session, plan_id).challenge_date == date(2014, 3, 14)
    views = milestones.set_challenge_date(ctx, plan_id, date(2014, 5, 30), by_email=LEAD)
    assert views[0].done_on == date(2014, 5, 30)


def test_a_refusal_names_the_plan_kind_and_the_milestone_in_words(ctx: Context) -> None:
    """A scrutiny plan has no challenge date, nor a peer challenge's milestones; a peer
    challenge's date in the future is said as a long date."""
    add_sample_people(ctx)
    review = plans.create_plan(ctx, "Scrutiny review", PlanKind.SCRUTINY).id
    with pytest.raises(
        exceptions.InvalidValue,
        match=f"^Plan {review} is a scrutiny plan: only a peer-challenge plan has a challenge",
    ):
        milestones.set_challenge_date(ctx, review, date(2014, 3, 14))
    with pytest.raises(
        exceptions.NotFound,
        match=f"^Plan {review} is a scrutiny plan, so it has no milestone for the feedback "
        "report: only a peer-challenge plan has one$",
    ):
        milestones.mark_done(
            ctx,
            review,
            FEEDBACK,
            done_on=date(2014, 5, 30),
            link=REPORT,
            by_email="alex@council.example",
        )
    peer = plans.create_plan(ctx, "CPC", PlanKind.PEER_CHALLENGE).id
    with pytest.raises(
        exceptions.InvalidValue,
        match=r"^The challenge date, Tuesday 3 June 2014, is in the future: record it once",
    ):
        milestones.set_challenge_date(ctx, peer, date(2014, 6, 3))
    with pytest.raises(
        exceptions.NotFound,
        match=f"^Plan {peer} has no milestone for the feedback report yet: record the day its "
        "peer challenge ended first",
    ):
        milestones.mark_done(
            ctx,
            peer,
            FEEDBACK,
            done_on=date(2014, 5, 30),
            link=REPORT,
            by_email="alex@council.example",
        )


def test_a_timetable_of_another_kind_is_refused_before_the_plan_is_made(ctx: Context) -> None:
    """A service plan made with a challenge date, or a peer-challenge plan with a report
    date, is refused in words that name no plan (none was made), and no plan is left."""
    with pytest.raises(
        exceptions.InvalidValue,
        match=r"^A service plan has no challenge date: only a peer-challenge plan has the LGA's "
        r"timetable$",
    ):
        plans.create_plan(
            ctx, "Service plan", PlanKind.SERVICE_PLAN, challenge_date=date(2014, 3, 14)
        )
    with pytest.raises(
        exceptions.InvalidValue,
        match=r"^A peer-challenge plan has no report date: only a scrutiny plan has the "
        r"executive's response to a committee's report$",
    ):
        plans.create_plan(ctx, "CPC", PlanKind.PEER_CHALLENGE, report_date=date(2014, 3, 14))
    assert plans.list_plans(ctx) == []
