"""The people directory as a file: CSV (name,email,aliases,bodies,roles,organisation) or YAML
(same keys).

Several values in one CSV cell are separated by ';'. Errors name the file and line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

from improveflow.exceptions import InputFileError
from improveflow.services.people import PersonInput
from improveflow.workflow.loader import yaml_problem

COLUMNS = ("name", "email", "aliases", "bodies", "roles", "organisation")
REQUIRED = ("name", "email")


def read_people_file(path: Path) -> list[PersonInput]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(str(path), None, "no such file") from None
    except OSError as error:
        raise InputFileError(str(path), None, error.strerror or str(error)) from None
    except UnicodeDecodeError as error:
        raise InputFileError(str(path), None, f"not UTF-8 text ({error.reason})") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _from_csv(text, str(path))
    if suffix in (".yaml", ".yml"):
        return _from_yaml(text, str(path))
    raise InputFileError(str(path), None, "expected a .csv, .yaml or .yml file")


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(";") if part.strip())


def _from_csv(text: str, file: str) -> list[PersonInput]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise InputFileError(
            file, 1, f"the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})"
        )
    unknown = [column or "(blank)" for column in header if column not in COLUMNS]
    if unknown:
        raise InputFileError(file, 1, f"unknown column(s): {', '.join(unknown)}")
    reader.fieldnames = header
    people = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InputFileError(file, line, "more cells than the header has columns")
        if not any((value or "").strip() for value in row.values()):
            continue
        for column in REQUIRED:
            if not (row.get(column) or "").strip():
                raise InputFileError(file, line, f"the {column} is empty")
        people.append(
            PersonInput(
                name=row["name"].strip(),
                email=row["email"].strip(),
                aliases=_split(row.get("aliases")),
                bodies=_split(row.get("bodies")),
                roles=_split(row.get("roles")),
                organisation=(row.get("organisation") or "").strip() or None,
                where=f"{file}:{line}",
            )
        )
    return people


def _from_yaml(text: str, file: str) -> list[PersonInput]:
    try:
        loaded = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InputFileError(
            file, mark.line + 1 if mark else None, f"not valid YAML: {yaml_problem(error)}"
        ) from None
    if isinstance(raw, dict) and "people" in raw:
        raw = raw["people"]
        loaded = next(v for k, v in loaded.value if k.value == "people") if loaded else None
    if not isinstance(raw, list):
        raise InputFileError(file, 1, "expected a list of people (or a 'people:' list)")
    nodes = loaded.value if loaded is not None else []
    return [
        _yaml_person(item, file, node.start_mark.line + 1)
        for item, node in zip(raw, nodes, strict=False)
    ]


def _yaml_person(item: Any, file: str, line: int) -> PersonInput:
    if not isinstance(item, dict):
        raise InputFileError(file, line, "each person must be a mapping of name, email, ...")
    unknown = [key for key in item if key not in COLUMNS]
    if unknown:
        raise InputFileError(file, line, f"unknown key(s): {', '.join(map(str, unknown))}")
    for column in REQUIRED:
        if not isinstance(item.get(column), str) or not item[column].strip():
            raise InputFileError(file, line, f"the {column} is missing or empty")

    def listed(key: str) -> tuple[str, ...]:
        value = item.get(key) or []
        if isinstance(value, str):
            return _split(value)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputFileError(file, line, f"{key} must be a list of text")
        return tuple(v.strip() for v in value if v.strip())

    organisation = item.get("organisation")
    if organisation is not None and not isinstance(organisation, str):
        raise InputFileError(file, line, "organisation must be text")
    return PersonInput(
        name=item["name"],
        email=item["email"],
        aliases=listed("aliases"),
        bodies=listed("bodies"),
        roles=listed("roles"),
        organisation=(organisation or "").strip() or None,
        where=f"{file}:{line}",
    )
