"""The lead's dashboard shows a peer-challenge plan's timetable in words: each milestone's due
and latest dates, done on a day with its link, and overdue said as overdue."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from page_words import words
from web_helpers import Council, sign_in

from improveflow.clock import FrozenClock
from improveflow.services import milestones

_CELL_LABEL = re.compile(r'<span class="cell-label"[^>]*>[^<]*</span>')


def test_the_dashboard_shows_the_timetable_due_done_and_overdue_in_words(
    client: TestClient, council: Council, clock: FrozenClock
) -> None:
    """Challenge ended 14 March 2014; on 20 June the feedback report is done with its link and
    the name of who recorded it, the action plan overdue with its latest date, and the
    progress review still to come."""
    milestones.set_challenge_date(council.ctx, council.plan_id, date(2014, 3, 14))
    clock.set(datetime(2014, 6, 20, 10, 0, tzinfo=UTC))
    milestones.mark_done(
        council.ctx,
        council.plan_id,
        milestones.milestone_kind("feedback-report"),
        done_on=date(2014, 5, 30),
        link="https://council.example/cpc-report",
        by_email="pia@peers.example",
    )
    sign_in(client, council, "pia@peers.example")
    board = client.get(f"/plans/{council.plan_id}/dashboard")
    assert board.status_code == 200
    # Each cell's label is for narrow screens only (hidden from screen readers): left out here.
    unlabelled = _CELL_LABEL.sub("", board.text)
    start = unlabelled.index(">Peer-challenge timetable</h2>")
    timetable = words(unlabelled[start : unlabelled.index("</table>", start)])
    assert (
        "Action plan published 14 June 2014 14 August 2014 Overdue: it was due by Saturday "
        "14 June 2014; the latest date is Thursday 14 August 2014"
    ) in timetable
    assert (
        "Feedback report published 14 June 2014 None given Done on Friday 30 May 2014, "
        "recorded by Pia Lund: feedback report published (the published document)"
    ) in timetable
    assert "Progress review held 14 January 2015 None given Due by Wednesday 14 January 2015" in (
        timetable
    )
    assert 'href="https://council.example/cpc-report"' in board.text
    assert "<strong>Overdue: it was due by Saturday 14 June 2014" in board.text


def test_a_plan_without_a_challenge_date_shows_no_timetable(
    client: TestClient, council: Council
) -> None:
    """No challenge date recorded: no timetable section, and nothing said to be due."""
    sign_in(client, council, "pia@peers.example")
    board = client.get(f"/plans/{council.plan_id}/dashboard")
    assert board.status_code == 200
    assert "Peer-challenge timetable" not in board.text
    assert "Due by" not in words(board.text)
