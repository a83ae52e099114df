"""A dispatch process killed mid-run loses nothing, repeats at most the email in flight, and
holds what it had claimed for no more than a minute: through each transport (SMTP, SMTP with
OAuth, Microsoft Graph, GOV.UK Notify), configured as an administrator would, by environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from improveflow.calendar import LONDON
from improveflow.models import Outbox
from improveflow.services import sweep
from improveflow.stores.tables import table_of
from improveflow.testing import add_owners_with_actions, make_context
from improveflow.testing.mail_apis import KINDS, mail_service
from improveflow.testing.mail_apis.services import Kind

OWNERS = 150
NOW = datetime(2026, 3, 2, 9, 5, tzinfo=LONDON)


def _queue_reminders(url: str) -> None:
    context = make_context(url)
    heard = NOW.astimezone(UTC) - timedelta(days=2)
    add_owners_with_actions(context, OWNERS, target=date(2026, 3, 9), heard_from=heard)
    assert sweep.sweep(context, now=NOW).emails_queued == OWNERS
    context.close()


def _send(env: dict[str, str], now: datetime, *, errors: bool) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "improveflow", "outbox", "send", "--now", now.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if errors else subprocess.DEVNULL,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_killed_dispatch_loses_nothing(tmp_path: Path, kind: Kind) -> None:
    """SIGKILL mid-dispatch, then a run a minute later: every email arrives, at most one of
    them twice."""
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    _queue_reminders(url)
    with mail_service(kind, tmp_path) as service:
        env = {
            **os.environ,
            **service.environment,
            "IMPROVEFLOW_DATABASE_URL": url,
            "IMPROVEFLOW_SECRET_KEY": "k" * 32,
            # One sender: "in flight" is then exactly one message.
            "IMPROVEFLOW_SMTP_POOL_SIZE": "1",
        }
        started = time.monotonic()
        first = _send(env, NOW, errors=False)
        deadline = time.monotonic() + 60
        while (
            len(service.recipients()) < 20 and time.monotonic() < deadline and first.poll() is None
        ):
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL, "the run finished before it could be killed"
        delivered_before = len(service.recipients())
        assert 0 < delivered_before < OWNERS

        # The claim it held lapses a minute after its last renewal, at the latest a minute
        # after it died; a run then (as the restarted scheduler's) sends the rest.
        died = timedelta(seconds=time.monotonic() - started)
        second = _send(env, NOW + died + timedelta(minutes=1, seconds=1), errors=True)
        _, errors = second.communicate(timeout=120)
        assert second.returncode == 0, errors.decode()
        copies = Counter(service.recipients())

    assert len(copies) == OWNERS  # nothing lost
    assert sum(copies.values()) - OWNERS <= 1  # at most the one in flight repeated
    context = make_context(url, migrate=False)
    with context.database.reading() as session:
        statuses = Counter(
            session.connection().execute(sa.select(table_of(Outbox).c.status)).scalars()
        )
    context.close()
    assert statuses == {"sent": OWNERS}
