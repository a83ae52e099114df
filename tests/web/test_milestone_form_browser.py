"""A milestone marked done from the link in its email, in real headless Chromium with scripts
switched off: the link's Continue button, the form, its error summary and the confirmation
all work without a script, at a laptop's width and a phone's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from browser_support import DESKTOP, PHONE, launched_chromium, needs_chromium, serving
from web_helpers import SECRET, Council, add_council

from improveflow.calendar import as_london
from improveflow.services import milestones
from improveflow.services.sign_in import signer
from improveflow.templating import long_date
from improveflow.testing import make_context
from improveflow.testing.smtp import free_port
from improveflow.web.app import create_app

pytestmark = needs_chromium

LEAD = "pia@peers.example"
REPORT = "https://council.example/cpc-feedback-report"


@dataclass
class Site:
    council: Council
    base: str
    today: date


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("milestone-browser")
    port = free_port()
    ctx = make_context(
        f"sqlite:///{folder / 'web.db'}", secret_key=SECRET, base_url=f"http://127.0.0.1:{port}"
    )
    try:
        council = add_council(ctx)
        today = as_london(ctx.clock.now()).date()
        milestones.set_challenge_date(ctx, council.plan_id, today - timedelta(days=100))
        with serving(create_app(ctx), port) as base:
            yield Site(council, base, today)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


def _fill_date(page: Any, day: date) -> None:
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))


@pytest.mark.parametrize(
    ("width", "milestone"), [("desktop", "feedback_report"), ("phone", "action_plan")]
)
def test_a_milestone_is_marked_done_from_its_email_link_without_javascript(
    site: Site, browser: Any, width: str, milestone: str
) -> None:
    """Continue, a day in the future (refused beside the date, the link kept), then the day it
    was done: the timetable says what was recorded."""
    from playwright.sync_api import expect

    profile = browser.new_context(
        locale="en-GB",
        timezone_id="Europe/London",
        viewport=DESKTOP if width == "desktop" else PHONE,
        java_script_enabled=False,
    )
    try:
        page = profile.new_page()
        link = signer(site.council.ctx).timetable_link(
            site.council.person_id(LEAD), site.council.plan_id, milestone
        )
        page.goto(link)
        page.get_by_role("button", name="Continue").click()
        name = milestone.replace("_", " ")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Mark the {name} published")
        _fill_date(page, site.today + timedelta(days=1))
        page.get_by_label("Link to the published document").fill(REPORT)
        page.get_by_role("button", name="Mark it done").click()
        summary = page.locator(".error-summary")
        expect(summary).to_contain_text("is in the future: mark it done once it is")
        expect(page.get_by_label("Link to the published document")).to_have_value(REPORT)
        done_on = site.today - timedelta(days=2)
        _fill_date(page, done_on)
        page.get_by_role("button", name="Mark it done").click()
        expect(page.get_by_role("status")).to_contain_text(
            f"The {name} is recorded as published on {long_date(done_on)}, with the link {REPORT}."
        )
        expect(page.get_by_role("heading", level=1)).to_have_text("Peer-challenge timetable")
    finally:
        profile.close()
