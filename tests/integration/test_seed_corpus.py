"""Real council plans, read from the folder named by IMPROVEFLOW_CORPUS_DIR when it is set."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from improveflow.exceptions import InputFileError
from improveflow.importers.council_table import read_council_file
from improveflow.importers.lead_breaks import join_leads_cut_by_page_breaks
from improveflow.importers.leads import DirectoryEntry, LeadMatcher
from improveflow.importers.records import REVIEW_LEAD_JOINED, ParsedAction, ParsedPlan

_CORPUS = os.environ.get("IMPROVEFLOW_CORPUS_DIR")

pytestmark = pytest.mark.skipif(
    not _CORPUS, reason="IMPROVEFLOW_CORPUS_DIR is not set: no corpus of council plans to read"
)

PEER_CHALLENGE = "003_83684ce8cc8018bd.txt"
HR_PLAN = "000_2db4ac3416f1fef7.txt"
SERVICE_PLAN = "001_73f4c7a2448bf2bc.txt"


def _corpus() -> Path:
    assert _CORPUS is not None
    return Path(_CORPUS)


def _read(name: str) -> ParsedPlan:
    path = _corpus() / name
    if not path.is_file():
        pytest.skip(f"{name} is not in the corpus")
    return read_council_file(path)


def _action(plan: ParsedPlan, description: str) -> ParsedAction:
    matches = [found for found in plan.actions() if found.description == description]
    assert len(matches) == 1, f"{description!r}: {len(matches)} actions"
    return matches[0]


def test_every_text_file_in_the_corpus_is_read_or_cleanly_refused() -> None:
    """Each plan either parses, or is narrative refused for having no action table."""
    files = sorted(_corpus().glob("*.txt"))
    assert files, f"no .txt files in {_corpus()}"
    refusals: dict[str, str] = {}
    for path in files:
        try:
            plan = read_council_file(path)
        except InputFileError as error:
            refusals[path.name] = error.problem
        else:
            assert plan.themes, f"{path.name}: a header row but no themes"
    for name, problem in refusals.items():
        assert problem.startswith("no recognisable header row"), f"{name}: {problem}"


def test_the_three_action_plans_parse_well_under_a_second() -> None:
    """Reading all three plans with action tables stays far below a second."""
    names = [PEER_CHALLENGE, HR_PLAN, SERVICE_PLAN]
    paths = [_corpus() / name for name in names if (_corpus() / name).is_file()]
    started = time.perf_counter()
    for path in paths:
        read_council_file(path)
    assert time.perf_counter() - started < 1.0


def test_peer_challenge_plan() -> None:
    """The peer challenge plan has 5 themes, 7 challenges and about twenty actions."""
    plan = _read(PEER_CHALLENGE)
    assert [theme.title for theme in plan.themes] == [
        "Understanding of Local Context and Priority Setting",
        "Financial Planning and Viability",
        "Political and Managerial Leadership",
        "Governance and Decision Making",
        "Contract/ Partnering Arrangements",
    ]
    assert [found.reference for found in plan.objectives()] == [
        "key challenge suggestion 2",
        "key challenge suggestions 2 and 3",
        "key challenge suggestion 1",
        "key challenge suggestion 4",
        "key challenge suggestion 5",
        "key challenge suggestion 6",
        "key challenge suggestion 7",
    ]
    assert 18 <= len(plan.actions()) <= 24
    assert plan.unplaced == []


def test_peer_challenge_named_actions() -> None:
    """Actions the council tracks keep their leads, raw timescales and progress."""
    plan = _read(PEER_CHALLENGE)
    strategy = _action(plan, "Extend medium term financial strategy")
    assert (strategy.lead, strategy.timescale) == ("Head of Finance", "February 2015")
    assert _action(plan, "Recruit GP:GS Programme Office.").progress == "Complete"
    receipts = _action(plan, "Develop and deliver a Capital Receipt acceleration programme.")
    assert (receipts.lead, receipts.timescale) == ("Kier", "Ongoing until 2016/17.")
    assert receipts.progress is not None
    assert "partner, Kier." in receipts.progress


def test_peer_challenge_row_split_over_three_actions_and_a_page_break() -> None:
    """Three actions in one row, the last finished on the next page, come out whole."""
    plan = _read(PEER_CHALLENGE)
    programme = _action(
        plan, "Develop an organisation wide leadership and change management programme."
    )
    assert programme.lead == "Human Resources/ Corporate Management Team"
    assert programme.timescale == "September 2014 (Leadership) 2015/16 (Lean)"


def test_peer_challenge_lead_cut_by_a_page_break_is_joined_through_the_directory() -> None:
    """The lead's last word, pushed onto the next page's lead, goes back to the alias it ends."""
    plan = _read(PEER_CHALLENGE)
    owen = DirectoryEntry(
        1, "owen@council.example", "Owen Marsh", ("Head of Business Transformation",)
    )
    matcher = LeadMatcher([owen], {"CMT": "Corporate Management Team", "Cabinet": "Cabinet"})
    assert join_leads_cut_by_page_breaks(plan, matcher) == 1
    office = _action(plan, "Recruit GP:GS Programme Office.")
    assert office.lead == "Head of Business Transformation"
    assert matcher.match(office.lead).owner_email == "owen@council.example"
    following = plan.actions()[plan.actions().index(office) + 1]
    assert following.lead == "Business Transformation Manager"
    assert all(
        any(reason.startswith(REVIEW_LEAD_JOINED) for reason in action.review)
        for action in (office, following)
    )


def test_hr_plan_themes_and_lettered_priorities() -> None:
    """The HR plan's headings repeat on every page yet make 8 themes of 36 lettered priorities."""
    plan = _read(HR_PLAN)
    assert len(plan.themes) == 8
    references = [found.reference for found in plan.objectives()]
    assert len(references) == 36
    assert all(ref is not None and ref.isalpha() and len(ref) == 1 for ref in references)
    assert plan.unplaced == []


def test_hr_plan_named_priorities() -> None:
    """Deferred, complete and undetermined priorities keep the text that says so."""
    plan = _read(HR_PLAN)
    review = _action(plan, "To review job evaluation arrangements and procedures.")
    assert review.progress is not None
    assert "deferred until 2017/18" in review.progress
    outsource = _action(
        plan, "To work closely with CWAC to identify an outsource provider for OHU services."
    )
    assert outsource.progress is not None
    assert outsource.progress.startswith("COMPLETE.")
    undetermined = [
        a for a in plan.actions() if a.timescale in ("To be determined.", "To be determined")
    ]
    assert len(undetermined) == 3


def test_service_plan_action_tables_import_and_narrative_is_skipped() -> None:
    """The service plan's action tables import with milestones and deadlines; prose is skipped."""
    plan = _read(SERVICE_PLAN)
    titles = [theme.title for theme in plan.themes]
    assert "7. Health & Safety Action Plan for 2008/09" in titles
    assert "10. Organisation Development and Learning Action Plan" in titles
    safety = plan.themes[titles.index("7. Health & Safety Action Plan for 2008/09")]
    assert [found.reference for found in safety.objectives] == ["1", "2", "3", "4"]
    framework = _action(plan, "Devise framework for managing E&D performance information")
    assert (framework.timescale, framework.lead) == (
        "30 June 2008",
        "Head of HR&D Diversity Officer",
    )
    website = _action(plan, "Deliver a single website for new council.")
    assert website.timescale == "Apr-09"
    monitoring = {found.monitoring for found in plan.objectives()}
    assert {"CMT Report", "Scrutiny C&PP Cabinet"} <= monitoring
    assert "1. Executive Summary (line 26)" in plan.sections_skipped
    assert plan.unplaced == []
