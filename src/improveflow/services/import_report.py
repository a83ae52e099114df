"""What a plan import did, and what a person must check: the report behind `plan import`.

Each reason to check an action is a typed note (`ReviewNote`): its kind for whatever counts or
groups them, its sentence for people. The JSON report keeps the sentences where it always had
them, and names each review item's kind beside its reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from improveflow.importers.review_reasons import ReviewNote, ReviewReason


@dataclass
class ImportedActionLine:
    id: int | None
    source: str  # "file:line"
    theme: str
    objective_ref: str | None
    description: str
    owner_email: str | None
    lead: str | None
    timescale: str | None
    target_date: str | None
    state: str
    status: str  # created, progress added, unchanged, duplicate
    needs_review: list[ReviewNote] = field(default_factory=list)
    original_target_date: str | None = None  # set only where the target was re-baselined
    start_date: str | None = None
    completed_date: str | None = None
    rag: str | None = None
    priority: str | None = None
    status_text: str | None = None  # the file's own status ("Implemented")
    details: dict[str, str] = field(default_factory=dict)  # other columns, by header


@dataclass
class ReviewItem:
    source: str
    action_id: int | None
    description: str
    reason: str  # the sentence people read
    kind: ReviewReason

    @classmethod
    def of(
        cls, note: ReviewNote, *, source: str, action_id: int | None, description: str
    ) -> ReviewItem:
        return cls(source, action_id, description, note.text, note.reason)


@dataclass
class UnplacedItem:
    source: str
    text: str
    reason: str


@dataclass
class PlanImportReport:
    plan_id: int | None
    plan_title: str
    plan_kind: str
    files: list[str]
    plan_created: bool
    themes: int = 0
    objectives: int = 0
    actions: list[ImportedActionLine] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    unplaced: list[UnplacedItem] = field(default_factory=list)
    sections_skipped: list[str] = field(default_factory=list)
    not_in_files: list[int] = field(default_factory=list)  # earlier actions absent now
    # Each table's columns: which field each became, why, and a few of its values.
    columns: list[dict[str, Any]] = field(default_factory=list)
    layout_changes: list[str] = field(default_factory=list)  # since the plan's last import

    def count(self, status: str) -> int:
        return sum(line.status == status for line in self.actions)


@dataclass
class ImportReport:
    dry_run: bool
    people_created: int
    people_updated: int
    plans: list[PlanImportReport]

    def as_json(self) -> dict[str, Any]:
        plans = []
        for plan in self.plans:
            entry = asdict(plan)
            for line, shown in zip(plan.actions, entry["actions"], strict=True):
                shown["needs_review"] = [note.text for note in line.needs_review]
            entry["counts"] = {
                "themes": plan.themes,
                "objectives": plan.objectives,
                "actions": len(plan.actions),
                "created": plan.count("created"),
                "progress_added": plan.count("progress added"),
                "unchanged": plan.count("unchanged"),
                "duplicates": plan.count("duplicate"),
                "needs_review": len(plan.review),
                "unplaced": len(plan.unplaced),
            }
            plans.append(entry)
        return {
            "dry_run": self.dry_run,
            "people": {"created": self.people_created, "updated": self.people_updated},
            "plans": plans,
        }
