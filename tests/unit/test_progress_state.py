"""The state an imported action starts in, judged from its progress text."""

from __future__ import annotations

import pytest

from improveflow.importers.progress_state import InferredState, infer_state


@pytest.mark.parametrize(
    ("progress", "evidence"),
    [
        ("COMPLETE. New provider operational.", "COMPLETE."),
        ("COMPLETE. Agreed and plan in place.\nTraining programme part commissioned.", "COMPLETE."),
        ("Complete", "Complete"),
        ("complete.", "complete."),
        ("Completed", "Completed"),
        ("Completed in March 2015.", "Completed in March 2015."),
        ("Completed 27/02/14", "Completed 27/02/14"),
        ("Completed by the HR team.", "Completed by the HR team."),
        ("Action complete", "Action complete"),
        ("Action completed - report to Cabinet in May.", "Action completed"),
        ("Complete - report approved by Cabinet.", "Complete"),
        ("Status: Complete", "Status: Complete"),
        ("100% complete.", "100% complete."),
        ("- Complete", "Complete"),
        ("Review held in May. This action is now complete.", "This action is now complete."),
        ("Funding agreed.\nAll actions completed.", "All actions completed."),
        ("Workshops held. Completed.", "Completed."),
        ("Plan agreed. Work completed in March 2015.", "Work completed in March 2015."),
        ("On hold until April. Now complete.", "Now complete."),
    ],
)
def test_completion_status(progress: str, evidence: str) -> None:
    """A completion status at the start, or a closing sentence saying so, makes it complete."""
    assert infer_state(progress) == InferredState("complete", evidence)


@pytest.mark.parametrize(
    "progress",
    [
        "Not yet complete.",
        "Work will be completed by March 2015.",
        "Completion expected in June.",
        "Complete the review of job evaluation.",
        "Complete by June 2015.",
        "Incomplete.",
        "Report incomplete; further data needed.",
        "Policy restructure complete. Governance restructure approved and being actioned.",
        "Policy restructure complete.",
        "Base line assessment complete.\nSavings being explored.",
        "Partially complete.",
        "Completed 3 of 5 workshops.",
        "Completed in part.",
        "Completing the scrutiny review.",
        "The research stages have been completed. A report will follow in June.",
        "To be completed.",
    ],
)
def test_completion_words_that_are_not_a_status(progress: str) -> None:
    """Plans, partial work and negated completion never mark an action complete."""
    assert infer_state(progress) == InferredState("in_progress", None)


@pytest.mark.parametrize(
    ("progress", "evidence"),
    [
        (
            "This work has been deferred until 2017/18 to align with the pay audit.",
            "deferred until 2017/18",
        ),
        ("The review has been on hold pending clarity from Government.", "on hold"),
        ("Project put on hold.", "put on hold"),
        ("Work on-hold while funding is sought.", "on-hold"),
        ("Training has been postponed at the request of partners.", "postponed"),
        ("Deferred", "Deferred"),
        ("Work paused pending the restructure.", "paused"),
    ],
)
def test_deferral(progress: str, evidence: str) -> None:
    """Deferred, on hold or postponed work imports as deferred, citing the phrase."""
    assert infer_state(progress) == InferredState("deferred", evidence)


@pytest.mark.parametrize(
    ("progress", "evidence"),
    [
        ("No longer on hold; consultation under way.", None),
        ("The decision has not been deferred.", None),
        ("Deferred payment agreements offered to all eligible residents.", None),
        ("Deferred until April, work has now resumed.", "resumed"),
        ("Work continues in reviewing the HR structure.", None),
        ("Ongoing.", None),
        ("Currently being determined.", None),
        ("Final report presented to Cabinet December 06", None),
    ],
)
def test_other_progress_is_in_progress(progress: str, evidence: str | None) -> None:
    """Reported work that is neither done nor deferred (or has resumed) is in progress."""
    assert infer_state(progress) == InferredState("in_progress", evidence)


@pytest.mark.parametrize(
    "progress", [None, "", "   ", "\n", "--", "- -", "\u2014", "n/a", "N/A", "None"]
)
def test_no_progress_means_the_agreed_plan(progress: str | None) -> None:
    """Without any progress reported, the action starts as approved, with no evidence."""
    assert infer_state(progress) == InferredState("approved", None)
