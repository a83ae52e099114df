"""Word (.docx) plans read into the table model: the body in reading order, tables cell by cell.

Rules:
- Body paragraphs (also inside content controls): a Title or Heading 1-6 style, a style based on
  one, or an outline level makes a :class:`Heading` (Title and Heading 1 are level 1); a wholly
  bold paragraph of at most 120 characters is a level 7 heading; other text is :class:`Prose`;
  an empty paragraph, a page break or a section break is a :class:`PageBreak`.
- The title is the core properties title, else the first level 1 heading, else None.
- Each table (``w:tbl``) is a :class:`TableStart` ("table n") and one :class:`Row` per ``w:tr``,
  padded to the table's grid. A ``gridSpan`` cell keeps its text in its first column and leaves
  the covered columns empty; a ``vMerge`` continuation repeats the text of the cell that started
  the merge and its column is listed in ``Row.continued``. A repeated header row is one row.
- A cell's paragraphs become ``<p>``, list paragraphs ``<ul><li>``; a line break ends a
  paragraph, a tab is a space. A table nested in a cell becomes one paragraph per row, its cells
  joined with " | ".
- Tracked changes: deleted text is ignored, inserted text kept. Hyperlinks, fields and content
  controls keep their text; the placeholder of an empty content control is dropped.
- Rows are numbered from 1 over the whole document; ``where`` is "table t, row r".

The parts are read from the zip and parsed with lxml as python-docx parses them, into plain
elements; the XML is then walked directly. ``docx.Document()`` is not used: it refuses files
whose relationships point at missing parts (left by some Word add-ins; Word ignores them). Nor
is ``table.rows[i].cells``: it works out the grid again for every row, costs more than this
whole reader on big tables, and does not say which cells continue a vertical merge.
"""

from __future__ import annotations

import functools
import html
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

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

Element = Any  # lxml's elements; lxml ships no type information

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_VAL = _W + "val"
P, TBL, TR, TC, T = _W + "p", _W + "tbl", _W + "tr", _W + "tc", _W + "t"
BR, CR, NO_BREAK_HYPHEN = _W + "br", _W + "cr", _W + "noBreakHyphen"
SDT, CUSTOM_XML = _W + "sdt", _W + "customXml"
_TEXT_TAGS = (T, BR, CR, NO_BREAK_HYPHEN, _W + "tab", _W + "ptab")
# Children looked for under a body, cell or table; content controls (sdt, customXml) wrap them.
_BLOCKS = (P, TBL, _W + "altChunk", SDT, CUSTOM_XML)
_ROWS, _CELLS = (TR, SDT, CUSTOM_XML), (TC, SDT, CUSTOM_XML)
# The properties the reader uses, as children of a paragraph's, row's or cell's properties.
_NAMES = "gridSpan vMerge hMerge gridBefore del numPr pStyle pageBreakBefore outlineLvl sectPr"
_PROPERTIES = tuple(_W + name for name in _NAMES.split())
_PROPERTY_PARENTS = (_W + "pPr", _W + "trPr", _W + "tcPr")
_NONE: dict[str, Element] = {}
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_HEADING_STYLE = re.compile(r"heading ([1-9])")
_MAX_BOLD_HEADING = 120
_RESAVE = "open it in Word and save it again as a Word Document (.docx)"


def read_docx_document(path: Path) -> SourceDocument:
    """Read a Word plan into headings, prose, breaks and table rows, in reading order."""
    body, styles, core_title = _open(path)
    reader = _Reader(str(path), _Styles(styles), body)
    for block in _children(body, _BLOCKS):
        if block.tag == P:
            reader.paragraph(block)
        elif block.tag == TBL:
            reader.table(block)
        else:  # w:altChunk: content Word imports from another file when it opens this one
            reader.notes.append("skipped an embedded document (altChunk) that Word imports")
    if next(body.iter(_W + "del", _W + "moveFrom"), None) is not None:
        reader.notes.append("ignored text deleted with tracked changes")
    return SourceDocument(
        reader.file, core_title or reader.first_title, reader.parts, None, reader.notes
    )


@dataclass(frozen=True)
class _Style:
    level: int | None  # heading level, None for other styles
    is_list: bool
    bold: bool | None  # None when the style does not set bold


_PLAIN = _Style(None, False, None)


class _Styles:
    """The styles the reader needs, by style id, with ``basedOn`` inheritance resolved."""

    def __init__(self, styles: Element | None) -> None:
        found = () if styles is None else styles.iterchildren(_W + "style")
        self._raw = {str(style.get(_W + "styleId")): style for style in found}
        self._resolved: dict[str, _Style] = {}

    def get(self, style_id: str | None, depth: int = 0) -> _Style:
        if style_id is None or style_id not in self._raw or depth > 10:  # 10: cycles
            return _PLAIN
        if style_id not in self._resolved:
            style = self._raw[style_id]
            parent = self.get(_val(_find(style, "basedOn")), depth + 1)
            name = (_val(_find(style, "name")) or "").lower()
            heading = _HEADING_STYLE.fullmatch(name)
            ppr = _find(style, "pPr")
            level = 1 if name == "title" else int(heading.group(1)) if heading else None
            level = level or _outline_level(_find(ppr, "outlineLvl")) or parent.level
            bold = _on_off(_find(_find(style, "rPr"), "b"))
            self._resolved[style_id] = _Style(
                min(level, 6) if level else None,
                name.startswith("list") or _find(ppr, "numPr") is not None or parent.is_list,
                parent.bold if bold is None else bold,
            )
        return self._resolved[style_id]


class _Reader:
    """Collects the parts of one document as its body is walked."""

    def __init__(self, file: str, styles: _Styles, body: Element) -> None:
        self.file, self.styles = file, styles
        self.hidden = _hidden_text(body)
        self.properties = _properties(body)
        # Without content controls anywhere, children are lxml's filtered children as they
        # are: the unwrapping generator cost a Python frame per cell and paragraph.
        wrapped = next(body.iter(SDT, CUSTOM_XML), None) is not None
        self.children: Callable[[Element, tuple[str, ...]], Iterator[Element]] = (
            _children if wrapped else _plain_children
        )
        self.parts: list[Part] = []
        self.notes: list[str] = []
        self.first_title: str | None = None
        self.line = self.tables = 0

    def paragraph(self, p: Element) -> None:
        segments, page_break_first = self.text(p)
        text = " ".join(" ".join(segments).split())
        ppr = self.properties.get(p, _NONE)
        if not text:
            # A paragraph deleted by a tracked change is not there: it must not break a table.
            if _find(_find(_find(p, "pPr"), "rPr"), "del") is None:
                self.parts.append(PageBreak())
            return
        if page_break_first or _on_off(ppr.get(_W + "pageBreakBefore")):
            self.parts.append(PageBreak())
        style = self.styles.get(_val(ppr.get(_W + "pStyle")))
        level = style.level or _outline_level(ppr.get(_W + "outlineLvl"))
        if level is None and len(text) <= _MAX_BOLD_HEADING and self._all_bold(p, style):
            level = 7
        if level is None:
            self.parts.append(Prose())
        else:
            self.parts.append(Heading(self.line + 1, text, level))
            if level == 1 and self.first_title is None:
                self.first_title = text
        section = ppr.get(_W + "sectPr")  # this paragraph ends a section
        if page_break_first is False or (
            section is not None and _val(_find(section, "type")) != "continuous"
        ):
            self.parts.append(PageBreak())

    def _all_bold(self, p: Element, style: _Style) -> bool:
        runs = [r for r in p.iter(_W + "r") if any(t.text for t in r.iterchildren(T))]
        for run in runs:
            rpr = _find(run, "rPr")
            bold = _on_off(_find(rpr, "b"))
            if bold is None:  # not set on the run: its character style, then the paragraph's
                bold = self.styles.get(_val(_find(rpr, "rStyle"))).bold
            if not (style.bold if bold is None else bold):
                return False
        return bool(runs)

    def table(self, tbl: Element) -> None:
        self.tables += 1
        self.parts.append(TableStart(name=f"table {self.tables}"))
        grid = _find(tbl, "tblGrid")
        width = 0 if grid is None else len(list(grid.iterchildren(_W + "gridCol")))
        rows: list[tuple[list[str], frozenset[int]]] = []
        merging: dict[int, str] = {}  # grid column -> text of the vertical merge open there
        for tr in self.children(tbl, _ROWS):
            trpr = self.properties.get(tr, _NONE)
            if _W + "del" in trpr:  # a row deleted by a tracked change
                continue
            column = _int_val(trpr.get(_W + "gridBefore"), 0)
            cells, continued = [""] * column, set()
            for tc in self.children(tr, _CELLS):
                tcpr = self.properties.get(tc, _NONE)
                span = max(1, _int_val(tcpr.get(_W + "gridSpan"), 1))
                vmerge = tcpr.get(_W + "vMerge")
                for covered in range(column + (vmerge is not None), column + span):
                    merging.pop(covered, None)
                if vmerge is not None and _val(vmerge) in (None, "continue") and column in merging:
                    text = merging[column]
                    continued.add(column)
                elif _val(tcpr.get(_W + "hMerge")) in (None, "restart"):
                    text = self.cell_html(tc)
                    if vmerge is not None:
                        merging[column] = text
                else:  # a legacy hMerge continuation: covered by the cell on its left
                    text = ""
                cells += [text] + [""] * (span - 1)
                column += span
            rows.append((cells, frozenset(continued)))
        width = max([width, *(len(cells) for cells, _ in rows)])
        for index, (cells, continued_columns) in enumerate(rows, start=1):
            self.line += 1
            cells += [""] * (width - len(cells))
            where = f"table {self.tables}, row {index}"
            self.parts.append(Row(self.line, cells, where, continued_columns))

    def cell_html(self, tc: Element) -> str:
        """The cell's paragraphs as ``<p>`` and ``<ul><li>`` HTML."""
        blocks = list(self.children(tc, _BLOCKS))
        if len(blocks) == 1 and blocks[0].tag == P and blocks[0] not in self.properties:
            segments = self.text(blocks[0])[0]
            if len(segments) == 1:  # one plain paragraph, one line: most cells
                text = " ".join(segments[0].split())
                return f"<p>{html.escape(text, quote=False)}</p>" if text else ""
        out: list[str] = []
        in_list = False
        for block in blocks:
            if block.tag == P:
                ppr = self.properties.get(block)
                listed = ppr is not None and _is_list(ppr, self.styles)  # no properties: no list
                items = [(listed, segment) for segment in self.text(block)[0]]
            else:  # a nested table, or an altChunk (no lines)
                items = [(False, line) for line in self.nested_table_lines(block)]
            for listed, raw in items:
                text = " ".join(raw.split())
                if not text:
                    continue
                if listed != in_list:
                    out.append("<ul>" if listed else "</ul>")
                    in_list = listed
                tag = "li" if listed else "p"
                out.append(f"<{tag}>{html.escape(text, quote=False)}</{tag}>")
        return "".join(out) + ("</ul>" if in_list else "")

    def nested_table_lines(self, tbl: Element) -> list[str]:
        """One line per row of a table inside a cell, its cells' text joined with " | "."""
        lines = []
        for tr in self.children(tbl, _ROWS):
            cells = []
            for tc in self.children(tr, _CELLS):
                text = [
                    " ".join(self.text(b)[0] if b.tag == P else self.nested_table_lines(b))
                    for b in self.children(tc, _BLOCKS)
                ]
                cells.append(" ".join(" ".join(text).split()))
            lines.append(" | ".join(cell for cell in cells if cell))
        return lines

    def text(self, p: Element) -> tuple[list[str], bool | None]:
        """A paragraph's text split at line breaks, and whether a page break came before any text
        (True), after some (False) or not at all (None)."""
        elements = list(p.iter(*_TEXT_TAGS))
        hidden = self.hidden
        if len(elements) == 1 and elements[0].tag == T and not (hidden and elements[0] in hidden):
            return [elements[0].text or ""], None  # one run of plain text: most cells
        segments: list[list[str]] = [[]]
        page_break_first: bool | None = None
        seen_text = False
        for element in elements:
            if hidden and element in hidden:
                continue
            tag = element.tag
            if tag == T:
                value = element.text or ""
                segments[-1].append(value)
                seen_text = seen_text or bool(value.strip())
            elif tag in (BR, CR):
                if page_break_first is None and element.get(_W + "type") == "page":
                    page_break_first = not seen_text
                segments.append([])
            else:
                segments[-1].append("-" if tag == NO_BREAK_HYPHEN else " ")  # tabs too
        return ["".join(segment) for segment in segments], page_break_first


def _hidden_text(body: Element) -> set[Element]:
    """The text elements not shown as the document's text: deleted or moved away by a tracked
    change, the copy of a text box Word keeps for old readers, a content control's placeholder."""
    hidden: set[Element] = set()
    for branch in body.iter(_W + "del", _W + "moveFrom", _MC_FALLBACK, _W + "sdtContent"):
        properties = _find(branch.getparent(), "sdtPr")
        if branch.tag != _W + "sdtContent" or _find(properties, "showingPlcHdr") is not None:
            hidden.update(branch.iter(*_TEXT_TAGS))
    return hidden


def _properties(body: Element) -> dict[Element, dict[str, Element]]:
    """The properties the reader uses, by the paragraph, row or cell they belong to."""
    # One walk of the document, with lxml filtering the tags in C: looking under each cell and
    # paragraph costs microseconds each, too much for tables of thousands of rows. lxml keeps
    # one Python object per element while it is referenced, so elements work as dict keys.
    found: dict[Element, dict[str, Element]] = {}
    for prop in body.iter(*_PROPERTIES):
        parent = prop.getparent()
        if parent.tag in _PROPERTY_PARENTS:
            found.setdefault(parent.getparent(), {})[prop.tag] = prop
    return found


def _plain_children(parent: Element, wanted: tuple[str, ...]) -> Iterator[Element]:
    """The children of ``parent`` with a wanted tag, in a document without content controls."""
    return cast("Iterator[Element]", parent.iterchildren(*wanted))


def _children(parent: Element | None, wanted: tuple[str, ...]) -> Iterator[Element]:
    """The children of ``parent`` with a wanted tag, unwrapping content controls."""
    # Filtering in iterchildren() skips property elements without making Python objects for them.
    for child in () if parent is None else parent.iterchildren(*wanted):
        if child.tag == SDT:
            yield from _children(_find(child, "sdtContent"), wanted)
        elif child.tag == CUSTOM_XML:
            yield from _children(child, wanted)
        else:
            yield child


def _is_list(ppr: dict[str, Element], styles: _Styles) -> bool:
    num_id = _val(_find(ppr.get(_W + "numPr"), "numId"))
    if num_id is not None:
        return num_id != "0"  # numId 0 removes the numbering a style gives
    return styles.get(_val(ppr.get(_W + "pStyle"))).is_list


def _find(element: Element | None, name: str) -> Element | None:
    # iterchildren() filters in C; find() goes through lxml's Python ElementPath code.
    return None if element is None else next(element.iterchildren(_W + name), None)


def _val(element: Element | None) -> str | None:
    return None if element is None else cast("str | None", element.get(_VAL))


def _int_val(element: Element | None, default: int) -> int:
    value = _val(element)
    return int(value) if value is not None and value.isdigit() else default


def _on_off(element: Element | None) -> bool | None:
    return None if element is None else _val(element) not in ("0", "false", "off")


def _outline_level(element: Element | None) -> int | None:
    level = _val(element)
    return int(level) + 1 if level in ("0", "1", "2", "3", "4", "5") else None  # 9: body text


def _open(path: Path) -> tuple[Element, Element | None, str | None]:
    """The document's body, its styles and its core properties title; :class:`InputFileError`
    saying what the file is instead when it is not a readable .docx."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputFileError(file, None, f"cannot be read: {error.strerror or error}") from error
    problem = _not_docx(data)
    if problem:
        raise InputFileError(file, None, problem)
    parse_xml = _xml_parser()
    part: str | None = "the zip"
    roots: list[Element | None] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            main = _related(package, "", "officeDocument", parse_xml)
            if main is None:
                problem = f"not a Word .docx file (it has no word/document.xml): {_RESAVE}"
                raise InputFileError(file, None, problem)
            styles = _related(package, main, "styles", parse_xml)
            core = _related(package, "", "core-properties", parse_xml)
            for part in (main, styles, core):
                roots.append(None if part is None else parse_xml(package.read(part)))
    except (SyntaxError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        # SyntaxError: lxml's XMLSyntaxError; the others: zipfile's errors for damaged members.
        problem = f"not a readable Word .docx file ({part} is damaged): {_RESAVE}"
        raise InputFileError(file, None, problem) from error
    except RuntimeError as error:  # zipfile: a member encrypted with a zip password
        problem = f"not a readable Word .docx file ({error}): {_RESAVE}"
        raise InputFileError(file, None, problem) from error
    document, styles_root, core_root = roots
    body = _find(document, "body")
    if body is None:  # another Office file renamed .docx, or Word's Strict Open XML format
        problem = (
            "not a Word document (it may be an Excel or PowerPoint file, or saved as "
            f"Strict Open XML): {_RESAVE}"
        )
        raise InputFileError(file, None, problem)
    title = None if core_root is None else core_root.findtext(_DC_TITLE)
    return body, styles_root, " ".join((title or "").split()) or None


def _xml_parser() -> Callable[[bytes], Element]:
    """A parser of the package's XML parts into plain lxml elements.

    Parsed as python-docx parses them (blank text between elements dropped, no entities
    resolved), without its element classes: made for every element the reader walks, they
    were a third of the reader's time. One parser per document: lxml parsers are not shared
    between threads.
    """
    from lxml import etree

    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
    return functools.partial(etree.fromstring, parser=parser)


def _related(
    package: zipfile.ZipFile, source: str, kind: str, parse_xml: Callable[[bytes], Element]
) -> str | None:
    """The part that ``source`` ("" for the package) refers to with a relationship of ``kind``,
    when the part exists."""
    folder, name = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in package.NameToInfo:  # no relationships: guess the usual name
        usual = {"officeDocument": "word/document.xml", "styles": "word/styles.xml"}.get(kind)
        return usual if usual in package.NameToInfo else None
    for relationship in parse_xml(package.read(rels)).iterchildren(_RELATIONSHIP):
        target = str(relationship.get("Target", ""))
        if str(relationship.get("Type", "")).endswith(f"/{kind}"):
            target = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            part = posixpath.normpath(target)
            return part if part in package.NameToInfo else None
    return None


def _not_docx(data: bytes) -> str | None:
    """What the file is when its first bytes show it cannot be a .docx; None when it may be."""
    if not data:
        return "the file is empty: save the plan from Word again as a Word Document (.docx)"
    if data.startswith(_OLE_SIGNATURE):
        if _ENCRYPTED_STREAM in data:
            return (
                "the Word file is password-protected: open it in Word, remove the password "
                "(File > Info > Protect Document) and save it again as .docx"
            )
        return f"an old Word 97-2003 .doc file, not a .docx: {_RESAVE}"
    if data.startswith(b"{\\rtf"):
        return f"an RTF file, not a .docx: {_RESAVE}"
    if not data.startswith(b"PK"):
        return f"not a Word .docx file (it is not a zip archive): {_RESAVE}"
    return None
