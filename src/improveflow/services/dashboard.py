"""Read models for the web pages that must stay quick on a database of any size.

Counts are aggregated in SQL, tables come a page at a time and exports stream in pages; the
chart of actions by state over time is services/state_history.py. Nothing here loads every
action of a plan into memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from improveflow import exceptions
from improveflow.calendar import as_london
from improveflow.models import (
    Action,
    Escalation,
    Objective,
    Person,
    Plan,
    ProgressUpdate,
    Theme,
)
from improveflow.reminders import ONLY_STALLED, STALLED_LEVEL
from improveflow.services.context import Context
from improveflow.services.state_history import StateHistory
from improveflow.store import table_of

_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_THEME = table_of(Theme)
_OBJECTIVE = table_of(Objective)
_PERSON = table_of(Person)
_PROGRESS = table_of(ProgressUpdate)
_ESCALATION = table_of(Escalation)

EXPORT_PAGE = 1000


# Organisations ----------------------------------------------------------------------------------


def visible_to(organisation: str | None) -> sa.ColumnElement[bool]:
    """Plans a person of `organisation` may see: their own and those with none recorded."""
    if organisation is None:
        return sa.true()
    return sa.or_(
        _PLAN.c.organisation.is_(None),
        sa.func.lower(_PLAN.c.organisation) == organisation.strip().lower(),
    )


def can_see(plan_organisation: str | None, organisation: str | None) -> bool:
    if plan_organisation is None or organisation is None:
        return True
    return plan_organisation.strip().lower() == organisation.strip().lower()


@dataclass(frozen=True)
class PlanHeader:
    id: int
    title: str
    kind: str
    organisation: str | None
    workflow: str
    approval_overrides: dict[str, str]
    actions: int = 0


_PLAN_COLUMNS = (
    _PLAN.c.id,
    _PLAN.c.title,
    _PLAN.c.kind,
    _PLAN.c.organisation,
    _PLAN.c.workflow,
    _PLAN.c.approval_overrides,
)


def plans_for(ctx: Context, organisation: str | None) -> list[PlanHeader]:
    """Every plan the person may see, with its number of actions."""
    counts = (
        sa.select(_ACTION.c.plan_id, sa.func.count().label("n"))
        .group_by(_ACTION.c.plan_id)
        .subquery()
    )
    query = (
        sa.select(*_PLAN_COLUMNS, sa.func.coalesce(counts.c.n, 0))
        .select_from(_PLAN.outerjoin(counts, counts.c.plan_id == _PLAN.c.id))
        .where(visible_to(organisation))
        .order_by(_PLAN.c.id)
    )
    with ctx.database.reading() as session:
        return [PlanHeader(*row) for row in session.connection().execute(query)]


def plan_header(session: Session, plan_id: int, organisation: str | None) -> PlanHeader:
    """The plan, or NotFound when it does not exist or belongs to another organisation."""
    row = (
        session.connection()
        .execute(sa.select(*_PLAN_COLUMNS).where(_PLAN.c.id == plan_id, visible_to(organisation)))
        .first()
    )
    if row is None:
        # Another organisation's plan is reported exactly like a missing one.
        raise exceptions.NotFound(f"There is no plan number {plan_id} that you can see")
    return PlanHeader(*row)


def plan_for(ctx: Context, plan_id: int, organisation: str | None) -> PlanHeader:
    """`plan_header` in its own unit of work."""
    with ctx.database.reading() as session:
        return plan_header(session, plan_id, organisation)


# Progress ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressItem:
    text: str
    rag: str | None
    at: datetime
    author: str | None

    @property
    def day(self) -> date:
        """The day it was written, in London."""
        return as_london(self.at).date()


def recent_progress(
    session: Session, action_ids: Sequence[int], per_action: int
) -> dict[int, list[ProgressItem]]:
    """The newest `per_action` progress updates of each action, newest first."""
    if not action_ids:
        return {}
    rank = sa.func.row_number().over(
        partition_by=_PROGRESS.c.action_id,
        order_by=(_PROGRESS.c.created_at.desc(), _PROGRESS.c.id.desc()),
    )
    ranked = (
        sa.select(
            _PROGRESS.c.action_id,
            _PROGRESS.c.text,
            _PROGRESS.c.rag,
            _PROGRESS.c.created_at,
            _PROGRESS.c.author_id,
            rank.label("rank"),
        )
        .where(_PROGRESS.c.action_id.in_(sorted(set(action_ids))))
        .subquery()
    )
    rows = session.connection().execute(
        sa.select(ranked, _PERSON.c.name)
        .select_from(ranked.outerjoin(_PERSON, _PERSON.c.id == ranked.c.author_id))
        .where(ranked.c.rank <= per_action)
        .order_by(ranked.c.action_id, ranked.c.rank)
    )
    found: dict[int, list[ProgressItem]] = {}
    for row in rows:
        item = ProgressItem(row.text, row.rag, row.created_at, row.name)
        found.setdefault(row.action_id, []).append(item)
    return found


def progress_of(ctx: Context, action_id: int, shown: int) -> list[ProgressItem]:
    with ctx.database.reading() as session:
        return recent_progress(session, [action_id], shown).get(action_id, [])


# The plan's table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableFilter:
    theme_id: int | None = None
    state: str | None = None
    rag: str | None = None
    text: str | None = None

    @property
    def active(self) -> bool:
        return any(v not in (None, "") for v in (self.theme_id, self.state, self.rag, self.text))

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        if self.theme_id is not None:
            found.append(_THEME.c.id == self.theme_id)
        if self.state:
            found.append(_ACTION.c.state == self.state)
        if self.rag == "none":
            found.append(_ACTION.c.rag.is_(None))
        elif self.rag:
            found.append(_ACTION.c.rag == self.rag)
        if self.text:
            # Escaped, so a % or _ typed in the box matches itself.
            pattern = "%" + self.text.strip().lower().replace("\\", "\\\\").replace("%", "\\%")
            pattern = pattern.replace("_", "\\_") + "%"
            found.append(
                sa.or_(
                    sa.func.lower(_ACTION.c.description).like(pattern, escape="\\"),
                    sa.func.lower(sa.func.coalesce(_ACTION.c.lead_text, "")).like(
                        pattern, escape="\\"
                    ),
                )
            )
        return found


@dataclass(frozen=True)
class TableRow:
    id: int
    theme: str
    objective_ref: str | None
    objective: str
    reference: str | None
    description: str
    lead: str | None  # as the plan wrote it: a name, a job title, a team
    owner: str | None  # the person it was matched to
    timescale: str | None
    target_date: date | None
    state: str
    rag: str | None
    owner_email: str | None = None
    original_target_date: date | None = None  # the first target, when the plan revised it
    priority: str | None = None  # as written: "High", "Urgent"
    status_text: str | None = None  # as written: "Implemented", "Not started"
    progress: ProgressItem | None = None


_TABLE = (
    sa.select(
        _ACTION.c.id,
        _THEME.c.title,
        _OBJECTIVE.c.reference,
        _OBJECTIVE.c.text,
        _ACTION.c.reference,
        _ACTION.c.description,
        _ACTION.c.lead_text,
        _PERSON.c.name,
        _ACTION.c.timescale_raw,
        _ACTION.c.target_date,
        _ACTION.c.state,
        _ACTION.c.rag,
        _PERSON.c.email,
        _ACTION.c.original_target_date,
        _ACTION.c.priority,
        _ACTION.c.status_text,
    )
    .select_from(
        _ACTION.join(_OBJECTIVE, _OBJECTIVE.c.id == _ACTION.c.objective_id)
        .join(_THEME, _THEME.c.id == _OBJECTIVE.c.theme_id)
        .outerjoin(_PERSON, _PERSON.c.id == _ACTION.c.owner_id)
    )
    # Actions are stored in the plan's own order (themes, then objectives, then actions).
    .order_by(_ACTION.c.id)
)


def _table_rows(session: Session, query: sa.Select[Any]) -> list[TableRow]:
    rows = [TableRow(*row) for row in session.connection().execute(query)]
    progress = recent_progress(session, [row.id for row in rows], 1)
    return [
        replace(row, progress=progress[row.id][0]) if row.id in progress else row for row in rows
    ]


def table_page(
    session: Session, plan_id: int, filters: TableFilter, page: int, size: int
) -> tuple[list[TableRow], bool]:
    """One page of the plan's table (1-based), and whether there is a next one."""
    query = (
        _TABLE.where(_ACTION.c.plan_id == plan_id, *filters.conditions())
        .limit(size + 1)
        .offset((max(page, 1) - 1) * size)
    )
    rows = _table_rows(session, query)
    return rows[:size], len(rows) > size


def table_pages(ctx: Context, plan_id: int, filters: TableFilter) -> Iterator[list[TableRow]]:
    """Every row of the plan's table, in pages of EXPORT_PAGE, each read on its own."""
    last = 0
    while True:
        with ctx.database.reading() as session:
            query = _TABLE.where(
                _ACTION.c.plan_id == plan_id, _ACTION.c.id > last, *filters.conditions()
            ).limit(EXPORT_PAGE)
            rows = _table_rows(session, query)
        if not rows:
            return
        yield rows
        last = rows[-1].id


def table_rows(ctx: Context, plan_id: int, filters: TableFilter) -> Iterator[TableRow]:
    """Every row of the plan's table, read in pages of EXPORT_PAGE for an export."""
    for rows in table_pages(ctx, plan_id, filters):
        yield from rows


def themes_of(session: Session, plan_id: int) -> list[tuple[int, str]]:
    rows = session.connection().execute(
        sa.select(_THEME.c.id, _THEME.c.title)
        .where(_THEME.c.plan_id == plan_id)
        .order_by(_THEME.c.position, _THEME.c.id)
    )
    return [(row[0], row[1]) for row in rows]


# The dashboard ----------------------------------------------------------------------------------


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
        connection = session.connection()
        by_state: Counter[str] = Counter()
        by_rag: Counter[str] = Counter()
        levels: Counter[int] = Counter()
        # One pass over the plan's entries in ix_action_plan_counts.
        for state, rag, level, n in connection.execute(
            sa.select(_ACTION.c.state, _ACTION.c.rag, _ACTION.c.escalation_level, sa.func.count())
            .where(_ACTION.c.plan_id == plan_id)
            .group_by(_ACTION.c.escalation_level, _ACTION.c.state, _ACTION.c.rag)
        ):
            by_state[state] += n
            by_rag[rag or "none"] += n
            if level:
                levels[STALLED_LEVEL if level == ONLY_STALLED else level] += n
        escalations = _open_escalations(session, plan_id, today, escalations_shown)
        rows, has_next = table_page(session, plan_id, filters, page, size)
        return Dashboard(
            plan=plan,
            by_state=dict(by_state),
            by_rag=dict(by_rag),
            levels=dict(levels),
            escalations=escalations,
            history=history.series(session, plan_id),
            themes=themes_of(session, plan_id),
            rows=rows,
            has_next=has_next,
        )


def _open_escalations(
    session: Session, plan_id: int, today: date, shown: int
) -> list[OpenEscalation]:
    """The `shown` most escalated actions, each once, at its highest open level.

    Action.escalation_level mirrors that level (-1 when only 'stalled' is open), so this reads
    the escalation rows of those few actions only.
    """
    level = sa.case((_ACTION.c.escalation_level == ONLY_STALLED, STALLED_LEVEL),
                    else_=_ACTION.c.escalation_level)  # fmt: skip
    top = _ESCALATION.alias("top")
    listed = session.connection().execute(
        sa.select(
            _ACTION.c.id,
            _ACTION.c.description,
            _PERSON.c.name,
            level,
            top.c.reason,
            top.c.target_date,
            top.c.raised_at,
        )
        .select_from(
            _ACTION.join(
                top,
                (top.c.action_id == _ACTION.c.id)
                & (top.c.level == level)
                & top.c.closed_at.is_(None),
            ).outerjoin(_PERSON, _PERSON.c.id == _ACTION.c.owner_id)
        )
        # Two ranges of ix_action_plan_counts, read highest level first.
        .where(
            _ACTION.c.plan_id == plan_id,
            sa.or_(_ACTION.c.escalation_level > 0, _ACTION.c.escalation_level < 0),
        )
        .order_by(_ACTION.c.escalation_level.desc(), top.c.target_date, top.c.raised_at)
        .limit(shown)
    )
    return [
        OpenEscalation(
            action_id=row[0],
            description=row[1],
            owner=row[2],
            level=row[3],
            reason=row[4],
            target_date=row[5],
            days_overdue=(today - row[5]).days if row[5] else None,
            raised_at=row[6],
        )
        for row in listed
    ]
