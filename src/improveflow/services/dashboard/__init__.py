"""Read models for the web pages that must stay quick on a database of any size.

Counts are aggregated in SQL, tables come a page at a time and exports stream in pages; the
chart of actions by state over time is services/state_history.py. Nothing here loads every
action of a plan into memory. The queries are the stores' (`plan_headers`, `plan_table`,
`dashboards`, `actions`); these modules open the units of work and decide what is shown.

- `access`: who may see a plan (its own council);
- `headers`: the plans one may see, and one plan's header or NotFound;
- `action_progress`: an action's newest progress updates;
- `table`: every row of the plan's table, a page at a time, for an export;
- `aggregates`: the dashboard's counts, its most escalated actions and a page of its table.
"""

from __future__ import annotations

from improveflow.services.dashboard.access import can_see, visible_to
from improveflow.services.dashboard.action_progress import (
    ProgressItem,
    progress_of,
    recent_progress,
)
from improveflow.services.dashboard.aggregates import Dashboard, OpenEscalation, dashboard
from improveflow.services.dashboard.headers import PlanHeader, plan_for, plan_header, plans_for
from improveflow.services.dashboard.table import (
    EXPORT_PAGE,
    TableFilter,
    TableRow,
    table_pages,
    table_rows,
)

__all__ = [
    "EXPORT_PAGE",
    "Dashboard",
    "OpenEscalation",
    "PlanHeader",
    "ProgressItem",
    "TableFilter",
    "TableRow",
    "can_see",
    "dashboard",
    "plan_for",
    "plan_header",
    "plans_for",
    "progress_of",
    "recent_progress",
    "table_pages",
    "table_rows",
    "visible_to",
]
