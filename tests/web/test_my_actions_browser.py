"""My actions in real headless Chromium at a phone's width (390 px), with JavaScript off.

The app runs under uvicorn on a free loopback port, in a thread, against a temporary SQLite
database and the tests' frozen clock. A screenshot is saved under the run's output folder
(IMPROVEFLOW_TEST_OUTPUT, or pytest's temporary folder).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from my_actions_mix import LISTED, OWEN, add_owners_mix
from web_helpers import SECRET, Council, add_council

from improveflow.clock import FrozenClock
from improveflow.services import sign_in
from improveflow.services.context import Context
from improveflow.testing import DEFAULT_MOMENT, make_context
from improveflow.testing.smtp import free_port
from improveflow.web.serve import server_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PHONE_WIDTH = 390

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Context, FrozenClock, str]]:
    """The app on a free loopback port: its context, clock and address."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock = FrozenClock(DEFAULT_MOMENT)
    ctx = make_context(
        f"sqlite:///{tmp_path / 'web.db'}", clock=clock, secret_key=SECRET, base_url=base
    )
    server = server_for(ctx, "127.0.0.1", port, log_level="warning")
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    try:
        yield ctx, clock, base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        ctx.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("IMPROVEFLOW_TEST_OUTPUT")
    base = Path(given) if given else tmp_path_factory.getbasetemp() / "test-output"
    folder = base / "screenshots" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_my_actions_reads_whole_on_a_phone_without_javascript(
    served: tuple[Context, FrozenClock, str], browser: Any, shots: Path
) -> None:
    """At 390 px with JavaScript off, an owner signs in, lands on My actions and reads every
    action in order, with what is asked of them, and nothing is cut off at the side."""
    from playwright.sync_api import expect

    ctx, clock, base = served
    council: Council = add_council(ctx)
    add_owners_mix(council, clock)
    phone = browser.new_context(
        locale="en-GB",
        timezone_id="Europe/London",
        viewport={"width": PHONE_WIDTH, "height": 844},
        is_mobile=True,
        java_script_enabled=False,
    ).new_page()

    phone.goto(sign_in.signer(ctx).sign_in_link(council.person_id(OWEN)))
    phone.get_by_role("button", name="Continue").click()
    assert phone.url == f"{base}/my-actions"
    expect(phone.get_by_role("heading", level=1)).to_have_text("My actions")
    expect(phone.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="My actions")).to_be_visible()  # fmt: skip
    headings = phone.get_by_role("heading", level=2)
    expect(headings).to_have_text(list(LISTED))
    first = phone.locator("article").first
    expect(first).to_contain_text("Overdue")
    expect(first).to_contain_text("The target date was Friday 30 May 2014, 1 working day ago.")
    expect(phone.locator("article").nth(2)).to_contain_text(
        "Dana Reeve owns this action; you are standing in for them until Sunday 15 June 2014."
    )
    expect(phone.locator("article").last).to_contain_text("No target date")
    phone.get_by_role("link", name=LISTED[1]).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(LISTED[1])
    phone.go_back()

    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    # Every box on the page ends inside the screen: no column, tag or word is cut off.
    for element in phone.locator("main *").all():
        box = element.bounding_box()
        if box is not None:
            assert box["x"] >= 0, box
            assert box["x"] + box["width"] <= PHONE_WIDTH + 0.5, box
    # The summary lists stack (label above value) rather than squeeze into two columns.
    term = phone.locator("article dt").first.bounding_box()
    value = phone.locator("article dd").first.bounding_box()
    assert term is not None
    assert value is not None
    assert value["y"] >= term["y"] + term["height"] - 1
    phone.screenshot(path=str(shots / "my-actions-390px.png"), full_page=True)
    assert (shots / "my-actions-390px.png").stat().st_size > 0
