"""Choose the reader for a plan file by its extension, and read it into a plan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from improveflow.exceptions import InputFileError
from improveflow.importers.assemble import assemble_document
from improveflow.importers.column_choice import ColumnMapping
from improveflow.importers.council_table import read_council_document
from improveflow.importers.records import ParsedPlan
from improveflow.importers.table_model import SourceDocument
from improveflow.importers.tabular import read_csv_document, read_xlsx_document

SUPPORTED = (".txt", ".csv", ".xlsx", ".docx", ".pdf", ".html", ".htm")


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file: the columns a person named, and which sheet of a workbook."""

    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    sheet: str | None = None


def _docx(path: Path, options: ReadOptions) -> SourceDocument:
    from improveflow.importers.docx_reader import read_docx_document  # python-docx is slow to load

    return read_docx_document(path)


def _pdf(path: Path, options: ReadOptions) -> SourceDocument:
    from improveflow.importers.pdf_reader import read_pdf_document  # pdfplumber is slow to load

    document: SourceDocument = read_pdf_document(path)
    return document


def _html(path: Path, options: ReadOptions) -> SourceDocument:
    from improveflow.importers.html_reader import read_html_document

    return read_html_document(path)


# Readers of files made of tables; converted text mixes tables with the document's prose.
_TABULAR: dict[str, Callable[[Path, ReadOptions], SourceDocument]] = {
    ".csv": lambda path, options: read_csv_document(path),
    ".xlsx": lambda path, options: read_xlsx_document(path, options.sheet),
    ".docx": _docx,
    ".pdf": _pdf,
    ".html": _html,
    ".htm": _html,
}


def read_plan_document(path: Path, options: ReadOptions | None = None) -> SourceDocument:
    """The table model of a plan file, whatever its format."""
    options = options or ReadOptions()
    if not path.exists():
        raise InputFileError(str(path), None, "no such file")
    if not path.is_file():
        raise InputFileError(str(path), None, "not a file")
    suffix = path.suffix.lower()
    if options.sheet is not None and suffix != ".xlsx":
        raise InputFileError(str(path), None, "--sheet applies to .xlsx workbooks only")
    reader = _TABULAR.get(suffix)
    if reader is not None:
        return reader(path, options)
    if suffix in (".txt", ".text", ""):
        return read_council_document(path)
    if suffix in (".doc", ".xls", ".rtf", ".odt", ".ods"):
        raise InputFileError(
            str(path),
            None,
            f"cannot read '{suffix}' files: save it as .docx (Word) or .xlsx (Excel) and "
            "import that",
        )
    raise InputFileError(
        str(path), None, f"cannot read '{suffix}' files (supported: {', '.join(SUPPORTED)})"
    )


def is_tabular(path: Path) -> bool:
    """Whether the file is made of tables (not converted text with prose between them)."""
    return path.suffix.lower() in _TABULAR


def read_plan_file(path: Path, options: ReadOptions | None = None) -> ParsedPlan:
    """Parse a council plan file in any supported format into themes, objectives and actions."""
    options = options or ReadOptions()
    document = read_plan_document(path, options)
    return assemble_document(document, options.mapping, tabular=is_tabular(path))
