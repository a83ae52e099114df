"""A new target date typed into the Day, Month and Year boxes in real headless Chromium.

The browser speaks US English and runs no JavaScript: a browser's own date field would show
mm/dd/yyyy there (and turned 31012027 into year 12027); the three boxes read the same in every
language. The app runs under uvicorn on a free loopback port against a temporary SQLite database
and a frozen clock. Screenshots go under the run's output folder (IMPROVEFLOW_TEST_OUTPUT, or
pytest's temporary folder).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from web_helpers import SECRET, start_action

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.services import sign_in
from improveflow.services.context import Context
from improveflow.stores import people as people_store
from improveflow.stores import requests as request_store
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.testing.smtp import free_port
from improveflow.web.serve import server_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
# Monday 2 June 2014, 10:00 in London; the action is due on Tuesday 30 September 2014.
START = datetime(2014, 6, 2, 10, 0, tzinfo=LONDON)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Context]:
    """The app on a free loopback port, over a fresh SQLite file, with the clock at START."""
    port = free_port()
    ctx = make_context(
        f"sqlite:///{tmp_path / 'web.db'}",
        clock=FrozenClock(START),
        secret_key=SECRET,
        base_url=f"http://127.0.0.1:{port}",
    )
    server = server_for(ctx, "127.0.0.1", port, log_level="warning")
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    try:
        yield ctx
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        ctx.close()


@pytest.fixture
def chromium() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("IMPROVEFLOW_TEST_OUTPUT")
    base = Path(given) if given else tmp_path_factory.getbasetemp() / "test-output"
    folder = base / "screenshots" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _asked_date(ctx: Context, action_id: int) -> date | None:
    with ctx.database.reading() as session:
        pending = request_store.pending_request_for(session, action_id)
        return pending.new_target_date if pending else None


def test_owner_types_a_new_target_date_into_three_boxes(
    served: Context, chromium: Any, shots: Path
) -> None:
    """A date that does not exist is explained at its box; a real one opens the request."""
    from playwright.sync_api import expect

    ctx = served
    add_sample_people(ctx)
    action_id = add_action(ctx, add_plan(ctx), target=date(2014, 9, 30))
    start_action(ctx, action_id)
    with ctx.database.reading() as session:
        owen = people_store.person_by_email(session, "owen@council.example").id
    assert owen is not None
    link = sign_in.signer(ctx).action_link(owen, action_id)

    profile = chromium.new_context(
        locale="en-US", timezone_id="America/New_York", java_script_enabled=False
    )
    page = profile.new_page()
    page.goto(link)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Extend medium term financial strategy"
    )
    boxes = page.get_by_role("group", name="New target date")
    expect(boxes).to_contain_text("For example, 30 9 2014")
    form = page.locator("form", has=boxes)

    # 31 February: the summary says why and links to the Day box; what was typed stays.
    boxes.get_by_label("Day").fill("31")
    boxes.get_by_label("Month").fill("2")
    boxes.get_by_label("Year").fill("2015")
    form.get_by_label("Reason").fill("The external audit moved to January")
    form.get_by_role("button", name="Change the target date").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Target date must be a real date")).to_have_attribute(
        "href", "#change-revise_target-date-day"
    )
    expect(boxes).to_contain_text("Error: Target date must be a real date")
    expect(boxes.get_by_label("Day")).to_have_value("31")
    expect(boxes.get_by_label("Year")).to_have_value("2015")
    expect(form.get_by_label("Reason")).to_have_value("The external audit moved to January")
    page.screenshot(path=str(shots / "01-date-not-real.png"), full_page=True)
    assert _asked_date(ctx, action_id) is None

    # Typed as a person types it: the boxes take the day first, whatever the browser's language.
    boxes.get_by_label("Day").fill("")
    boxes.get_by_label("Day").press_sequentially("31")
    boxes.get_by_label("Month").fill("")
    boxes.get_by_label("Month").press_sequentially("1")
    form.get_by_role("button", name="Change the target date").click()
    expect(page.get_by_role("status")).to_contain_text("Your request has been sent for approval")
    expect(page.get_by_role("status")).to_contain_text(
        "Saturday 31 January 2015 is at the weekend, so it is not a working day. "
        "The last working day before it is Friday 30 January 2015."
    )
    waiting = page.locator(
        "section", has=page.get_by_role("heading", name="Waiting for a decision")
    )
    expect(waiting).to_contain_text("New target date asked for: Saturday 31 January 2015.")
    page.screenshot(path=str(shots / "02-date-asked-for.png"), full_page=True)
    assert _asked_date(ctx, action_id) == date(2015, 1, 31)
    profile.close()
