"""Failures outside improveflow (a full disk, a database that is down or damaged, a workbook
with a corrupted part) give one sentence and exit 1 through the real command, never a
traceback, and leave nothing half-written; the details go to the log file."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cli_runner import Cli

PEOPLE_CSV = """\
name,email,aliases,bodies,roles
Dana Reeve,dana@council.example,Head of Finance,CMT,
Owen Marsh,owen@council.example,Head of Business Transformation,,owner
"""

PLAN_CSV = "Theme,Action,Lead,Target date\n" + "".join(
    f"Finance,Agree savings proposal number {n} with every service,Head of Finance,March 2027\n"
    for n in range(400)
)


def _one_sentence(stderr: str) -> str:
    """The error as printed: one line, no traceback."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = Cli(tmp_path, "council.db")
    runner.env["XDG_STATE_HOME"] = str(tmp_path / "state")
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    (tmp_path / "plan.csv").write_text(PLAN_CSV, encoding="utf-8")
    runner("init")
    runner("people", "import", "people.csv")
    return runner


def _on_a_full_disk(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `improveflow ARGS` with the database copied onto a small filesystem with no room
    left (a tmpfs in a mount namespace of its own, so no privilege is needed), then copies the
    database back so the test can see what it holds."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is needed to give the command a full disk")
    small = cli.folder / "small"
    small.mkdir()
    script = (
        "set -e; mount -t tmpfs -o size=1m tmpfs small; cp council.db small/; "
        "dd if=/dev/zero of=small/filler bs=4k >/dev/null 2>&1 || true; "
        'set +e; "$@"; code=$?; rm small/filler; cp small/council.db after.db; exit $code'
    )
    probe = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "true"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"this machine allows no mount namespace: {probe.stderr.decode().strip()}")
    env = {**cli.env, "IMPROVEFLOW_DATABASE_URL": "sqlite:///small/council.db"}
    return subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", script, "sh",
         sys.executable, "-m", "improveflow", *args],
        cwd=cli.folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_full_disk_during_an_import_is_one_sentence_and_nothing_is_imported(cli: Cli) -> None:
    """The import fails whole: the plan is not there, half an import is not either."""
    done = _on_a_full_disk(cli, "plan", "import", "plan.csv")
    assert done.returncode == 1, done.stdout + done.stderr
    said = _one_sentence(done.stderr)
    assert said.startswith("Error: The disk holding small/council.db is full")
    assert "Nothing was half-written" in said
    assert "Free some space on that disk, then try again." in said
    log = cli.folder / "state" / "improveflow" / "errors.log"
    assert f"Details are in {log}." in said
    assert "sqlite3.OperationalError" in log.read_text(encoding="utf-8")
    cli.env["IMPROVEFLOW_DATABASE_URL"] = f"sqlite:///{cli.folder / 'after.db'}"
    assert "There are no plans yet" in cli("plan", "list").out


def test_a_full_disk_during_a_progress_update_keeps_the_action_as_it_was(cli: Cli) -> None:
    """An owner's update on a full disk is refused in one sentence; the action is unchanged."""
    cli("plan", "create", "Savings plan", "--kind", "service-plan")
    cli("action", "add", "1", "--theme", "Finance", "--objective", "Balance the budget",
        "--description", "Agree savings", "--owner", "owen@council.example",
        "--target", "2027-03-31")  # fmt: skip
    cli("action", "request", "1", "approve", "--as", "owen@council.example")
    cli("approvals", "approve", "1", "--as", "dana@council.example")
    cli("action", "request", "1", "start", "--as", "owen@council.example")

    done = _on_a_full_disk(
        cli, "action", "update", "1", "--progress", "Proposals drafted. " * 200,
        "--rag", "amber", "--as", "owen@council.example",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "is full, so the change was not saved" in _one_sentence(done.stderr)
    cli.env["IMPROVEFLOW_DATABASE_URL"] = f"sqlite:///{cli.folder / 'after.db'}"
    shown = cli("action", "show", "1", "--json").json()
    assert shown["rag"] is None
    assert "Proposals drafted" not in str(shown)


def test_a_database_server_that_is_down_is_named_without_its_password(cli: Cli) -> None:
    """Nothing listening at the address: which database, that nothing changed, what to check."""
    run = cli("--db", "postgresql+psycopg://planner:s3cret@127.0.0.1:9/plans", "plan", "list",
              expect=1)  # fmt: skip
    said = _one_sentence(run.err)
    assert said.startswith(
        "Error: Could not reach the database postgresql+psycopg://planner:***@127.0.0.1:9/plans "
        "(the connection was refused), so nothing was read or changed."
    )
    assert "s3cret" not in run.err


def test_a_damaged_database_file_is_said_to_be_damaged(cli: Cli) -> None:
    """A file that is not a database: restore a backup or point the setting elsewhere."""
    (cli.folder / "broken.db").write_bytes(b"not a database at all " * 500)
    run = cli("--db", "sqlite:///broken.db", "plan", "list", expect=1)
    said = _one_sentence(run.err)
    assert "broken.db is damaged or is not an improveflow database" in said


def test_a_workbook_with_a_corrupted_part_is_refused_naming_the_file(cli: Cli) -> None:
    """A sheet whose compressed bytes are damaged: the file and the fix, exit 1, nothing saved."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Action", "Lead", "Target date"])
    for n in range(200):
        sheet.append([f"Agree savings proposal {n}", "Head of Finance", "March 2027"])
    good = cli.folder / "good.xlsx"
    book.save(good)
    damaged = cli.folder / "tracker.xlsx"
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    for offset in range(start + 20, start + 60):
        data[offset] ^= 0x5A
    damaged.write_bytes(bytes(data))

    run = cli("plan", "import", "tracker.xlsx", expect=1)
    said = _one_sentence(run.err)
    assert "tracker.xlsx" in said
    assert "save it again as an .xlsx workbook" in said
    assert "There are no plans yet" in cli("plan", "list").out
