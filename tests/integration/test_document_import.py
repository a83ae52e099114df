"""Plans kept as Word documents, PDFs and HTML appendices import with their fields in place.

The Word and PDF fixtures are built from one description
(``fixtures/plans/sources/peer_challenge_plan.yaml``): every action it lists must import from
both, under its recommendation and theme, with its own lead and target date, including the
row that the PDF's page break cuts in two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from improveflow.exceptions import InputFileError
from improveflow.services import views
from improveflow.services.context import Context
from improveflow.services.importing import ImportOptions, import_plan_files

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
PLAN = yaml.safe_load((PLANS / "sources" / "peer_challenge_plan.yaml").read_text(encoding="utf-8"))


def _expected() -> list[dict[str, Any]]:
    rows = []
    for table in PLAN["tables"]:
        for recommendation in table["recommendations"]:
            for action in recommendation["actions"]:
                rows.append(
                    {
                        "theme": table["heading"],
                        "objective_ref": recommendation["ref"],
                        "objective": recommendation["text"],
                        "description": action["action"],
                        "lead": action["lead"],
                        "timescale": action["target"],
                    }
                )
    return rows


def _imported(ctx: Context, name: str) -> tuple[str, dict[str, dict[str, Any]]]:
    report = import_plan_files(ctx, [PLANS / name], ImportOptions(plan_title=name))
    [plan] = report.plans
    rows = {row["description"]: row for row in views.action_rows(ctx, plan_id=plan.plan_id)}
    return plan.plan_title, rows


@pytest.mark.parametrize("name", ["peer_challenge_plan.docx", "peer_challenge_plan.pdf"])
def test_every_action_of_the_plan_imports_from_word_and_pdf(ctx: Context, name: str) -> None:
    """Each action keeps its recommendation, theme, lead and target, whatever the format."""
    _, rows = _imported(ctx, name)
    for expected in _expected():
        row = rows.get(expected["description"])
        assert row is not None, f"{name}: missing {expected['description']!r}"
        for field in ("theme", "objective_ref", "objective", "lead", "timescale"):
            assert row[field] == expected[field], f"{name}: {expected['description']}: {field}"


def test_sources_name_the_table_or_page_and_row(ctx: Context) -> None:
    """The report cites a Word row by table and row, a PDF row by page and row."""
    _, word = _imported(ctx, "peer_challenge_plan.docx")
    _, pdf = _imported(ctx, "peer_challenge_plan.pdf")
    first = "Agree a place vision with the Local Strategic Partnership."
    assert word[first]["source"] == "peer_challenge_plan.docx, table 1, row 2"
    assert pdf[first]["source"] == "peer_challenge_plan.pdf, page 1, row 2"
    assert all(", page " in row["source"] for row in pdf.values())


def test_moderngov_appendix_reads_its_tables_and_themes(ctx: Context) -> None:
    """An HTML committee appendix: both tables, the headings as themes, merged cells spread."""
    _, rows = _imported(ctx, "moderngov_appendix.html")
    engagement = rows["Complete market engagement with current providers."]
    assert engagement["theme"] == "Theme 1: Market sustainability"
    assert engagement["lead"] == "Head of Commissioning"
    assert engagement["target_date"] == "2024-12-31"
    savings = rows["Agree savings proposals with each directorate."]
    assert savings["objective"] == "Close the medium-term budget gap of £18.4m."
    assert savings["lead"] == "Section 151 Officer"
    assert savings["source"].startswith("moderngov_appendix.html, table 2, row ")


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("corrupt_plan.docx", "save it again"),
        ("encrypted_plan.pdf", "password"),
        ("scanned_plan.pdf", "no text layer"),
        ("no_table.pdf", "no recognisable header row"),
    ],
)
def test_unreadable_documents_are_refused_in_one_line(ctx: Context, name: str, words: str) -> None:
    """A damaged, protected, scanned or table-less document is refused, naming what to do."""
    with pytest.raises(InputFileError) as raised:
        import_plan_files(ctx, [PLANS / name], ImportOptions())
    assert words in str(raised.value)
    assert name in str(raised.value)
    assert "\n" not in str(raised.value)
    assert list(views.action_rows(ctx)) == []
