"""Read an HTML plan (a committee-report appendix, a page saved from Word) into the table model.

Rules:
- Bytes: a byte-order mark wins, then a ``<meta charset>`` (ISO-8859-1 and ASCII mean
  Windows-1252, as in browsers), else :func:`decode_plan_bytes`. A page declaring a single-byte
  charset whose bytes are valid UTF-8 with non-ASCII text is read as UTF-8, with a note.
- The standard library's :class:`HTMLParser` builds a tree, closing what browsers close
  implicitly (``<p>``, ``<li>``, ``<td>``, ``<tr>``, table sections), so unclosed tags read as a
  browser shows them; ``<x/>`` on a non-void element is an empty element.
- Page furniture is skipped: ``head``, ``nav``, ``script``, ``style``, ``noscript``, ``form``,
  ``template``, ``svg``, page-level ``header``/``footer`` (inside ``main``, ``article`` or
  ``section`` they are content), anything ``hidden``, ``aria-hidden="true"``, ``display:none``
  or ``visibility:hidden``, and "Skip to ..." links.
- Outside tables: ``<h1>``-``<h6>`` are headings; a short text block wholly in ``<b>`` or
  ``<strong>`` is a level-7 heading; other text is prose; ``<hr>`` and a CSS page break before an
  element are page breaks.
- Each table is a :class:`TableStart` ("table n") after its caption (a level-7 heading), then its
  rows in source order. ``colspan`` text sits in the first column, the covered ones empty;
  ``rowspan`` repeats the text down its row group and lists the column in ``continued``. Rows are
  padded to the table's width; columns only ever covered by a ``colspan`` do not count. A table
  of one column holding headings or tables, or with ``role="presentation"``, is page layout: its
  cells are read as the document. A table inside a cell stays in the cell: a paragraph per row,
  " | " between its cells.
- Cell text is HTML for :mod:`html_text`: ``<p>`` per paragraph (ended by ``<p>``, ``<div>``,
  ``<br>``, headings), ``<ul>``/``<ol>`` of ``<li>``; inline tags keep only their text;
  whitespace is collapsed; entities are decoded and ``<``, ``>``, ``&`` escaped again.
- A row's ``line`` is its ``<tr>``'s source line, a heading's its tag's; where minified HTML puts
  several on one line, each takes the previous line + 1 so lines stay unique and increasing.
  ``where`` is "table t, row r". The title is the ``<title>``, or the first ``<h1>`` when the
  title is missing or has a site suffix (" - Southshire County Council").
"""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from improveflow.exceptions import InputFileError
from improveflow.importers.table_model import (
    Heading,
    PageBreak,
    Part,
    Prose,
    Row,
    SourceDocument,
    TableStart,
)
from improveflow.importers.text_files import decode_plan_bytes


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


_VOID = _tags("area base br col embed hr img input link meta param source track wbr")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_HEADING_TAGS = frozenset(_HEADINGS)
_CELLS, _SECTIONS = _tags("td th"), _tags("thead tbody tfoot")
_BODY = _SECTIONS | {"table"}  # where a <tr> may open
_TABLE_PARTS = _CELLS | _SECTIONS | _tags("table tr caption colgroup")
_P, _LI, _ROW, _TABLE, _NONE = _tags("p"), _tags("li"), _tags("tr"), _tags("table"), _tags("")
_CLOSES_P = _HEADING_TAGS | _tags(
    "address article aside blockquote center details dd div dl dt fieldset figcaption figure "
    "footer form header hr li main menu nav ol p pre section table ul"
)
_CELL_SCOPE = _tags("td th caption table button html")
_LIST_SCOPE = _CELL_SCOPE | {"ul", "ol"}
_BLOCKS = _CLOSES_P | _tags("body html caption summary tr td th br")
_SKIP = _tags("head title nav script style noscript form template svg iframe object select button")
_SECTIONING = frozenset({"main", "article", "section"})
_MAX_DEPTH = 200  # deeper nesting (runs of unclosed tags) is flattened, as browsers do
_SHORT_HEADING = 120
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_HIDDEN_STYLE = re.compile(r"display:none|visibility:hidden")
_PAGE_BREAK_STYLE = re.compile(r"(?:page-)?break-before:(?:always|page)")
_SITE_SUFFIX = re.compile(r"\s(?:[-|\u2013\u2014:]|::)\s")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u00ad\ufeff"))
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NOT_HTML = ((b"%PDF", "a PDF"), (b"PK\x03\x04", "a Word or Excel file"))

Block = tuple[str, str]  # ("p", text) or ("ul"/"ol", item text)
Rows = list[list[tuple["_Node", list["_Node"]]]]  # row groups of (<tr>, its cells)


@dataclass(slots=True)
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """Builds a tree of the page, closing elements the way browsers do for unclosed tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {}, 1)
        self.title: _Node | None = None  # the first <title> outside <svg>
        self._stack = [self.root]

    def _close(self, names: frozenset[str], scope: frozenset[str], keep: bool = False) -> str:
        """Close the nearest open element in ``names`` (with ``keep``, only those above it)
        unless one in ``scope`` is nearer; the tag found, or ""."""
        for depth in range(len(self._stack) - 1, 0, -1):
            tag = self._stack[depth].tag
            if tag in names:
                del self._stack[depth + keep :]
                return tag
            if tag in scope:
                break
        return ""

    def _add(self, node: _Node) -> None:
        self._stack[-1].children.append(node)
        if node.tag not in _VOID and len(self._stack) < _MAX_DEPTH:
            self._stack.append(node)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {name: value or "" for name, value in attrs}, self.getpos()[0])
        if tag == "title" and not self.title and all(open.tag != "svg" for open in self._stack):
            self.title = node
        if tag in _CLOSES_P:
            self._close(_P, _CELL_SCOPE)
        if tag in _HEADINGS and self._stack[-1].tag in _HEADINGS:
            self._stack.pop()
        if tag == "li":
            self._close(_LI, _LIST_SCOPE)
        elif tag in _CELLS:  # a cell needs a row: one is implied after <table> or <tbody>
            self._close(_CELLS, _ROW | _TABLE)
            found = self._close(_BODY | _ROW | _CELLS, _NONE, keep=True)
            if found in _BODY:
                self._add(_Node("tr", {}, node.line))
            elif found != "tr":
                return  # a cell outside any table: browsers ignore the tag
        elif tag == "tr":
            self._close(_ROW, _BODY)
            if self._close(_BODY | _CELLS, _NONE, keep=True) not in _BODY:
                return
        elif tag in _SECTIONS or tag in ("caption", "colgroup"):
            if not self._close(_TABLE, _NONE, keep=True):
                return
        elif tag == "table" and self._stack[-1].tag in _BODY | _ROW:
            self._close(_TABLE, _NONE)  # a table straight inside a table ends that table
        self._add(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:  # <div/> is an empty element, not an open one
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # browsers read </br> as <br>
            self._add(_Node("br", {}, self.getpos()[0]))
        elif tag in _TABLE_PARTS:
            self._close(frozenset({tag}), _NONE if tag == "table" else _TABLE)
        elif tag not in _VOID:
            names = _HEADING_TAGS if tag in _HEADINGS else frozenset({tag})
            self._close(names, _LIST_SCOPE if tag == "li" else _CELL_SCOPE)

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """Word's ``<![if !supportLists]>``: skipped up to ``>``, as browsers skip it."""
        end = self.rawdata.find(">", i + 3)
        return -1 if end < 0 else end + 1


def _collapse(text: str) -> str:
    return " ".join(text.translate(_INVISIBLE).split())


def _style(node: _Node) -> str:
    return "".join(node.attrs.get("style", "").lower().split())


def _hidden(node: _Node) -> bool:
    return (
        node.tag in _SKIP
        or "hidden" in node.attrs
        or node.attrs.get("aria-hidden", "").strip().lower() == "true"
        or bool(_HIDDEN_STYLE.search(_style(node)))
    )


def _rows(table: _Node) -> tuple[Rows, list[_Node]]:
    """A table's row groups (one per ``<thead>``/``<tbody>``/``<tfoot>``) and captions."""
    groups: Rows = [[]]
    captions: list[_Node] = []

    def collect(node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str) or child.tag in ("table", "script", "style", "template"):
                continue
            if child.tag == "tr" and not _hidden(child):
                cells = [cell for cell in child.children if isinstance(cell, _Node)]
                groups[-1].append((child, [cell for cell in cells if cell.tag in _CELLS]))
            elif child.tag == "caption":
                captions.append(child)
            elif child.tag in _SECTIONS:
                groups.append([])
                collect(child)
                groups.append([])
            elif child.tag != "tr":  # a <form> or other wrapper around rows
                collect(child)

    collect(table)
    return [group for group in groups if group], captions


class _CellText:
    """The paragraphs and list items of one cell."""

    def __init__(self, node: _Node) -> None:
        self.blocks: list[Block] = []
        self._text: list[str] = []
        self._lists: list[str] = []  # the open <ul>/<ol>, innermost last
        self._items = self._paragraphs = 0
        self._walk(node)
        self._flush()

    def _walk(self, node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                self._text.append(child)
            elif child.tag == "table":  # a table in a cell: a paragraph per row
                self._flush()
                groups, captions = _rows(child)
                for caption in captions:
                    self._add(_plain(caption))
                for _, cells in (row for group in groups for row in group):
                    self._add(" | ".join(text for text in map(_plain, cells) if text))
            elif not _hidden(child):
                tag, block = child.tag, child.tag in _BLOCKS
                if block:
                    self._flush()
                self._lists += [tag] if tag in ("ul", "ol") else []
                self._items += tag == "li"
                self._paragraphs += tag == "p"
                self._walk(child)
                self._items -= tag == "li"
                self._paragraphs -= tag == "p"
                if tag in ("ul", "ol"):
                    self._lists.pop()
                if block:
                    self._flush()

    def _add(self, text: str) -> None:
        # Text in <li>, or loose in a list, is an item; a <p> in a <ul> used as an indent is not.
        if text and (self._items or (self._lists and not self._paragraphs)):
            self.blocks.append((self._lists[-1] if self._lists else "ul", text))
        elif text:
            self.blocks.append(("p", text))

    def _flush(self) -> None:
        self._add(_collapse("".join(self._text)))
        self._text.clear()


def _plain(node: _Node) -> str:
    return " ".join(text for _, text in _CellText(node).blocks)


def _cell_html(node: _Node) -> str:
    out: list[str] = []
    open_list = ""
    for kind, text in _CellText(node).blocks:
        if open_list and kind != open_list:
            out.append(f"</{open_list}>")
        if kind == "p":
            out.append(f"<p>{html.escape(text, quote=False)}</p>")
        elif kind != open_list:
            out.append(f"<{kind}>")
        if kind != "p":
            out.append(f"<li>{html.escape(text, quote=False)}</li>")
        open_list = "" if kind == "p" else kind
    return "".join(out) + (f"</{open_list}>" if open_list else "")


def _span(cell: _Node, name: str, least: int, most: int) -> int:
    match = re.match(r"\s*(\d+)", cell.attrs.get(name, ""))
    return min(max(int(match.group(1)), least), most) if match else 1


def _contains(node: _Node, tags: frozenset[str]) -> bool:
    return any(
        isinstance(child, _Node) and (child.tag in tags or _contains(child, tags))
        for child in node.children
    )


class _Reader:
    """Walks the tree in reading order and writes the document's parts."""

    def __init__(self) -> None:
        self.parts: list[Part] = []
        self.skipped: set[str] = set()
        self.first_h1: str | None = None
        self._text: list[str] = []
        self._tables = self._line = self._bold = self._block_line = self._sectioning = 0
        self._all_bold = True

    def _next_line(self, line: int) -> int:
        self._line = max(line, self._line + 1)
        return self._line

    def _furniture(self, node: _Node) -> bool:
        tag = node.tag
        if _hidden(node) or (tag in ("header", "footer") and not self._sectioning):
            if tag not in ("head", "title", "script", "style", "template") and _plain(node):
                self.skipped.add(tag if tag in _SKIP or tag in ("header", "footer") else "hidden")
            return True
        href = node.attrs.get("href", "")
        return tag == "a" and href.startswith("#") and _plain(node).lower().startswith("skip to")

    def walk(self, node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                if not child.isspace():
                    self._block_line = self._block_line or node.line
                    self._all_bold = self._all_bold and self._bold > 0
                self._text.append(child)
                continue
            if self._furniture(child):
                continue
            tag, page_break = child.tag, bool(_PAGE_BREAK_STYLE.search(_style(child)))
            if page_break or tag in _HEADINGS or tag in ("table", "hr"):
                self.flush()
            if page_break or tag == "hr":
                self.parts.append(PageBreak())
            if tag in _HEADINGS:
                self.heading(child.line, _plain(child), _HEADINGS[tag])
            elif tag == "table":
                self.table(child)
            elif tag != "hr":
                block, bold, section = tag in _BLOCKS, tag in ("b", "strong"), tag in _SECTIONING
                if block:
                    self.flush()
                self._bold += bold
                self._sectioning += section
                self.walk(child)
                self._bold -= bold
                self._sectioning -= section
                if block:
                    self.flush()

    def flush(self) -> None:
        text = _collapse("".join(self._text))
        if text and self._all_bold and len(text) <= _SHORT_HEADING:
            self.heading(self._block_line, text, 7)
        elif text and not (self.parts and isinstance(self.parts[-1], Prose)):
            self.parts.append(Prose())
        self._text.clear()
        self._all_bold, self._block_line = True, 0

    def heading(self, line: int, text: str, level: int) -> None:
        if text:
            self.parts.append(Heading(self._next_line(line), text, level))
            self.first_h1 = self.first_h1 or (text if level == 1 else None)

    def table(self, table: _Node) -> None:
        groups, captions = _rows(table)
        if table.attrs.get("role", "").lower() in ("presentation", "none") or (
            all(len(cells) <= 1 for group in groups for _, cells in group)
            and _contains(table, _HEADING_TAGS | _TABLE)
        ):
            for cell in (cell for group in groups for _, cells in group for cell in cells):
                self.walk(cell)  # page layout: the cells are the document
                self.flush()
            return
        self._tables += 1
        name = f"table {self._tables}"
        for caption in captions:
            self.heading(caption.line, _plain(caption), 7)
        self.parts.append(TableStart(name))
        grid: list[tuple[int, dict[int, str], set[int]]] = []
        width = 0
        for group in groups:
            spans: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered)
            for tr, cells in group:
                above = spans
                values = {column: text for column, (text, _) in above.items()}
                spans = {col: (text, left - 1) for col, (text, left) in above.items() if left > 1}
                column = 0
                for cell in cells:
                    while column in above:
                        column += 1
                    across, down = _span(cell, "colspan", 1, 1000), _span(cell, "rowspan", 0, 65534)
                    text = _cell_html(cell)
                    width = max(width, column + 1)
                    for covered in range(column, column + across):
                        if covered not in above:
                            values[covered] = text if covered == column else ""
                            if down != 1:  # rowspan="0" runs to the end of the row group
                                spans[covered] = (values[covered], down - 1 if down else 1 << 30)
                    column += across
                if values:
                    grid.append((tr.line, values, set(above)))
        for number, (line, values, continued) in enumerate(grid, 1):
            cells_text = [values.get(column, "") for column in range(width)]
            held = frozenset(column for column in continued if column < width)
            self.parts.append(Row(self._next_line(line), cells_text, f"{name}, row {number}", held))


def parse_html_document(text: str, file: str) -> SourceDocument:
    """The headings, breaks, prose and table rows of an HTML page, in reading order."""
    builder = _TreeBuilder()
    try:
        builder.feed(text)
        builder.close()
    except AssertionError as error:  # the standard parser's last hard stops on broken markup
        problem = f"cannot read this HTML ({error}): open it in a browser and save it again"
        raise InputFileError(file, builder.getpos()[0], problem) from error
    reader = _Reader()
    reader.walk(builder.root)
    reader.flush()
    parts = builder.title.children if builder.title else []
    title = _collapse("".join(part for part in parts if isinstance(part, str)))
    if not title or _SITE_SUFFIX.search(title):
        title = reader.first_h1 or title
    document = SourceDocument(file, title or None, reader.parts)
    if reader.skipped:
        document.notes.append(f"skipped page furniture: {', '.join(sorted(reader.skipped))}")
    return document


def _declared_charset(data: bytes) -> str | None:
    """The codec a ``<meta>`` declares, if Python knows it and it reads ASCII as ASCII."""
    found = None if data.startswith(_BOMS) else _META_CHARSET.search(data, 0, 16384)
    try:
        name = codecs.lookup(found.group(1).decode("ascii")).name if found else ""
        if not name or codecs.encode("<meta>", name) != b"<meta>":
            return None
    except (LookupError, TypeError, ValueError):
        return None
    return "cp1252" if name in ("iso8859-1", "ascii") else name


def _decode(data: bytes, file: str) -> tuple[str, str, list[str]]:
    for signature, kind in _NOT_HTML:
        if data.startswith(signature):
            problem = f"this is {kind}, not a web page: import that file or save it as HTML"
            raise InputFileError(file, None, problem)
    declared = _declared_charset(data)
    if declared is None or declared == "utf-8" or b"\x00" in data:
        return (*decode_plan_bytes(data, file), [])
    if not data.isascii():
        try:
            note = f"the page declares {declared} but its bytes are UTF-8: read as UTF-8"
            return data.decode("utf-8"), "utf-8", [note]
        except UnicodeDecodeError:
            pass
    try:
        if declared != "cp1252":
            return data.decode(declared), declared, []
        # Browsers map the five bytes Windows-1252 leaves undefined to the same code points.
        text = data.decode("cp1252", "surrogateescape")
        return _ESCAPED_BYTE.sub(lambda m: chr(ord(m.group()) - 0xDC00), text), declared, []
    except UnicodeDecodeError:
        text, encoding = decode_plan_bytes(data, file)
        return text, encoding, [f"the page declares {declared} but is not: read as {encoding}"]


def read_html_document(path: Path) -> SourceDocument:
    """Read an .html/.htm plan file; errors name the file and say what to do."""
    try:
        data = path.read_bytes()
    except OSError as error:
        problem = f"cannot read the file ({error.strerror or error}): check the path and access"
        raise InputFileError(str(path), None, problem) from error
    text, encoding, notes = _decode(data, str(path))
    document = parse_html_document(text, str(path))
    document.encoding = encoding
    document.notes[:0] = notes
    return document
