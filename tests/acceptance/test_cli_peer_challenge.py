"""A peer-challenge lead's timetable at the command line: the plan created with its challenge
date shows the LGA's milestones; the sweep reminds and escalates on working days only; a
milestone is marked done with a date and a link, and listed with who recorded it; the progress
review pack is written in each format, the same bytes again from its snapshot; mistakes are
refused with the fix named."""

from __future__ import annotations

from pathlib import Path

from cli_runner import Cli
from docx import Document

PEOPLE = """name,email,aliases,bodies,roles,organisation
Pia Lund,pia@peers.example,,,peer_challenge_lead,
Cara Evans,cara@council.example,,,chief_executive,
Owen Marsh,owen@council.example,,,owner,
"""


def test_a_peer_challenge_timetable_from_creation_to_a_milestone_done(tmp_path: Path) -> None:
    """Challenge ended 25 September 2025: the feedback report is due by Christmas Day; the
    reminder goes on 10 December, nothing on Boxing Day, the escalation on Monday 29
    December, each once; the feedback report is marked done with its link, and the log
    verifies; the action plan, given five months at the latest, is chased again after them."""
    cli = Cli(tmp_path)
    cli("init")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    cli("people", "import", "people.csv")
    created = cli(
        "plan", "create", "Corporate Peer Challenge 2025", "--kind", "peer-challenge",
        "--challenge-date", "2025-09-25",
    ).out  # fmt: skip
    assert "Plan 1 created: Corporate Peer Challenge 2025" in created
    assert "Feedback report published" in created
    assert "25 Dec 2025" in created
    assert "25 Feb 2026" in created

    reminded = cli("sweep", "--now", "2025-12-10T09:30", "--json").json()
    whys = sorted(d["why"].split(" (")[0] for d in reminded["decisions"])
    assert whys == [
        "Action plan published: due by 25 Dec 2025",
        "Action plan published: due by 25 Dec 2025",
        "Feedback report published: due by 25 Dec 2025",
        "Feedback report published: due by 25 Dec 2025",
    ]
    assert cli("sweep", "--now", "2025-12-10T15:00", "--json").json()["decisions"] == []
    assert cli("sweep", "--now", "2025-12-26T10:00", "--json").json()["decisions"] == []
    escalated = cli("sweep", "--now", "2025-12-29T09:30", "--json").json()
    assert {d["kind"] for d in escalated["decisions"]} == {"milestone_overdue"}
    assert len(escalated["decisions"]) == 4

    done = cli(
        "plan", "milestone", "done", "1", "feedback-report", "--on", "2026-01-09",
        "--link", "https://council.example/cpc-report", "--by", "pia@peers.example",
    ).out  # fmt: skip
    assert "Feedback report published: Done on Friday 9 January 2026." in done
    listed = {m["milestone"]: m for m in cli("plan", "milestone", "list", "1", "--json").json()}
    assert listed["feedback_report"]["done_on"] == "2026-01-09"
    assert listed["feedback_report"]["link"] == "https://council.example/cpc-report"
    assert listed["feedback_report"]["done_by"] == "pia@peers.example"
    assert listed["feedback_report"]["done_by_name"] == "Pia Lund"
    table = " ".join(cli("plan", "milestone", "list", "1").out.split())
    assert "Done on Friday 9 January 2026, recorded by Pia Lund" in table
    assert listed["feedback_report"]["latest_on"] is None
    assert listed["action_plan"]["standing"] == "past_latest"
    assert listed["action_plan"]["words"] == (
        "Overdue: past its latest date, Wednesday 25 February 2026"
    )
    assert listed["progress_review"]["due_on"] == "2026-07-25"
    # Past its latest date, only the milestone not done is chased again.
    late = cli("sweep", "--now", "2026-02-26T09:30", "--json").json()["decisions"]
    assert (
        sorted(d["why"].split(" (")[0] for d in late)
        == ["Action plan published: not done by its latest date, 25 Feb 2026"] * 2
    )
    assert "verified" in cli("audit", "verify").out.lower()
    made = cli("report", "1", "--format", "docx", "--pack", "progress-review").out
    assert "written to plan-1-progress-review-1.docx" in made
    pack = Document(str(tmp_path / "plan-1-progress-review-1.docx"))
    assert pack.paragraphs[0].text == "Corporate Peer Challenge 2025: progress review pack"
    assert pack.tables[0].rows[1].cells[3].text == "Done on Friday 9 January 2026"
    # The same snapshot as a PDF and a page, each written twice by its own process: the same
    # bytes, and no new snapshot made.
    for fmt in ("pdf", "html"):
        for name in ("first", "again"):
            cli("report", "1", "--snapshot", "1", "--pack", "progress-review",
                "--format", fmt, "-o", f"{name}.{fmt}")  # fmt: skip
        assert (tmp_path / f"again.{fmt}").read_bytes() == (tmp_path / f"first.{fmt}").read_bytes()
    assert (tmp_path / "first.pdf").read_bytes().startswith(b"%PDF-")
    page = (tmp_path / "first.html").read_text(encoding="utf-8")
    assert "<h1>Corporate Peer Challenge 2025: progress review pack</h1>" in page
    assert "<td>Done on Friday 9 January 2026</td>" in page
    assert "Snapshot 2" not in cli("report", "1", "--list").out


def test_mistakes_are_refused_with_the_fix_named(tmp_path: Path) -> None:
    """A link that is not a web address, an unknown milestone, a service plan's challenge date
    and a plan with no challenge date yet are each refused, saying what to do."""
    cli = Cli(tmp_path)
    cli("init")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    cli("people", "import", "people.csv")
    cli("plan", "create", "Corporate Peer Challenge 2025", "--kind", "peer-challenge")
    cli("plan", "create", "Service plan", "--kind", "service-plan")
    none_yet = cli(
        "plan", "milestone", "done", "1", "feedback-report", "--on", "2025-12-01",
        "--link", "https://council.example/r", "--by", "pia@peers.example", expect=1,
    )  # fmt: skip
    assert "improveflow plan set-challenge-date 1" in none_yet.err + none_yet.out
    none_listed = " ".join(cli("plan", "milestone", "list", "1").out.split())
    assert (
        "No milestones yet: record when the peer challenge ended with 'improveflow plan "
        "set-challenge-date 1 YYYY-MM-DD'."
    ) in none_listed
    assert "set-report-date" not in none_listed
    assert "only a peer-challenge plan or a scrutiny plan has a timetable" in " ".join(
        cli("plan", "milestone", "list", "2").out.split()
    )
    made = cli(
        "plan", "create", "Another service plan", "--kind", "service-plan",
        "--challenge-date", "2025-09-25", expect=1,
    )  # fmt: skip
    assert (
        "A service plan has no challenge date: only a peer-challenge plan has the LGA's timetable"
    ) in " ".join((made.err + made.out).split())
    assert "Plan 3" not in made.err + made.out
    cli("plan", "set-challenge-date", "1", "2025-09-25", "--by", "pia@peers.example")
    bad_link = cli(
        "plan", "milestone", "done", "1", "feedback-report", "--on", "2025-12-01",
        "--link", "the intranet", "--by", "pia@peers.example", expect=1,
    )  # fmt: skip
    assert "is not a web address" in bad_link.err + bad_link.out
    unknown = cli(
        "plan", "milestone", "done", "1", "annual-report", "--on", "2025-12-01",
        "--link", "https://council.example/r", "--by", "pia@peers.example", expect=1,
    )  # fmt: skip
    assert "feedback-report, action-plan, progress-review, progress-review-report" in (
        unknown.err + unknown.out
    )
    service = cli("plan", "set-challenge-date", "2", "2025-09-25", expect=1)
    assert "only a peer-challenge plan" in service.err + service.out
