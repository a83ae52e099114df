"""Marking a peer-challenge milestone done: a day in the future, a day before the challenge
ended, or a link that is not a web address is refused, naming which (so a form can say it
beside the field), with both days in words; a milestone done can be corrected, each change
recorded in the audit log."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from improveflow import audit_events
from improveflow.models import AuditEvent, PlanKind
from improveflow.services import milestones, plans
from improveflow.services.context import Context
from improveflow.services.milestones import DoneValueInvalid
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
