"""The import report as a person reads it on a terminal, every count with its right plural."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from improveflow.cli.common import plural
from improveflow.services.import_report import ImportReport

_SHOWN_PER_LIST = 40


def show_import_report(console: Console, report: ImportReport) -> None:
    if report.dry_run:
        console.print("[bold]Dry run:[/bold] nothing was stored.")
    if report.people_created or report.people_updated:
        console.print(
            f"People: {report.people_created} added, {report.people_updated} updated.",
            highlight=False,
        )
    for plan in report.plans:
        verb = "created" if plan.plan_created else "updated"
        console.print(
            f"\n[bold]{plan.plan_title}[/bold] (plan {plan.plan_id}, "
            f"{plan.plan_kind.replace('_', ' ')}, {verb}) from {', '.join(plan.files)}",
            highlight=False,
        )
        console.print(
            f"{plural(plan.themes, 'theme')}, {plural(plan.objectives, 'objective')}, "
            f"{plural(len(plan.actions), 'action')}: "
            f"{plan.count('created')} new, {plan.count('progress added')} with new progress, "
            f"{plan.count('unchanged')} unchanged"
            + (f", {plan.count('duplicate')} repeated" if plan.count("duplicate") else "")
            + ".",
            highlight=False,
        )
        states: dict[str, int] = {}
        for line in plan.actions:
            states[line.state] = states.get(line.state, 0) + 1
        console.print(
            "States: " + ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in states.items()),
            highlight=False,
        )
        for change in plan.layout_changes:
            console.print(f"[bold]Layout changed:[/bold] {change}", highlight=False)
        if report.dry_run:
            _show_columns(console, plan.columns)
        if plan.review:
            needs = "item needs" if len(plan.review) == 1 else "items need"
            table = Table(title=f"{len(plan.review)} {needs} review", title_justify="left")
            for column in ("source", "action", "reason"):
                table.add_column(column, overflow="fold")
            for item in plan.review[:_SHOWN_PER_LIST]:
                table.add_row(item.source, _short(item.description), item.reason)
            console.print(table)
            if len(plan.review) > _SHOWN_PER_LIST:
                console.print(f"... and {len(plan.review) - _SHOWN_PER_LIST} more (see --report).")
        if plan.unplaced:
            table = Table(
                title=f"{plural(len(plan.unplaced), 'row')} could not be placed",
                title_justify="left",
            )
            for column in ("source", "text", "reason"):
                table.add_column(column, overflow="fold")
            for row in plan.unplaced[:_SHOWN_PER_LIST]:
                table.add_row(row.source, _short(row.text), row.reason)
            console.print(table)
        if plan.not_in_files:
            ids = ", ".join(str(i) for i in plan.not_in_files[:_SHOWN_PER_LIST])
            console.print(f"Actions imported before but not in these files (kept): {ids}")


def _show_columns(console: Console, tables: list[dict[str, Any]]) -> None:
    """For every field, the column read as it, why, and three of its values."""
    for number, table_columns in enumerate(tables, start=1):
        title = "Columns" if len(tables) == 1 else f"Columns of table {number}"
        table = Table(title=title, title_justify="left")
        for column in ("field", "column", "why", "values"):
            table.add_column(column, overflow="fold")
        for choice in table_columns["columns"]:
            column = f"{choice['letter']} {choice['column']}".strip()
            why = choice["why"] + (f": {choice['detail']}" if choice["detail"] else "")
            table.add_row(choice["field"], column, why, " | ".join(choice["samples"]))
        console.print(table)


def _short(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
