"""A plan's dashboard: counts by state, RAG and escalation level, and the most escalated actions.

Counts are aggregated in SQL in one pass over the plan's entries (`stores.dashboards`); the
chart of actions by state over time is services/state_history.py and the table below it is
`stores.plan_table`. The page reads all of it in one unit of work.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from improveflow.calendar import as_london
from improveflow.reminders import ONLY_STALLED, STALLED_LEVEL
from improveflow.services.context import Context
from improveflow.services.dashboard.headers import PlanHeader, plan_header
from improveflow.services.milestones import MilestoneView, milestone_views
from improveflow.services.state_history import StateHistory
from improveflow.stores import dashboards, plan_table
from improveflow.stores.plan_table import TableFilter, TableRow


@dataclass(frozen=True)
class OpenEscalation:
    action_id: int
    description: str
    owner: str | None
    level: int
    reason: str
    target_date: date | None
    days_overdue: int | None
    raised_at: datetime


@dataclass
class Dashboard:
    plan: PlanHeader
    by_state: dict[str, int]
    by_rag: dict[str, int]
    levels: dict[int, int]
    escalations: list[OpenEscalation]
    history: list[tuple[date, dict[str, int]]]
    themes: list[tuple[int, str]]
    rows: list[TableRow] = field(default_factory=list)
    has_next: bool = False
    # A peer-challenge plan's timetable, soonest due first; empty until its challenge date.
    milestones: list[MilestoneView] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def dashboard(
    ctx: Context,
    plan_id: int,
    organisation: str | None,
    filters: TableFilter,
    *,
    page: int,
    size: int,
    history: StateHistory,
    escalations_shown: int = 20,
) -> Dashboard:
    today = as_london(ctx.clock.now()).date()
    with ctx.database.reading() as session:
        plan = plan_header(session, plan_id, organisation)
        by_state: Counter[str] = Counter()
        by_rag: Counter[str] = Counter()
        levels: Counter[int] = Counter()
        for state, rag, level, n in dashboards.plan_counts(session, plan_id):
            by_state[state] += n
            by_rag[rag or "none"] += n
            if level:
                # An action with only 'stalled' open counts at the stalled level.
                levels[STALLED_LEVEL if level == ONLY_STALLED else level] += n
        escalations = [
            OpenEscalation(
                action_id=found.action_id,
                description=found.description,
                owner=found.owner,
                level=found.level,
                reason=found.reason,
                target_date=found.target_date,
                days_overdue=(today - found.target_date).days if found.target_date else None,
                raised_at=found.raised_at,
            )
            for found in dashboards.most_escalated(session, plan_id, escalations_shown)
        ]
        rows, has_next = plan_table.table_page(session, plan_id, filters, page, size)
        return Dashboard(
            plan=plan,
            by_state=dict(by_state),
            by_rag=dict(by_rag),
            levels=dict(levels),
            escalations=escalations,
            history=history.series(session, plan_id),
            themes=plan_table.themes_of(session, plan_id),
            rows=rows,
            has_next=has_next,
            milestones=milestone_views(session, plan_id, today),
        )
