"""A link from an email in real headless Chromium (no JavaScript), against the app under uvicorn:
the Continue page names whose link it is and how long the visit lasts, the visit opens that page
alone, and the sign-in form answers before its email is queued."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import (
    axe_violations,
    describe_violations,
    launched_chromium,
    needs_chromium,
    serving,
)
from web_helpers import SECRET, start_action

from improveflow.clock import FrozenClock
from improveflow.services import sign_in
from improveflow.services.context import Context
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.testing.smtp import free_port
from improveflow.web.app import create_app

pytestmark = needs_chromium


@pytest.fixture
def site(tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[Context, str, int]]:
    """The app under uvicorn on a free loopback port, a small council, and Owen's action."""
    port = free_port()
    ctx = make_context(
        f"sqlite:///{tmp_path / 'web.db'}",
        clock=clock,
        secret_key=SECRET,
        base_url=f"http://127.0.0.1:{port}",
    )
    add_sample_people(ctx)
    action_id = add_action(ctx, add_plan(ctx), target=date(2014, 9, 30))
    start_action(ctx, action_id)
    with serving(create_app(ctx), port) as address:
        yield ctx, address, action_id
    ctx.close()


@pytest.fixture
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def _person(ctx: Context, email: str) -> int:
    with ctx.database.reading() as session:
        found = session.connection().execute(
            sa.text("SELECT id FROM person WHERE email = :email"), {"email": email}
        )
        return int(found.scalar_one())


def test_an_action_link_in_a_browser_opens_that_action_alone(
    site: tuple[Context, str, int], chromium: Any
) -> None:
    """Owen reads whose link it is, continues to his action, and finds every other page asks
    him to sign in; the Continue page meets WCAG 2.2 AA."""
    from playwright.sync_api import expect

    ctx, address, action_id = site
    link = sign_in.signer(ctx).action_link(_person(ctx, "owen@council.example"), action_id)
    # The pages' Content-Security-Policy forbids every script; axe-core is run by Playwright.
    profile = chromium.new_context()
    page = profile.new_page()
    page.goto(link)
    expect(page.get_by_text("This link is for Owen Marsh (owen@council.example).")).to_be_visible()
    expect(
        page.get_by_text("It opens that page only, and for 1 hour after you continue.")
    ).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Save progress update")).to_be_visible()
    for elsewhere in ("/my-actions", "/plans", "/approvals"):
        page.goto(address + elsewhere)
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        expect(page.get_by_text("You need to sign in to see that page.")).to_be_visible()
    page.goto(f"{address}/actions/{action_id}")
    expect(page.get_by_role("button", name="Save progress update")).to_be_visible()
    profile.close()


def test_the_sign_in_form_in_a_browser_states_its_limit_and_queues_the_email(
    site: tuple[Context, str, int], chromium: Any
) -> None:
    """The form says how many links an address gets; the answer is the same page for a known
    address, whose email is queued once the answer has gone."""
    from playwright.sync_api import expect

    ctx, address, _ = site
    page = chromium.new_page()
    page.goto(address + "/sign-in")
    expect(
        page.get_by_text("You can ask for up to 5 links an hour for one email address.")
    ).to_be_visible()
    page.get_by_label("Email address").fill("dana@council.example")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    deadline = time.monotonic() + 10
    while True:
        with ctx.database.reading() as session:
            queued = session.connection().execute(
                sa.text("SELECT recipient_email FROM outbox WHERE template = 'sign_in'")
            )
            found = list(queued.scalars())
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert found == ["dana@council.example"]
    page.close()
