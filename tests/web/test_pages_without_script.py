"""The workflow and decided-request pages in real headless Chromium, scripts switched off.

Signing in (a link and its Continue button), the table and the server-drawn diagram need no
script; the diagram is drawn, the pages fit a laptop's and a phone's screen, and axe-core
finds no WCAG 2.2 A or AA problem. Screenshots go under the run's output folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
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
from web_helpers import SECRET, Council, add_council

from improveflow.models import Verdict
from improveflow.services import approvals, sign_in
from improveflow.testing import make_context
from improveflow.testing.smtp import free_port
from improveflow.web.app import create_app

pytestmark = needs_chromium

OWEN = "owen@council.example"
RUTH = "ruth@council.example"  # Cabinet


@dataclass
class Site:
    council: Council
    base: str
    decided: int  # a new target date Cabinet approved


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("workflow-browser")
    port = free_port()
    ctx = make_context(
        f"sqlite:///{folder / 'web.db'}", secret_key=SECRET, base_url=f"http://127.0.0.1:{port}"
    )
    try:
        council = add_council(ctx)
        asked = approvals.request_change(
            ctx, council.action_id, "revise_target", by_email=OWEN,
            reason="The consultation moved", new_target_date=date(2015, 1, 31),
        )  # fmt: skip
        assert asked.request_id is not None
        approvals.decide(ctx, asked.request_id, Verdict.APPROVE, by_email=RUTH, comment="Agreed")
        with serving(create_app(ctx), port) as base:
            yield Site(council, base, asked.request_id)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


def _signed_in(
    browser: Any, site: Site, viewport: dict[str, int], *, script: bool, email: str = OWEN
) -> Any:
    """A fresh profile signed in by following a sign-in link and pressing Continue."""
    profile = browser.new_context(
        locale="en-GB",
        timezone_id="Europe/London",
        viewport=viewport,
        java_script_enabled=script,
    )
    page = profile.new_page()
    person = site.council.person_id(email)
    page.goto(sign_in.signer(site.council.ctx).sign_in_link(person))
    page.get_by_role("button", name="Continue").click()
    return page


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_plan_workflow_page_works_without_javascript(
    site: Site, browser: Any, width: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """With scripts off, the plan's workflow shows its table and its drawn diagram, and fits."""
    from playwright.sync_api import expect

    viewport = DESKTOP if width == "desktop" else PHONE
    page = _signed_in(browser, site, viewport, script=False)
    try:
        page.goto(f"{site.base}/plans/{site.council.plan_id}/workflow")
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            "An improvement-plan action, from agreement to completion"
        )
        target_row = page.get_by_role("row", name="Change the target date")
        expect(target_row).to_contain_text("Cabinet (as for all peer-challenge plans)")
        diagram = page.get_by_role("img", name="Diagram of the workflow of Peer Challenge")
        expect(diagram).to_be_visible()
        box = diagram.bounding_box()
        assert box is not None
        assert box["width"] > 200
        assert box["height"] > 200
        expect(page.locator("svg text", has_text="In progress")).to_be_visible()
        shots = output_folder(tmp_path_factory.getbasetemp(), "workflow")
        page.screenshot(path=str(shots / f"plan-workflow-{width}.png"), full_page=True)
        problems = layout_problems(page)
        assert not problems, "\n".join(problems)
    finally:
        page.context.close()


@pytest.mark.parametrize("path", ["/workflow", "/plans/{plan}/workflow"])
def test_workflow_pages_pass_axe(site: Site, browser: Any, path: str) -> None:
    """axe-core finds no WCAG 2.2 A or AA violation on either workflow page."""
    page = _signed_in(browser, site, DESKTOP, script=True)
    try:
        page.goto(site.base + path.format(plan=site.council.plan_id))
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)
    finally:
        page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_decided_request_page_works_without_javascript(
    site: Site, browser: Any, width: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The approved request's page reads right with scripts off, fits, and passes axe."""
    from playwright.sync_api import expect

    viewport = DESKTOP if width == "desktop" else PHONE
    page = _signed_in(browser, site, viewport, script=False, email=RUTH)
    try:
        page.goto(f"{site.base}/approvals/{site.decided}")
        expect(
            page.get_by_text("This request was approved by Cllr Ruth Holt (Cabinet)")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Approve")).to_have_count(0)
        shots = output_folder(tmp_path_factory.getbasetemp(), "workflow")
        page.screenshot(path=str(shots / f"decided-request-{width}.png"), full_page=True)
        problems = layout_problems(page)
        assert not problems, "\n".join(problems)
    finally:
        page.context.close()
    checked = _signed_in(browser, site, viewport, script=True, email=RUTH)
    try:
        checked.goto(f"{site.base}/approvals/{site.decided}")
        violations = axe_violations(checked)
        assert not violations, describe_violations(violations)
    finally:
        checked.context.close()
