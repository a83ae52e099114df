"""The cells of an .xlsx workbook, read straight from its XML parts.

openpyxl builds an object per cell and per shared string; for a 10,000-row tracker that was most
of an import's time. A workbook is a zip of XML parts (ECMA-376): the workbook part lists the
sheets, the shared-strings part holds the text cells point to, the styles part says which
number formats are dates, and each sheet part holds its rows. Those four are all a plan needs.

Cell values come out as openpyxl's would: text, int, float, bool, or datetime / time for a
number whose format is a date or time. The parser is the standard library's expat, which
refuses entity expansion bombs and never fetches external entities.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import IO
from xml.etree import ElementTree

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

CellValue = str | int | float | bool | datetime | time | timedelta | None

_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_RELATIONSHIP_ID = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
_CELL_REF = re.compile(r"([A-Z]+)(\d*)")
# Characters XML cannot hold are written as _xHHHH_ (ECMA-376 22.9.2.19); _x005F_ is "_".
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


class WorkbookError(ValueError):
    """The file is not a workbook this reader can follow; the message says what is wrong."""


@dataclass(frozen=True)
class SheetEntry:
    """One sheet as the workbook part lists it."""

    name: str
    visible: bool
    part: str  # the sheet's path inside the zip


_TRANSITIONAL = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"


@dataclass(frozen=True)
class _SheetTags:
    """A sheet's tags with their namespace: compared whole, they are quick to match."""

    row: str
    cell: str
    value: str
    inline: str
    text: str
    run: str

    @classmethod
    def of(cls, data: bytes) -> _SheetTags:
        namespace = _STRICT if _STRICT.encode() in data[:4096] else _TRANSITIONAL
        names = ("row", "c", "v", "is", "t", "r")
        return cls(*(f"{{{namespace}}}{name}" for name in names))


def _local(tag: str) -> str:
    """A tag without its namespace: transitional and strict workbooks name parts differently."""
    return tag.rpartition("}")[2]


class XlsxWorkbook:
    """An open workbook: its sheets, shared strings and date formats."""

    def __init__(self, source: str | IO[bytes]) -> None:
        try:
            self._zip = zipfile.ZipFile(source)
        except zipfile.BadZipFile as error:
            raise WorkbookError(f"not a zip archive ({error})") from error
        try:
            self.sheets, self._epoch = self._read_workbook()
            self._strings = self._read_shared_strings()
            self._date_styles, self._time_styles = self._read_styles()
        except BaseException:
            self._zip.close()
            raise

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> XlsxWorkbook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Parts ---------------------------------------------------------------------------------

    def _part(self, name: str) -> bytes | None:
        try:
            return self._zip.read(name)
        except KeyError:
            return None

    def _root(self, name: str) -> ElementTree.Element | None:
        data = self._part(name)
        if data is None:
            return None
        try:
            return ElementTree.fromstring(data)
        except ElementTree.ParseError as error:
            raise WorkbookError(f"the part {name} is damaged ({error})") from error

    def _read_workbook(self) -> tuple[list[SheetEntry], datetime]:
        workbook = self._root("xl/workbook.xml")
        if workbook is None:
            raise WorkbookError("it has no workbook part (xl/workbook.xml)")
        targets: dict[str, str] = {}
        relations = self._root("xl/_rels/workbook.xml.rels")
        for relation in relations.iter() if relations is not None else ():
            if _local(relation.tag) == "Relationship":
                target = relation.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[relation.get("Id", "")] = posixpath.normpath(path)
        epoch = CALENDAR_WINDOWS_1900
        sheets: list[SheetEntry] = []
        for element in workbook.iter():
            name = _local(element.tag)
            if name == "workbookPr" and element.get("date1904") in ("1", "true"):
                epoch = CALENDAR_MAC_1904
            elif name == "sheet":
                link = element.get(_RELATIONSHIP_ID) or element.get(_STRICT_RELATIONSHIP_ID)
                part = targets.get(link or "")
                if part is None:
                    raise WorkbookError(f"sheet '{element.get('name')}' has no part")
                state = element.get("state", "visible")
                sheets.append(SheetEntry(element.get("name", ""), state == "visible", part))
        return sheets, epoch

    def _read_shared_strings(self) -> list[str]:
        data = self._part("xl/sharedStrings.xml")
        if data is None:
            return []
        strings: list[str] = []
        try:
            for _, element in ElementTree.iterparse(io.BytesIO(data), events=("end",)):
                if _local(element.tag) == "si":
                    strings.append(_rich_text(element))
                    element.clear()
        except ElementTree.ParseError as error:
            raise WorkbookError(f"the shared strings are damaged ({error})") from error
        return strings

    def _read_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """The cell styles (by index) whose number format shows a date, and those a duration."""
        styles = self._root("xl/styles.xml")
        if styles is None:
            return frozenset(), frozenset()
        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        dates: set[int] = set()
        durations: set[int] = set()
        for element in styles.iter():
            if _local(element.tag) == "numFmt":
                formats[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
        for section in styles.iter():
            if _local(section.tag) != "cellXfs":
                continue
            for index, xf in enumerate(child for child in section if _local(child.tag) == "xf"):
                code = formats.get(int(xf.get("numFmtId", "0")), "")
                if is_timedelta_format(code):
                    durations.add(index)
                elif is_date_format(code):
                    dates.add(index)
        return frozenset(dates), frozenset(durations)

    # Rows ----------------------------------------------------------------------------------

    def sheet_xml(self, sheet: SheetEntry) -> bytes:
        data = self._part(sheet.part)
        if data is None:
            raise WorkbookError(f"sheet '{sheet.name}' is missing its part {sheet.part}")
        return data

    def rows(self, data: bytes) -> Iterator[tuple[int, list[CellValue]]]:
        """(row number, values from column A) for each row the sheet part records."""
        tags = _SheetTags.of(data)
        number = 0
        try:
            for _, element in ElementTree.iterparse(io.BytesIO(data), events=("end",)):
                if element.tag != tags.row:
                    continue
                number = int(element.get("r") or number + 1)
                yield number, self._row_values(element, tags)
                element.clear()
        except ElementTree.ParseError as error:
            raise WorkbookError(f"a sheet is damaged ({error})") from error

    def _row_values(self, row: ElementTree.Element, tags: _SheetTags) -> list[CellValue]:
        values: list[CellValue] = []
        for cell in row:
            if cell.tag != tags.cell:
                continue
            reference = cell.get("r")
            if not reference:
                column = len(values)
            elif len(reference) > 1 and "A" <= reference[0] <= "Z" and reference[1].isdigit():
                column = ord(reference[0]) - 65  # columns A to Z: most cells of most plans
            else:
                column = _column_index(reference)
            if column > len(values):
                values.extend([None] * (column - len(values)))
            value = self._cell_value(cell, tags)
            if column < len(values):
                values[column] = value
            else:
                values.append(value)
        return values

    def _cell_value(self, cell: ElementTree.Element, tags: _SheetTags) -> CellValue:
        kind = cell.get("t", "n")
        raw: str | None = None
        inline: ElementTree.Element | None = None
        for child in cell:
            if child.tag == tags.value:
                raw = child.text
            elif child.tag == tags.inline:
                inline = child
        if kind == "inlineStr":
            return _rich_text(inline, tags.text) if inline is not None else None
        if raw is None:
            return None
        if kind == "s":
            try:
                return self._strings[int(raw)]
            except (IndexError, ValueError) as error:
                raise WorkbookError(f"a cell points to shared string {raw!r}, not there") from error
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":  # an ISO 8601 date, rare but allowed
            try:
                return datetime.fromisoformat(raw.rstrip("Z"))
            except ValueError:
                return raw
        number: int | float
        try:
            number = float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            return raw
        style = int(cell.get("s", "0"))
        if style in self._date_styles or style in self._time_styles:
            try:
                converted: datetime | time | timedelta | None = from_excel(
                    number, self._epoch, timedelta=style in self._time_styles
                )
            except (OverflowError, ValueError):
                return number  # a number no calendar can hold: shown as written
            return converted
        return number


def _rich_text(element: ElementTree.Element, text_tag: str = "") -> str:
    """The text of a string item: its runs joined, without phonetic guides."""
    if len(element) == 1 and element[0].tag == text_tag:  # plain text, no runs: most cells
        text = element[0].text or ""
    else:
        parts: list[str] = []
        for child in element:
            name = _local(child.tag)
            if name == "t":
                parts.append(child.text or "")
            elif name == "r":
                parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
        text = "".join(parts)
    if "_x" in text:
        text = _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), text)
    return text


def _column_index(reference: str) -> int:
    """0 for column A of "A1", 26 for "AA7"."""
    if len(reference) > 1 and "A" <= reference[0] <= "Z" and reference[1].isdigit():
        return ord(reference[0]) - 65  # columns A to Z: most cells of most plans
    match = _CELL_REF.match(reference)
    if match is None:
        raise WorkbookError(f"a cell has the reference {reference!r}")
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1
