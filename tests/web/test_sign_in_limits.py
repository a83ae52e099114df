"""The sign-in form: limits per address, per client and overall that say nothing of who is
known, and an answer that takes the same path whether or not the address is known."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send
from web_helpers import BASE, SECRET, csrf

from improveflow.clock import FrozenClock
from improveflow.services.context import Context
from improveflow.testing import add_sample_people, make_context
from improveflow.web.app import create_app

DANA = "dana@council.example"
NOBODY = "nobody@elsewhere.example"


@pytest.fixture
def limited_ctx(database_url: str, clock: FrozenClock) -> Iterator[Context]:
    """A council whose form sends 3 links an hour per address, 4 per client, 6 in all."""
    context = make_context(
        database_url,
        clock=clock,
        secret_key=SECRET,
        base_url=BASE,
        sign_in_links_per_address=3,
        sign_in_links_per_client=4,
        sign_in_links_overall=6,
    )
    add_sample_people(context)
    yield context
    context.close()


def _browser(ctx: Context, client_address: str = "203.0.113.10") -> TestClient:
    return TestClient(create_app(ctx), base_url=BASE, client=(client_address, 50000))


def _ask(browser: TestClient, email: str) -> Any:
    token = csrf(browser.get("/sign-in").text)
    return browser.post("/sign-in", data={"csrf_token": token, "email": email})


def _sign_in_emails(ctx: Context) -> int:
    with ctx.database.reading() as session:
        found = session.connection().execute(
            sa.text("SELECT count(*) FROM outbox WHERE template = 'sign_in'")
        )
        return int(found.scalar_one())


def test_the_page_says_how_many_links_an_address_gets(limited_ctx: Context) -> None:
    """The form tells people the limit before they meet it."""
    with _browser(limited_ctx) as browser:
        page = browser.get("/sign-in")
    assert "You can ask for up to 3 links an hour for one email address." in page.text


def test_an_address_gets_a_few_links_an_hour_known_or_not(
    limited_ctx: Context, clock: FrozenClock
) -> None:
    """The fourth request in an hour for one address is refused in the same words whether
    improveflow knows the address or not; an hour later it is answered again."""
    answers: dict[str, list[Any]] = {DANA: [], NOBODY: []}
    # From two clients, so that only the address's own limit is met.
    with (
        _browser(limited_ctx, "203.0.113.10") as browser,
        _browser(limited_ctx, "203.0.113.11") as other,
    ):
        for _ in range(4):
            answers[DANA].append(_ask(browser, DANA))
            answers[NOBODY].append(_ask(other, NOBODY))
            clock.advance(timedelta(minutes=2))
        assert [r.status_code for r in answers[DANA]] == [200, 200, 200, 429]
        assert [r.status_code for r in answers[NOBODY]] == [200, 200, 200, 429]
        for refused in (answers[DANA][3], answers[NOBODY][3]):
            assert "There is a problem" in refused.text
            assert (
                "You have asked for 3 sign-in links for this email address in the last hour"
                in refused.text
            )
            assert "ask again after 11:00 on 2 June 2014" in refused.text
            assert refused.headers["retry-after"]
        # Word for word the same, but for the address and each browser's own form token.
        dana_page = answers[DANA][3].text.replace(csrf(answers[DANA][3].text), "token")
        nobody_page = answers[NOBODY][3].text.replace(csrf(answers[NOBODY][3].text), "token")
        assert dana_page.replace(DANA, NOBODY) == nobody_page
        assert _sign_in_emails(limited_ctx) == 3
        clock.advance(timedelta(minutes=55))
        assert _ask(browser, DANA).status_code == 200
    assert _sign_in_emails(limited_ctx) == 4


def test_one_client_gets_a_few_links_an_hour(limited_ctx: Context) -> None:
    """Trying address after address from one client is stopped; another client still gets
    its links."""
    with (
        _browser(limited_ctx, "203.0.113.10") as prober,
        _browser(limited_ctx, "198.51.100.7") as colleague,
    ):
        statuses = [_ask(prober, f"guess{n}@council.example").status_code for n in range(5)]
        refused = _ask(prober, DANA)
        allowed = _ask(colleague, DANA)
    assert statuses == [200, 200, 200, 200, 429]
    assert refused.status_code == 429
    assert "Too many sign-in links have been asked for from your network" in refused.text
    assert allowed.status_code == 200
    assert "Check your email" in allowed.text
    assert _sign_in_emails(limited_ctx) == 1


def test_everyone_together_gets_a_few_links_an_hour(limited_ctx: Context) -> None:
    """Requests spread over many clients stop at the overall limit."""
    statuses = []
    for n in range(7):
        with _browser(limited_ctx, f"192.0.2.{n + 1}") as browser:
            response = _ask(browser, f"person{n}@council.example")
            statuses.append(response.status_code)
    assert statuses == [200] * 6 + [429]
    assert "improveflow has sent as many sign-in links as it can for the moment" in response.text


class _AnswerWatch:
    """Wraps the app: notes each SQL statement, and whether the answer had gone when it ran."""

    def __init__(self, ctx: Context) -> None:
        self.app = create_app(ctx)
        self.answered = False
        self.before: list[str] = []
        self.after: list[str] = []
        sa.event.listen(ctx.database.engine, "before_cursor_execute", self._statement)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        (self.after if self.answered else self.before).append(statement)

    def reset(self) -> None:
        self.answered = False
        self.before, self.after = [], []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.answered = True

        await self.app(scope, receive, sending)


def test_known_and_unknown_addresses_take_the_same_path_to_the_answer(
    limited_ctx: Context,
) -> None:
    """The database work done before the answer is the same for a known address as for an
    unknown one; who the address belongs to is looked up, and the email queued, afterwards."""
    watch = _AnswerWatch(limited_ctx)
    with TestClient(watch, base_url=BASE) as browser:
        token = csrf(browser.get("/sign-in").text)
        paths = {}
        for email in (NOBODY, DANA):
            watch.reset()
            answer = browser.post("/sign-in", data={"csrf_token": token, "email": email})
            assert "Check your email" in answer.text
            paths[email] = (watch.before, watch.after)
    assert paths[DANA][0] == paths[NOBODY][0]
    assert not any("outbox" in statement for statement in paths[DANA][0])
    assert any("INSERT INTO outbox" in statement for statement in paths[DANA][1])
    assert _sign_in_emails(limited_ctx) == 1
