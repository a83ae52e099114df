"""`improveflow report`: the committee report written by the real command, and the same
report produced again, byte for byte, by another process from its stored snapshot."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from cli_runner import Cli
from docx import Document

PEOPLE_CSV = """name,email,aliases,bodies,roles
Dana Reeve,dana@council.example,Head of Finance,CMT,
Owen Marsh,owen@council.example,Head of Business Transformation,,owner
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


def test_a_second_report_counts_from_the_first(cli: Cli) -> None:
    """Without --since, the next report counts changes since the plan's last one."""
    cli("report", "1", "--format", "html", "-o", "first.html")
    cli("report", "1", "--format", "html", "-o", "second.html")
    second = (cli.folder / "second.html").read_text(encoding="utf-8")
    assert "Changes are counted since the report of " in second
    assert "report snapshot 2" in second
    listed = cli("report", "1", "--list")
    assert listed.out.splitlines() == [
        f"Snapshot {n}: made {at}, at audit event {seq}"
        for n, at, seq in _made(cli.folder / "second.html", cli.folder / "first.html")
    ]


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
