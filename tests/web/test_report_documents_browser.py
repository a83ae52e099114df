"""The report documents a lead downloads as web pages, the committee report and the progress
review pack, opened in headless Chromium: axe-core finds no WCAG 2.2 A or AA violation, as on
every page the app serves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from browser_support import (
    DESKTOP,
    axe_violations,
    describe_violations,
    launched_chromium,
    needs_chromium,
)
from web_helpers import Council

from improveflow.clock import FrozenClock
from improveflow.models import Rag
from improveflow.services import milestones, progress, reports
from improveflow.services.reports import ReportFormat, ReportPack

pytestmark = needs_chromium


@pytest.fixture
def documents(council: Council, clock: FrozenClock) -> dict[ReportPack, str]:
    """Both documents of one snapshot of a plan with a timetable (a milestone done with its
    link, one overdue), a rated action with progress and an unrated one without."""
    milestones.set_challenge_date(council.ctx, council.plan_id, date(2014, 3, 14))
    clock.set(datetime(2014, 6, 20, 10, 0, tzinfo=UTC))
    milestones.mark_done(
        council.ctx,
        council.plan_id,
        milestones.milestone_kind("action-plan"),
        done_on=date(2014, 5, 30),
        link="https://council.example/cpc-action-plan",
        by_email="pia@peers.example",
    )
    progress.record_progress(
        council.ctx, council.action_id, "Model drafted", Rag.AMBER, by_email="owen@council.example"
    )
    made = reports.make_report(council.ctx, council.plan_id)
    return {
        pack: reports.render(made, ReportFormat.HTML, pack).decode("utf-8") for pack in ReportPack
    }


def test_report_documents_pass_axe(documents: dict[ReportPack, str]) -> None:
    """No WCAG 2.2 A or AA violation axe-core finds in either document."""
    with launched_chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        try:
            for pack, html in documents.items():
                page.set_content(html)
                violations = axe_violations(page)
                assert violations == [], f"{pack.value}:\n{describe_violations(violations)}"
        finally:
            page.close()
