"""Re-importing a plan: actions imported before, found again and reconciled with the file.

An action's import key is where it sits in its plan and what it says, not its line, so a file
imported again finds the same actions rather than adding copies. What is stored is kept: dates,
leads and states change through the workflow (a new target date needs its approval), so a file
that now says otherwise is reported for review, not applied. Progress text the file did not give
before becomes a new progress update. Actions the files no longer have are listed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session

from improveflow import audit
from improveflow import audit_events as recorded
from improveflow.importers.progress_state import COMPLETE, DEFERRED
from improveflow.importers.records import ParsedAction, ParsedObjective
from improveflow.importers.review_reasons import ReviewNote, ReviewReason
from improveflow.services import escalations
from improveflow.services.import_report import ImportedActionLine
from improveflow.stores import imports as import_store
from improveflow.stores.imports import StoredAction

REVIEW_CHANGED = ReviewReason.CHANGED


def import_key(theme: str, objective: ParsedObjective, description: str, seen: int) -> str:
    """An action's identity in its plan: where it sits and what it says, not its line.

    `seen` counts the same action met before under the same objective, so repeats stay apart.
    """
    parts = [theme, objective.reference or objective.text, description]
    normalised = "\x1f".join(" ".join(part.lower().split()) for part in parts)
    if seen:
        normalised += f"\x1f{seen}"
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:40]


class PreviousImports:
    """A plan's actions from earlier imports, by import key, and what the files last said."""

    def __init__(self, session: Session, plan_id: int, now: datetime) -> None:
        self.session, self.plan_id, self.now = session, plan_id, now
        self.by_key = import_store.imported_actions(session, plan_id)
        # Compared with the file's text on re-import: an owner's own later update is not the
        # file's, so it must not make the unchanged file's text look new.
        self.latest_progress = import_store.latest_file_progress(session, plan_id)
        self.found: set[int] = set()  # ids of stored actions the files still have

    def find(self, key: str) -> StoredAction | None:
        return self.by_key.get(key)

    def reconcile(
        self,
        stored: StoredAction,
        line: ImportedActionLine,
        action: ParsedAction,
        source: str,
        inferred_state: str,
    ) -> None:
        """An action imported before: keep what is stored, add new progress, flag the rest."""
        action_id = stored.id
        progress = action.progress
        for name, now_says, stored_value in (
            ("lead", action.lead, stored.lead_text),
            ("timescale", action.timescale, stored.timescale_raw),
        ):
            if (now_says or None) != (stored_value or None):
                line.needs_review.append(
                    ReviewNote(
                        REVIEW_CHANGED,
                        f"{REVIEW_CHANGED} {name} '{now_says or ''}' (kept '{stored_value or ''}')",
                    )
                )
        if inferred_state in (COMPLETE, DEFERRED) and inferred_state != stored.state:
            line.needs_review.append(
                ReviewNote(
                    REVIEW_CHANGED,
                    f"{REVIEW_CHANGED} the action is {inferred_state.replace('_', ' ')}: ask for "
                    f"that change through the workflow (kept {stored.state.replace('_', ' ')})",
                )
            )
        line.id, line.state, line.status = action_id, stored.state, "unchanged"
        line.lead, line.timescale = stored.lead_text, stored.timescale_raw
        line.target_date = stored.target_date.isoformat() if stored.target_date else None
        self.found.add(action_id)
        text = (progress or "").strip()
        if text and self.latest_progress.get(action_id) != text:
            import_store.insert_progress(
                self.session, [{"action_id": action_id, "text": text, "created_at": self.now}]
            )
            self.latest_progress[action_id] = text
            escalations.heard_from(self.session, action_id, self.now)
            news = recorded.ProgressRecorded(
                action_id=action_id, text=text, source=source, imported=True
            )
            audit.record(self.session, news, at=self.now)
            line.status = "progress added"

    def not_in_files(self) -> list[int]:
        """Ids of the actions imported before that no file of this import has any more."""
        return sorted(stored.id for stored in self.by_key.values() if stored.id not in self.found)
