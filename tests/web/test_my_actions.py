"""My actions: where an owner starts, with everything they own or stand in for and what is asked."""

from __future__ import annotations

import html
import re
from datetime import date, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from my_actions_mix import COMPLETED, DANA, LISTED, OWEN, add_owners_mix
from web_helpers import Council, new_client, sign_in

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.services import approvals, deputies


def _words(response: Response) -> str:
    """The page's text, tags removed and spaces collapsed, as a person reads it."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def _cards(response: Response) -> list[str]:
    """Each action's card, as words, in the order the page lists them."""
    found = re.findall(r'<article class="card".*?</article>', response.text, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", card)).split()) for card in found]


def test_an_owner_sees_everything_soonest_due_first_with_what_is_asked(
    client: TestClient, council: Council, clock: FrozenClock
) -> None:
    """Overdue, due soon, a deputy's, awaiting a decision, drafted, then undated (update due
    first): each in order, each saying in words what is asked, each linking to its page."""
    mix = add_owners_mix(council, clock)
    sign_in(client, council, OWEN)
    page = client.get("/my-actions")

    assert page.status_code == 200
    titles = re.findall(r'<h2 id="action-\d+"><a href="/actions/\d+">([^<]+)</a></h2>', page.text)
    assert titles == list(LISTED)
    cards = _cards(page)
    assert COMPLETED not in page.text
    for description in LISTED:
        assert f'<a href="/actions/{mix.ids[description]}">{description}</a>' in page.text
    overdue, due_soon, deputised, awaiting, drafted, update_due, next_update = cards
    assert "Target date Friday 30 May 2014" in overdue
    assert (
        "What is asked Overdue The target date was Friday 30 May 2014, 1 working day ago. "
        "Awaiting decision Cabinet is deciding on your request to change the target date, made "
        "on Monday 2 June 2014."
    ) in overdue
    assert "Due soon Due in 5 working days." in due_soon
    assert (
        "Balance the housing revenue account Deputising Dana Reeve owns this action; you are "
        "standing in for them until Sunday 15 June 2014. Target date Friday 20 June 2014"
    ) in deputised
    assert all("Deputising" not in card for card in cards if card != deputised)
    assert "Due soon Due in 14 working days." in deputised
    assert (
        "Awaiting decision Corporate Management Team is deciding on your request to mark the "
        "action complete, made on Monday 2 June 2014." in awaiting
    )
    assert "Overdue" not in awaiting
    assert "Due soon" not in awaiting
    assert "What is asked Nothing is asked now. State Drafted" in drafted
    assert "Target date No target date" in update_due
    assert (
        "Update due No progress recorded since Thursday 1 May 2014. With no target date, an "
        "update is asked for every 4 weeks." in update_due
    )
    assert "Target date No target date" in next_update
    assert (
        "Next progress update due by Monday 30 June 2014: with no target date, one is asked for "
        "every 4 weeks." in next_update
    )
    words = _words(page)
    assert "7 open actions, soonest target date first. Actions with no target date come last." in (
        words
    )
    assert (
        "You are standing in for Dana Reeve until Sunday 15 June 2014: their actions are listed "
        "here too, marked “Deputising”." in words
    )


def test_an_owner_starts_at_my_actions_linked_from_every_page(
    client: TestClient, council: Council
) -> None:
    """Signing in takes an owner to My actions, and the site's menu links to it."""
    sign_in(client, council, OWEN)
    assert client.get("/", follow_redirects=False).headers["location"] == "/my-actions"
    menu = re.search(r'<nav aria-label="Main menu".*?</nav>', client.get("/plans").text, re.S)
    assert menu is not None
    assert '<a href="/my-actions">My actions</a>' in menu.group(0)


def test_a_deputy_sees_the_actions_they_stand_in_for_marked_as_such(
    app: FastAPI, council: Council, clock: FrozenClock
) -> None:
    """While Sam stands in for Dana her actions are his to watch, marked as hers; when the
    period ends they go, and Sam, who owns nothing, is told so."""
    mix = add_owners_mix(council, clock)
    approvals.request_change(
        council.ctx,
        mix.ids["Balance the housing revenue account"],
        "defer",
        by_email=DANA,
        reason="Waiting for the government settlement",
    )
    deputies.add_deputy(council.ctx, DANA, "sam@council.example", date(2014, 6, 2),
                        date(2014, 6, 6))  # fmt: skip
    with new_client(app) as sam:
        sign_in(sam, council, "sam@council.example")
        assert sam.get("/", follow_redirects=False).headers["location"] == "/my-actions"
        page = sam.get("/my-actions")
        (card,) = _cards(page)
        assert card.startswith(
            "Balance the housing revenue account Deputising Dana Reeve owns this action; you are "
            "standing in for them until Friday 6 June 2014."
        )
        assert "Due soon Due in 14 working days." in card
        assert (
            "Awaiting decision Cabinet is deciding on Dana Reeve's request to defer the action, "
            "made on Monday 2 June 2014." in card
        )
        assert "Close the old depot" not in page.text  # Owen's, not Dana's
        assert "Requests waiting for a decision by CMT are on the Approvals page." in _words(page)

        clock.set(datetime(2014, 6, 9, 10, 0, tzinfo=LONDON))
        sign_in(sam, council, "sam@council.example")  # a week on, the session has ended
        after = sam.get("/my-actions")
        assert _cards(after) == []
        assert "You do not own any open actions." in _words(after)


def test_someone_with_nothing_to_look_after_is_told_so_plainly(
    app: FastAPI, council: Council
) -> None:
    """A lead owns nothing: the page says so in a sentence, and she starts at the plans; an
    approver who owns nothing starts at the approvals queue."""
    with new_client(app) as pia, new_client(app) as ruth:
        sign_in(pia, council, "pia@peers.example")
        sign_in(ruth, council, "ruth@council.example")
        page = pia.get("/my-actions")
        assert page.status_code == 200
        assert _cards(page) == []
        assert (
            "You do not own any open actions. When an action is given to you, it will be listed "
            "here with what is asked of you." in _words(page)
        )
        assert pia.get("/", follow_redirects=False).headers["location"] == "/plans"
        assert ruth.get("/", follow_redirects=False).headers["location"] == "/approvals"


def test_my_actions_needs_signing_in(client: TestClient, council: Council) -> None:
    """Nobody signed in is sent to sign in, and comes back here afterwards."""
    response = client.get("/my-actions", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fmy-actions"
