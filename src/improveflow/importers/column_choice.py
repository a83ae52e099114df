"""Choosing what each column of a table means, from its header, its cells and the person's map.

Order of authority:
1. ``--map FIELD=COLUMN`` (or a mapping stored with the plan from an earlier import);
2. the header, refined by the cells where a header word has two meanings ("Priority" over High /
   Medium / Low is a priority rating, over sentences a council priority; "Status" over Red /
   Amber / Green is a RAG rating, over sentences progress notes);
3. the cells alone, for columns whose header says nothing (or a table with no header row): a
   column of dates is a target date column, of names and job titles a lead column, of
   sentences the action text; each only where no header already named that field.
A field that two columns claim equally (two "Action" columns of sentences, two unnamed date
columns) is refused with both candidates and the ``--map`` that settles it: a wrong guess would
put every action's text or deadline in the wrong place without a word.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

from improveflow.exceptions import InputFileError
from improveflow.importers.column_content import CellKind, ColumnProfile, profile_columns
from improveflow.importers.columns import (
    ColumnChoice,
    Field,
    Reason,
    Strength,
    TableLayout,
    layout_from_fields,
    normalise_header,
    recognise,
)

# What --map accepts on the left of "=", and the field each names.
MAP_FIELDS: dict[str, Field] = {
    "theme": Field.THEME,
    "reference": Field.REFERENCE,
    "objective": Field.OBJECTIVE,
    "outcomes": Field.OUTCOMES,
    "measures": Field.MEASURES,
    "action": Field.ACTION,
    "lead": Field.LEAD,
    "target": Field.TIMESCALE,
    "original-target": Field.ORIGINAL_TARGET,
    "revised-target": Field.REVISED_TARGET,
    "start": Field.START,
    "completed": Field.COMPLETED,
    "progress": Field.PROGRESS,
    "status": Field.STATUS,
    "rag": Field.RAG,
    "priority": Field.PRIORITY,
    "monitoring": Field.MONITORING,
    "risk": Field.RISK,
    "details": Field.DETAILS,
}
# Fields a table has at most one column of; two equal claims are refused.
_CONTESTED = (Field.ACTION, Field.LEAD, Field.TIMESCALE)
_SAMPLE_ROWS = 200  # enough to know a column; profiling every row of a large file costs time
_LETTERS = re.compile(r"^[A-Za-z]{1,2}$")


def column_letter(index: int) -> str:
    """Spreadsheet letters for a 0-based column: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = string.ascii_uppercase[remainder] + letters
    return letters


def _letter_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + string.ascii_uppercase.index(letter) + 1
    return index - 1


@dataclass(frozen=True)
class ColumnMapping:
    """Columns a person named: (field, column) pairs; the column by header, letter or number."""

    entries: tuple[tuple[str, str], ...] = ()
    reason: Reason = Reason.MAP

    @classmethod
    def parse(cls, items: Sequence[str], reason: Reason = Reason.MAP) -> ColumnMapping:
        """Read ``FIELD=COLUMN`` items; raises ValueError naming the item that is wrong."""
        entries: list[tuple[str, str]] = []
        for item in items:
            name, sep, column = item.partition("=")
            name, column = name.strip().lower().replace("_", "-"), column.strip()
            if not sep or not column:
                raise ValueError(f"'{item}' is not FIELD=COLUMN (for example action=B)")
            if name not in MAP_FIELDS:
                known = ", ".join(MAP_FIELDS)
                raise ValueError(f"'{name}' is not a field improveflow knows (fields: {known})")
            entries.append((name, column))
        return cls(tuple(entries), reason)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def as_dict(self) -> dict[str, str]:
        return dict(self.entries)


class ColumnChoiceError(InputFileError):
    """The columns of a table cannot be told apart with confidence."""

    no_actions = False  # no column at all could hold the actions (rather than two could)


class NoActionColumn(ColumnChoiceError):
    """No column of a table can hold the text of its actions."""

    no_actions = True


@dataclass
class _Decision:
    field: Field | None
    reason: Reason
    detail: str = ""
    strength: int = 0  # 3 --map, 2 exact header, 1 keyword header, 0 content


def choose_layout(
    headers: Sequence[str],
    body: Sequence[list[str]],
    mapping: ColumnMapping,
    *,
    file: str,
    where: str,
    has_header: bool = True,
) -> TableLayout:
    """The layout of a table from its header texts, some of its data rows and a mapping."""
    # Cells past a header's last column are kept by TableRow under "column N".
    width = len(headers) if has_header else max([0, *(len(row) for row in body[:_SAMPLE_ROWS])])
    names = tuple(
        headers[index] if index < len(headers) and headers[index] else "" for index in range(width)
    )
    profiles = profile_columns(body[:_SAMPLE_ROWS], width)
    decisions: dict[int, _Decision] = {}
    for index in range(width):
        named = recognise(names[index]) if has_header and names[index] else None
        if named is not None:
            decisions[index] = _from_header(named[0], named[1], profiles[index])
    for field, index in _mapped(mapping, names, has_header, file=file, where=where):
        for other in decisions.values():
            if other.field is field and field is not Field.DETAILS:
                other.field, other.reason, other.detail = Field.DETAILS, Reason.HEADER, ""
                other.detail = f"replaced by {mapping.reason.value}"
        decisions[index] = _Decision(field, mapping.reason, "", 3)
    _settle_contests(decisions, profiles, names, file=file, where=where)
    _fill_from_content(decisions, profiles, names, file=file, where=where)
    if not has_header:
        names = tuple(f"column {column_letter(index)}" for index in range(width))
    fields = {
        index: decisions[index].field if index in decisions else None
        for index in range(width)
        if (has_header and names[index]) or profiles[index].filled or index in decisions
    }
    layout = layout_from_fields(names, fields)
    _check_has_actions(layout, profiles, names, file=file, where=where)
    return _with_choices(layout, decisions, profiles)


def _from_header(field: Field, strength: Strength, profile: ColumnProfile) -> _Decision:
    weight = 2 if strength is Strength.EXACT else 1
    refined = _refine(field, profile)
    if refined is not field:
        return _Decision(refined, Reason.CONTENT, profile.describe(), weight)
    return _Decision(field, Reason.HEADER, "", weight)


def _refine(field: Field, profile: ColumnProfile) -> Field:
    """A header word with two meanings, settled by what the cells hold."""
    if field in (Field.OBJECTIVE, Field.STATUS, Field.RISK) and profile.mostly(CellKind.PRIORITY):
        return Field.PRIORITY if field is not Field.RISK else field
    if field in (Field.STATUS, Field.PROGRESS, Field.OUTCOMES) and profile.mostly(CellKind.RAG):
        return Field.RAG
    if field in (Field.PROGRESS, Field.OUTCOMES) and profile.mostly(CellKind.STATUS):
        return Field.STATUS
    if field is Field.STATUS and profile.filled and profile.mean_words > 6:
        return Field.PROGRESS
    if field is Field.REFERENCE and profile.mostly(CellKind.SENTENCE):
        return Field.OBJECTIVE
    return field


def _mapped(
    mapping: ColumnMapping, names: tuple[str, ...], has_header: bool, *, file: str, where: str
) -> list[tuple[Field, int]]:
    found: list[tuple[Field, int]] = []
    by_name = {normalise_header(name): index for index, name in enumerate(names) if name}
    for field_name, column in mapping.entries:
        index = by_name.get(normalise_header(column)) if has_header else None
        if index is None and _LETTERS.match(column):
            index = _letter_index(column)
        elif index is None and column.isdigit():
            index = int(column) - 1
        if index is None or not 0 <= index < len(names):
            shown = ", ".join(
                f"{column_letter(i)} '{name}'" if name else column_letter(i)
                for i, name in enumerate(names)
            )
            raise ColumnChoiceError(
                file,
                None,
                f"{where}: --map {field_name}={column}: no such column (this table has {shown})",
            )
        found.append((MAP_FIELDS[field_name], index))
    return found


def _label(index: int, names: tuple[str, ...]) -> str:
    name = " ".join(names[index].split()) if index < len(names) else ""
    return f"'{name}' (column {column_letter(index)})" if name else f"column {column_letter(index)}"


def _refuse(
    field: Field, candidates: list[int], names: tuple[str, ...], *, file: str, where: str
) -> ColumnChoiceError:
    label = _MAP_NAME[field]
    listed = " and ".join(_label(index, names) for index in candidates)
    first = candidates[0]
    by_letter = f"--map {label}={column_letter(first)}"
    header = " ".join(names[first].split())
    if not header or sum(normalise_header(name) == normalise_header(header) for name in names) > 1:
        fix = by_letter  # the header names more than one column
    else:
        fix = f'--map {label}="{header}" (or {by_letter})'
    return ColumnChoiceError(
        file, None, f"{where}: {listed} could each be the {_WORDS[field]}; say which with {fix}"
    )


_MAP_NAME = {field: name for name, field in MAP_FIELDS.items()}
_WORDS = {
    Field.ACTION: "action text",
    Field.LEAD: "lead",
    Field.TIMESCALE: "target date",
}


def _settle_contests(
    decisions: dict[int, _Decision],
    profiles: list[ColumnProfile],
    names: tuple[str, ...],
    *,
    file: str,
    where: str,
) -> None:
    """Two headers naming one field: the surer header wins; equal ones are refused."""
    for field in _CONTESTED:
        claims = [index for index in sorted(decisions) if decisions[index].field is field]
        if len(claims) < 2:
            continue
        best = max(decisions[index].strength for index in claims)
        strongest = [index for index in claims if decisions[index].strength == best]
        if len(strongest) > 1 and best < 3:
            filled = [profiles[index].filled for index in strongest]
            if max(filled) < 2 * sorted(filled)[-2]:
                raise _refuse(field, strongest, names, file=file, where=where)
            strongest = [strongest[filled.index(max(filled))]]
        for index in claims:
            if index != strongest[0]:
                # Kept as another detail of the action, under its own header.
                decisions[index] = _Decision(
                    Field.DETAILS, Reason.HEADER, f"a second {_WORDS[field]} column"
                )


# What a column of mostly one kind of cell is, when its header does not say.
_CONTENT_FIELDS: tuple[tuple[CellKind, Field], ...] = (
    (CellKind.DATE, Field.TIMESCALE),
    (CellKind.RAG, Field.RAG),
    (CellKind.PRIORITY, Field.PRIORITY),
    (CellKind.STATUS, Field.STATUS),
    (CellKind.CODE, Field.REFERENCE),
    (CellKind.NAME, Field.LEAD),
    (CellKind.SENTENCE, Field.ACTION),
)


def _fill_from_content(
    decisions: dict[int, _Decision],
    profiles: list[ColumnProfile],
    names: tuple[str, ...],
    *,
    file: str,
    where: str,
) -> None:
    """Give unnamed columns the field their cells show, where no header already gave it."""
    taken = {decision.field for decision in decisions.values()}
    if Field.OBJECTIVE in taken:
        taken.add(Field.ACTION)  # the objective describes the action; a sentence column is not it
    candidates: dict[Field, list[int]] = {}
    for index, profile in enumerate(profiles):
        if index in decisions or profile.filled < 2:
            continue
        for kind, field in _CONTENT_FIELDS:
            if profile.mostly(kind) and field not in taken:
                candidates.setdefault(field, []).append(index)
                break
    for field, indexes in candidates.items():
        if len(indexes) > 1 and field in _CONTESTED:
            raise _refuse(field, indexes, names, file=file, where=where)
        decisions[indexes[0]] = _Decision(field, Reason.CONTENT, profiles[indexes[0]].describe())


def _check_has_actions(
    layout: TableLayout,
    profiles: list[ColumnProfile],
    names: tuple[str, ...],
    *,
    file: str,
    where: str,
) -> None:
    """Refuse a table in which no column can hold the text of the actions."""
    described = layout.action if layout.action is not None else layout.objective
    wordy_kinds = (CellKind.SENTENCE, CellKind.SHORT, CellKind.NAME)
    if described is not None and profiles[described].share(*wordy_kinds) >= 0.5:
        return
    if described is not None and not profiles[described].filled:
        return  # a header with no rows yet: nothing to judge
    wordy = sorted(
        (index for index, profile in enumerate(profiles) if profile.filled),
        key=lambda index: -profiles[index].mean_words,
    )[:3]
    listed = ", ".join(_label(index, names) for index in wordy) or "none"
    raise NoActionColumn(
        file,
        None,
        f"{where}: no column can be read as the actions with confidence (the wordiest: "
        f"{listed}); say which with --map action=COLUMN",
    )


def _with_choices(
    layout: TableLayout, decisions: dict[int, _Decision], profiles: list[ColumnProfile]
) -> TableLayout:
    choices: list[ColumnChoice] = []
    for slot in (
        "theme", "reference", "objective", "outcomes", "action", "measures", "lead",
        "timescale", "original", "start", "completed", "progress", "status", "rag",
        "priority", "monitoring", "risk",
    ):  # fmt: skip
        index = getattr(layout, slot)
        if index is None:
            continue
        decision = decisions.get(
            index, _Decision(None, Reason.POSITION, "the first unnamed column")
        )
        choices.append(
            ColumnChoice(
                slot=slot,
                index=index,
                header=layout.headers[index] if index < len(layout.headers) else "",
                reason=decision.reason,
                detail=decision.detail,
                samples=tuple(profiles[index].samples) if index < len(profiles) else (),
            )
        )
    for index, key in layout.extras:
        if index >= len(profiles) or not profiles[index].filled:
            continue
        decision = decisions.get(
            index, _Decision(None, Reason.HEADER, "not a field improveflow uses")
        )
        choices.append(
            ColumnChoice(
                slot="details",
                index=index,
                header=key,
                reason=decision.reason,
                detail=decision.detail or "kept as other details",
                samples=tuple(profiles[index].samples),
            )
        )
    return dataclasses.replace(layout, choices=tuple(choices))
