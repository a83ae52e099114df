"""Writing one plan's records: themes, objectives, actions, progress and audit, in batches.

New actions and their first progress go to the imports store in batches of plain rows (the
ORM, not the disk, would be the cost of an import); each new action gets an `imported` audit
event citing its source. The same action twice in one import is reported as a duplicate; an
action imported before is left to `reimport`. The plan's outline (themes, objectives) is kept
by `outline`. Every reason to check an action is a typed `ReviewNote`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from improveflow import audit
from improveflow import audit_events as recorded
from improveflow.importers.dates import DateReading
from improveflow.importers.lead_breaks import join_leads_cut_by_page_breaks
from improveflow.importers.leads import LeadMatcher
from improveflow.importers.progress_state import (
    STATUS_NOT_A_STATE,
    infer_state,
    state_from_status,
    status_refuses_action,
)
from improveflow.importers.records import ParsedAction, ParsedObjective, ParsedPlan
from improveflow.importers.review_reasons import ReviewNote, ReviewReason
from improveflow.models import Plan
from improveflow.services.import_report import (
    ImportedActionLine,
    PlanImportReport,
    ReviewItem,
    UnplacedItem,
)
from improveflow.services.importing.action_fields import (
    ActionDates,
    iso,
    milestones,
    rag_rating,
    review_reasons,
)
from improveflow.services.importing.outline import NewObjective, NewTheme, Outline
from improveflow.services.importing.reimport import PreviousImports, import_key
from improveflow.stores import imports as import_store

REVIEW_DUPLICATE = ReviewReason.DUPLICATE

_BATCH = 500


class PlanWriter:
    """Writes one plan's records; new actions and progress go to the store in batches."""

    def __init__(
        self,
        session: Session,
        plan: Plan,
        matcher: LeadMatcher,
        report: PlanImportReport,
        now: datetime,
        dates: DateReading,
    ) -> None:
        assert plan.id is not None
        self.session, self.matcher, self.dates = session, matcher, dates
        self.plan_id: int = plan.id
        self.report, self.now = report, now
        self.outline = Outline(session, self.plan_id)
        self.previous = PreviousImports(session, self.plan_id, now)
        self.seen_here: dict[str, str] = {}  # import key -> where this import first had it
        self.pending: list[tuple[dict[str, object], ImportedActionLine, str | None, str]] = []
        self.themes: set[int | NewTheme] = set()
        self.objectives: set[int | NewObjective] = set()

    def write(self, parsed: ParsedPlan) -> None:
        file = Path(parsed.file).name
        self.parsed = parsed
        # Only the directory can tell where a lead cut by a page break ends.
        join_leads_cut_by_page_breaks(parsed, self.matcher)
        self.report.sections_skipped.extend(f"{file}: {s}" for s in parsed.sections_skipped)
        self.report.unplaced.extend(
            UnplacedItem(source=f"{file}:{row.line}", text=row.text, reason=row.reason)
            for row in parsed.unplaced
        )
        for theme_record in parsed.themes:
            theme_id = self.outline.theme(theme_record.title)
            self.themes.add(theme_id)
            occurrences: dict[str, int] = {}
            for objective_record in theme_record.objectives:
                objective_id = self.outline.objective(theme_id, objective_record)
                self.objectives.add(objective_id)
                for action in objective_record.actions:
                    key = import_key(theme_record.title, objective_record, action.description, 0)
                    seen = occurrences.get(key, 0)
                    occurrences[key] = seen + 1
                    if seen:
                        key = import_key(
                            theme_record.title, objective_record, action.description, seen
                        )
                    self._action(theme_record.title, objective_record, objective_id, action, key)
        self._flush()

    def _action(
        self,
        theme: str,
        objective: ParsedObjective,
        objective_id: int | NewObjective,
        action: ParsedAction,
        key: str,
    ) -> None:
        source = self.parsed.source(action.line)
        dates = ActionDates.read(action, self.dates)
        timescale = dates.target
        lead = self.matcher.match(action.lead)
        review = review_reasons(action, timescale, lead) + dates.review
        inferred = state_from_status(action.status) or infer_state(action.progress)
        if status_refuses_action(action.status):
            review.append(
                ReviewNote(
                    ReviewReason.STATUS_NOT_A_STATE, f"{STATUS_NOT_A_STATE}: '{action.status}'"
                )
            )
        rag = rag_rating(action.rag, review)
        line = ImportedActionLine(
            id=None,
            source=source,
            theme=theme,
            objective_ref=objective.reference,
            description=action.description,
            owner_email=lead.owner_email,
            lead=action.lead,
            timescale=action.timescale,
            target_date=timescale.target.isoformat() if timescale and timescale.target else None,
            state=inferred.state,
            status="created",
            needs_review=review,
            original_target_date=iso(dates.original),
            start_date=iso(dates.start),
            completed_date=iso(dates.completed),
            rag=rag,
            priority=action.priority,
            status_text=action.status,
            details=dict(action.extra),
        )
        self.report.actions.append(line)
        first_seen = self.seen_here.get(key)
        if first_seen is not None:
            # The same action twice in this import (say, in two files of one plan).
            line.status = "duplicate"
            line.needs_review.append(ReviewNote.of(REVIEW_DUPLICATE, f"first at {first_seen}"))
            return
        self.seen_here[key] = source
        known = self.previous.find(key)
        if known is not None:
            self.previous.reconcile(known, line, action, source, inferred.state)
            return
        row: dict[str, object] = {
            "plan_id": self.plan_id,
            "objective_id": objective_id,
            "description": action.description,
            "owner_id": lead.owner_id,
            "lead_text": action.lead,
            "reference": objective.reference,
            "start_date": dates.start,
            "target_date": timescale.target if timescale else None,
            "timescale_raw": dates.target_text,
            "original_target_date": dates.original,
            "completed_date": dates.completed,
            "priority": (action.priority or "")[:50] or None,
            "status_text": action.status,
            "rag": rag,
            "details": dict(action.extra),
            "milestones": milestones(timescale),
            "recurrence": timescale.recurrence if timescale else None,
            "measures": action.measures,
            "body_hint": list(lead.bodies),
            "needs_review": [note.text for note in review],
            "source": source,
            "import_key": key,
            "state": inferred.state,
            "version": 1,
            "heard_from_at": self.now,
            "quiet_since": self.now,
            "created_at": self.now,
            "updated_at": self.now,
        }
        self.pending.append((row, line, action.progress, inferred.evidence or ""))
        if len(self.pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        self.outline.insert_new_objectives()
        for row, *_ in self.pending:
            objective_id = row["objective_id"]
            if isinstance(objective_id, NewObjective):
                row["objective_id"] = objective_id.id
        ids = import_store.insert_actions(self.session, [row for row, *_ in self.pending])
        progress_rows = []
        for row, line, progress, evidence in self.pending:
            action_id = ids[str(row["import_key"])]
            line.id = action_id
            imported = recorded.ActionImported(
                action_id=action_id,
                state=str(row["state"]),
                evidence=evidence or None,
                source=line.source,
                plan_id=self.plan_id,
            )
            audit.record(self.session, imported, at=self.now)
            text = (progress or "").strip()
            if text:
                progress_rows.append({"action_id": action_id, "text": text, "created_at": self.now})
        import_store.insert_progress(self.session, progress_rows)
        self.pending.clear()

    def finish(self) -> None:
        self._flush()
        self.outline.insert_new_objectives()  # objectives whose actions were all duplicates
        self.report.review = [
            ReviewItem.of(note, source=line.source, action_id=line.id, description=line.description)
            for line in self.report.actions
            for note in line.needs_review
        ]
        self.report.themes = len(self.themes)
        self.report.objectives = len(self.objectives)
        self.report.not_in_files = self.previous.not_in_files()
