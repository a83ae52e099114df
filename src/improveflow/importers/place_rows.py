"""Placing one data row of a table: new objective, further actions, or text continuing a row.

Rules (see :mod:`paragraph_rules` for how paragraphs are compared):
- A filled key cell (the reference column, else the objective column) starts an objective.
- A row with an empty key cell and its own action, timescale or measure is a further action of
  the same objective; when its lead cell is empty it inherits the lead of the action above.
- After a page break, a row whose text continues the previous row, or that has no action of its
  own, is merged into the row before; the actions on both sides are flagged
  "text merged across a page break". When the continuing row's lead cell was not merged, the
  actions given its first lead paragraph are marked ``lead_follows_break``: leads carry no
  punctuation, so only the directory can tell whether its first words end the lead above (see
  :mod:`lead_breaks`).
- Without a page break, a row with nothing to act on (only progress, say) is merged into the
  action above and flagged.
- Tables without an action column: the objective text describes the row's action; a further row
  with no objective text is described by its measure ("Review and implementation of revised HR
  Structure."). With a reference column, an unlettered priority row is a further action of the
  lettered priority above it.
- Several paragraphs in the action cell are several actions; the paragraphs of the lead, date,
  measure and progress cells are given to them in order, and flagged when the counts differ.
- A row that cannot be placed is kept as an :class:`UnplacedRow` with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from improveflow.importers import records
from improveflow.importers.columns import TableLayout
from improveflow.importers.drafts import (
    ActionDraft,
    ObjectiveDraft,
    ThemeDraft,
    attach_item,
    continue_paragraph,
    without_marker,
)
from improveflow.importers.html_text import Block
from improveflow.importers.paragraph_rules import (
    counted_continuation,
    distribute,
    starts_lowercase,
    textual_continuation,
)
from improveflow.importers.table_row import EXTRA_PREFIX, TableRow

_FIELD_LABELS = {
    "lead": "lead",
    "timescale": "timescale",
    "original": "original target",
    "start": "start date",
    "completed": "completed date",
    "measures": "measure",
}
# Leads, dates and ratings carry no sentence punctuation: only counting shows that they continue.
_UNPUNCTUATED = frozenset(
    {"lead", "timescale", "original", "start", "completed", "rag", "priority", "status"}
)


def _texts(blocks: Sequence[Block]) -> list[str]:
    return [block.text for block in blocks]


class RowPlacer:
    """Places the data rows of the current table under the current theme."""

    def __init__(self) -> None:
        self.unplaced: list[records.UnplacedRow] = []
        self._layout: TableLayout | None = None
        self._theme: ThemeDraft | None = None
        self._objective: ObjectiveDraft | None = None
        self._last_action: ActionDraft | None = None

    @property
    def has_objective(self) -> bool:
        return self._objective is not None

    def use_layout(self, layout: TableLayout | None) -> None:
        """A new table (or none): rows after this continue nothing before it."""
        if layout != self._layout:
            self._layout = layout
            self._forget_objective()

    def use_theme(self, theme: ThemeDraft) -> None:
        """Rows from now on belong to this theme; a different theme continues nothing."""
        if theme is not self._theme:
            self._theme = theme
            self._forget_objective()

    def start_record(self) -> None:
        """The next row stands alone: it inherits no lead from the row above."""
        self._last_action = None

    def _forget_objective(self) -> None:
        self._objective = None
        self._last_action = None

    def place(self, row: TableRow, *, after_break: bool) -> None:
        """Put one data row where it belongs; ``after_break``: a page break came before it."""
        continuing = after_break and self._last_action is not None and self._may_continue(row)
        if continuing and self._continue_previous(row):
            return
        if self._starts_objective(row):
            self._start_objective(row)
        elif self._has_new_action(row):
            self._add_further_actions(row)
        elif row.has_text():
            self._merge_into_last(row, records.REVIEW_ROW_MERGED)

    def _layout_now(self) -> TableLayout:
        assert self._layout is not None, "data rows are only read inside a table"
        return self._layout

    def _may_continue(self, row: TableRow) -> bool:
        layout = self._layout_now()
        if layout.reference is not None and row.reference:
            return False
        if row.objective and not starts_lowercase(row.objective[0].text):
            # New objective text, except where unlettered priority text describes a further
            # action of the lettered priority above (reference column, no action column).
            return layout.reference is not None and layout.action is None
        return True

    def _starts_objective(self, row: TableRow) -> bool:
        layout = self._layout_now()
        if layout.reference is not None:
            return bool(row.reference) or (layout.action is not None and bool(row.objective))
        return layout.objective is not None and bool(row.objective)

    def _has_new_action(self, row: TableRow) -> bool:
        if row.action or row.measures or row.timescale:
            return True
        return self._layout_now().action is None and bool(row.objective)

    def _continue_previous(self, row: TableRow) -> bool:
        """Merge what continues the previous row; False when the row is an ordinary one."""
        previous, objective = self._last_action, self._objective
        assert previous is not None
        assert objective is not None
        layout = self._layout_now()
        targets = self._continuation_targets(row, previous, objective)
        textual = {
            name: textual_continuation(row.cell(name), target)
            for name, target in targets.items()
            if name not in _UNPUNCTUATED
        }
        if not any(textual.values()) and self._has_new_action(row):
            return False
        for name, count in textual.items():
            _merge_leading(row.cell(name), count, targets[name])
        new_actions = len(row.action) if layout.action is not None else min(len(row.objective), 1)
        lead_paragraphs = len(row.lead)
        for name in row.action_fields():
            if not textual.get(name):
                count = counted_continuation(
                    row.cell(name), targets[name], new_actions, prose=name not in _UNPUNCTUATED
                )
                _merge_leading(row.cell(name), count, targets[name])
        if layout.action is not None:
            # The rest of the objective cell ("(key challenge suggestion 1)") stays with it.
            objective.text.extend(_texts(row.objective))
            row.objective.clear()
        previous.flag(records.REVIEW_PAGE_BREAK_MERGE)
        if new_actions == 0:
            self._append_to(previous, row)
            return True
        created = self._add_further_actions(row)
        for action in created:
            action.flag(records.REVIEW_PAGE_BREAK_MERGE)
        if len(row.lead) == lead_paragraphs and not previous.lead_inherited and previous.lead:
            _mark_lead_after_break(created, lead_paragraphs)
        return True

    def _continuation_targets(
        self, row: TableRow, previous: ActionDraft, objective: ObjectiveDraft
    ) -> dict[str, list[str]]:
        """For each cell of the row, the text of the row before that it would continue."""
        no_action_column = self._layout_now().action is None
        described = no_action_column and previous.description is not None
        targets = {
            "objective": previous.parts("action") if described else objective.text,
            "outcomes": objective.outcomes,
            "monitoring": objective.monitoring,
            "risk": objective.risk,
        }
        if not no_action_column:
            targets["action"] = previous.parts("action")
        for name in row.action_fields():
            targets[name] = previous.parts(name)
        return targets

    def _start_objective(self, row: TableRow) -> None:
        layout = self._layout_now()
        theme = self._theme
        assert theme is not None
        objective = ObjectiveDraft(
            line=row.line,
            reference=" ".join(_texts(row.reference)) or None,
            text=_texts(row.objective),
            outcomes=_texts(row.outcomes),
            monitoring=_texts(row.monitoring),
            risk=_texts(row.risk),
        )
        theme.objectives.append(objective)
        self._objective = objective
        self._last_action = None
        own_action = row.action or row.measures or row.timescale or row.lead or row.progress
        if not own_action and (layout.action is not None or not row.objective):
            return  # an objective stated without any action in its own row
        created = self._create_actions(row, self._descriptions(row))
        has_both_columns = layout.lead is not None and layout.timescale is not None
        if has_both_columns and not row.lead and not row.timescale:
            for action in created:
                action.flag(records.REVIEW_NO_LEAD_OR_TIMESCALE)

    def _add_further_actions(self, row: TableRow) -> list[ActionDraft]:
        layout = self._layout_now()
        if self._objective is None:
            if layout.objective is not None or layout.reference is not None:
                self._unplace(row, "further action with no objective above it in this section")
                return []
            self._implicit_objective(row.line)
        objective = self._objective
        assert objective is not None
        objective.outcomes.extend(_texts(row.outcomes))
        objective.monitoring.extend(_texts(row.monitoring))
        objective.risk.extend(_texts(row.risk))
        return self._create_actions(row, self._descriptions(row))

    def _implicit_objective(self, line: int) -> None:
        """Tables with actions but no objective column: the theme stands for the objective."""
        theme = self._theme
        assert theme is not None
        objective = ObjectiveDraft(line=line, reference=None, text=[theme.title])
        theme.objectives.append(objective)
        self._objective = objective

    def _descriptions(self, row: TableRow) -> list[list[str] | None]:
        layout = self._layout_now()
        if row.action:
            return [[block.text] for block in row.action]
        if layout.action is None:
            if self._starts_objective(row):
                return [None]  # the objective's own text describes its action
            if row.objective:
                return [_texts(row.objective)]  # unlettered priority under a lettered one
        if row.measures:
            return [[without_marker(block.text) for block in row.measures]]
        return [None]

    def _create_actions(
        self, row: TableRow, descriptions: list[list[str] | None]
    ) -> list[ActionDraft]:
        objective = self._objective
        assert objective is not None
        actions = [ActionDraft(line=row.line, description=text) for text in descriptions]
        if descriptions == [None] and self._layout_now().action is not None:
            actions[0].flag(records.REVIEW_DESCRIPTION_FROM_OBJECTIVE)
        count = len(actions)
        # Tables without an action column often give a priority several owners or dates.
        has_action_column = self._layout_now().action is not None
        problems: list[str] = []
        for name in row.action_fields():
            paragraphs = _texts(row.cell(name))
            one_per_action = has_action_column and name in _UNPUNCTUATED
            if count == 1:  # most rows: what `distribute` gives a single action, without it
                actions[0].parts(name).extend(paragraphs)
                lined_up = len(paragraphs) <= 1 or not one_per_action
            else:
                spread = distribute(
                    paragraphs, count, shared=name != "progress", one_per_action=one_per_action
                )
                for action, parts in zip(actions, spread.per_action, strict=True):
                    action.parts(name).extend(parts)
                lined_up = spread.lined_up
            if not lined_up:
                label = _FIELD_LABELS.get(name, name.removeprefix(EXTRA_PREFIX))
                problems.append(f"{count} actions, {len(paragraphs)} {label} paragraphs")
        if problems:
            reason = f"{records.REVIEW_PARAGRAPHS_MISALIGNED}: {'; '.join(problems)}"
            for action in actions:
                action.flag(reason)
        inherited = self._last_action.lead if self._last_action is not None else []
        if not row.lead and inherited:
            for action in actions:
                action.lead.extend(inherited)
                action.lead_inherited = True
        objective.actions.extend(actions)
        self._last_action = actions[-1]
        return actions

    def _append_to(self, action: ActionDraft, row: TableRow) -> None:
        """Put every remaining cell of the row under an existing action (and its objective)."""
        objective = self._objective
        assert objective is not None
        if row.action:
            action.parts("action").extend(_texts(row.action))
        for name in row.action_fields():
            action.parts(name).extend(_texts(row.cell(name)))
        objective.outcomes.extend(_texts(row.outcomes))
        objective.monitoring.extend(_texts(row.monitoring))
        objective.risk.extend(_texts(row.risk))

    def _merge_into_last(self, row: TableRow, reason: str) -> None:
        if self._last_action is None:
            self._unplace(row, "text with no action above it to belong to")
            return
        self._append_to(self._last_action, row)
        self._last_action.flag(reason)

    def _unplace(self, row: TableRow, reason: str) -> None:
        self.unplaced.append(records.UnplacedRow(row.line, row.summary(), reason))


def _merge_leading(blocks: list[Block], count: int, target: list[str]) -> None:
    """Move the first ``count`` blocks onto the end of ``target`` (first joins its sentence)."""
    if count <= 0:
        return
    first, *rest = blocks[:count]
    continue_paragraph(target, first.text)
    for block in rest:
        attach_item(target, block.text)
    del blocks[:count]


def _mark_lead_after_break(created: list[ActionDraft], lead_paragraphs: int) -> None:
    """Mark the actions given the row's first lead paragraph: it may end the lead above."""
    if lead_paragraphs == 0:
        return
    # A single paragraph is shared by every action of the row; otherwise only the first has it.
    for action in created if lead_paragraphs == 1 else created[:1]:
        action.lead_follows_break = True
