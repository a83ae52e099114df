"""`improveflow report`: the committee report written by the real command, and the same
report produced again, byte for byte, by another process from its stored snapshot."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pdfplumber
import pytest
from cli_runner import Cli
from docx import Document

PEOPLE_CSV = """name,email,aliases,bodies,roles
Dana Reeve,dana@council.example,Head of Finance,CMT,
Owen Marsh,owen@council.example,Head of Business Transformation,,owner
Ruth Holt,ruth@council.example,Cabinet Member for Resources,Cabinet,
"""


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A plan of one action, made through the command itself."""
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    cli = Cli(tmp_path, columns=None)
    cli("init")
    cli("people", "import", "people.csv")
    cli("plan", "create", "Peer Challenge Improvement Plan", "--kind", "peer-challenge")
    cli("action", "add", "1", "--theme", "Financial Planning and Viability",
        "--objective", "Revisit financial assumptions", "--description", "Extend the strategy",
        "--owner", "owen@council.example", "--target", "2015-02-28")  # fmt: skip
    return cli


def test_report_writes_each_format_and_a_snapshot_reproduces_it(cli: Cli) -> None:
    """Each format is written where -o says; --snapshot, in a new process, gives the same bytes
    (fonts, dates, identifiers and zip entries depend only on the snapshot)."""
    folder = cli.folder
    made = cli("report", "1", "--format", "docx", "-o", "first.docx")
    assert made.out.strip() == "Report snapshot 1 of plan 1 written to first.docx"
    cli("report", "1", "--snapshot", "1", "--format", "docx", "-o", "again.docx")
    assert (folder / "again.docx").read_bytes() == (folder / "first.docx").read_bytes()
    document = Document(io.BytesIO((folder / "first.docx").read_bytes()))
    assert document.paragraphs[0].text == "Peer Challenge Improvement Plan: progress report"

    cli("report", "1", "--snapshot", "1", "--format", "pdf", "-o", "first.pdf")
    cli("report", "1", "--snapshot", "1", "--format", "pdf", "-o", "again.pdf")
    assert (folder / "first.pdf").read_bytes().startswith(b"%PDF-")
    assert (folder / "again.pdf").read_bytes() == (folder / "first.pdf").read_bytes()

    cli("report", "1", "--snapshot", "1", "--format", "html")
    page = (folder / "plan-1-report-1.html").read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="en-GB">')


def test_a_second_report_the_same_day_counts_from_the_same_point(cli: Cli) -> None:
    """Without --since, a report counts changes since the plan's last committee report of an
    earlier day: a second one made the same day (another format) counts as the first did,
    from the plan's start here, and --list says what each snapshot is."""
    cli("report", "1", "--format", "html", "-o", "first.html")
    cli("report", "1", "--format", "html", "-o", "second.html")
    first = (cli.folder / "first.html").read_text(encoding="utf-8")
    second = (cli.folder / "second.html").read_text(encoding="utf-8")
    opening = "This is the plan's first report: changes are counted from the plan's start."
    assert opening in first
    assert opening in second
    assert "report snapshot 2" in second
    listed = cli("report", "1", "--list")
    assert listed.out.splitlines() == [
        f"Snapshot {n}: committee report, made {at}, at audit event {seq}"
        for n, at, seq in _made(cli.folder / "second.html", cli.folder / "first.html")
    ]


def _section(page: str, heading: str) -> str:
    """The page from the heading that starts with `heading` to the next heading (or its end)."""
    start = page.index(heading)
    end = page.find("<h", start + len(heading))
    return page[start : end if end >= 0 else len(page)]


def _deferral_decided(cli: Cli) -> None:
    """The action approved, started and then deferred, with Cabinet's decision."""
    cli("action", "request", "1", "approve", "--as", "owen@council.example")
    cli("approvals", "approve", "1", "--as", "dana@council.example")
    cli("action", "request", "1", "start", "--as", "owen@council.example")
    cli("action", "request", "1", "defer", "--as", "owen@council.example",
        "--reason", "Waiting for the national award")  # fmt: skip
    cli("approvals", "approve", "2", "--as", "ruth@council.example")


def test_the_progress_review_pack_does_not_move_the_committee_reports_changes(cli: Cli) -> None:
    """The progress review pack, then the committee report, then the report again as a PDF
    (the README's own example): the report and the PDF both list the deferral and Cabinet's
    decision, which the pack made first must not swallow."""
    _deferral_decided(cli)
    cli("report", "1", "--pack", "progress-review", "--format", "html", "-o", "pack.html")
    cli("report", "1", "--format", "html", "-o", "committee.html")
    page = html.unescape((cli.folder / "committee.html").read_text(encoding="utf-8"))
    assert "Extend the strategy" in _section(page, "<h3>Deferred since the plan's start")
    decisions = _section(page, "<h2>Appendix: decisions")
    assert "Ruth Holt (approved)" in decisions
    assert "Waiting for the national award" in decisions

    cli("report", "1", "--format", "pdf", "-o", "june.pdf")
    with pdfplumber.open(cli.folder / "june.pdf") as pdf:
        text = " ".join(" ".join(p.extract_text() or "" for p in pdf.pages).split())
    assert "Appendix: decisions since the plan's start" in text
    assert "Ruth Holt (approved)" in text
    listed = cli("report", "1", "--list").out.splitlines()
    assert [line.split(", made ")[0] for line in listed] == [
        "Snapshot 1: progress review pack",
        "Snapshot 2: committee report",
        "Snapshot 3: committee report",
    ]


def test_a_pack_snapshot_comes_back_as_the_pack(cli: Cli) -> None:
    """--snapshot of a progress review pack produces the pack, byte for byte; asking for a
    snapshot as the other pack is refused in a sentence that names the right command."""
    cli("report", "1", "--pack", "progress-review", "--format", "html", "-o", "pack.html")
    cli("report", "1", "--format", "html", "-o", "committee.html")
    listed = cli("report", "1", "--list").out.splitlines()
    assert [line.split(", made ")[0] for line in listed] == [
        "Snapshot 1: progress review pack",
        "Snapshot 2: committee report",
    ]
    again = cli("report", "1", "--snapshot", "1", "--format", "html")
    assert again.out.strip() == (
        "Report snapshot 1 of plan 1 written to plan-1-progress-review-1.html"
    )
    pack = (cli.folder / "pack.html").read_bytes()
    assert (cli.folder / "plan-1-progress-review-1.html").read_bytes() == pack

    as_committee = cli("report", "1", "--snapshot", "1", "--pack", "committee", expect=1)
    assert as_committee.err.strip() == (
        "Error: Snapshot 1 of plan 1 was made as its progress review pack, not as its "
        "committee report: 'improveflow report 1 --snapshot 1 --pack progress-review' "
        "produces it again, and 'improveflow report 1' makes a new committee report"
    )
    as_pack = cli("report", "1", "--snapshot", "2", "--pack", "progress-review", expect=1)
    assert as_pack.err.strip() == (
        "Error: Snapshot 2 of plan 1 was made as its committee report, not as its progress "
        "review pack: 'improveflow report 1 --snapshot 2' produces it again, and "
        "'improveflow report 1 --pack progress-review' makes a new progress review pack"
    )


def _made(*pages: Path) -> list[tuple[int, str, int]]:
    """(snapshot, moment, audit event) as each report page states them, oldest first."""
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        made = re.search(r"made (\d\d:\d\d on [^,]+?) from report snapshot (\d+)", text)
        event = re.search(r"Made at audit event (\d+)", text)
        assert made
        assert event
        found.append((int(made.group(2)), made.group(1), int(event.group(1))))
    return sorted(found)


def test_refusals_name_what_is_wrong(cli: Cli) -> None:
    """An unknown plan, a snapshot of another plan, or the progress review pack of a plan
    that is not a peer challenge's, is refused in a sentence, and nothing is made."""
    assert cli("report", "1", "--list").out == "Plan 1 has no reports yet.\n"
    missing = cli("report", "9", expect=1)
    assert missing.err.strip() == "Error: No plan with id 9"
    cli("report", "1", "--format", "html")
    cli("plan", "create", "Another plan", "--kind", "service-plan")
    other = cli("report", "2", "--snapshot", "1", expect=1)
    assert other.err.strip() == "Error: No report snapshot 1 of plan 2"
    no_pack = cli("report", "2", "--pack", "progress-review", expect=1)
    assert no_pack.err.strip() == (
        "Error: Plan 2 is a service plan, not a peer-challenge plan, so it has no progress "
        "review pack: leave out --pack for its committee report"
    )
    assert cli("report", "2", "--list").out == "Plan 2 has no reports yet.\n"
