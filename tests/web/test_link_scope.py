"""A link in an email does its one job: only a sign-in link signs in; every other link opens its
own page, for an hour, and anywhere else its visit is treated as nobody signed in."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import Council, csrf, follow, new_client, path_of, sign_in

from improveflow.clock import FrozenClock
from improveflow.services import approvals, progress
from improveflow.services.sign_in import signer as link_signer
from improveflow.stores import requests
from improveflow.testing import add_action

OWEN = "owen@council.example"
DANA = "dana@council.example"


def _open_request(council: Council) -> int:
    progress.record_progress(council.ctx, council.action_id, "Drafted", None, by_email=OWEN)
    opened = approvals.request_change(
        council.ctx, council.action_id, "complete", by_email=OWEN, reason="All done"
    )
    assert opened.request_id is not None
    return opened.request_id


def _assert_sent_to_sign_in(browser: TestClient, url: str, hidden: tuple[str, ...]) -> None:
    """`url` treats the visit as nobody: a redirect to sign in, and nothing of the page."""
    refused = browser.get(url, follow_redirects=False)
    assert refused.status_code == 303, url
    assert refused.headers["location"].startswith("/sign-in?next="), url
    shown = browser.get(url)
    assert "<h1>Sign in</h1>" in shown.text, url
    assert "You need to sign in to see that page." in shown.text, url
    assert "Sign out" not in shown.text, url
    for words in hidden:
        assert words not in shown.text, (url, words)


def test_an_action_link_opens_its_action_and_nothing_else(app: FastAPI, council: Council) -> None:
    """Owen's action link shows his action and takes his progress; his other pages, the plans,
    the dashboard and another action all ask him to sign in."""
    link = link_signer(council.ctx).action_link(council.person_id(OWEN), council.action_id)
    with new_client(app) as browser:
        page = follow(browser, link)
        assert page.status_code == 200
        assert "Save progress update" in page.text
        saved = browser.post(
            f"/actions/{council.action_id}/progress",
            data={"csrf_token": csrf(page.text), "text": "Model drafted", "rag": "green"},
        )
        assert "Your progress update has been saved." in saved.text
        for url in (
            "/my-actions",
            "/plans",
            f"/plans/{council.plan_id}",
            f"/plans/{council.plan_id}/dashboard",
            f"/plans/{council.plan_id}/export.csv",
            f"/actions/{council.drafted_id}",
            "/approvals",
            "/preferences",
            "/workflow",
        ):
            _assert_sent_to_sign_in(
                browser, url, ("Agree a workforce plan", "Peer Challenge Improvement Plan")
            )
        # A form elsewhere is refused as if nobody were signed in.
        other = browser.post(
            f"/actions/{council.drafted_id}/progress",
            data={"csrf_token": csrf(page.text), "text": "Not mine"},
        )
        assert other.status_code == 403
        assert "Your session has ended" in other.text
        # Its own page still works after all that.
        assert "Model drafted" in browser.get(f"/actions/{council.action_id}").text


def test_an_approval_link_opens_its_request_and_nothing_else(
    app: FastAPI, council: Council
) -> None:
    """Dana's approval link shows the request and takes her decision; the queue, the action
    and the plans ask her to sign in."""
    request_id = _open_request(council)
    link = link_signer(council.ctx).approval_link(council.person_id(DANA), request_id)
    with new_client(app) as browser:
        page = follow(browser, link)
        assert page.status_code == 200
        assert "All done" in page.text
        for url in (
            "/approvals",
            f"/actions/{council.action_id}",
            "/plans",
            f"/plans/{council.plan_id}/dashboard",
            "/my-actions",
            "/admin/email",
        ):
            _assert_sent_to_sign_in(browser, url, ("All done", "Extend medium term"))
        decided = browser.post(
            f"/approvals/{request_id}",
            data={"csrf_token": csrf(page.text), "verdict": "approve", "comment": "Agreed"},
        )
    assert "You approved this request." in decided.text
    with council.ctx.database.reading() as session:
        assert requests.request_by_id(session, request_id).status == "approved"


def test_an_approval_link_does_not_open_another_request(app: FastAPI, council: Council) -> None:
    """A visit from Dana's link for one request cannot see or decide another."""
    request_id = _open_request(council)
    second = approvals.request_change(
        council.ctx, council.drafted_id, "approve", by_email="priya@council.example"
    )
    assert second.request_id is not None
    link = link_signer(council.ctx).approval_link(council.person_id(DANA), request_id)
    with new_client(app) as browser:
        page = follow(browser, link)
        _assert_sent_to_sign_in(browser, f"/approvals/{second.request_id}", ("workforce",))
        refused = browser.post(
            f"/approvals/{second.request_id}",
            data={"csrf_token": csrf(page.text), "verdict": "approve"},
        )
    assert refused.status_code == 403
    with council.ctx.database.reading() as session:
        assert requests.request_by_id(session, second.request_id).status == "pending"


def test_an_old_preferences_link_opens_only_the_preferences_page(
    app: FastAPI, council: Council, clock: FrozenClock
) -> None:
    """The review's case: a 13-day-old footer link of a CMT member reaches her reminder
    settings, and the approvals queue asks her to sign in."""
    request_id = _open_request(council)
    link = link_signer(council.ctx).preferences_link(council.person_id(DANA))
    clock.advance(timedelta(days=13))
    with new_client(app) as browser:
        page = follow(browser, link)
        assert page.status_code == 200
        assert 'value="immediate" checked' in page.text
        for url in ("/approvals", f"/approvals/{request_id}", "/plans", "/my-actions"):
            _assert_sent_to_sign_in(browser, url, ("All done", "Complete"))
        saved = browser.post(
            "/preferences", data={"csrf_token": csrf(page.text), "delivery": "daily_digest"}
        )
    assert "Your choice has been saved" in saved.text


def test_an_action_visit_withdraws_only_requests_on_its_action(
    app: FastAPI, council: Council
) -> None:
    """The withdraw form of Owen's action page cannot name his request on another action."""
    elsewhere = add_action(council.ctx, council.plan_id, "Publish the savings plan")
    other = approvals.request_change(council.ctx, elsewhere, "approve", by_email=OWEN)
    own = _open_request(council)
    link = link_signer(council.ctx).action_link(council.person_id(OWEN), council.action_id)
    with new_client(app) as browser:
        page = follow(browser, link)
        token = csrf(page.text)
        refused = browser.post(
            f"/actions/{council.action_id}/withdraw",
            data={"csrf_token": token, "request_id": str(other.request_id)},
        )
        assert refused.status_code == 403
        withdrawn = browser.post(
            f"/actions/{council.action_id}/withdraw",
            data={"csrf_token": token, "request_id": str(own)},
        )
    assert "Your request has been withdrawn." in withdrawn.text
    with council.ctx.database.reading() as session:
        assert other.request_id is not None
        assert requests.request_by_id(session, other.request_id).status == "pending"
        assert requests.request_by_id(session, own).status == "withdrawn"


def test_a_visit_from_a_link_says_how_long_it_lasts_and_ends_then(
    app: FastAPI, council: Council, clock: FrozenClock
) -> None:
    """The Continue page says the link opens that page only, for an hour; after the hour the
    page asks to sign in."""
    link = link_signer(council.ctx).action_link(council.person_id(OWEN), council.action_id)
    with new_client(app) as browser:
        opened = browser.get(path_of(link))
        assert "This link is for <strong" in opened.text
        assert "Owen Marsh" in opened.text
        assert "It opens that page only, and for 1 hour after you continue." in opened.text
        assert follow(browser, link).status_code == 200
        clock.advance(timedelta(minutes=59))
        assert browser.get(f"/actions/{council.action_id}").status_code == 200
        clock.advance(timedelta(minutes=2))
        _assert_sent_to_sign_in(browser, f"/actions/{council.action_id}", ("Save progress",))


def test_only_a_sign_in_link_opens_everything(app: FastAPI, council: Council) -> None:
    """After a visit from an action link, Owen's sign-in link gives him every page of his;
    another action link followed then takes him to the action and leaves him signed in."""
    signer = link_signer(council.ctx)
    owen = council.person_id(OWEN)
    with new_client(app) as browser:
        follow(browser, signer.action_link(owen, council.action_id))
        assert browser.get("/my-actions", follow_redirects=False).status_code == 303
        opened = browser.get(path_of(signer.sign_in_link(owen)))
        assert "It signs you in as Owen Marsh for 12 hours." in opened.text
        follow(browser, signer.sign_in_link(owen))
        assert browser.get("/my-actions").status_code == 200
        assert browser.get("/plans").status_code == 200
        again = browser.get(path_of(signer.action_link(owen, council.action_id)))
        assert "Save progress update" in again.text
        assert browser.get("/my-actions").status_code == 200


def test_a_sign_in_link_for_someone_else_names_both_people(app: FastAPI, council: Council) -> None:
    """Owen, signed in, opens Dana's sign-in link: the page says whose account it opens and
    that he would be signed out of his own, before anything changes."""
    link = link_signer(council.ctx).sign_in_link(council.person_id(DANA))
    with new_client(app) as browser:
        sign_in(browser, council, OWEN)
        opened = browser.get(path_of(link))
        assert opened.status_code == 200
        text = opened.text
        assert "This link is for <strong" in text
        assert "Dana Reeve" in text
        assert "dana@council.example" in text
        assert "You are signed in now as" in text
        assert "Owen Marsh (owen@council.example)" in text
        assert "you will be signed out of that account and signed in as Dana Reeve" in text
        assert text.index("You are signed in now as") < text.index(">Continue</button>")
        # Nothing has changed yet: Owen is still Owen.
        assert "Owen Marsh" in browser.get("/my-actions").text
        went = follow(browser, link)
    assert went.status_code == 200
    assert "Dana Reeve" in went.text


def test_someone_elses_action_link_says_whose_it_is(app: FastAPI, council: Council) -> None:
    """Dana, signed in, opens Owen's action link: she is told it is his, and that continuing
    signs her out."""
    link = link_signer(council.ctx).action_link(council.person_id(OWEN), council.action_id)
    with new_client(app) as browser:
        sign_in(browser, council, DANA)
        text = browser.get(path_of(link)).text
    assert "Owen Marsh" in text
    assert "Dana Reeve (dana@council.example)" in text
    assert "you will be signed out of that account." in text
