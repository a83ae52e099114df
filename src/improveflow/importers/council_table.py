"""Council plans converted from Word or PDF to text: tab-separated table rows among prose.

Each line is one of:
- a table row (it holds a tab): handed to :class:`PlanAssembler` with its cells;
- a blank line, a ``---`` rule, or page furniture such as ``## Appendix 1``: a page break;
- a heading (``# ...`` Markdown or a line wholly in ``**bold**``): may name the next theme;
- anything else: prose, which ends the table in progress.

The document title is taken from the short plain or bold lines at the very top of the file
("Draft - Chesterfield Borough Council - Peer Challenge Improvement Plan"), if there are any.
"""

from __future__ import annotations

import re
from pathlib import Path

from improveflow.importers.assemble import assemble_document
from improveflow.importers.column_choice import ColumnMapping
from improveflow.importers.html_text import cell_text
from improveflow.importers.records import ParsedPlan
from improveflow.importers.table_model import Heading, PageBreak, Part, Prose, Row, SourceDocument
from improveflow.importers.text_files import decode_plan_bytes

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\*\*(.+?)\*\*\s*$")
_RULE_LINE = re.compile(r"^\s*(?:[-_=*]\s*){3,}$")
# Headings the converter repeats on every page; they break a table, they do not title it.
_PAGE_FURNITURE = re.compile(
    r"^(?:appendix|annex|annexe|page|continued)\b[\s\w.()-]{0,12}$|^\d+$", re.I
)
_NUMBERED_LINE = re.compile(r"^\d+(?:\.\d+)*[.)]\s")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s")
_MAX_TITLE_LINE = 120


def read_council_file(path: Path, mapping: ColumnMapping | None = None) -> ParsedPlan:
    """Read a converted council plan; see :mod:`text_files` for the encodings accepted."""
    return assemble_document(read_council_document(path), mapping or ColumnMapping(), tabular=False)


def read_council_document(path: Path) -> SourceDocument:
    """The rows, headings and breaks of a converted council plan."""
    text, encoding = decode_plan_bytes(path.read_bytes(), str(path))
    return council_document(text, str(path), encoding=encoding)


def parse_council_text(
    text: str, file: str, *, encoding: str = "utf-8", mapping: ColumnMapping | None = None
) -> ParsedPlan:
    """Read a plan's text; raises :class:`InputFileError` when it holds no action table."""
    document = council_document(text, file, encoding=encoding)
    return assemble_document(document, mapping or ColumnMapping(), tabular=False)


def council_document(text: str, file: str, *, encoding: str = "utf-8") -> SourceDocument:
    """Each line of the text as a part of the table model."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    title, first_body_line = _title(lines)
    parts: list[Part] = []
    for number, line in enumerate(lines[first_body_line:], start=first_body_line + 1):
        parts.append(_part(number, line))
    return SourceDocument(file=file, title=title, parts=parts, encoding=encoding)


def _part(number: int, line: str) -> Part:
    if "\t" in line:
        return Row(number, line.split("\t"))
    stripped = line.strip()
    if not stripped or _RULE_LINE.match(stripped):
        return PageBreak()
    heading = _heading(stripped)
    if heading is None:
        return Prose()
    level, title = heading
    if not title or _PAGE_FURNITURE.match(title):
        return PageBreak()
    return Heading(number, title, level)


def _heading(line: str) -> tuple[int, str] | None:
    """(level, text) of a Markdown or bold heading line; None for anything else."""
    markdown = _MARKDOWN_HEADING.match(line)
    if markdown:
        return len(markdown.group(1)), _clean_heading(markdown.group(2))
    bold = _BOLD_LINE.match(line)
    if bold:
        return 7, _clean_heading(bold.group(1))
    return None


def _clean_heading(text: str) -> str:
    return " ".join(cell_text(text.replace("**", "").replace("\\*", "*")).split())


def _title(lines: list[str]) -> tuple[str | None, int]:
    """The title lines at the top of the file, and the index of the first line after them."""
    parts: list[str] = []
    end = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if "\t" in line or not _is_title_line(stripped):
            break
        bold = _BOLD_LINE.match(stripped)
        parts.append(_clean_heading(bold.group(1) if bold else stripped))
        end = index + 1
    return (" ".join(part for part in parts if part) or None), end


def _is_title_line(line: str) -> bool:
    if line.startswith("#") or len(line) > _MAX_TITLE_LINE:
        return False
    if _NUMBERED_LINE.match(line) or _LIST_LINE.match(line) or _RULE_LINE.match(line):
        return False
    return bool(_BOLD_LINE.match(line)) or not line.endswith((".", ":", ";", ","))
