"""The report's model: everything a rendering shows, in the words it shows, as stored JSON.

Words are decided here once (a state's label, a RAG as a word), so the DOCX, PDF and HTML of
one snapshot say the same things, and a later change of wording never alters an old report.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

FORMAT = "improveflow-report/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Count(_Frozen):
    label: str
    number: int


class ActionLine(_Frozen):
    """One action as every part of the report shows it."""

    id: int
    reference: str
    description: str
    lead: str
    owner: str
    state: str  # the label: "In progress"
    rag: str  # the word: "Red", "Not rated"
    rag_code: str  # "red", "amber", "green" or "none": the colour beside the word
    first_target: date | None
    target: date | None
    timescale: str  # when there is no date: "Ongoing"
    target_changes: int
    ledger: str  # "first due 31 July 2014; re-dated twice"
    target_reason: str
    state_reason: str
    progress: str
    progress_date: date | None
    overdue: bool
    # A scrutiny plan's: "Signed off by committee on 14 October 2026 (minute 45/26)"; "" when
    # not signed off (and in a report made before sign-offs were kept).
    signed_off: str = ""
    # Once its plan is rolled over: "Carried forward to Annual Governance Statement 2026/27,
    # action 12"; "" when not (and in a report made before roll-overs were kept).
    carried_to: str = ""


class ExceptionLine(_Frozen):
    """An action that needs the committee's attention, and why."""

    kinds: list[str]  # "Red", "Overdue", "Deferred", "Re-dated"
    action: ActionLine
    reason: str


class ObjectivePart(_Frozen):
    reference: str
    text: str
    actions: list[ActionLine]


class ThemePart(_Frozen):
    title: str
    objectives: list[ObjectivePart]


class ChangeLine(_Frozen):
    action_id: int
    action: str  # "1.2 Extend the strategy"
    detail: str
    on: date


class Summary(_Frozen):
    total: int
    by_state: list[Count]
    by_rag: list[Count]
    completed: list[ChangeLine]
    newly_red: list[ChangeLine]
    deferred: list[ChangeLine]
    redated: list[ChangeLine]


class DecisionLine(_Frozen):
    action: str
    asked: str  # "change the target date to 30 June 2015"
    asked_by: str
    reason: str
    decided_by: str  # "Dana Reeve (approved); Sam Patel as deputy for Ruth Holt (approved)"
    outcome: str  # "Approved", "Rejected"
    decided_on: date


class CheckpointNote(_Frozen):
    seq: int
    head_hash: str
    signed: bool
    key_id: str
    document: str  # the signed checkpoint's JSON, or "" when unsigned


class MilestoneLine(_Frozen):
    """A peer-challenge milestone as it stood on the report's day."""

    label: str  # "Feedback report published"
    due_on: date
    latest_on: date | None
    done_on: date | None
    link: str
    words: str  # "Overdue: it was due by Saturday 12 September 2026"


class Report(_Frozen):
    format: str = FORMAT
    snapshot_id: int
    plan_id: int
    plan_title: str
    organisation: str
    made_at: datetime
    report_date: date
    since: datetime | None
    since_text: str  # "since the report of 31 March 2014", "since 1 April 2014", "" for the first
    checkpoint: CheckpointNote
    summary: Summary
    exceptions: list[ExceptionLine]
    themes: list[ThemePart]
    decisions: list[DecisionLine]
    # A peer-challenge plan's timetable (none in a report made before it was kept).
    milestones: list[MilestoneLine] = []

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.model_validate_json(text)
