"""Each reason to check an imported action carries its kind, and its words are unchanged.

An audit tracker whose rows leave something open (a RAG rating, a date, a lead, a status that
refuses the work) is imported; every reason in the report has the kind that says what is open,
the same sentence is stored on the action for its page, and a repeat or a re-import that
changes the file adds the import's own kinds.
"""

from __future__ import annotations

from pathlib import Path

from improveflow.importers.review_reasons import ReviewReason
from improveflow.services import people, views
from improveflow.services.context import Context
from improveflow.services.import_report import PlanImportReport
from improveflow.services.importing import ImportOptions, import_plan_files

HEADER = (
    "Ref,Recommendation,Management Response,Responsible Officer,Original Target Date,"
    "Revised Target Date,Start Date,Date Completed,Status,RAG"
)
TRACKER = "\n".join(
    [
        "Westmoor Council Audit Recommendations Tracker,,,,,,,,,",
        HEADER,
        "IA1,Controls over payroll,Document the payroll checks.,Ann Finch,31/03/2025,"
        "30/06/2025,soon,,In progress,Blue",
        "IA2,Controls over leave,Record leave in one system.,Estates Manager,,,,,Rejected,Green",
        "IA3,Controls over fleet,Check the fleet log monthly.,,2025,,,someday,In progress,Amber",
        "IA4,Controls over stores,Count the stores twice a year.,Ann Finch,Spring-ish maybe 2025,"
        "31/12/2025,,,In progress,Green",
    ]
)
ANN = people.PersonInput("Ann Finch", "ann@westmoor.example")
YEAR_ONLY = "year only: check whether the calendar or financial year is meant"


def _import(ctx: Context, *paths: Path, title: str | None = None) -> PlanImportReport:
    report = import_plan_files(ctx, list(paths), ImportOptions(plan_title=title), people=(ANN,))
    [plan] = report.plans
    return plan


def _tracker(folder: Path, text: str = TRACKER, name: str = "tracker.csv") -> Path:
    path = folder / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_every_reason_has_its_kind_and_the_same_words_on_the_action(
    ctx: Context, tmp_path: Path
) -> None:
    """The report's review items pair each sentence with its kind; the action keeps the words."""
    plan = _import(ctx, _tracker(tmp_path))
    by_action: dict[str, list[tuple[ReviewReason, str]]] = {}
    for item in plan.review:
        by_action.setdefault(item.description, []).append((item.kind, item.reason))
    assert by_action == {
        "Document the payroll checks.": [
            (ReviewReason.START_DATE, "start date not understood: 'soon'"),
            (ReviewReason.RAG, "RAG rating 'Blue' not understood: set it on the action"),
        ],
        "Record leave in one system.": [
            (ReviewReason.NO_TIMESCALE, "no timescale given"),
            (
                ReviewReason.OWNER_UNRESOLVED,
                "owner unresolved: 'Estates Manager' matches no person or body",
            ),
            (ReviewReason.STATUS_NOT_A_STATE, "the status says this may not be done: 'Rejected'"),
        ],
        "Check the fleet log monthly.": [
            (ReviewReason.NO_LEAD_OR_TIMESCALE, "row gives neither lead nor timescale"),
            (ReviewReason.TIMESCALE, YEAR_ONLY),
            (ReviewReason.OWNER_UNRESOLVED, "owner unresolved: no lead given"),
            (ReviewReason.COMPLETED_DATE, "completed date not understood: 'someday'"),
        ],
        "Count the stores twice a year.": [
            (
                ReviewReason.ORIGINAL_TARGET,
                f"original target: {YEAR_ONLY}; timescale has extra words: check the date",
            ),
        ],
    }
    stored = {row["description"]: row["needs_review"] for row in views.action_rows(ctx)}
    assert stored == {
        description: [text for _, text in reasons] for description, reasons in by_action.items()
    }
    for line in plan.actions:
        assert [(note.reason, note.text) for note in line.needs_review] == by_action[
            line.description
        ]


def test_a_repeat_and_a_changed_file_give_the_imports_own_kinds(
    ctx: Context, tmp_path: Path
) -> None:
    """An action in two files of one import is a duplicate; a changed lead is a change."""
    tracker = _tracker(tmp_path)
    copy = _tracker(tmp_path, name="copy.csv")
    first = _import(ctx, tracker, copy, title="Westmoor tracker")
    originals, repeats = first.actions[:4], first.actions[4:]
    assert [line.status for line in repeats] == ["duplicate"] * 4
    for original, repeated in zip(originals, repeats, strict=True):
        assert (repeated.needs_review[-1].reason, repeated.needs_review[-1].text) == (
            ReviewReason.DUPLICATE,
            f"the same action appears again: first at {original.source}",
        )

    changed = _tracker(tmp_path, TRACKER.replace("Estates Manager", "Ann Finch"), "changed.csv")
    again = _import(ctx, changed, title="Westmoor tracker")
    leave = next(line for line in again.actions if line.description.startswith("Record leave"))
    assert leave.status == "unchanged"
    assert (
        ReviewReason.CHANGED,
        "the file now says lead 'Ann Finch' (kept 'Estates Manager')",
    ) in [(note.reason, note.text) for note in leave.needs_review]
    assert (ReviewReason.CHANGED, leave.source, leave.id) in {
        (item.kind, item.source, item.action_id) for item in again.review
    }
