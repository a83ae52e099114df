"""An owner with one of everything "My actions" shows, for its page and browser tests.

The clock stands at Monday 2 June 2014, 10:00 in London (the tests' default moment). Owen owns
actions that are overdue, due soon, waiting for a decision, undated (one with an update due,
one not yet) and complete, and stands in for Dana, who owns one; Dana's deputy period ends on
Sunday 15 June 2014.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from web_helpers import Council, start_action

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import Verdict
from improveflow.services import approvals, deputies, progress
from improveflow.testing import add_action

OWEN = "owen@council.example"
DANA = "dana@council.example"
# The order the page lists them in, soonest target date first and undated last.
LISTED = (
    "Close the old depot",  # overdue since Friday 30 May; a new date asked for
    "Publish the asset strategy",  # due Monday 9 June
    "Balance the housing revenue account",  # Dana's, due Friday 20 June
    "Extend medium term financial strategy",  # 30 September, completion asked for
    "Draft the digital strategy",  # drafted, 28 February 2015
    "Review the consultation log",  # no date, no news since 1 May
    "Keep the risk register current",  # no date, news today
)
COMPLETED = "Publish the annual report"


@dataclass(frozen=True)
class Mix:
    ids: dict[str, int]  # description -> action id


def add_owners_mix(council: Council, clock: FrozenClock) -> Mix:
    ctx = council.ctx
    today = clock.now()
    ids = {"Extend medium term financial strategy": council.action_id}

    clock.set(datetime(2014, 5, 1, 10, 0, tzinfo=LONDON))
    ids["Review the consultation log"] = add_action(
        ctx, council.plan_id, "Review the consultation log", target=None
    )
    start_action(ctx, ids["Review the consultation log"])
    clock.set(today)

    for description, target in (
        ("Close the old depot", date(2014, 5, 30)),
        ("Publish the asset strategy", date(2014, 6, 9)),
        ("Keep the risk register current", None),
        (COMPLETED, date(2014, 7, 1)),
    ):
        ids[description] = add_action(ctx, council.plan_id, description, target=target)
        start_action(ctx, ids[description])
    ids["Draft the digital strategy"] = add_action(
        ctx, council.plan_id, "Draft the digital strategy"
    )
    ids["Balance the housing revenue account"] = add_action(
        ctx,
        council.plan_id,
        "Balance the housing revenue account",
        owner=DANA,
        target=date(2014, 6, 20),
    )
    danas = ids["Balance the housing revenue account"]
    opened = approvals.request_change(ctx, danas, "approve", by_email=DANA)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email="sam@council.example")
    approvals.request_change(ctx, danas, "start", by_email=DANA)
    deputies.add_deputy(ctx, DANA, OWEN, date(2014, 6, 1), date(2014, 6, 15))

    # Completed: no longer listed.
    progress.record_progress(ctx, ids[COMPLETED], "Published", None, by_email=OWEN)
    done = approvals.request_change(ctx, ids[COMPLETED], "complete", by_email=OWEN)
    assert done.request_id is not None
    approvals.decide(ctx, done.request_id, Verdict.APPROVE, by_email="sam@council.example")
    # Overdue, and a new date asked of Cabinet (peer-challenge plans send dates there).
    approvals.request_change(
        ctx,
        ids["Close the old depot"],
        "revise_target",
        by_email=OWEN,
        reason="The sale of the site slipped",
        new_target_date=date(2014, 7, 31),
    )
    # Waiting for CMT.
    progress.record_progress(ctx, council.action_id, "Model agreed", None, by_email=OWEN)
    approvals.request_change(ctx, council.action_id, "complete", by_email=OWEN)
    return Mix(ids)
