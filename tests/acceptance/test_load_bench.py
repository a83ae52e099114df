"""The load benchmark still runs its whole story: every owner's link, Continue, page and saved
update answered as expected alone and beside the scheduler and the CLI, every email delivered,
and one JSON line at the end. Its timings are not judged here: only that it measures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "benchmarks" / "load_bench.py"
OWNERS, EMAILS = 6, 40


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_quick_mode_runs_every_visit_without_an_error(database: str) -> None:
    """In quick mode (smaller still), both phases make 5 requests per owner and none fails,
    all the reminders reach the SMTP server, and the CLI writes at least once."""
    url = os.environ.get("IMPROVEFLOW_TEST_POSTGRES_URL")
    if database == "postgres" and not url:
        pytest.skip("PostgreSQL not configured: set IMPROVEFLOW_TEST_POSTGRES_URL")
    ran = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--owners", str(OWNERS), "--emails", str(EMAILS),
         "--ramp", "1", "--database", database, *(["--postgres-url", url] if url else [])],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-3000:]
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    assert result["bench"] == "load"
    assert result["quick"] is True
    assert result["owners"] == OWNERS
    assert result[f"{database}_emails_sent"] == EMAILS
    for key in ("baseline_errors", "load_errors", "server_errors", "cli_errors"):
        assert result[f"{database}_{key}"] == 0, ran.stdout[-3000:]
    assert result[f"{database}_cli_writes"] >= 1
    assert result[f"{database}_baseline_p95_ms"] > 0
    assert result[f"{database}_load_p95_ms"] > 0
    assert isinstance(result[f"{database}_target_met"], bool)
    # Every visit's five requests were made and timed, in each phase.
    assert result[f"{database}_baseline_requests"] == OWNERS * 5
    assert result[f"{database}_load_requests"] == OWNERS * 5
