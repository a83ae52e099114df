"""The plan's table for an export: every row, a page at a time, each page read on its own.

The page's own table (a page of rows with the dashboard) is read with the dashboard's unit of
work; the rows, their filter and the queries are `stores.plan_table`. An export reads pages of
EXPORT_PAGE by id, each in its own unit of work, so nothing loads every action of a plan into
memory and no transaction stays open while the file is written.
"""

from __future__ import annotations

from collections.abc import Iterator

from improveflow.services.context import Context
from improveflow.stores import plan_table
from improveflow.stores.plan_table import TableFilter, TableRow

__all__ = ["EXPORT_PAGE", "TableFilter", "TableRow", "table_pages", "table_rows"]

EXPORT_PAGE = 1000


def table_pages(ctx: Context, plan_id: int, filters: TableFilter) -> Iterator[list[TableRow]]:
    """Every row of the plan's table, in pages of EXPORT_PAGE, each read on its own."""
    last = 0
    while True:
        with ctx.database.reading() as session:
            rows = plan_table.table_after(session, plan_id, filters, last, EXPORT_PAGE)
        if not rows:
            return
        yield rows
        last = rows[-1].id


def table_rows(ctx: Context, plan_id: int, filters: TableFilter) -> Iterator[TableRow]:
    """Every row of the plan's table, read in pages of EXPORT_PAGE for an export."""
    for rows in table_pages(ctx, plan_id, filters):
        yield from rows
