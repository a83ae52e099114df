"""The public progress page in real headless Chromium, as an anonymous visitor
on a fresh profile: the published plan reads, an unpublished one is not found, progress not
marked public is nowhere, axe-core finds nothing at desktop and phone widths, and no cookie is
ever set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
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
from web_helpers import SECRET, start_action

from improveflow.clock import FrozenClock
from improveflow.models import Rag
from improveflow.services import progress, publication
from improveflow.testing import add_action, add_plan, add_sample_people, make_context
from improveflow.testing.smtp import free_port
from improveflow.web.app import create_app

pytestmark = needs_chromium

OWEN = "owen@council.example"
DANA = "dana@council.example"


@pytest.fixture
def address(tmp_path: Path, clock: FrozenClock) -> Iterator[str]:
    """Two plans under uvicorn: one published with a public and a private update, one not."""
    port = free_port()
    ctx = make_context(
        f"sqlite:///{tmp_path / 'web.db'}",
        clock=clock,
        secret_key=SECRET,
        base_url=f"http://127.0.0.1:{port}",
    )
    add_sample_people(ctx)
    published = add_plan(ctx)
    action_id = add_action(ctx, published, target=date(2014, 9, 30))
    start_action(ctx, action_id)
    shown = progress.record_progress(
        ctx, action_id, "Five-year model drafted and shared with Cabinet", Rag.AMBER, by_email=OWEN
    )
    progress.record_progress(ctx, action_id, "Not for the public: a £4m gap", None, by_email=OWEN)
    publication.mark_progress(ctx, shown, public=True, by_email=DANA)
    publication.publish_plan(ctx, published, by_email=DANA)
    hidden = add_plan(ctx, "Workforce Strategy Action Plan")
    start_action(ctx, add_action(ctx, hidden, "Agree a workforce plan"))
    with serving(create_app(ctx), port) as served:
        yield served
    ctx.close()


@pytest.fixture
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def test_an_anonymous_visitor_reads_only_what_is_published(
    address: str, chromium: Any, tmp_path: Path
) -> None:
    """Published plan visible with its public progress; the private update absent; the other
    plan 404; axe clean and nothing cut off at 1280 and 390 pixels; no cookie set."""
    from playwright.sync_api import expect

    shots = output_folder(tmp_path, "public-page")
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        # The pages' Content-Security-Policy forbids every script; axe-core is run by Playwright.
        profile = chromium.new_context(viewport=size, locale="en-GB")
        page = profile.new_page()
        response = page.goto(f"{address}/public/plans/peer-challenge-improvement-plan")
        assert response is not None
        assert response.status == 200
        expect(page.get_by_role("heading", level=1)).to_have_text("Peer Challenge Improvement Plan")
        expect(page.get_by_text("Five-year model drafted and shared with Cabinet")).to_be_visible()
        expect(page.get_by_text("Last updated Monday 2 June 2014.")).to_be_visible()
        assert "Not for the public" not in page.content()
        assert "Owen Marsh" not in page.content()
        violations = axe_violations(page)
        assert violations == [], describe_violations(violations)
        assert layout_problems(page) == []
        page.screenshot(path=str(shots / f"public-plan-{name}.png"), full_page=True)

        missing = page.goto(f"{address}/public/plans/workforce-strategy-action-plan")
        assert missing is not None
        assert missing.status == 404
        assert "Agree a workforce plan" not in page.content()
        violations = axe_violations(page)
        assert violations == [], describe_violations(violations)

        assert profile.cookies() == []
        profile.close()
