"""A decided request's page says what was asked, what was decided, by whom, and what changed.

The council's plan is a peer-challenge plan, so Cabinet decides deferrals and new target dates
and CMT decides completions. Owen's action is in progress with a target date of 30 September
2014; the clock stands at 10:00 on 2 June 2014 (London).
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from fastapi.testclient import TestClient
from web_helpers import Council, csrf, sign_in

from improveflow.clock import FrozenClock
from improveflow.models import Verdict
from improveflow.services import approvals, progress

OWEN = "owen@council.example"
DANA = "dana@council.example"  # CMT
RUTH = "ruth@council.example"  # Cabinet
NEW_DATE = date(2015, 1, 31)


def words(page: str) -> str:
    """The text of the page's main content as a person reads it: no tags, entities decoded."""
    main = page[page.index("<main") : page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def _ask_for_new_date(council: Council, new_date: date = NEW_DATE) -> int:
    opened = approvals.request_change(
        council.ctx,
        council.action_id,
        "revise_target",
        by_email=OWEN,
        reason="The consultation moved",
        new_target_date=new_date,
    )
    assert opened.request_id is not None
    assert opened.body == "Cabinet"
    return opened.request_id


def test_approved_date_change_states_the_old_and_new_dates(
    client: TestClient, council: Council
) -> None:
    """After Cabinet approves a new date, the page shows the date it replaced, not the new twice."""
    request_id = _ask_for_new_date(council)
    sign_in(client, council, RUTH)
    pending = words(client.get(f"/approvals/{request_id}").text)
    assert (
        "What changes The target date changes from Tuesday 30 September 2014 "
        "to Saturday 31 January 2015." in pending
    )
    approvals.decide(council.ctx, request_id, Verdict.APPROVE, by_email=RUTH, comment="Agreed")

    page = words(client.get(f"/approvals/{request_id}").text)
    assert (
        "This request was approved by Cllr Ruth Holt (Cabinet) at 10:00 on 2 June 2014. "
        "There is nothing more to decide." in page
    )
    assert (
        "What was asked Owen Marsh, the action's owner, asked to change the target date "
        "from Tuesday 30 September 2014 to Saturday 31 January 2015." in page
    )
    assert (
        "What changed The target date changed from Tuesday 30 September 2014 "
        "to Saturday 31 January 2015." in page
    )
    assert "from Saturday 31 January 2015 to Saturday 31 January 2015" not in page
    assert "What changes" not in page


def test_rejected_completion_says_the_action_stayed_in_progress(
    client: TestClient, council: Council
) -> None:
    """A rejected completion never says the action goes to complete: it stayed in progress."""
    progress.record_progress(
        council.ctx, council.action_id, "Strategy drafted", None, by_email=OWEN
    )
    opened = approvals.request_change(
        council.ctx, council.action_id, "complete", by_email=OWEN, reason="All done"
    )
    assert opened.request_id is not None
    sign_in(client, council, DANA)
    form = client.get(f"/approvals/{opened.request_id}").text
    client.post(
        f"/approvals/{opened.request_id}",
        data={
            "csrf_token": csrf(form),
            "verdict": "reject",
            "comment": "The audit committee has not seen it yet",
        },
    )

    page = words(client.get(f"/approvals/{opened.request_id}").text)
    assert (
        "This request was rejected by Dana Reeve (Corporate Management Team) at 10:00 on "
        '2 June 2014, saying: "The audit committee has not seen it yet".' in page
    )
    assert (
        "What was asked Owen Marsh, the action's owner, asked to mark the action complete "
        "(from in progress to complete)." in page
    )
    assert "What changed Nothing changed: the action stayed in progress." in page
    assert "goes to complete" not in page
    assert "went from" not in page


def test_approved_deferral_says_who_approved_and_the_move_made(
    client: TestClient, council: Council, clock: FrozenClock
) -> None:
    """Cabinet's approval of a deferral names the councillor, the time and the move made."""
    opened = approvals.request_change(
        council.ctx, council.action_id, "defer", by_email=OWEN, reason="Funding withdrawn"
    )
    assert opened.request_id is not None
    assert opened.body == "Cabinet"
    clock.advance(timedelta(days=1, hours=5))
    approvals.decide(council.ctx, opened.request_id, Verdict.APPROVE, by_email=RUTH)
    sign_in(client, council, RUTH)

    page = words(client.get(f"/approvals/{opened.request_id}").text)
    assert "This request was approved by Cllr Ruth Holt (Cabinet) at 15:00 on 3 June 2014." in page
    assert (
        "What was asked Owen Marsh, the action's owner, asked to defer the action "
        "(from in progress to deferred)." in page
    )
    assert "When it was asked 10:00 on 2 June 2014" in page
    assert "What changed The action went from in progress to deferred." in page
    assert "Why Funding withdrawn" in page


def test_withdrawn_request_says_who_withdrew_it_and_that_nothing_changed(
    client: TestClient, council: Council
) -> None:
    """A withdrawn request is not called approved or rejected, and the date stayed as it was."""
    request_id = _ask_for_new_date(council)
    approvals.withdraw(council.ctx, request_id, by_email=OWEN)
    sign_in(client, council, RUTH)

    page = words(client.get(f"/approvals/{request_id}").text)
    assert (
        "This request was withdrawn by Owen Marsh, who had asked for it, at 10:00 on "
        "2 June 2014, before Cabinet decided on it." in page
    )
    assert (
        "What changed Nothing changed: the action stayed in progress, and its target date "
        "stayed Tuesday 30 September 2014." in page
    )
    assert "approved by" not in page
    assert "rejected by" not in page


def test_an_old_decision_keeps_its_dates_after_later_changes(
    client: TestClient, council: Council
) -> None:
    """A rejected date change still shows the dates of its day after a later one is approved."""
    rejected = _ask_for_new_date(council, date(2014, 12, 31))
    approvals.decide(
        council.ctx, rejected, Verdict.REJECT, by_email=RUTH, comment="Too late in the year"
    )
    approved = _ask_for_new_date(council, NEW_DATE)
    approvals.decide(council.ctx, approved, Verdict.APPROVE, by_email=RUTH)
    sign_in(client, council, RUTH)

    page = words(client.get(f"/approvals/{rejected}").text)
    assert (
        "asked to change the target date from Tuesday 30 September 2014 "
        "to Wednesday 31 December 2014." in page
    )
    assert (
        "Nothing changed: the action stayed in progress, and its target date stayed "
        "Tuesday 30 September 2014." in page
    )
    assert "Saturday 31 January 2015" not in page
