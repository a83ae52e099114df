"""Importing council plans: parsed records into themes, objectives and actions.

One transaction for the whole import: a file that fails leaves nothing behind. Every action
keeps its source ("file:line"), its timescale as written, the dates read from it and the
reasons a person should check it. State comes from the progress text and is recorded as an
`imported` audit event citing the source, not as an approval. Re-importing finds each action
again by its import key, so nothing is duplicated; changed progress becomes a new update.

- `plan_import`: the use case, files read into plans and each plan imported in one transaction;
- `writer`: one plan's themes, objectives, actions, progress and audit, inserted in batches;
- `action_fields`: what one parsed action row says (dates, RAG, reasons to review it);
- `reimport`: actions imported before, found again by import key and reconciled with the file;
- `outline`: the plan's themes and objectives, cached for the length of an import.

What is read and written goes through `stores.plans` (the outline) and `stores.imports` (the
batched inserts, earlier imports, the lead directory). Reasons to check an action are typed
notes (`ReviewNote`, of a `ReviewReason`).
"""

from __future__ import annotations

from improveflow.importers.review_reasons import ReviewNote, ReviewReason
from improveflow.services.import_report import ImportReport, PlanImportReport
from improveflow.services.importing.plan_import import (
    ImportOptions,
    guess_kind,
    import_plan_files,
)
from improveflow.services.importing.reimport import REVIEW_CHANGED
from improveflow.services.importing.writer import REVIEW_DUPLICATE

__all__ = [
    "REVIEW_CHANGED",
    "REVIEW_DUPLICATE",
    "ImportOptions",
    "ImportReport",
    "PlanImportReport",
    "ReviewNote",
    "ReviewReason",
    "guess_kind",
    "import_plan_files",
]
