"""Choose the reader for a plan file by its extension."""

from __future__ import annotations

from pathlib import Path

from improveflow.exceptions import InputFileError
from improveflow.importers.council_table import read_council_file
from improveflow.importers.records import ParsedPlan
from improveflow.importers.tabular import read_csv_file, read_xlsx_file

SUPPORTED = (".txt", ".csv", ".xlsx")


def read_plan_file(path: Path) -> ParsedPlan:
    """Parse a council plan: converted Word/PDF text (.txt), a CSV or an XLSX export."""
    if not path.exists():
        raise InputFileError(str(path), None, "no such file")
    if not path.is_file():
        raise InputFileError(str(path), None, "not a file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv_file(path)
    if suffix == ".xlsx":
        return read_xlsx_file(path)
    if suffix in (".txt", ".text", ""):
        return read_council_file(path)
    raise InputFileError(
        str(path), None, f"cannot read '{suffix}' files (supported: {', '.join(SUPPORTED)})"
    )
