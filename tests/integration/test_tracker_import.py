"""Trackers kept in Planner, SharePoint, Excel and CSV import with every field in its place.

The fixtures and their answer key (``fixtures/plans/expected_fields.yaml``) are written by
``fixtures/plans/sources/build_trackers.py``. Each named row is read back from the database,
so a field taken from the wrong column, or dropped, fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlmodel import col, select

from improveflow.exceptions import InputFileError
from improveflow.importers.column_choice import ColumnMapping
from improveflow.models import Action, Objective, Plan, ProgressUpdate, Theme
from improveflow.services.context import Context
from improveflow.services.importing import ImportOptions, import_plan_files

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
KEY: dict[str, Any] = yaml.safe_load((PLANS / "expected_fields.yaml").read_text(encoding="utf-8"))
IMPORTED = [name for name, entry in KEY.items() if entry.get("actions")]
REFUSED = [name for name, entry in KEY.items() if entry.get("refusal")]
# Compared on every named row: a field the key leaves out must be empty.
ALWAYS = (
    "lead",
    "target_date",
    "original_target_date",
    "completed_date",
    "rag",
    "priority",
    "status",
    "progress",
    "details",
    "measures",
)
# Compared where the key gives them: the outline (theme, objective) and the text as written.
WHEN_GIVEN = ("theme", "objective", "reference", "timescale", "start_date")


def _mapping(entry: dict[str, Any]) -> ColumnMapping:
    flags = entry.get("map") or []
    return ColumnMapping.parse([flag for flag in flags if flag != "--map"])


def _stored_fields(ctx: Context, plan_id: int) -> dict[str, dict[str, Any]]:
    """Every action of the plan with its fields as the key names them."""
    with ctx.database.reading() as session:
        rows = session.exec(
            select(Action, Objective.text, Theme.title)
            .join(Objective, col(Objective.id) == Action.objective_id)
            .join(Theme, col(Theme.id) == Objective.theme_id)
            .where(Action.plan_id == plan_id)
        ).all()
        progress = dict(
            session.exec(
                select(ProgressUpdate.action_id, ProgressUpdate.text).order_by(
                    sa.asc(col(ProgressUpdate.id))
                )
            ).all()
        )
        return {
            " ".join(action.description.split()): _fields(action, objective, theme, progress)
            for action, objective, theme in rows
        }


def _fields(action: Action, objective: str, theme: str, progress: dict[int, str]) -> dict[str, Any]:
    return {
        "lead": action.lead_text,
        "target_date": action.target_date.isoformat() if action.target_date else None,
        "original_target_date": (
            action.original_target_date.isoformat() if action.original_target_date else None
        ),
        "completed_date": action.completed_date.isoformat() if action.completed_date else None,
        "start_date": action.start_date.isoformat() if action.start_date else None,
        "rag": action.rag,
        "priority": action.priority,
        "status": action.status_text,
        "progress": progress.get(action.id),
        "details": action.details or {},
        "measures": action.measures,
        "theme": theme,
        "objective": objective,
        "reference": action.reference,
        "timescale": action.timescale_raw,
    }


@pytest.mark.parametrize("name", IMPORTED)
def test_named_rows_import_with_each_field_from_its_own_column(ctx: Context, name: str) -> None:
    """Every named row of each tracker has the answer key's fields, and nothing else."""
    entry = KEY[name]
    options = ImportOptions(mapping=_mapping(entry))
    report = import_plan_files(ctx, [PLANS / name], options)
    [plan] = report.plans
    assert plan.plan_id is not None
    assert len(plan.actions) == entry["actions"]
    if entry.get("title"):
        assert plan.plan_title == entry["title"]
    stored = _stored_fields(ctx, plan.plan_id)
    for row in entry["rows"]:
        description = " ".join(row["description"].split())
        assert description in stored, f"{name}: no action '{description}'"
        actual = stored[description]
        for field in ALWAYS:
            expected = row.get(field, {} if field == "details" else None)
            if isinstance(expected, str):
                expected = expected.strip()
            assert actual[field] == expected, f"{name}, line {row['line']}: {field}"
        for field in WHEN_GIVEN:
            if field in row:
                expected = " ".join(str(row[field]).split())
                assert " ".join(str(actual[field]).split()) == expected, (
                    f"{name}, line {row['line']}: {field}"
                )
    if entry.get("target_dates") == "none":
        assert all(action["target_date"] is None for action in stored.values())


@pytest.mark.parametrize("name", REFUSED)
def test_ambiguous_or_broken_trackers_are_refused_with_the_place_and_the_fix(
    ctx: Context, name: str
) -> None:
    """Each broken or ambiguous file is refused in one line naming where, and nothing is stored."""
    refusal = KEY[name]["refusal"]
    with pytest.raises(InputFileError) as raised:
        import_plan_files(ctx, [PLANS / name], ImportOptions())
    message = str(raised.value)
    assert "\n" not in message
    assert name in message
    if "line" in refusal and "columns" not in refusal:
        assert raised.value.line == refusal["line"]
    for column in refusal.get("columns", []):
        assert f"column {column['letter']}" in message
    if "columns" in refusal:
        assert "--map action=" in message
    if "sheet" in refusal:
        assert f"'{refusal['sheet']}'" in message
    with ctx.database.reading() as session:
        assert session.exec(select(Plan)).all() == []


def test_the_mapping_is_kept_so_next_quarters_file_needs_no_flags(
    ctx: Context, tmp_path: Path
) -> None:
    """A plan imported with --map is read the same way next time without any flag."""
    entry = KEY["headerless_plan.csv"]
    first = import_plan_files(
        ctx, [PLANS / "headerless_plan.csv"], ImportOptions(mapping=_mapping(entry))
    )
    assert first.plans[0].count("created") == entry["actions"]
    with pytest.raises(InputFileError):
        import_plan_files(ctx, [PLANS / "headerless_plan.csv"], ImportOptions(plan_title="Other"))
    again = import_plan_files(ctx, [PLANS / "headerless_plan.csv"], ImportOptions())
    [plan] = again.plans
    assert plan.plan_id == first.plans[0].plan_id
    assert plan.count("unchanged") == entry["actions"]
    reasons = {column["why"] for table in plan.columns for column in table["columns"]}
    assert reasons == {"stored mapping"}


def test_a_changed_layout_is_reported_not_guessed(ctx: Context, tmp_path: Path) -> None:
    """Next quarter's file with a column renamed is imported with the change reported."""
    source = (PLANS / "sharepoint_list.csv").read_text(encoding="utf-8-sig")
    first = tmp_path / "actions.csv"
    first.write_text(source, encoding="utf-8")
    import_plan_files(ctx, [first], ImportOptions())
    renamed = tmp_path / "actions.csv"
    renamed.write_text(source.replace("Action Owner", "Owner"), encoding="utf-8")
    report = import_plan_files(ctx, [renamed], ImportOptions())
    [plan] = report.plans
    assert plan.layout_changes
    assert "new: Owner" in plan.layout_changes[0]
    assert "no longer there: Action Owner" in plan.layout_changes[0]


def test_a_stored_map_naming_a_missing_column_is_refused(ctx: Context, tmp_path: Path) -> None:
    """A column that --map named last time and that has gone is named in the refusal."""
    source = (PLANS / "audit_tracker.xlsx").read_bytes()
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(source)
    mapping = ColumnMapping.parse(["action=Management Response"])
    import_plan_files(ctx, [path], ImportOptions(mapping=mapping))
    csv_path = tmp_path / "tracker.csv"
    csv_path.write_text(
        "Internal Audit Recommendations Tracker 2025/26\n"
        "Ref,Recommendation,Agreed action,Responsible Officer,Target Date\n"
        "IA26-01,Check every payment run,Introduce a second check,Payroll Manager,31/03/2027\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError) as raised:
        import_plan_files(ctx, [csv_path], ImportOptions())
    assert "Management Response" in str(raised.value)
    assert "--map" in str(raised.value)
