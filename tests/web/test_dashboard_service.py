"""The dashboard's read models and chart: SQL counts, the incremental history, the SVG."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from web_helpers import Council

from improveflow import exceptions
from improveflow.clock import FrozenClock
from improveflow.models import Rag, Verdict
from improveflow.services import approvals, dashboard, progress, sessions, sign_in
from improveflow.services.state_history import StateHistory
from improveflow.stores import plan_table
from improveflow.testing import add_action
from improveflow.web.chart import MAX_POINTS, build_chart
from improveflow.web.export import safe

STATES = {"drafted": "Drafted", "approved": "Approved", "in_progress": "In progress"}


def test_history_counts_actions_by_state_per_day(council: Council, clock: FrozenClock) -> None:
    """From the audit log: created actions, then each transition, day by day."""
    history = StateHistory()
    with council.ctx.database.reading() as session:
        series = history.series(session, council.plan_id)
    assert series[-1][1] == {"in_progress": 1, "drafted": 1}


def test_history_reads_only_new_events_after_the_first_look(
    council: Council, clock: FrozenClock
) -> None:
    """A later look adds what happened since, giving the same answer as a fresh count."""
    history = StateHistory()
    with council.ctx.database.reading() as session:
        history.series(session, council.plan_id)
    clock.advance(timedelta(days=3))
    opened = approvals.request_change(
        council.ctx, council.drafted_id, "approve", by_email="priya@council.example"
    )
    assert opened.request_id is not None
    approvals.decide(
        council.ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example"
    )
    add_action(council.ctx, council.plan_id, "A third action", theme="People")
    with council.ctx.database.reading() as session:
        kept = history.series(session, council.plan_id)
        fresh = StateHistory().series(session, council.plan_id)
    assert kept == fresh
    assert kept[-1][0] == date(2014, 6, 5)
    assert kept[-1][1] == {"in_progress": 1, "approved": 1, "drafted": 1}


def test_history_days_are_london_days(council: Council, clock: FrozenClock) -> None:
    """An action added at 23:30 UTC in summer (00:30 in London) counts on London's next day."""
    clock.set(datetime(2014, 6, 9, 23, 30, tzinfo=UTC))
    add_action(council.ctx, council.plan_id, "Added after midnight in London", theme="People")
    with council.ctx.database.reading() as session:
        series = StateHistory().series(session, council.plan_id)
    day, counts = series[-1]
    assert day == date(2014, 6, 10)
    assert counts["drafted"] == 2


def test_dashboard_counts_by_state_rag_and_escalation_level(council: Council) -> None:
    """Aggregated in SQL; escalation levels come from each action's highest open level."""
    progress.record_progress(
        council.ctx, council.action_id, "Late", Rag.RED, by_email="owen@council.example"
    )
    found = dashboard.dashboard(
        council.ctx,
        council.plan_id,
        None,
        dashboard.TableFilter(),
        page=1,
        size=1,
        history=StateHistory(),
    )
    assert found.by_state == {"in_progress": 1, "drafted": 1}
    assert found.by_rag == {"red": 1, "none": 1}
    assert found.total == 2
    assert len(found.rows) == 1
    assert found.has_next
    assert found.rows[0].progress is not None
    assert found.rows[0].progress.text == "Late"


def test_table_filters_by_theme_state_rag_and_text(council: Council) -> None:
    """Each filter narrows the rows; text matches literally, even % and _."""
    with council.ctx.database.reading() as session:
        themes = {title: id_ for id_, title in plan_table.themes_of(session, council.plan_id)}

        def rows(**filters: object) -> list[int]:
            chosen = dashboard.TableFilter(**filters)  # type: ignore[arg-type]
            found, _ = plan_table.table_page(session, council.plan_id, chosen, 1, 50)
            return [row.id for row in found]

        assert rows() == [council.action_id, council.drafted_id]
        assert rows(theme_id=themes["People"]) == [council.drafted_id]
        assert rows(state="in_progress") == [council.action_id]
        assert rows(rag="none") == [council.action_id, council.drafted_id]
        assert rows(rag="red") == []
        assert rows(text="WORKFORCE") == [council.drafted_id]
        assert rows(text="%") == []


def test_sign_in_links_are_spent_once(council: Council) -> None:
    """The service records the nonce: a second sign-in with the same token is refused."""
    link = sign_in.signer(council.ctx).sign_in_link(council.person_id("dana@council.example"))
    token = link.split("token=")[1]
    _, first = sign_in.sign_in_with_link(council.ctx, token, "sign_in")
    assert sessions.viewer_for(council.ctx, first.key) is not None
    with pytest.raises(exceptions.LinkUsed):
        sign_in.sign_in_with_link(council.ctx, token, "sign_in")


def test_sessions_end_when_their_time_is_up(council: Council, clock: FrozenClock) -> None:
    """A session started by a link lasts a couple of hours, by the injected clock."""
    link = sign_in.signer(council.ctx).action_link(
        council.person_id("owen@council.example"), council.action_id
    )
    _, started = sign_in.sign_in_with_link(council.ctx, link.split("token=")[1], "action")
    viewer = sessions.viewer_for(council.ctx, started.key)
    assert viewer is not None
    assert viewer.name == "Owen Marsh"
    clock.advance(sessions.LINK_SESSION + timedelta(seconds=1))
    assert sessions.viewer_for(council.ctx, started.key) is None


def test_chart_draws_one_line_per_state_with_steps() -> None:
    """Counts hold until the day they change, so the lines step; the numbers are kept too."""
    series = [
        (date(2014, 6, 2), {"drafted": 2}),
        (date(2014, 6, 4), {"drafted": 1, "approved": 1}),
    ]
    chart = build_chart(series, STATES, today=date(2014, 6, 10))
    assert chart is not None
    assert [line.state for line in chart.lines] == ["drafted", "approved"]
    assert [line.latest for line in chart.lines] == [1, 1]
    assert len(chart.lines[0].points.split()) == 4  # start, step down (two points), today
    assert chart.table[-1] == (date(2014, 6, 10), [1, 1])
    assert "Now: 1 drafted, 1 approved" in chart.summary


def test_chart_samples_a_long_history() -> None:
    """Years of daily changes are drawn from at most MAX_POINTS days."""
    start = date(2010, 1, 1)
    series = [(start + timedelta(days=n), {"drafted": n % 7 + 1}) for n in range(2000)]
    chart = build_chart(series, STATES, today=start + timedelta(days=2000))
    assert chart is not None
    assert len(chart.lines[0].points.split()) <= 2 * MAX_POINTS
    assert build_chart([], STATES, today=start) is None


def test_spreadsheet_formulas_are_written_as_text() -> None:
    """Cells a spreadsheet would run get a leading apostrophe; others are untouched."""
    assert safe("=SUM(A1)") == "'=SUM(A1)"
    assert safe("+44 1234") == "'+44 1234"
    assert safe("@cmd") == "'@cmd"
    assert safe("Plain text") == "Plain text"
    assert safe(None) == ""
