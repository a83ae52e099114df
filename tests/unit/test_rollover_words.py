"""The words of a roll-over: next year's default title, written the way last year's was, and
what the roll-over says it did."""

from __future__ import annotations

import pytest

from improveflow.calendar import FinancialYear
from improveflow.services.plans import PlanView
from improveflow.services.rollover import RolledOver, carried_words, default_title
from improveflow.stores.rollover import YearLink

Y2025 = FinancialYear(2025)
Y2026 = FinancialYear(2026)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Annual Governance Statement 2025/26", "Annual Governance Statement 2026/27"),
        ("AGS action plan 2025-26", "AGS action plan 2026-27"),
        ("AGS 2025/2026: significant issues", "AGS 2026/2027: significant issues"),
        ("AGS 2025 / 26", "AGS 2026 / 27"),
        # Another year in the title is left alone; with none of its own, the year is added.
        ("Issues raised in 2019/20 and since", "Issues raised in 2019/20 and since 2026/27"),
        ("AGS action plan", "AGS action plan 2026/27"),
    ],
)
def test_next_years_title_changes_the_year_as_written(title: str, expected: str) -> None:
    """Only last year's own year is changed, in its own style; otherwise the year is added."""
    assert default_title(title, Y2025, Y2026) == expected


def test_a_plan_with_no_year_recorded_gets_the_new_year_added() -> None:
    """With no year recorded, no year in the title is taken for the plan's."""
    assert default_title("AGS 2025/26", None, Y2026) == "AGS 2025/26 2026/27"


def _done(carried: int, deferred: int, left: int) -> RolledOver:
    plan = PlanView(4, "AGS 2026/27", "governance_statement", None, "improvement_action", {})
    return RolledOver(plan, 3, "2025/26", carried, deferred, left)


@pytest.mark.parametrize(
    ("counts", "said"),
    [
        ((1, 0, 0), "1 action carried forward."),
        ((5, 2, 1), "5 actions carried forward (2 of them deferred, and still deferred); 1 "
         "complete one stays in plan 3."),
        ((0, 0, 4), "No actions were carried forward: every action was complete; 4 complete "
         "ones stay in plan 3."),
        ((0, 0, 0), "The plan had no actions to carry forward."),
    ],
)  # fmt: skip
def test_what_a_roll_over_did_in_words(counts: tuple[int, int, int], said: str) -> None:
    """Counts in words, singular and plural, and where the complete ones stay."""
    assert carried_words(_done(*counts)) == said


def test_the_other_years_action_is_named_with_its_plan_and_year() -> None:
    """The year is added unless the plan's title already says it; a reference follows."""
    assert YearLink(17, "AGS 3", 2, "Annual Governance Statement", "2025/26").words == (
        "Annual Governance Statement 2025/26, action 17 (AGS 3)"
    )
    assert YearLink(17, None, 2, "AGS 2025/26 plan", "2025/26").words == (
        "AGS 2025/26 plan, action 17"
    )
