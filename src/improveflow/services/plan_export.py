"""The plan's table as an export reads it: each row with the decisions behind its dates and state.

The audit log holds every approved change with the reason its requester gave: a new target
date records the date it replaced, so the first target of an action whose target was changed
is the `from` of its first change, and the reason beside the current date is that of the
change that set it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from improveflow import audit_events
from improveflow.audit_events import TransitionApplied
from improveflow.reports.ledger import ledger_line
from improveflow.services.context import Context
from improveflow.services.dashboard import TableFilter, TableRow, table_pages
from improveflow.stores import plan_table
from improveflow.stores import rollover as rollover_store
from improveflow.stores import sign_offs as sign_off_store
from improveflow.stores.audit import StoredEvent
from improveflow.stores.rollover import YearLink
from improveflow.stores.sign_offs import SignOffRow


@dataclass(frozen=True)
class ExportRow:
    row: TableRow
    original_target_date: date | None  # the first target date; the current one if never changed
    target_reason: str | None  # why the current target date was approved, when it was changed
    state_reason: str | None  # why the action was moved to its state, from the approved request
    # How many times the target date was changed: each approved new date, and the plan's own
    # revision (a re-baselined date read from its file) when there was one.
    target_changes: int = 0
    # A scrutiny plan's: when its committee signed the action off as implemented.
    sign_off: SignOffRow | None = None
    # A governance statement's, once rolled over: the action next year's plan carries on.
    carried_to: YearLink | None = None

    @property
    def ledger(self) -> str:
        """'first due 31 July 2014; re-dated twice'."""
        return ledger_line(self.original_target_date, self.target_changes)


@dataclass
class _Changes:
    first_target: date | None = None
    changed_target: bool = False
    target_changes: int = 0
    target: date | None = None
    target_reason: str | None = None
    state: str | None = None
    state_reason: str | None = None


def _changes(approved: list[StoredEvent]) -> dict[int, _Changes]:
    """From each action's approved changes, oldest first: its first target and reasons."""
    found: dict[int, _Changes] = {}
    for stored in approved:
        change = audit_events.from_row(stored).event
        if not isinstance(change, TransitionApplied):
            continue  # unreadable: no reason is better than a wrong one
        changes = found.setdefault(change.action_id, _Changes())
        if change.target_date is not None:
            if not changes.changed_target:
                changes.first_target = change.target_date.before
                changes.changed_target = True
            changes.target_changes += 1
            changes.target = change.target_date.after
            changes.target_reason = change.reason
        if change.to_state and change.to_state != change.from_state:
            changes.state, changes.state_reason = change.to_state, change.reason
    return found


def _reasons_brought(
    session: Session, rows: list[TableRow], changes: dict[int, _Changes]
) -> dict[int, _Changes]:
    """A carried action's state and date were decided last year, on the action it continues:
    its reasons come from there, unless it has been decided again this year. Only reasons:
    the ledger it brought already counts last year's changes."""
    origins = {row.id: row.carried_from for row in rows if row.carried_from is not None}
    if not origins:
        return changes
    earlier = _changes(plan_table.approved_changes(session, sorted(set(origins.values()))))
    for action_id, origin in origins.items():
        brought = earlier.get(origin)
        if brought is None:
            continue
        own = changes.setdefault(action_id, _Changes())
        if own.target is None:
            own.target, own.target_reason = brought.target, brought.target_reason
        if own.state is None:
            own.state, own.state_reason = brought.state, brought.state_reason
    return changes


def _rebaselined(original: date | None, target: date | None, changes: _Changes | None) -> int:
    """1 when the plan's file revised the date before any approved change, else 0."""
    if original is None:
        return 0
    before = changes.first_target if changes and changes.changed_target else target
    return int(before is not None and before != original)


@dataclass(frozen=True)
class LedgerSource:
    """What an action's date ledger is counted from: its dates, and the ledger it brought
    when it was carried forward from last year's plan (its first date, earlier re-datings)."""

    target: date | None
    original: date | None = None
    carried_first: date | None = None
    carried_changes: int = 0


def _first_and_count(source: LedgerSource, changes: _Changes | None) -> tuple[date | None, int]:
    """The action's first target date and how many times it has been re-dated, in all."""
    first: date | None
    if source.carried_first is not None:
        first = source.carried_first  # set in an earlier year, before anything here
    elif source.original is not None:
        first = source.original  # the plan's own first date comes before any change
    elif changes is not None and changes.changed_target:
        first = changes.first_target
    else:
        first = source.target
    count = (changes.target_changes if changes else 0) + source.carried_changes
    return first, count + _rebaselined(source.original, source.target, changes)


def date_ledger(session: Session, action_id: int, source: LedgerSource) -> str:
    """One action's date ledger: 'first due 31 July 2014; re-dated twice'."""
    return ledger_line(*ledgers(session, {action_id: source})[action_id])


def ledgers(
    session: Session, sources: Mapping[int, LedgerSource]
) -> dict[int, tuple[date | None, int]]:
    """Each action's first target date and how often it was re-dated (a page of actions)."""
    found = _changes(plan_table.approved_changes(session, list(sources)))
    return {
        action_id: _first_and_count(source, found.get(action_id))
        for action_id, source in sources.items()
    }


def _export_row(
    row: TableRow,
    changes: _Changes | None,
    sign_off: SignOffRow | None = None,
    carried_to: YearLink | None = None,
) -> ExportRow:
    source = LedgerSource(
        row.target_date, row.original_target_date, row.carried_first, row.carried_changes
    )
    first, count = _first_and_count(source, changes)
    if changes is None:
        return ExportRow(
            row, first, None, None, target_changes=count, sign_off=sign_off, carried_to=carried_to
        )
    return ExportRow(
        row,
        original_target_date=first,
        target_reason=changes.target_reason if changes.target == row.target_date else None,
        state_reason=changes.state_reason if changes.state == row.state else None,
        target_changes=count,
        sign_off=sign_off,
        carried_to=carried_to,
    )


def rows_in(session: Session, plan_id: int, page_size: int = 500) -> Iterator[ExportRow]:
    """Every row of the plan's table with its decisions, inside the caller's transaction."""
    after = 0
    while rows := plan_table.table_after(session, plan_id, TableFilter(), after, page_size):
        yield from _export_page(session, rows)
        after = rows[-1].id


def export_rows(ctx: Context, plan_id: int, filters: TableFilter) -> Iterator[ExportRow]:
    """Every row of the plan's table with its decisions, read a page at a time."""
    for rows in table_pages(ctx, plan_id, filters):
        with ctx.database.reading() as session:
            page = _export_page(session, rows)
        yield from page


def _export_page(session: Session, rows: list[TableRow]) -> list[ExportRow]:
    """A page of the table with what was decided about each row, its committee sign-off and
    where it was carried forward to."""
    ids = [row.id for row in rows]
    changes = _reasons_brought(session, rows, _changes(plan_table.approved_changes(session, ids)))
    signed = sign_off_store.sign_offs_of(session, ids)
    carried = rollover_store.carried_to_each(session, ids)
    return [
        _export_row(row, changes.get(row.id), signed.get(row.id), carried.get(row.id))
        for row in rows
    ]
