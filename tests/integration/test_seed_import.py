"""Real council plans imported into a database, from the folder named by IMPROVEFLOW_CORPUS_DIR."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from improveflow import audit
from improveflow.models import Objective, Theme
from improveflow.services import people, views
from improveflow.services.context import Context
from improveflow.services.import_report import ImportReport, PlanImportReport
from improveflow.services.importing import ImportOptions, import_plan_files
from improveflow.testing import make_context

_CORPUS = os.environ.get("IMPROVEFLOW_CORPUS_DIR")

pytestmark = pytest.mark.skipif(
    not _CORPUS, reason="IMPROVEFLOW_CORPUS_DIR is not set: no corpus of council plans to import"
)

PEER_CHALLENGE = "003_83684ce8cc8018bd.txt"
HR_PLAN = "000_2db4ac3416f1fef7.txt"
SERVICE_PLAN = "001_73f4c7a2448bf2bc.txt"
SEEDS = (PEER_CHALLENGE, HR_PLAN, SERVICE_PLAN)
MAX_SECONDS = 2.0

DIRECTORY = (
    people.PersonInput("Dana Reeve", "dana@council.example", ("Head of Finance",), ("CMT",)),
    people.PersonInput(
        "Owen Marsh", "owen@council.example", ("Head of Business Transformation",), (), ("owner",)
    ),
    people.PersonInput(
        "Priya Shah", "priya@council.example", ("HRMT", "Head of Strategic HR"), (), ("owner",)
    ),
)


@dataclass
class Imported:
    ctx: Context
    report: ImportReport
    seconds: float

    def plan(self, seed: str) -> PlanImportReport:
        matches = [p for p in self.report.plans if [Path(f).name for f in p.files] == [seed]]
        assert len(matches) == 1, f"{seed}: {len(matches)} plans"
        return matches[0]

    def actions(self, seed: str) -> list[dict[str, Any]]:
        return list(views.action_rows(self.ctx, plan_id=self.plan(seed).plan_id))

    def action(self, seed: str, description: str) -> dict[str, Any]:
        matches = [row for row in self.actions(seed) if row["description"] == description]
        assert len(matches) == 1, f"{description!r}: {len(matches)} actions"
        return matches[0]

    def themes(self, seed: str) -> list[str]:
        with self.ctx.database.reading() as session:
            return list(
                session.exec(
                    select(Theme.title)
                    .where(Theme.plan_id == self.plan(seed).plan_id)
                    .order_by(col(Theme.position), col(Theme.id))
                ).all()
            )

    def objective_references(self, seed: str) -> list[str | None]:
        with self.ctx.database.reading() as session:
            return list(
                session.exec(
                    select(Objective.reference)
                    .join(Theme, col(Theme.id) == Objective.theme_id)
                    .where(Theme.plan_id == self.plan(seed).plan_id)
                    .order_by(col(Theme.position), col(Objective.position), col(Objective.id))
                ).all()
            )


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """The three seeds with action tables, imported together into a fresh SQLite database."""
    assert _CORPUS is not None
    paths = [Path(_CORPUS) / name for name in SEEDS]
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        pytest.skip(f"seed plans missing from IMPROVEFLOW_CORPUS_DIR: {', '.join(missing)}")
    folder = tmp_path_factory.mktemp("seeds")
    ctx = make_context(f"sqlite:///{folder / 'seeds.db'}")
    people.import_people(ctx, DIRECTORY)
    started = time.perf_counter()
    report = import_plan_files(ctx, paths, ImportOptions())
    seconds = time.perf_counter() - started
    yield Imported(ctx, report, seconds)
    ctx.close()


def test_three_seeds_import_in_under_two_seconds(imported: Imported) -> None:
    """Importing all three action plans takes under two seconds (an acceptance criterion)."""
    assert len(imported.report.plans) == 3
    assert imported.seconds < MAX_SECONDS, f"{imported.seconds:.2f}s for three plans"


def test_the_audit_log_verifies_after_the_import(imported: Imported) -> None:
    """Every imported action has its `imported` event and the chain still verifies."""
    total = sum(len(plan.actions) for plan in imported.report.plans)
    with imported.ctx.database.reading() as session:
        verified = audit.verify(session)
    people_events, plan_events = len(DIRECTORY), len(imported.report.plans)
    assert verified.events == people_events + plan_events + total


# 003: the peer challenge plan ---------------------------------------------------------------


def test_peer_challenge_themes_and_challenges(imported: Imported) -> None:
    """Five themes and seven challenges keep their titles and key challenge references."""
    plan = imported.plan(PEER_CHALLENGE)
    assert plan.plan_kind == "peer_challenge"
    assert imported.themes(PEER_CHALLENGE) == [
        "Understanding of Local Context and Priority Setting",
        "Financial Planning and Viability",
        "Political and Managerial Leadership",
        "Governance and Decision Making",
        "Contract/ Partnering Arrangements",
    ]
    assert imported.objective_references(PEER_CHALLENGE) == [
        "key challenge suggestion 2",
        "key challenge suggestions 2 and 3",
        "key challenge suggestion 1",
        "key challenge suggestion 4",
        "key challenge suggestion 5",
        "key challenge suggestion 6",
        "key challenge suggestion 7",
    ]
    assert (plan.themes, plan.objectives) == (5, 7)
    assert 18 <= len(imported.actions(PEER_CHALLENGE)) <= 24
    assert plan.unplaced == []


def test_peer_challenge_financial_strategy(imported: Imported) -> None:
    """ "Extend medium term financial strategy" is owned through the Head of Finance alias."""
    strategy = imported.action(PEER_CHALLENGE, "Extend medium term financial strategy")
    assert (strategy["lead"], strategy["owner_email"]) == (
        "Head of Finance",
        "dana@council.example",
    )
    assert (strategy["timescale"], strategy["target_date"]) == ("February 2015", "2015-02-28")
    assert strategy["source"].startswith(f"{PEER_CHALLENGE}:")


def test_peer_challenge_programme_office_is_complete(imported: Imported) -> None:
    """ "Complete" in the progress column imports the action as complete."""
    office = imported.action(PEER_CHALLENGE, "Recruit GP:GS Programme Office.")
    assert office["state"] == "complete"
    history = views.action_detail(imported.ctx, office["id"])["history"]
    assert [(h["event"], h["to_state"]) for h in history] == [("imported", "complete")]


def test_peer_challenge_lead_cut_by_a_page_break_is_owned(imported: Imported) -> None:
    """A lead whose last word fell onto the next page is joined again and finds its owner."""
    office = imported.action(PEER_CHALLENGE, "Recruit GP:GS Programme Office.")
    assert (office["lead"], office["owner_email"]) == (
        "Head of Business Transformation",
        "owen@council.example",
    )
    academy = imported.action(
        PEER_CHALLENGE, "Deliver the next two rounds of the Project Academy development programme."
    )
    assert academy["lead"] == "Business Transformation Manager"
    assert any(n.startswith("lead joined across a page break") for n in academy["needs_review"])


def test_peer_challenge_capital_receipts(imported: Imported) -> None:
    """An unknown partner as lead is kept and flagged; "Ongoing until 2016/17." ends 31 March."""
    receipts = imported.action(
        PEER_CHALLENGE, "Develop and deliver a Capital Receipt acceleration programme."
    )
    assert (receipts["lead"], receipts["owner_email"]) == ("Kier", None)
    assert (receipts["timescale"], receipts["target_date"]) == (
        "Ongoing until 2016/17.",
        "2017-03-31",
    )
    assert "owner unresolved: 'Kier' matches no person or body" in receipts["needs_review"]
    assert receipts["state"] == "in_progress"


def test_peer_challenge_bodies_become_approving_bodies(imported: Imported) -> None:
    """ "Cabinet/ Corporate Management Team" leads are body hints, not owners."""
    plan = imported.action(
        PEER_CHALLENGE, "Agree and clearly articulate the current operating model"
    )
    assert (plan["owner_email"], plan["approving_bodies"]) == (None, ["Cabinet", "CMT"])
    assert (plan["timescale"], plan["target_date"]) == ("July 2014", "2014-07-31")
    assert "owner unresolved: the lead names only bodies" in plan["needs_review"]


# 000: the HR plan -------------------------------------------------------------------------------


def test_hr_plan_themes_and_lettered_priorities(imported: Imported) -> None:
    """Repeated headings merge into 8 themes holding 36 single-letter priorities."""
    plan = imported.plan(HR_PLAN)
    assert len(imported.themes(HR_PLAN)) == 8
    references = imported.objective_references(HR_PLAN)
    assert len(references) == 36
    assert all(ref is not None and len(ref) == 1 and ref.isalpha() for ref in references)
    assert (plan.themes, plan.objectives) == (8, 36)
    assert plan.unplaced == []


def test_hr_plan_deferred_and_complete_priorities(imported: Imported) -> None:
    """ "deferred until 2017/18" imports as deferred and "COMPLETE." as complete."""
    review = imported.action(HR_PLAN, "To review job evaluation arrangements and procedures.")
    assert review["state"] == "deferred"
    outsource = imported.action(
        HR_PLAN, "To work closely with CWAC to identify an outsource provider for OHU services."
    )
    assert outsource["state"] == "complete"


def test_hr_plan_undetermined_timescales_have_no_target_and_are_flagged(
    imported: Imported,
) -> None:
    """ "To be determined" gives no target date and a reason to review it."""
    undetermined = [
        row
        for row in imported.actions(HR_PLAN)
        if (row["timescale"] or "").startswith("To be determined")
    ]
    assert len(undetermined) == 3
    for row in undetermined:
        assert (row["start_date"], row["target_date"], row["milestones"]) == (None, None, [])
        assert "target date to be determined" in row["needs_review"], row["description"]


def test_hr_plan_owner_found_through_an_alias(imported: Imported) -> None:
    """HR plan actions led by the Head of Strategic HR or HRMT are owned by that person."""
    owners = {row["owner_email"] for row in imported.actions(HR_PLAN)}
    assert "priya@council.example" in owners


# 001: the service plan ----------------------------------------------------------------------


def test_service_plan_tables_import_with_deadlines_and_milestones(imported: Imported) -> None:
    """The service plan's action tables give dated actions, some with several milestones."""
    plan = imported.plan(SERVICE_PLAN)
    assert plan.plan_kind == "service_plan"
    actions = imported.actions(SERVICE_PLAN)
    assert len(actions) == len(plan.actions) > 0
    dated = [row for row in actions if row["target_date"]]
    assert len(dated) > len(actions) / 2
    with_milestones = [row for row in actions if row["milestones"]]
    assert with_milestones
    for row in with_milestones:
        assert len(row["milestones"]) >= 2
        assert row["target_date"] == max(m["target_date"] for m in row["milestones"])
    website = imported.action(SERVICE_PLAN, "Deliver a single website for new council.")
    assert (website["timescale"], website["target_date"]) == ("Apr-09", "2009-04-30")
    assert plan.unplaced == []


def test_service_plan_narrative_sections_are_reported_as_skipped(imported: Imported) -> None:
    """Narrative sections are skipped without error and listed in the report."""
    skipped = imported.plan(SERVICE_PLAN).sections_skipped
    assert f"{SERVICE_PLAN}: 1. Executive Summary (line 26)" in skipped
    assert all(entry.startswith(f"{SERVICE_PLAN}: ") for entry in skipped)
