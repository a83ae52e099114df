"""Reading `plan import`'s column map and date options, with errors naming the flag."""

from __future__ import annotations

import re
from pathlib import Path

import typer
import yaml

from improveflow.importers.column_choice import ColumnMapping
from improveflow.importers.dates import DateReading

_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


def column_mapping(items: list[str], mapping_file: Path | None) -> ColumnMapping:
    """--map items, after those of a --mapping YAML file (a --map wins for its field)."""
    entries: list[str] = []
    if mapping_file is not None:
        try:
            loaded = yaml.safe_load(mapping_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise typer.BadParameter(f"{mapping_file}: {error}", param_hint="--mapping") from error
        if not isinstance(loaded, dict) or not all(
            isinstance(value, str | int) for value in loaded.values()
        ):
            raise typer.BadParameter(
                f"{mapping_file}: expected lines of FIELD: COLUMN, such as 'action: B'",
                param_hint="--mapping",
            )
        entries.extend(f"{field}={value}" for field, value in loaded.items())
    named = {item.partition("=")[0].strip().lower() for item in items}
    entries = [entry for entry in entries if entry.partition("=")[0].lower() not in named]
    try:
        return ColumnMapping.parse([*entries, *items])
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--map") from error


def date_reading(order: str, year_start: str) -> DateReading:
    """The date options as a :class:`DateReading`."""
    if order not in ("dmy", "mdy"):
        raise typer.BadParameter(f"'{order}' is not dmy or mdy", param_hint="--date-order")
    match = _MONTH_DAY.match(year_start.strip())
    reading = None
    if match:
        try:
            reading = DateReading(
                month_first=order == "mdy",
                year_start=(int(match.group(1)), int(match.group(2))),
            )
            reading.financial_year(2001)  # a real day of the year
        except ValueError:
            reading = None
    if reading is None:
        raise typer.BadParameter(
            f"'{year_start}' is not a month and day such as 04-01",
            param_hint="--financial-year-start",
        )
    return reading
