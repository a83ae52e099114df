"""Helpers shared by the web tests: a small council, signing in, reading form tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

from improveflow.models import Verdict
from improveflow.services import approvals, people
from improveflow.services import sign_in as sign_in_service
from improveflow.services.context import Context
from improveflow.stores import people as people_store
from improveflow.testing import add_action, add_plan, add_sample_people

SECRET = "a-web-test-signing-key-0123456789"
BASE = "http://testserver"

# One more CMT member who is also an administrator, so can ask for changes and approve them.
CERI = people.PersonInput("Ceri Jones", "ceri@council.example", (), ("CMT",), ("admin",))


@dataclass(frozen=True)
class Council:
    ctx: Context
    plan_id: int
    action_id: int  # in progress, owned by Owen
    drafted_id: int  # drafted, owned by Priya

    def person_id(self, email: str) -> int:
        with self.ctx.database.reading() as session:
            person = people_store.person_by_email(session, email)
            assert person.id is not None
            return person.id


def start_action(ctx: Context, action_id: int, owner: str = "owen@council.example") -> None:
    """Drafted -> approved (by CMT) -> in progress."""
    opened = approvals.request_change(ctx, action_id, "approve", by_email=owner)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")
    approvals.request_change(ctx, action_id, "start", by_email=owner)


def add_council(ctx: Context) -> Council:
    """The sample people (and Ceri), a plan, an action in progress and a drafted one."""
    add_sample_people(ctx)
    people.import_people(ctx, [CERI])
    plan_id = add_plan(ctx)
    action_id = add_action(ctx, plan_id, target=date(2014, 9, 30))
    start_action(ctx, action_id)
    drafted_id = add_action(
        ctx, plan_id, "Agree a workforce plan", owner="priya@council.example", theme="People"
    )
    return Council(ctx, plan_id, action_id, drafted_id)


def path_of(link: str) -> str:
    return link.removeprefix(BASE)


def follow(client: TestClient, link: str, *, follow_redirects: bool = True) -> Response:
    """Open a link from an email and press its Continue button, as a person does.

    Returns the page the link opened instead when it has no Continue button (an error, or
    the page itself for someone already signed in as the link's person).
    """
    opened = client.get(path_of(link))
    fields = dict(
        re.findall(r'<input type="hidden" name="(token|purpose)" value="([^"]*)">', opened.text)
    )
    if 'action="/links/follow"' not in opened.text:
        return opened
    return client.post(
        "/links/follow",
        data={"csrf_token": csrf(opened.text), **fields},
        follow_redirects=follow_redirects,
    )


def sign_in(client: TestClient, council: Council, email: str) -> None:
    """Follow a fresh sign-in link for `email`, as if from the email it was sent in."""
    link = sign_in_service.signer(council.ctx).sign_in_link(council.person_id(email))
    response = follow(client, link)
    assert response.status_code == 200, response.text


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def new_client(app: FastAPI, base_url: str = BASE) -> TestClient:
    return TestClient(app, base_url=base_url)


def tampered(link: str) -> str:
    """`link` with one character of its signature changed.

    Not the last character: in base64 some of its bits are padding, and a change there may
    leave the signature intact.
    """
    where = len(link) - 10
    swapped = "A" if link[where] != "A" else "B"
    return link[:where] + swapped + link[where + 1 :]
