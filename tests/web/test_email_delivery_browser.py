"""The administrators' email delivery page, in headless Chromium, at a
laptop's width and a phone's: it passes axe-core's WCAG 2.2 AA rules, fits, and reads right
while email is failing, with a refused email listed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    DESKTOP,
    PHONE,
    axe_violations,
    describe_violations,
    launched_chromium,
    layout_problems,
    needs_chromium,
    output_folder,
    serving,
)
from web_helpers import BASE, SECRET, Council, add_council

from improveflow.clock import FrozenClock
from improveflow.services import delivery, sign_in, sweep
from improveflow.services.context import Context
from improveflow.testing import make_context
from improveflow.testing.smtp import CapturingSmtpServer, free_port
from improveflow.web.app import create_app

pytestmark = needs_chromium


@pytest.fixture
def failing_site(tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[Council, str]]:
    """A council whose mail server refused Owen for good, then went down: one run each."""
    with CapturingSmtpServer() as smtp:
        ctx = make_context(
            f"sqlite:///{tmp_path / 'improveflow.db'}",
            clock=clock,
            secret_key=SECRET,
            base_url=BASE,
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_from="plans@council.example",
        )
        try:
            council = add_council(ctx)
            smtp.refuse("owen@council.example")
            sweep.queue_due_notices(ctx)
            delivery.send_due(ctx)
            sign_in.send_sign_in_link(ctx, "alex@council.example")
            smtp.stop()
            delivery.send_due(ctx)
            port = free_port()
            settings = ctx.settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
            served = Context(settings, ctx.database, ctx.workflows, ctx.clock)
            with serving(create_app(served), port) as base:
                yield Council(served, council.plan_id, council.action_id, council.drafted_id), base
        finally:
            ctx.close()


def _signed_in(browser: Any, council: Council, width: dict[str, int]) -> Any:
    context = browser.new_context(viewport=width)
    page = context.new_page()
    link = sign_in.signer(council.ctx).sign_in_link(council.person_id("alex@council.example"))
    page.goto(link)
    page.get_by_role("button", name="Continue").click()
    return page


def test_the_email_delivery_page_is_accessible_and_fits(
    failing_site: tuple[Council, str], tmp_path: Path
) -> None:
    """No axe violation and nothing cut off, at both widths, with the alert and both lists."""
    council, base = failing_site
    folder = output_folder(tmp_path, "email-delivery")
    with launched_chromium() as browser:
        for name, width in (("desktop", DESKTOP), ("phone", PHONE)):
            page = _signed_in(browser, council, width)
            page.goto(f"{base}/admin/email")
            assert page.get_by_role("heading", name="Email is not getting out").is_visible()
            assert page.get_by_text("Recipient unknown").first.is_visible()
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            violations = axe_violations(page)
            assert violations == [], describe_violations(violations)
            assert layout_problems(page) == []
            page.context.close()
