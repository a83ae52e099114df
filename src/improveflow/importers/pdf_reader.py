"""Plans printed to PDF (from Word, Excel or a browser), read into the table model.

Rules:
- Tables are the ruled tables of each page (pdfplumber's "lines" strategy); rules left open at
  a row cut by the page's end are closed, so the cut row is kept. Unruled tables are not guessed:
  the document then has no rows (and a note), and the caller refuses it.
- Outside tables, a line in a font larger than the body text is a heading (level 1 for the
  largest such size, 2 for the next...), a bold line in the body size one of level 7; lines of
  one heading style in a row are one heading. Other text is prose (a run of lines, one
  ``Prose``). Page numbers and lines repeated at the top or bottom of pages are skipped. Parts
  follow each page top to bottom; every page boundary is a ``PageBreak``.
- A table at the top of a page continues the table that ended the previous page when its first
  row repeats that table's header or its columns line up (within 3 points): no ``TableStart``,
  the repeated header kept as a row. Other tables get ``TableStart("page p, table n")``. A row
  cut by a page break stays two rows either side of the ``PageBreak`` (the assembler joins them).
- Cell text is rebuilt into paragraphs from word positions: a wrapped line continues its
  paragraph; a new one starts after a gap clearly larger than the document's line spacing, or at
  a line starting with a bullet ("•", "-", "◦"...) or number ("1.", "a)"). Paragraphs become
  escaped ``<p>`` (bullets ``<ul><li>``).
- Below a merged cell (``rowspan``) a covered position repeats its text, the column listed in
  ``Row.continued``; right of it (``colspan``) it is empty. A merged cell running on from the
  previous page repeats its text from there, plus this page's part if that starts in lower case.
- ``Row.line`` counts rows from 1; ``Row.where`` is "page p, row r" (r counts that table's rows
  on that page); a heading's line is the next row's. The title is the PDF's Title property when
  meaningful, else the first level-1 heading.
- :class:`InputFileError` for a file that is not a PDF or is damaged, a password-protected PDF,
  and a page without text that holds a picture (a scan). pdfminer's warnings and logs are muted.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
import traceback
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.psexceptions import PSException
from pdfplumber.page import Page
from pdfplumber.table import Table
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException
from pdfplumber.utils.text import extract_words

from improveflow.exceptions import InputFileError
from improveflow.importers.table_model import (
    Heading,
    PageBreak,
    Prose,
    Row,
    SourceDocument,
    TableStart,
)

_RULED = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
_NEAR = 1.5  # points: rules this close meet
_MIN_RULE = 3.0  # points: shorter horizontal edges are the ends of a thick vertical rule
_COLUMN_SLACK = 3.0  # points: column edges this close line up across pages
_PARAGRAPH_EXTRA = 0.4  # ems of extra space above a line that starts a new paragraph
_FURNITURE_BAND = 0.12  # share of the page at its top and bottom where headers/footers sit
_SCAN_SHARE = 0.1  # a textless page with pictures this large (share of the page) is a scan
_BULLET = re.compile("^(?:[•◦▪●·‣○■\uf0b7\uf0a7]\\s?|[-\u2013]\\s)(?=\\S)")
_NUMBERED = re.compile(r"^\(?(?:\d{1,2}(?:\.\d{1,2})*|[a-z]|[ivx]{1,4})[.)]\s", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.I)
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.I)
_BAD_TITLE = re.compile(r"^(?:untitled\b.*|microsoft \w+ - .*|.*\.(?:docx?|xlsx?|pdf|html?))$")
_DAMAGED = (
    "not a readable PDF (it is damaged or not a PDF at all): open it in a PDF viewer and save "
    "a new copy, or export the plan again from Word or Excel"
)
_PROTECTED = "the PDF is password-protected: save an unprotected copy and import that"
_SCAN = (
    "page {} has no text layer (a scanned image?): export the plan from Word or Excel, or run "
    "OCR first"
)
_NO_TABLE = "no ruled table found in the PDF (tables drawn without cell borders are not read)"

_Span = Literal["colspan", "rowspan"]
_Chars = list[dict[str, Any]]


@dataclass
class _Line:  # one visual line of text, its words joined
    top: float
    bottom: float
    size: float
    bold: bool
    text: str


@dataclass
class _Table:
    top: float
    columns: tuple[float, ...]  # each column's left edge, then the table's right edge
    rows: list[list[list[_Line] | _Span]]


@dataclass
class _Page:
    number: int
    height: float
    items: list[_Line | _Table] = field(default_factory=list)


@dataclass
class _Paragraph:
    text: str
    bullet: bool


@contextmanager
def _quiet_pdfminer() -> Iterator[None]:
    """pdfminer warns and logs about harmless oddities nobody importing a plan can act on."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def read_pdf_document(path: Path) -> SourceDocument:
    """Read a PDF plan into a :class:`SourceDocument`; raises :class:`InputFileError`."""
    file = str(path)
    try:
        with _quiet_pdfminer(), pdfplumber.open(path) as pdf:
            title = _meaningful_title(pdf.metadata.get("Title"))
            pages = [_read_page(file, page) for page in pdf.pages]
    except OSError as error:
        raise InputFileError(file, None, f"cannot be read: {error.strerror or error}") from error
    except Exception as error:
        if not _from_pdf_library(error):
            raise  # a fault of this module, not of the file
        cause = error.args[0] if isinstance(error, PdfminerException) and error.args else error
        problem = _PROTECTED if isinstance(cause, PDFEncryptionError) else _DAMAGED
        raise InputFileError(file, None, problem) from error
    return _Builder(file, title, pages).document()


def _from_pdf_library(error: Exception) -> bool:
    """True when pdfminer or pdfplumber raised the error: a damaged file trips them anywhere."""
    if isinstance(error, PdfminerException | MalformedPDFException | PSException):
        return True
    frames = traceback.extract_tb(error.__traceback__)
    innermost = Path(frames[-1].filename).parts if frames else ()
    return "pdfminer" in innermost or "pdfplumber" in innermost


def _meaningful_title(value: object) -> str | None:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    return text if text and not _BAD_TITLE.match(text.casefold()) else None


def _read_page(file: str, page: Page) -> _Page:
    """The lines outside tables and the tables of one page, top to bottom."""
    result = _Page(page.page_number, float(page.height))
    if not page.chars:
        pictures = sum(float(image["width"] * image["height"]) for image in page.images)
        if pictures >= _SCAN_SHARE * float(page.width * page.height):
            raise InputFileError(file, result.number, _SCAN.format(result.number))
        return result
    settings = {**_RULED, "explicit_horizontal_lines": _closing_rules(page)}
    found = sorted(page.find_tables(settings), key=lambda table: float(table.bbox[1]))
    # Characters, not words, are put in cells: a word may run over a cell's border.
    in_cell: dict[tuple[float, ...], _Chars] = {}
    outside: _Chars = []
    for char in page.chars:
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        table = next((t for t in found if _inside(t.bbox, x, y)), None)
        cell = next((c for c in table.cells if _inside(c, x, y)), None) if table else None
        if table is None:
            outside.append(char)
        elif cell is not None:
            in_cell.setdefault(tuple(cell), []).append(char)
    result.items.extend(_lines(outside))
    result.items.extend(_table(table, in_cell) for table in found)
    result.items.sort(key=lambda item: item.top)
    return result


def _inside(box: Sequence[float], x: float, y: float) -> bool:
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def _closing_rules(page: Page) -> list[dict[str, Any]]:
    """Horizontal rules closing the vertical rules left open, as below a row cut by the page."""
    across = [e for e in page.edges if e["orientation"] == "h" and e["width"] >= _MIN_RULE]
    runs: list[list[float]] = []  # [x, top, bottom] of touching vertical segments at one x
    verticals = [e for e in page.edges if e["orientation"] == "v"]
    for edge in sorted(verticals, key=lambda e: (float(e["x0"]), float(e["top"]))):
        last = runs[-1] if runs else None
        if last and abs(edge["x0"] - last[0]) <= _NEAR and edge["top"] <= last[2] + 1:
            last[2] = max(last[2], float(edge["bottom"]))
        else:
            runs.append([float(edge["x0"]), float(edge["top"]), float(edge["bottom"])])
    open_at: dict[int, float] = {}
    for x, top, bottom in runs:
        for y in (top, bottom) if bottom - top >= _MIN_RULE else ():
            if not any(
                abs(h["top"] - y) <= _NEAR and h["x0"] - _NEAR <= x <= h["x1"] + _NEAR
                for h in across
            ):
                open_at.setdefault(round(y), y)
    rules = []
    for y in open_at.values():  # the rule reaches every vertical rule at y: merged cells stop
        reaching = [x for x, top, bottom in runs if top - _NEAR <= y <= bottom + _NEAR]
        if max(reaching) > min(reaching):
            left, right = min(reaching), max(reaching)
            line = {"object_type": "line", "x0": left, "x1": right, "top": y, "bottom": y}
            rules.append(line | {"width": right - left, "height": 0.0})
    return rules


def _lines(chars: _Chars) -> list[_Line]:
    """Words in visual lines: a word whose middle is within a line's height joins the line."""
    groups: list[_Chars] = []
    words = extract_words(chars, extra_attrs=["size", "fontname"]) if chars else []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        middle = (word["top"] + word["bottom"]) / 2
        if groups and groups[-1][0]["top"] <= middle <= groups[-1][0]["bottom"]:
            groups[-1].append(word)
        else:
            groups.append([word])
    return [
        _Line(
            top=min(float(w["top"]) for w in group),
            bottom=max(float(w["bottom"]) for w in group),
            size=round(max(float(w["size"]) for w in group) * 2) / 2,
            bold=all(_BOLD_FONT.search(str(w["fontname"])) for w in group),
            text=" ".join(str(w["text"]) for w in sorted(group, key=lambda w: w["x0"])),
        )
        for group in groups
    ]


def _table(table: Table, in_cell: dict[tuple[float, ...], _Chars]) -> _Table:
    """A found table's grid: each cell's lines, or which merge covers the position."""
    lefts = sorted({float(cell[0]) for cell in table.cells})
    rows: list[list[list[_Line] | _Span]] = []
    for row in table.rows:
        cells = [c for c in row.cells if c is not None]
        grid: list[list[_Line] | _Span] = []
        for left, cell in zip(lefts, row.cells, strict=True):
            if cell is not None:
                grid.append(_lines(in_cell.get(tuple(cell), [])))
            elif any(c[0] < left - _NEAR and left < c[2] - _NEAR for c in cells):
                grid.append("colspan")
            else:
                grid.append("rowspan")
        rows.append(grid)
    return _Table(float(table.bbox[1]), (*lefts, float(table.bbox[2])), rows)


def _run_on(before: list[_Paragraph], after: list[_Paragraph]) -> list[_Paragraph]:
    """A merged cell's text from the previous page, with the part on this page that finishes it."""
    if not before or (after and not after[0].text[:1].islower()):
        return after
    if not after:
        return before
    joined = _Paragraph(f"{before[-1].text} {after[0].text}", before[-1].bullet)
    return [*before[:-1], joined, *after[1:]]


def _html(paragraphs: Sequence[_Paragraph]) -> str:
    out = ""
    for bullets, run in itertools.groupby(paragraphs, key=lambda paragraph: paragraph.bullet):
        tag = "li" if bullets else "p"
        items = "".join(f"<{tag}>{html.escape(p.text, quote=False)}</{tag}>" for p in run)
        out += f"<ul>{items}</ul>" if bullets else items
    return out


class _Builder:
    """Turns the pages' lines and tables into the parts of a :class:`SourceDocument`."""

    def __init__(self, file: str, title: str | None, pages: list[_Page]) -> None:
        self.pages, self.doc, self.line = pages, SourceDocument(file=file, title=title), 0
        # The table open at the end of the last page: header text, columns, last row resolved.
        self.header, self.carry = "", list[list[_Paragraph]]()
        self.columns: tuple[float, ...] = ()
        lines = [item for page in pages for item in page.items if isinstance(item, _Line)]
        tables = [item for page in pages for item in page.items if isinstance(item, _Table)]
        cells = [cell for t in tables for row in t.rows for cell in row if isinstance(cell, list)]
        sizes = Counter[float]()
        for line in itertools.chain(lines, *cells):
            sizes[line.size] += len(line.text)
        self.body = sizes.most_common(1)[0][0] if sizes else 0.0
        larger = sorted({line.size for line in lines if line.size > self.body + 0.5}, reverse=True)
        self.levels = {size: min(rank, 6) for rank, size in enumerate(larger, start=1)}
        gaps = sorted(
            (b.top - a.bottom) / max(b.size, 1.0)
            for cell in cells
            for a, b in itertools.pairwise(cell)
            if not _BULLET.match(b.text) and not _NUMBERED.match(b.text)
        )
        # The lower quartile of the gaps is a wrapped line's; a paragraph's is clearly larger.
        self.new_gap = (gaps[len(gaps) // 4] if gaps else 0.3) + _PARAGRAPH_EXTRA

    def _furniture(self) -> set[int]:
        """ids of the lines that are page numbers or running headers and footers."""
        banded = [
            (page.number, line, re.sub(r"\d+", "#", line.text))
            for page in self.pages
            for line in page.items
            if isinstance(line, _Line)
            and not _FURNITURE_BAND * page.height < line.top < (1 - _FURNITURE_BAND) * page.height
        ]
        pages_with = Counter(shape for _, shape in {(number, shape) for number, _, shape in banded})
        return {
            id(line)
            for _, line, shape in banded
            if _PAGE_NUMBER.match(line.text) or pages_with[shape] >= 2
        }

    def document(self) -> SourceDocument:
        furniture = self._furniture()
        open_table = False
        for page in self.pages:
            if page.number > 1:
                self.doc.parts.append(PageBreak())
            items = [item for item in page.items if id(item) not in furniture]
            previous: _Line | None = None
            tables = 0
            for index, item in enumerate(items):
                if isinstance(item, _Table):
                    tables += 1
                    self._table(page.number, tables, item, open_table and index == 0)
                    previous, open_table = None, True
                else:
                    self._text_line(item, previous)
                    previous, open_table = item, False
        if not self.doc.rows():
            self.doc.notes.append(_NO_TABLE)
        if self.doc.title is None:
            firsts = [p.text for p in self.doc.parts if isinstance(p, Heading) and p.level == 1]
            self.doc.title = firsts[0] if firsts else None
        return self.doc

    def _text_line(self, line: _Line, previous: _Line | None) -> None:
        level = self.levels.get(line.size) or (7 if line.bold and line.size >= self.body else 0)
        parts = self.doc.parts
        last = parts[-1] if parts else None
        if not level:
            if not isinstance(last, Prose):
                parts.append(Prose())
        elif (
            isinstance(last, Heading)
            and previous is not None
            and (previous.size, previous.bold) == (line.size, line.bold)
            and line.top - previous.bottom < line.size
        ):
            parts[-1] = Heading(last.line, f"{last.text} {line.text}", last.level)
        else:
            parts.append(Heading(self.line + 1, line.text, level))

    def _table(self, page: int, number: int, table: _Table, may_continue: bool) -> None:
        first = table.rows[0] if table.rows else []
        header = " ".join(line.text for cell in first if isinstance(cell, list) for line in cell)
        header = " ".join(header.split()).casefold()
        aligned = len(table.columns) == len(self.columns) and all(
            abs(a - b) <= _COLUMN_SLACK for a, b in zip(table.columns, self.columns, strict=True)
        )
        continues = may_continue and (header == self.header or aligned)
        if not continues:
            self.doc.parts.append(TableStart(name=f"page {page}, table {number}"))
            self.header, self.carry = header, []
        self.columns, carry = table.columns, self.carry
        top_index = 1 if continues and header == self.header else 0
        merged: list[list[_Paragraph]] = [[] for _ in table.columns[:-1]]
        resolved: list[list[_Paragraph]] = []
        for index, row in enumerate(table.rows):
            top_piece = index == top_index and len(carry) == len(merged)
            resolved, continued = [], set()
            for column, cell in enumerate(row):
                if cell == "colspan":
                    resolved.append([])
                elif cell == "rowspan":
                    resolved.append(merged[column])
                    continued.add(column)
                else:
                    paragraphs = self._paragraphs(cell)
                    resolved.append(paragraphs)
                    merged[column] = _run_on(carry[column], paragraphs) if top_piece else paragraphs
            self.line += 1
            cells, where = [_html(cell) for cell in resolved], f"page {page}, row {index + 1}"
            self.doc.parts.append(Row(self.line, cells, where, frozenset(continued)))
        self.carry = resolved

    def _paragraphs(self, lines: Sequence[_Line]) -> list[_Paragraph]:
        """A cell's lines rebuilt into paragraphs (see the module's rules)."""
        paragraphs: list[_Paragraph] = []
        for previous, line in zip([None, *lines], lines, strict=False):
            bullet = _BULLET.match(line.text)
            gap = (line.top - previous.bottom) / max(line.size, 1.0) if previous else 0.0
            if previous is None or bullet or _NUMBERED.match(line.text) or gap > self.new_gap:
                text = line.text[bullet.end() :] if bullet else line.text
                paragraphs.append(_Paragraph(text, bool(bullet)))
                continue
            last = paragraphs[-1]
            hyphen = len(last.text) > 1 and last.text[-1] == "-" and last.text[-2].isalpha()
            last.text = f"{last.text}{'' if hyphen else ' '}{line.text}"
        return paragraphs
