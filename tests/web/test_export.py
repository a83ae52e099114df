"""The dashboard's exports: a workbook a lead can sort and filter as it is, and the same as CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from web_helpers import follow

from improveflow.clock import FrozenClock
from improveflow.models import Rag, Verdict
from improveflow.services import approvals, importing, progress, sign_in
from improveflow.services.context import Context
from improveflow.stores import people
from improveflow.testing import add_sample_people

TRACKER = """\
Theme,Recommendation,Action,Lead,Priority,Original Target Date,Revised Target Date,Status
Governance,Strengthen audit follow-up,Report audit actions to every committee,Head of Finance,High,31/03/2014,30/06/2014,Slipped
Governance,Strengthen audit follow-up,Train members on audit,Chief Executive,Low,31/12/2014,,Not started
Governance,Publish decisions,Publish every delegated decision,HRMT,Medium,30/09/2014,,Not started
"""  # noqa: E501
DECIDERS = {"CMT": "dana@council.example", "Cabinet": "ruth@council.example"}


def _approved(ctx: Context, action_id: int, trigger: str, by: str, **asked: object) -> None:
    asked_for = approvals.request_change(ctx, action_id, trigger, by_email=by, **asked)  # type: ignore[arg-type]
    assert asked_for.request_id is not None
    assert asked_for.body is not None
    approvals.decide(ctx, asked_for.request_id, Verdict.APPROVE, by_email=DECIDERS[asked_for.body])


@pytest.fixture
def tracker(web_ctx: Context, clock: FrozenClock, tmp_path: Path) -> int:
    """An imported audit tracker: one revised target from the file, one changed by CMT, one
    deferred, and progress that a spreadsheet would take for a formula."""
    add_sample_people(web_ctx)
    source = tmp_path / "audit_tracker.csv"
    source.write_text(TRACKER, encoding="utf-8")
    result = importing.import_plan_files(
        web_ctx, [source], importing.ImportOptions(plan_title="Audit tracker")
    )
    plan_id = _plan_of(result)
    _approved(
        web_ctx, 2, "revise_target", "sam@council.example",
        reason="Member induction moved to the new year", new_target_date=date(2015, 3, 31),
    )  # fmt: skip
    _approved(
        web_ctx, 3, "defer", "priya@council.example",
        reason="Waiting for the new constitution",
    )  # fmt: skip
    clock.advance(timedelta(days=2))
    progress.record_progress(
        web_ctx, 1, '=HYPERLINK("http://x.example")', Rag.AMBER, by_email="dana@council.example"
    )
    return plan_id


def _download(client: TestClient, web_ctx: Context, path: str) -> bytes:
    """`path` as the peer-challenge lead downloads it, signed in from a link."""
    with web_ctx.database.reading() as session:
        pia = people.person_by_email(session, "pia@peers.example").id
    assert pia is not None
    follow(client, sign_in.signer(web_ctx).sign_in_link(pia))
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.content


def _plan_of(report: importing.ImportReport) -> int:
    (plan,) = report.plans
    assert plan.plan_id is not None
    return plan.plan_id


def _by_header(sheet: Worksheet) -> dict[str, int]:
    return {str(cell.value): cell.column for cell in sheet[1]}


def test_xlsx_has_typed_dates_a_styled_frozen_filtered_header_and_the_reasons(
    client: TestClient, web_ctx: Context, tracker: int
) -> None:
    """Header first (bold, frozen, filtered); real dates as dd/mm/yyyy; targets and reasons."""
    content = _download(client, web_ctx, f"/plans/{tracker}/export.xlsx")
    book = load_workbook(io.BytesIO(content))
    sheet = book["Actions"]
    assert book.properties.title == "Audit tracker"
    column = _by_header(sheet)
    assert list(column)[:6] == ["Action ID", "Theme", "Challenge ref", "Challenge", "Action ref",
                                "Action"]  # fmt: skip
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(column)).column_letter}4"
    assert sheet.column_dimensions["F"].width == 50
    assert sheet.max_row == 4

    def cell(row: int, header: str) -> object:
        found = sheet.cell(row, column[header])
        if isinstance(found.value, datetime):
            assert found.number_format == "dd/mm/yyyy", header
            assert found.data_type == "d", header
        return found.value

    # Revised in the council's own tracker: the file's original date is kept beside it.
    assert cell(2, "Action") == "Report audit actions to every committee"
    assert cell(2, "Target date") == datetime(2014, 6, 30)
    assert cell(2, "Original target date") == datetime(2014, 3, 31)
    assert cell(2, "Reason for new target date") is None
    assert cell(2, "Date changes") == "first due 31 March 2014; re-dated once"
    assert cell(2, "Priority") == "High"
    assert cell(2, "Status as written") == "Slipped"
    assert cell(2, "State") == "In progress"
    assert cell(2, "RAG") == "Amber"
    assert cell(2, "Lead in the plan") == "Head of Finance"
    assert cell(2, "Owner") == "Dana Reeve"
    assert cell(2, "Owner email") == "dana@council.example"
    assert cell(2, "Latest progress") == '\'=HYPERLINK("http://x.example")'
    assert sheet.cell(2, column["Latest progress"]).data_type == "s"
    assert cell(2, "Progress date") == datetime(2014, 6, 4)
    assert cell(2, "Timescale") is None  # it has a date; the words could only contradict it
    # Changed by an approved request: the first date, the new one and why.
    assert cell(3, "Target date") == datetime(2015, 3, 31)
    assert cell(3, "Original target date") == datetime(2014, 12, 31)
    assert cell(3, "Reason for new target date") == "Member induction moved to the new year"
    assert cell(3, "Date changes") == "first due 31 December 2014; re-dated once"
    # Deferred: the reason the body approved it for.
    assert cell(4, "State") == "Deferred"
    assert cell(4, "Reason for current state") == "Waiting for the new constitution"
    assert cell(4, "Original target date") == datetime(2014, 9, 30)
    assert cell(4, "Date changes") == "first due 30 September 2014; not re-dated"
    assert cell(4, "Action ID") == 3
    assert isinstance(cell(4, "Action ID"), int)


def test_csv_has_the_same_columns_and_rows_with_iso_dates(
    client: TestClient, web_ctx: Context, tracker: int
) -> None:
    """The CSV matches the workbook, its dates written 2014-06-30, formulas kept as text."""
    text = _download(client, web_ctx, f"/plans/{tracker}/export.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    first, changed, deferred = rows
    assert first["Action ID"] == "1"
    assert (first["Target date"], first["Original target date"]) == ("2014-06-30", "2014-03-31")
    assert first["Progress date"] == "2014-06-04"
    assert first["Latest progress"] == '\'=HYPERLINK("http://x.example")'
    assert (first["Priority"], first["Status as written"], first["RAG"]) == (
        "High", "Slipped", "Amber",
    )  # fmt: skip
    assert (changed["Target date"], changed["Original target date"]) == (
        "2015-03-31", "2014-12-31",
    )  # fmt: skip
    assert changed["Reason for new target date"] == "Member induction moved to the new year"
    assert changed["Date changes"] == "first due 31 December 2014; re-dated once"
    assert (deferred["State"], deferred["Reason for current state"]) == (
        "Deferred", "Waiting for the new constitution",
    )  # fmt: skip
    workbook = load_workbook(
        io.BytesIO(_download(client, web_ctx, f"/plans/{tracker}/export.xlsx"))
    )
    assert [c.value for c in workbook["Actions"][1]] == list(rows[0])


def test_an_action_with_no_date_keeps_its_timescale(
    client: TestClient, web_ctx: Context, tmp_path: Path
) -> None:
    """'Ongoing' has no date to contradict, so the timescale as written is exported."""
    add_sample_people(web_ctx)
    source = tmp_path / "plan.csv"
    source.write_text(
        "Theme,Objective,Action,Lead,Target Date\nMoney,Assets,Sell the depot,Head of Finance,"
        "Ongoing\n",
        encoding="utf-8",
    )
    result = importing.import_plan_files(web_ctx, [source], importing.ImportOptions())
    text = _download(client, web_ctx, f"/plans/{_plan_of(result)}/export.csv")
    (row,) = csv.DictReader(io.StringIO(text.decode("utf-8-sig")))
    assert (row["Target date"], row["Original target date"], row["Timescale"]) == (
        "", "", "Ongoing",
    )  # fmt: skip


def test_a_control_character_cannot_smuggle_a_formula_into_the_workbook(
    client: TestClient, web_ctx: Context, tracker: int, clock: FrozenClock
) -> None:
    """ "\\x01=HYPERLINK(...)": the control character is removed before the formula check, and
    every text is written as a string cell, so no cell of the workbook is a formula."""
    clock.advance(timedelta(days=1))
    progress.record_progress(
        web_ctx,
        2,
        '\x01=HYPERLINK("http://x.example","Click")',
        None,
        by_email="sam@council.example",
    )
    data = _download(client, web_ctx, f"/plans/{tracker}/export.xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml
    assert b"<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    progress_column = _by_header(sheet)["Latest progress"]
    cell = sheet.cell(row=3, column=progress_column)
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://x.example","Click")'
    text = _download(client, web_ctx, f"/plans/{tracker}/export.csv").decode("utf-8-sig")
    assert '\'=HYPERLINK(""http://x.example"",""Click"")' in text
    assert "\x01" not in text
