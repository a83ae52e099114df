"""The web app's defences: form tokens, who may decide, cookies, escaping, links and headers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from web_helpers import Council, csrf, follow, new_client, path_of, sign_in, tampered

from improveflow import exceptions
from improveflow.clock import FrozenClock
from improveflow.importers.people_file import read_people_file
from improveflow.models import PersonOrganisation, Plan, Verdict
from improveflow.services import approvals, people, progress
from improveflow.services.context import Context
from improveflow.services.sign_in import signer as link_signer
from improveflow.stores import actions, requests
from improveflow.web.app import create_app

SCRIPT = "<script>alert('owned')</script>"


def _progress_count(council: Council) -> int:
    with council.ctx.database.reading() as session:
        return actions.progress_count(session, council.action_id)


def _open_request(council: Council, reason: str = "All the work is done") -> int:
    opened = approvals.request_change(
        council.ctx, council.action_id, "complete", by_email="owen@council.example", reason=reason
    )
    assert opened.request_id is not None
    return opened.request_id


def _add_progress(council: Council, text: str = "Drafted and shared") -> None:
    progress.record_progress(
        council.ctx, council.action_id, text, None, by_email="owen@council.example"
    )


def test_post_without_form_token_is_refused(client: TestClient, council: Council) -> None:
    """A signed-in POST with no CSRF token, or another one, gets 403 and changes nothing."""
    sign_in(client, council, "owen@council.example")
    url = f"/actions/{council.action_id}/progress"
    missing = client.post(url, data={"text": "Done", "rag": "green"})
    wrong = client.post(url, data={"text": "Done", "rag": "green", "csrf_token": "x" * 43})
    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert "This form has expired" in missing.text
    assert _progress_count(council) == 0


def test_form_token_belongs_to_its_session(app: FastAPI, council: Council) -> None:
    """One person's token does not work in another person's session."""
    with new_client(app) as owen, new_client(app) as priya:
        sign_in(owen, council, "owen@council.example")
        sign_in(priya, council, "priya@council.example")
        owens_token = csrf(owen.get(f"/actions/{council.action_id}").text)
        response = priya.post(
            f"/actions/{council.drafted_id}/progress",
            data={"text": "Sneaky", "csrf_token": owens_token},
        )
    assert response.status_code == 403


def test_post_without_a_session_is_refused(client: TestClient, council: Council) -> None:
    """Nobody signed in: a POST is refused, not redirected to a form."""
    response = client.post(f"/actions/{council.action_id}/progress", data={"text": "Done"})
    assert response.status_code == 403
    assert _progress_count(council) == 0


def test_person_outside_the_body_gets_403_on_approve(client: TestClient, council: Council) -> None:
    """A peer-challenge lead is not a CMT member: the page and the POST both refuse, politely."""
    _add_progress(council)
    request_id = _open_request(council)
    sign_in(client, council, "pia@peers.example")
    page = client.get(f"/approvals/{request_id}")
    assert page.status_code == 403
    assert "Only members of Corporate Management Team" in page.text
    token = csrf(client.get("/plans").text)
    posted = client.post(
        f"/approvals/{request_id}", data={"csrf_token": token, "verdict": "approve"}
    )
    assert posted.status_code == 403
    with council.ctx.database.reading() as session:
        assert requests.request_by_id(session, request_id).status == "pending"


def test_requester_cannot_decide_own_request(client: TestClient, council: Council) -> None:
    """A CMT member who asked for a change sees why they cannot approve it."""
    _add_progress(council)
    opened = approvals.request_change(
        council.ctx, council.action_id, "complete", by_email="ceri@council.example"
    )
    sign_in(client, council, "ceri@council.example")
    page = client.get(f"/approvals/{opened.request_id}")
    assert page.status_code == 200
    assert "You asked for this change, so you cannot decide on it" in page.text
    response = client.post(
        f"/approvals/{opened.request_id}",
        data={"csrf_token": csrf(page.text), "verdict": "approve"},
    )
    assert response.status_code == 403
    assert "cannot decide on it" in response.text


def test_second_member_on_a_stale_page_is_told_who_decided(app: FastAPI, council: Council) -> None:
    """Sam opened the request before Dana approved it; his approve is refused and explained."""
    _add_progress(council)
    request_id = _open_request(council)
    with new_client(app) as dana, new_client(app) as sam:
        sign_in(dana, council, "dana@council.example")
        sign_in(sam, council, "sam@council.example")
        sams_page = sam.get(f"/approvals/{request_id}")
        danas_page = dana.get(f"/approvals/{request_id}")
        approved = dana.post(
            f"/approvals/{request_id}",
            data={"csrf_token": csrf(danas_page.text), "verdict": "approve", "comment": "Good"},
        )
        assert "You approved this request" in approved.text
        stale = sam.post(
            f"/approvals/{request_id}",
            data={"csrf_token": csrf(sams_page.text), "verdict": "approve"},
        )
    assert stale.status_code == 409
    assert "Your decision was not recorded" in stale.text
    assert "already approved by Dana Reeve" in stale.text


def test_rejection_without_comment_shows_an_error_summary(
    client: TestClient, council: Council
) -> None:
    """A rejection needs a reason; the page says so in its error summary and beside the field."""
    _add_progress(council)
    request_id = _open_request(council)
    sign_in(client, council, "dana@council.example")
    page = client.get(f"/approvals/{request_id}")
    response = client.post(
        f"/approvals/{request_id}", data={"csrf_token": csrf(page.text), "verdict": "reject"}
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert '<a href="#comment">A rejection needs a comment' in response.text
    assert response.text.count("A rejection needs a comment") == 2
    assert "<title>Error:" in response.text


def test_session_cookie_is_http_only_lax_and_secure_over_https(
    app: FastAPI, council: Council
) -> None:
    """Over HTTPS the session cookie is Secure; it is always HttpOnly and SameSite=Lax."""
    link = link_signer(council.ctx).sign_in_link(council.person_id("dana@council.example"))
    with new_client(app, "https://testserver") as secure:
        response = follow(secure, link, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("improveflow_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" in cookie
    plain_link = link_signer(council.ctx).sign_in_link(council.person_id("sam@council.example"))
    with new_client(app) as plain:
        plain_cookie = follow(plain, plain_link, follow_redirects=False).headers["set-cookie"]
    assert "HttpOnly" in plain_cookie
    assert "Secure" not in plain_cookie


def test_a_sign_in_link_lasts_an_hour_where_other_links_last_a_fortnight(
    app: FastAPI, council: Council, clock: FrozenClock
) -> None:
    """A sign-in link opens a session, so it expires after an hour; an action link lives on."""
    signer = link_signer(council.ctx)
    owen = council.person_id("owen@council.example")
    sign_in_link = signer.sign_in_link(owen)
    action_link = signer.action_link(owen, council.action_id)
    clock.advance(timedelta(minutes=61))
    with new_client(app) as late, new_client(app) as other:
        expired = late.get(path_of(sign_in_link))
        still_good = other.get(path_of(action_link))
    assert expired.status_code == 410
    assert "Sign-in links last 1 hour" in expired.text
    assert "improveflow_session" not in late.cookies
    assert still_good.status_code == 200


def test_sessions_store_only_a_hash_of_the_cookie(client: TestClient, council: Council) -> None:
    """The database never holds a usable session key."""
    sign_in(client, council, "dana@council.example")
    cookie = client.cookies["improveflow_session"]
    with council.ctx.database.reading() as session:
        stored = session.connection().execute(sa.text("SELECT key_hash FROM web_session")).scalars()
        hashes = list(stored)
    assert hashes
    assert all(h not in cookie and len(h) == 64 for h in hashes)


def test_user_text_is_shown_as_text_on_every_page(client: TestClient, council: Council) -> None:
    """Progress, reasons and comments with markup appear escaped: nothing runs."""
    _add_progress(council, f"Half done {SCRIPT}")
    request_id = _open_request(council, reason=f"Because {SCRIPT}")
    sign_in(client, council, "dana@council.example")
    pages = [
        f"/actions/{council.action_id}",
        f"/approvals/{request_id}",
        "/approvals",
        f"/plans/{council.plan_id}/dashboard",
        f"/plans/{council.plan_id}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<script" not in response.text, url
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in client.get(pages[0]).text


def test_every_page_forbids_scripts_and_framing(client: TestClient, council: Council) -> None:
    """The security headers go on pages and error pages alike."""
    sign_in(client, council, "owen@council.example")
    for url in ("/plans", "/nowhere", f"/actions/{council.action_id}"):
        headers = client.get(url).headers
        assert "script-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


def test_link_signs_in_once_and_a_second_use_explains(app: FastAPI, council: Council) -> None:
    """Continue signs in and drops the token from the address; a reused link is refused."""
    link = link_signer(council.ctx).action_link(
        council.person_id("owen@council.example"), council.action_id
    )
    with new_client(app) as first:
        response = follow(first, link, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/actions/{council.action_id}"
        assert first.get(path_of(link)).status_code == 200  # same person: just the page
    with new_client(app) as second:
        again = second.get(path_of(link))
    assert again.status_code == 410
    assert "This link has already been used" in again.text
    assert 'href="/sign-in"' in again.text


def test_opening_a_link_uses_nothing_until_continue(app: FastAPI, council: Council) -> None:
    """A mail scanner that opens every link leaves it working for the person who clicks it."""
    link = link_signer(council.ctx).action_link(
        council.person_id("owen@council.example"), council.action_id
    )
    with new_client(app) as scanner:
        for _ in range(3):
            checked = scanner.get(path_of(link))
            assert checked.status_code == 200
            assert "Continue to improveflow" in checked.text
        assert "improveflow_session" not in scanner.cookies
    with new_client(app) as owen:
        page = follow(owen, link)
    assert page.status_code == 200
    assert "Save progress update" in page.text


def test_continue_goes_where_the_link_says_not_where_the_form_says(
    app: FastAPI, council: Council
) -> None:
    """The button's destination comes from the signed link; a changed purpose is refused."""
    link = link_signer(council.ctx).action_link(
        council.person_id("owen@council.example"), council.action_id
    )
    with new_client(app) as browser:
        opened = browser.get(path_of(link))
        token = path_of(link).split("token=")[1]
        refused = browser.post(
            "/links/follow",
            data={"csrf_token": csrf(opened.text), "token": token, "purpose": "approval"},
        )
        assert refused.status_code == 400
        forged = browser.post(
            "/links/follow", data={"csrf_token": "wrong", "token": token, "purpose": "action"}
        )
        assert forged.status_code == 403
        went = browser.post(
            "/links/follow",
            data={"csrf_token": csrf(opened.text), "token": token, "purpose": "action"},
            follow_redirects=False,
        )
    assert went.headers["location"] == f"/actions/{council.action_id}"


def test_tampered_expired_and_misplaced_links_are_refused(
    app: FastAPI, council: Council, clock: FrozenClock
) -> None:
    """A changed token, an old one, and one pasted onto another action never sign anyone in."""
    signer = link_signer(council.ctx)
    owen = council.person_id("owen@council.example")
    link = signer.action_link(owen, council.action_id)
    misplaced = link.replace(f"/actions/{council.action_id}?", f"/actions/{council.drafted_id}?")
    with new_client(app) as browser:
        for bad in (tampered(link), misplaced):
            response = browser.get(path_of(bad))
            assert response.status_code == 400
            assert "This link does not work" in response.text
            assert "Traceback" not in response.text
        clock.advance(timedelta(days=15))
        expired = browser.get(path_of(link))
    assert expired.status_code == 410
    assert "This link has expired" in expired.text
    assert "improveflow_session" not in browser.cookies


def test_pages_need_a_session(client: TestClient, council: Council) -> None:
    """Without one, a page sends the visitor to sign in."""
    response = client.get(f"/actions/{council.action_id}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?next=%2Factions%2F{council.action_id}"


def test_other_organisations_plans_are_invisible(client: TestClient, council: Council) -> None:
    """A person of another council sees neither the plan nor its actions, as if they were not."""
    with council.ctx.database.writing() as session:
        session.execute(
            sa.update(Plan).where(Plan.id == council.plan_id).values(organisation="Eastshire")  # type: ignore[arg-type]
        )
        session.add(
            PersonOrganisation(
                person_id=council.person_id("pia@peers.example"), organisation="Westshire"
            )
        )
    sign_in(client, council, "pia@peers.example")
    assert "Peer Challenge Improvement Plan" not in client.get("/plans").text
    for url in (
        f"/plans/{council.plan_id}",
        f"/plans/{council.plan_id}/dashboard",
        f"/plans/{council.plan_id}/export.csv",
        f"/actions/{council.action_id}",
    ):
        assert client.get(url).status_code == 404, url


def test_an_organisation_from_the_people_file_limits_what_a_person_sees(
    tmp_path: Path, client: TestClient, council: Council
) -> None:
    """A people file with an organisation keeps a Westshire lead out of an Eastshire plan."""
    with council.ctx.database.writing() as session:
        session.execute(
            sa.update(Plan).where(Plan.id == council.plan_id).values(organisation="Eastshire")  # type: ignore[arg-type]
        )
    directory = tmp_path / "people.csv"
    directory.write_text(
        "name,email,roles,organisation\nPia Lund,pia@peers.example,peer_challenge_lead,Westshire\n",
        encoding="utf-8",
    )
    people.import_people(council.ctx, read_people_file(directory))
    (pia,) = [p for p in people.list_people(council.ctx) if p.email == "pia@peers.example"]
    assert pia.organisation == "Westshire"

    sign_in(client, council, "pia@peers.example")
    assert client.get(f"/plans/{council.plan_id}/dashboard").status_code == 404

    directory.write_text(
        "name,email,roles,organisation\nPia Lund,pia@peers.example,peer_challenge_lead,\n",
        encoding="utf-8",
    )
    people.import_people(council.ctx, read_people_file(directory))
    assert client.get(f"/plans/{council.plan_id}/dashboard").status_code == 200


def test_dashboard_is_for_leads_and_approvers(app: FastAPI, council: Council) -> None:
    """An owner is told the dashboard is not for them; the lead sees it."""
    with new_client(app) as owner, new_client(app) as lead:
        sign_in(owner, council, "owen@council.example")
        sign_in(lead, council, "pia@peers.example")
        refused = owner.get(f"/plans/{council.plan_id}/dashboard")
        shown = lead.get(f"/plans/{council.plan_id}/dashboard")
    assert refused.status_code == 403
    assert "peer-challenge leads" in refused.text
    assert shown.status_code == 200


def test_sign_in_form_answers_the_same_for_unknown_addresses(
    client: TestClient, council: Council
) -> None:
    """A known address gets a sign-in email queued; an unknown one the same page, and no email."""
    token = csrf(client.get("/sign-in").text)
    known = client.post("/sign-in", data={"csrf_token": token, "email": "Dana@Council.example "})
    unknown = client.post("/sign-in", data={"csrf_token": token, "email": "who@else.example"})
    assert known.status_code == unknown.status_code == 200
    assert "Check your email" in known.text
    assert "Check your email" in unknown.text
    with council.ctx.database.reading() as session:
        rows = (
            session.connection()
            .execute(sa.text("SELECT recipient_email FROM outbox WHERE template = 'sign_in'"))
            .scalars()
        )
        assert list(rows) == ["dana@council.example"]


def test_sign_in_form_needs_its_token(client: TestClient, council: Council) -> None:
    """Even the form shown before signing in carries a token, and is refused without it."""
    response = client.post("/sign-in", data={"email": "dana@council.example"})
    assert response.status_code == 403


def test_errors_are_pages_not_traces(client: TestClient, council: Council) -> None:
    """A missing action, a bad address and an unknown page all get a plain page."""
    sign_in(client, council, "owen@council.example")
    for url, status in (("/actions/999999", 404), ("/actions/abc", 404), ("/nowhere", 404)):
        response = client.get(url)
        assert response.status_code == status, url
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text


def test_no_request_leaks_between_councils_in_the_queue(
    client: TestClient, council: Council
) -> None:
    """The queue lists only requests for the member's bodies."""
    _add_progress(council)
    _open_request(council)
    sign_in(client, council, "ruth@council.example")  # Cabinet only
    queue = client.get("/approvals")
    assert queue.status_code == 200
    assert "There is nothing waiting for a decision" in queue.text


def test_a_link_followed_while_signed_in_is_spent_too(app: FastAPI, council: Council) -> None:
    """Owen, already signed in, clicks a reminder: the link cannot then be used by anyone else."""
    link = link_signer(council.ctx).action_link(
        council.person_id("owen@council.example"), council.action_id
    )
    with new_client(app) as owen, new_client(app) as stranger:
        sign_in(owen, council, "owen@council.example")
        assert owen.get(path_of(link)).status_code == 200
        assert stranger.get(path_of(link)).status_code == 410


# Lesser holes: ids out of range, headers on every error, long reasons, redirects ---------------

TOO_BIG = str(2**63)


def _assert_security_headers(response: Response) -> None:
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


def test_ids_too_large_for_the_database_are_pages_not_found(
    client: TestClient, council: Council
) -> None:
    """An id of 2^63 or more, in the path, the query or a form, is a page not found with the
    security headers, not an overflow and a bare 500."""
    _add_progress(council)
    request_id = _open_request(council)
    sign_in(client, council, "owen@council.example")
    for url in (
        f"/actions/{TOO_BIG}",
        f"/approvals/{TOO_BIG}",
        f"/plans/{TOO_BIG}",
        f"/plans/{TOO_BIG}0000/dashboard",
        f"/workflow?plan={TOO_BIG}",
        f"/approvals?page={TOO_BIG}",
        f"/actions/-{TOO_BIG}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.text, url
        assert "If you typed the address, check it is correct." in response.text, url
        _assert_security_headers(response)
    page = client.get(f"/actions/{council.action_id}")
    withdrawn = client.post(
        f"/actions/{council.action_id}/withdraw",
        data={"csrf_token": csrf(page.text), "request_id": TOO_BIG},
    )
    assert withdrawn.status_code == 404
    assert "Page not found" in withdrawn.text
    _assert_security_headers(withdrawn)
    with council.ctx.database.reading() as session:
        assert requests.request_by_id(session, request_id).status == "pending"


def test_a_page_that_fails_still_sends_the_security_headers(
    web_ctx: Context, council: Council
) -> None:
    """A 500 comes from Starlette's outermost error middleware: it too carries the headers,
    with a plain page and no trace."""
    failing = APIRouter()

    @failing.get("/failing-page")
    def fail() -> None:
        raise RuntimeError("a fault in a page's own code")

    app = create_app(web_ctx, extra_routers=[failing])
    with TestClient(app, raise_server_exceptions=False) as browser:
        response = browser.get("/failing-page")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "a fault in a page's own code" not in response.text
    _assert_security_headers(response)


def test_a_slash_too_many_redirects_by_path_alone(client: TestClient, council: Council) -> None:
    """`/plans/` goes to `/plans` on this site, whatever Host header was sent."""
    sign_in(client, council, "owen@council.example")
    response = client.get(
        "/plans/?page=2", headers={"host": "evil.example"}, follow_redirects=False
    )
    assert response.status_code == 307
    assert response.headers["location"] == "/plans?page=2"
    _assert_security_headers(response)
    assert client.get("/nowhere/", follow_redirects=False).status_code == 404


def test_a_change_reason_has_a_limit_shown_on_the_page(
    client: TestClient, council: Council
) -> None:
    """A reason of a megabyte is refused with a clear message; nothing is stored or emailed."""
    _add_progress(council)
    sign_in(client, council, "owen@council.example")
    page = client.get(f"/actions/{council.action_id}")
    response = client.post(
        f"/actions/{council.action_id}/change",
        data={"csrf_token": csrf(page.text), "trigger": "defer", "reason": "x" * 1_000_000},
    )
    assert response.status_code == 400
    assert "A reason must be 5,000 characters or fewer; this one has 1,000,000" in response.text
    with council.ctx.database.reading() as session:
        assert requests.pending_request_for(session, council.action_id) is None
        emails = session.connection().execute(sa.text("SELECT count(*) FROM outbox"))
        assert emails.scalar_one() == 0


def test_a_decision_comment_has_a_limit_shown_beside_it(
    client: TestClient, council: Council
) -> None:
    """A comment over the limit is refused next to its field, and the request stays open."""
    _add_progress(council)
    request_id = _open_request(council)
    sign_in(client, council, "dana@council.example")
    page = client.get(f"/approvals/{request_id}")
    response = client.post(
        f"/approvals/{request_id}",
        data={"csrf_token": csrf(page.text), "verdict": "reject", "comment": "y" * 5_001},
    )
    assert response.status_code == 400
    message = "A comment must be 5,000 characters or fewer; this one has 5,001"
    assert f'<a href="#comment">{message}' in response.text
    assert response.text.count(message) == 2
    with council.ctx.database.reading() as session:
        assert requests.request_by_id(session, request_id).status == "pending"


def test_reasons_are_limited_whoever_asks(council: Council) -> None:
    """The limit is the service's, so the command line and email replies meet it too."""
    _add_progress(council)
    with pytest.raises(exceptions.InvalidValue, match="5,000 characters or fewer"):
        approvals.request_change(
            council.ctx, council.action_id, "defer", by_email="owen@council.example",
            reason="z" * 5_001,
        )  # fmt: skip
    request_id = _open_request(council, reason="r" * 5_000)
    with pytest.raises(exceptions.InvalidValue, match="5,000 characters or fewer"):
        approvals.decide(
            council.ctx, request_id, Verdict.APPROVE, by_email="dana@council.example",
            comment="c" * 5_001,
        )  # fmt: skip
