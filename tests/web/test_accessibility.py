"""Every page, at a laptop's width and a phone's, passes axe-core's WCAG 2.2 AA rules and fits.

The site is the demo council after 60 simulated days (reminders, escalations, its mailbox),
with a revised target, a deferral, a request waiting and a peer-challenge timetable, served
on loopback and opened in headless Chromium. Each page is listed once in PAGES below: to check
a new page, add a `Visit` there. A screenshot of every page at every width is saved under the
run's output folder (IMPROVEFLOW_TEST_OUTPUT, or pytest's temporary folder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
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
from web_helpers import tampered

from improveflow.calendar import FinancialYear
from improveflow.demo.mailbox import newest_first
from improveflow.demo.run import demo_app, prepare
from improveflow.models import PlanKind, Verdict
from improveflow.services import (
    approvals,
    milestones,
    plans,
    progress,
    publication,
    rollover,
    scrutiny,
    sweep,
    views,
)
from improveflow.services.context import Context
from improveflow.services.delivery import send_due
from improveflow.services.sign_in import signer
from improveflow.stores import people as people_store
from improveflow.testing import add_action, complete_action
from improveflow.testing.smtp import CapturingSmtpServer, free_port

pytestmark = needs_chromium

LEAD = "pia@peers.example"
CMT_MEMBER = "sam@demo.council.example"  # and an administrator
OWNER = "dana@demo.council.example"  # owns the overdue financial strategy, and sits on CMT
ASKING_OWNER = "priya@demo.council.example"  # has asked for her programme to be completed
OWNER_ONLY = "owen@demo.council.example"  # an owner on no body: no dashboards for him


@dataclass
class Site:
    ctx: Context
    smtp: CapturingSmtpServer
    base: str
    ids: dict[str, int] = field(default_factory=dict)

    def person_id(self, email: str) -> int:
        with self.ctx.database.reading() as session:
            found = people_store.person_by_email(session, email).id
        assert found is not None
        return found

    def fresh_action_link(self) -> str:
        return signer(self.ctx).action_link(self.person_id(OWNER), self.ids["action"])

    def fresh_timetable_link(self) -> str:
        return signer(self.ctx).timetable_link(
            self.person_id(LEAD), self.ids["plan"], "feedback_report"
        )

    def unsubscribe_link(self) -> str:
        return signer(self.ctx).unsubscribe_link(self.person_id(OWNER))


@dataclass(frozen=True)
class Visit:
    """One page to check: where it is, who is signed in, and what they do there first."""

    name: str
    path: str | Callable[[Site], str]  # "{plan}", "{action}" ... name the site's ids
    person: str | None = None  # signed in as; None for a visitor
    then: Callable[[Any], None] | None = None
    fresh: bool = False  # a session of its own (for a visit that ends it)
    status: int = 200  # what the page answers: a page that is missing is not the page meant

    def address(self, site: Site) -> str:
        path = self.path(site) if callable(self.path) else self.path.format(**site.ids)
        return path if path.startswith("http") else site.base + path


def _ask_for_link(email: str) -> Callable[[Any], None]:
    def ask(page: Any) -> None:
        page.get_by_label("Email address").fill(email)
        page.get_by_role("button", name="Email me a sign-in link").click()

    return ask


def _press(name: str) -> Callable[[Any], None]:
    return lambda page: page.get_by_role("button", name=name).click()


def _open_details(page: Any) -> None:
    page.locator("details summary").first.click()


PAGES: tuple[Visit, ...] = (
    # Signing in, links and help
    Visit("sign-in", "/sign-in"),
    Visit("sign-in-with-an-error", "/sign-in", then=_ask_for_link("")),
    Visit("check-your-email", "/sign-in", then=_ask_for_link(OWNER)),
    Visit("help", "/help"),
    Visit("continue", Site.fresh_action_link),
    Visit("link-does-not-work", lambda site: tampered(site.fresh_action_link()), status=400),
    Visit("signed-out", "/plans", person=LEAD, then=_press("Sign out"), fresh=True),
    Visit("page-not-found", "/plans/9999", person=LEAD, status=404),
    Visit("no-access-to-dashboards", "/plans/{plan}/dashboard", person=OWNER_ONLY, status=403),
    # Plans and the lead's dashboard
    Visit("plans", "/plans", person=LEAD),
    Visit("plan", "/plans/{plan}", person=LEAD),
    Visit("plan-rolled-over", "/plans/{rolled_over_plan}", person=LEAD),
    Visit("dashboard", "/plans/{plan}/dashboard", person=LEAD),
    Visit("dashboard-chart-numbers", "/plans/{plan}/dashboard", person=LEAD, then=_open_details),
    Visit("dashboard-filtered-to-nothing", "/plans/{plan}/dashboard?q=no+such+action", person=LEAD),
    # The peer-challenge timetable, and marking a milestone done (or correcting one done)
    Visit("timetable", "/plans/{plan}/timetable", person=LEAD),
    Visit("timetable-marked-done", "/plans/{plan}/timetable?done=action-plan", person=LEAD),
    Visit("timetable-for-an-owner", "/plans/{plan}/timetable", person=OWNER_ONLY),
    Visit("milestone-done", "/plans/{plan}/timetable/feedback-report", person=LEAD),
    Visit(
        "milestone-done-with-errors",
        "/plans/{plan}/timetable/feedback-report",
        person=LEAD,
        then=_press("Mark it done"),
    ),
    Visit("milestone-correct", "/plans/{plan}/timetable/action-plan", person=LEAD),
    Visit("continue-to-the-timetable", Site.fresh_timetable_link),
    Visit("workflow", "/workflow", person=LEAD),
    Visit("plan-workflow", "/plans/{plan}/workflow", person=LEAD),
    Visit("scrutiny-dashboard", "/plans/{scrutiny_plan}/dashboard", person=LEAD),
    Visit("scrutiny-timetable", "/plans/{scrutiny_plan}/timetable", person=CMT_MEMBER),
    Visit(
        "scrutiny-response-given",
        "/plans/{scrutiny_plan}/timetable/executive-response",
        person=CMT_MEMBER,
    ),
    # Owners
    Visit("action", "/actions/{action}", person=OWNER),
    Visit(
        "action-with-an-error",
        "/actions/{action}",
        person=OWNER,
        then=_press("Save progress update"),
    ),
    Visit("action-waiting-for-a-decision", "/actions/{waiting_action}", person=ASKING_OWNER),
    Visit("action-signed-off-by-committee", "/actions/{signed_off_action}", person=OWNER),
    Visit("action-carried-forward", "/actions/{carried_action}", person=OWNER),
    Visit("my-actions", "/my-actions", person=OWNER),
    Visit("preferences", "/preferences", person=OWNER),
    Visit("unsubscribe", Site.unsubscribe_link),
    # Approvers
    Visit("approvals", "/approvals", person=CMT_MEMBER),
    Visit("approval", "/approvals/{request}", person=CMT_MEMBER),
    # Anyone: a published plan's public progress page
    Visit("public-progress", "/public/plans/demo-plan"),
    Visit("public-progress-not-found", "/public/plans/no-such-plan", status=404),
    # Administrators
    Visit("email-delivery", "/admin/email", person=CMT_MEMBER),
    # The demo's mailbox
    Visit("demo-mail", "/demo/mail"),
    Visit("demo-mail-to-one-person", "/demo/mail?to=" + OWNER),
    Visit("demo-mail-email", "/demo/mail/{mail}"),
    Visit("demo-mail-email-text", "/demo/mail/{mail}/text"),
)
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


def _add_history(ctx: Context) -> dict[str, int]:
    """A revised target, a deferral, a long progress note, a request waiting for CMT, and a
    scrutiny plan with an action signed off by its committee."""
    strategy, savings, depot, leadership = 3, 4, 5, 6  # the demo plan's actions
    base = ctx.clock.now()
    revised = approvals.request_change(
        ctx, savings, "revise_target", by_email=OWNER,
        reason="Budget holders asked for another quarter",
        new_target_date=(base + timedelta(days=200)).date(),
    )  # fmt: skip
    assert revised.request_id is not None
    approvals.decide(ctx, revised.request_id, Verdict.APPROVE, by_email="ruth@demo.council.example")
    deferred = approvals.request_change(
        ctx, depot, "defer", by_email=OWNER, reason="The market has fallen; we look again in 2028"
    )
    assert deferred.request_id is not None
    approvals.decide(
        ctx, deferred.request_id, Verdict.APPROVE, by_email="ruth@demo.council.example"
    )
    long_note = progress.record_progress(
        ctx, strategy,
        "Model built. The draft is at https://intranet.demo.council.example/sites/finance/mtfs/"
        "drafts/2026-27/medium-term-financial-strategy-version-4-for-cmt.docx for comment.",
        None, by_email=OWNER,
    )  # fmt: skip
    # Public, so the public page shows a long progress note and the action page its marking.
    publication.mark_progress(ctx, long_note, public=True, by_email=CMT_MEMBER)
    publication.publish_plan(ctx, 1, by_email=CMT_MEMBER, slug="demo-plan")
    waiting = approvals.request_change(
        ctx, leadership, "complete", by_email=ASKING_OWNER, reason="All managers have finished"
    )
    assert waiting.request_id is not None
    # The peer-challenge timetable on the dashboard: one milestone done with its link, others
    # overdue or still to come.
    milestones.set_challenge_date(ctx, 1, (base - timedelta(days=120)).date(), by_email=LEAD)
    milestones.mark_done(
        ctx, 1, milestones.milestone_kind("action-plan"),
        done_on=(base - timedelta(days=5)).date(),
        link="https://demo.council.example/peer-challenge/action-plan", by_email=LEAD,
    )  # fmt: skip
    # A scrutiny plan: its response overdue on the dashboard, an action signed off by committee.
    review = plans.create_plan(
        ctx, "Scrutiny review of waste collection", PlanKind.SCRUTINY,
        report_date=(base - timedelta(days=90)).date(),
    ).id  # fmt: skip
    signed = add_action(ctx, review, "R1 Publish the collection calendar", owner=OWNER)
    complete_action(ctx, signed, owner=OWNER, decider=CMT_MEMBER)
    scrutiny.sign_off(
        ctx, signed, signed_off_on=(base - timedelta(days=3)).date(), minute="12/26",
        by_email=CMT_MEMBER,
    )  # fmt: skip
    now = ctx.clock.now()
    sweep.queue_due_notices(ctx, now=now)
    send_due(ctx, now=now)
    # Last year's governance statement plan, rolled over: next year's action says where it
    # came from, and last year's plan where its actions went.
    last_year = FinancialYear.containing(base.date()).start_year - 1
    ags = plans.create_plan(
        ctx, "Annual Governance Statement action plan", PlanKind.GOVERNANCE_STATEMENT,
        year=FinancialYear(last_year),
    )  # fmt: skip
    plans.add_action(
        ctx,
        plans.NewAction(
            plan_id=ags.id, theme="Procurement", objective="Contract procedure rules are followed",
            description="Refresh the contract procedure rules", owner_email=OWNER,
            target_date=(base - timedelta(days=30)).date(), reference="AGS 1",
        ),
    )  # fmt: skip
    rolled = rollover.roll_over(ctx, ags.id, by_email=CMT_MEMBER)
    carried = next(iter(views.action_rows(ctx, plan_id=rolled.plan.id)))["id"]
    return {
        "plan": 1,
        "action": strategy,
        "waiting_action": leadership,
        "request": waiting.request_id,
        "scrutiny_plan": review,
        "signed_off_action": signed,
        "carried_action": carried,
        "rolled_over_plan": ags.id,
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("accessibility")
    port = free_port()
    with CapturingSmtpServer() as smtp:
        ctx = prepare(folder, smtp, port, timedelta(days=60))
        try:
            ids = _add_history(ctx)
            escalation = next(m for m in newest_first(smtp) if m.subject.startswith("Overdue"))
            ids["mail"] = escalation.number
            with serving(demo_app(ctx, smtp), port) as base:
                yield Site(ctx, smtp, base, ids)
        finally:
            ctx.close()


class Browsers:
    """One browser profile per width, made once; each person's session cookie, kept after they
    first sign in, is put in the profile for the pages they visit."""

    def __init__(self, browser: Any, site: Site) -> None:
        self.browser = browser
        self.site = site
        self.profiles: dict[str, Any] = {}
        self.sessions: dict[str, list[dict[str, Any]]] = {}

    def _profile(self, width: str) -> Any:
        if width not in self.profiles:
            self.profiles[width] = self.browser.new_context(
                locale="en-GB",
                timezone_id="Europe/London",
                viewport=WIDTHS[width],
                is_mobile=width == "phone",
            )
        return self.profiles[width]

    def _sign_in(self, profile: Any, person: str) -> None:
        page = profile.new_page()
        try:
            page.goto(signer(self.site.ctx).sign_in_link(self.site.person_id(person)))
            page.get_by_role("button", name="Continue").click()
            page.wait_for_load_state()
        finally:
            page.close()

    def page(self, width: str, person: str | None, *, fresh: bool = False) -> Any:
        """A new page at `width`, signed in as `person`; `fresh` for a session of its own."""
        profile = self._profile(width)
        profile.clear_cookies()
        if person is not None and (fresh or person not in self.sessions):
            self._sign_in(profile, person)
            if not fresh:
                self.sessions[person] = profile.cookies()
        elif person is not None:
            profile.add_cookies(self.sessions[person])
        return profile.new_page()


@pytest.fixture(scope="module")
def browsers(site: Site) -> Iterator[Browsers]:
    with launched_chromium() as browser:
        yield Browsers(browser, site)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return output_folder(tmp_path_factory.getbasetemp(), "accessibility")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("visit", PAGES, ids=[visit.name for visit in PAGES])
def test_page_passes_axe_and_fits_the_screen(
    site: Site, browsers: Browsers, shots: Path, visit: Visit, width: str
) -> None:
    """No WCAG 2.2 A or AA violation axe-core finds; nothing cut off or wider than the screen."""
    page = browsers.page(width, visit.person, fresh=visit.fresh)
    try:
        opened = page.goto(visit.address(site))
        assert opened is not None
        assert opened.status == visit.status, page.url
        if visit.then is not None:
            visit.then(page)
            page.wait_for_load_state()
        page.screenshot(path=str(shots / f"{visit.name}-{width}.png"), full_page=True)
        violations = axe_violations(page)
        assert not violations, f"{page.url}\n{describe_violations(violations)}"
        problems = layout_problems(page)
        assert not problems, f"{page.url} at {WIDTHS[width]['width']}px:\n" + "\n".join(problems)
    finally:
        page.close()
