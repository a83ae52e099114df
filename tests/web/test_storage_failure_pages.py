"""When the database cannot take a change (a full disk, a read-only file), the owner's page
says so in their terms: not saved, nothing half-saved, try again later; never a bare 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from web_helpers import BASE, SECRET, Council, add_council, csrf, new_client, sign_in

from improveflow.clock import FrozenClock
from improveflow.services import dashboard
from improveflow.services.context import Context
from improveflow.testing import make_context
from improveflow.web.app import create_app

OWEN = "owen@council.example"


@pytest.fixture
def sqlite_council(tmp_path: Path, clock: FrozenClock) -> Iterator[Council]:
    context = make_context(
        f"sqlite:///{tmp_path / 'council.db'}", clock=clock, secret_key=SECRET, base_url=BASE
    )
    yield add_council(context)
    context.close()


def _from_now_on(ctx: Context, pragma: str) -> None:
    """Every new connection runs `pragma` (the pool is emptied so none escapes it)."""
    engine = ctx.database.engine

    @event.listens_for(engine, "connect")
    def _limit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(pragma)
        cursor.close()

    engine.dispose()


def _post_progress(client: TestClient, council: Council, text: str) -> Any:
    page = client.get(f"/actions/{council.action_id}").text
    return client.post(
        f"/actions/{council.action_id}/progress",
        data={"csrf_token": csrf(page), "text": text, "rag": "amber"},
    )


def _signed_in(council: Council) -> TestClient:
    client = new_client(create_app(council.ctx))
    sign_in(client, council, OWEN)
    return client


def test_a_full_disk_refuses_the_update_and_says_nothing_was_half_saved(
    sqlite_council: Council,
) -> None:
    """SQLITE_FULL on saving progress: a 503 page in plain words, and the update is not there."""
    client = _signed_in(sqlite_council)
    with sqlite_council.ctx.database.reading() as session:
        pages = session.connection().exec_driver_sql("PRAGMA page_count").scalar_one()
    _from_now_on(sqlite_council.ctx, f"PRAGMA max_page_count = {pages}")

    response = _post_progress(client, sqlite_council, "Savings proposals drafted. " * 180)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "120"
    assert "Sorry, the service is unavailable" in response.text
    assert "Your change was not saved" in response.text
    assert "Nothing was half-saved, so you can send it again." in response.text
    assert "Traceback" not in response.text
    latest = dashboard.progress_of(sqlite_council.ctx, sqlite_council.action_id, 5)
    assert all("Savings proposals drafted" not in str(update) for update in latest)


def test_a_database_that_takes_no_writes_gives_the_same_honest_page(
    sqlite_council: Council,
) -> None:
    """A read-only database: the page still opens, saving says it was not saved."""
    client = _signed_in(sqlite_council)
    _from_now_on(sqlite_council.ctx, "PRAGMA query_only = ON")

    response = _post_progress(client, sqlite_council, "Proposals agreed")

    assert response.status_code == 503
    assert "Your change was not saved: the service could not write to its database." in (
        response.text
    )
    assert "tell your improveflow administrator the time it happened" in response.text
