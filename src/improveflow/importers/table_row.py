"""A data row's cells, as paragraphs, under the names the table's header gives them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from improveflow.importers.columns import TableLayout
from improveflow.importers.html_text import Block

# Cells that belong to each action; extra columns ("extra:eina") are per action too.
ACTION_FIELDS = (
    "lead",
    "timescale",
    "original",
    "start",
    "completed",
    "measures",
    "progress",
    "rag",
    "priority",
    "status",
)
EXTRA_PREFIX = "extra:"
_SLOTS = (
    "theme",
    "reference",
    "objective",
    "outcomes",
    "action",
    "measures",
    "lead",
    "timescale",
    "original",
    "start",
    "completed",
    "progress",
    "status",
    "rag",
    "priority",
    "monitoring",
    "risk",
)


@dataclass
class TableRow:
    """The paragraphs of each recognised cell of one data row; blocks are consumed as merged."""

    line: int
    texts: Sequence[str]
    cells: dict[str, list[Block]] = field(default_factory=dict)
    extras: list[str] = field(default_factory=list)

    @classmethod
    def from_blocks(
        cls, layout: TableLayout, line: int, blocks: Sequence[list[Block]], texts: Sequence[str]
    ) -> TableRow:
        row = cls(line=line, texts=texts)
        for slot in _SLOTS:
            index = getattr(layout, slot)
            row.cells[slot] = (
                list(blocks[index]) if index is not None and index < len(blocks) else []
            )
        for index, key in layout.extras:
            if index < len(blocks) and blocks[index]:
                row._add_extra(key, blocks[index])
        for index in range(layout.width, len(blocks)):
            if blocks[index]:
                # Cells beyond the header are kept rather than dropped.
                row._add_extra(f"column {index + 1}", blocks[index])
        return row

    def _add_extra(self, key: str, blocks: list[Block]) -> None:
        self.extras.append(key)
        self.cells[EXTRA_PREFIX + key] = list(blocks)

    def cell(self, name: str) -> list[Block]:
        """The remaining paragraphs of a cell ("lead", "extra:eina"); empty when absent."""
        return self.cells.setdefault(name, [])

    def action_fields(self) -> list[str]:
        """The names of the cells that belong to each action of the row."""
        return [*ACTION_FIELDS, *(EXTRA_PREFIX + key for key in self.extras)]

    def has_text(self) -> bool:
        return any(self.cells.values())

    def summary(self) -> str:
        """The row's text, cells separated by " | ", for a person to find it again."""
        return " | ".join(" ".join(text.split()) for text in self.texts if text)

    @property
    def theme(self) -> list[Block]:
        return self.cell("theme")

    @property
    def reference(self) -> list[Block]:
        return self.cell("reference")

    @property
    def objective(self) -> list[Block]:
        return self.cell("objective")

    @property
    def outcomes(self) -> list[Block]:
        return self.cell("outcomes")

    @property
    def action(self) -> list[Block]:
        return self.cell("action")

    @property
    def measures(self) -> list[Block]:
        return self.cell("measures")

    @property
    def lead(self) -> list[Block]:
        return self.cell("lead")

    @property
    def timescale(self) -> list[Block]:
        return self.cell("timescale")

    @property
    def progress(self) -> list[Block]:
        return self.cell("progress")

    @property
    def monitoring(self) -> list[Block]:
        return self.cell("monitoring")

    @property
    def risk(self) -> list[Block]:
        return self.cell("risk")
