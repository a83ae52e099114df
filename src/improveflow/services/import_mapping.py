"""The columns an import used, kept with the plan so next quarter's file is read the same way.

Stored as ``Plan.import_mapping``::

    {"explicit": {"action": "Management Response"},            # what --map said, if anything
     "tables": [{"headers": ["Ref", ...], "fields": {"action": "Management Response", ...}}]}

A later import with no ``--map`` applies the explicit entries again (a column they name that is
missing is refused, naming it); columns chosen by header or content are chosen afresh, and any
difference from the stored tables is reported so a changed layout is seen, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from improveflow.importers.column_choice import ColumnMapping, column_letter
from improveflow.importers.columns import Reason, TableLayout

# The names people use for a layout's slots, as --map takes them.
FIELD_NAMES = {"timescale": "target", "original": "original-target"}


def field_name(slot: str) -> str:
    return FIELD_NAMES.get(slot, slot)


def stored_explicit_mapping(stored: dict[str, Any] | None) -> ColumnMapping:
    """The --map a plan's earlier import was given, to apply again; empty if none."""
    explicit = (stored or {}).get("explicit") or {}
    return ColumnMapping(tuple(explicit.items()), Reason.STORED)


def _fields(layout: TableLayout) -> dict[str, str]:
    return {
        field_name(choice.slot): choice.header or column_letter(choice.index)
        for choice in layout.choices
        if choice.slot != "details"
    }


def mapping_to_store(mapping: ColumnMapping, layouts: Sequence[TableLayout]) -> dict[str, Any]:
    explicit = mapping.as_dict() if mapping.reason in (Reason.MAP, Reason.STORED) else {}
    return {
        "explicit": explicit,
        "tables": [
            {"headers": list(layout.headers), "fields": _fields(layout)} for layout in layouts
        ],
    }


def layout_changes(stored: dict[str, Any] | None, layouts: Sequence[TableLayout]) -> list[str]:
    """How this file's tables differ from those of the plan's last import ([] if the same)."""
    if not stored or not stored.get("tables"):
        return []
    before = {tuple(table["headers"]): table["fields"] for table in stored["tables"]}
    changes: list[str] = []
    for layout in layouts:
        fields = _fields(layout)
        was = before.get(tuple(layout.headers))
        if was is None:
            old_headers = {h for headers in before for h in headers if h}
            added = [h for h in layout.headers if h and h not in old_headers]
            gone = sorted(old_headers - set(layout.headers))
            changes.append(
                "the columns differ from the last import"
                + (f"; new: {', '.join(added)}" if added else "")
                + (f"; no longer there: {', '.join(gone)}" if gone else "")
                + ": check the columns chosen below, or give --map"
            )
        elif was != fields:
            moved = [f"{name}: {was.get(name)} -> {fields.get(name)}" for name in sorted(
                set(was) | set(fields)) if was.get(name) != fields.get(name)]  # fmt: skip
            changes.append("the same columns were read differently: " + "; ".join(moved))
    return changes


def table_columns(layouts: Sequence[TableLayout]) -> list[dict[str, Any]]:
    """Each table's columns as the report shows them: field, column, why, samples."""
    return [
        {
            "headers": list(layout.headers),
            "columns": [
                {
                    "field": field_name(choice.slot),
                    "column": choice.header,
                    "letter": column_letter(choice.index),
                    "why": choice.reason.value,
                    "detail": choice.detail,
                    "samples": list(choice.samples),
                }
                for choice in layout.choices
            ],
        }
        for layout in layouts
    ]
