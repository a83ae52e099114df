"""The workflow page says who decides each change as requests are really routed, and draws it.

The council's plan is a peer-challenge plan: the workflow sends its new target dates (and, for
every plan, deferrals) to Cabinet. The page, for every kind of plan and for one plan, must say
so, and draw the states as an SVG made on the server that works with no script at all.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from datetime import date

from fastapi.testclient import TestClient
from web_helpers import Council, sign_in

from improveflow.models import PlanKind
from improveflow.services import approvals, people, plans
from improveflow.testing import add_action, add_plan

SVG = "{http://www.w3.org/2000/svg}"
DESCRIPTION = (
    "An improvement-plan action, from agreement to completion, approved by CMT or Cabinet."
)
STATE_LABELS = ("Drafted", "Approved", "In progress", "Complete", "Deferred")


def words(page: str) -> str:
    """The text of the page's main content as a person reads it: no tags, entities decoded."""
    main = page[page.index("<main") : page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def row(page: str, change: str) -> str:
    """The words of the table row of one change."""
    for found in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        text = words(f"<main>{found}</main>")
        if text.startswith(change):
            return text
    raise AssertionError(f"no row for {change!r}")


def svg_of(page: str) -> ElementTree.Element:
    """The page's diagram, parsed as XML: it fails here unless it is well-formed."""
    found = re.search(r"<svg\b.*?</svg>", page, flags=re.S)
    assert found, "the page has no inline SVG"
    return ElementTree.fromstring(found.group(0))


def test_a_peer_challenge_plan_s_workflow_names_cabinet_for_new_dates(
    client: TestClient, council: Council
) -> None:
    """Cabinet, not CMT, decides a peer-challenge plan's new target date: the page says so."""
    sign_in(client, council, "owen@council.example")
    page = client.get(f"/plans/{council.plan_id}/workflow")
    assert page.status_code == 200
    assert row(page.text, "Change the target date") == (
        "Change the target date Stays approved or in progress "
        "Cabinet (as for all peer-challenge plans)"
    )
    assert row(page.text, "Defer the action") == (
        "Defer the action From drafted, approved or in progress to deferred Cabinet"
    )
    assert row(page.text, "Mark the action complete") == (
        "Mark the action complete From in progress to complete Corporate Management Team"
    )
    assert "Peer Challenge Improvement Plan is a peer-challenge plan." in words(page.text)
    labels = " ".join(t for t in svg_of(page.text).itertext())
    assert "change the target date Cabinet decides" in labels
    assert "CMT decides for service plans" not in labels


def test_the_page_agrees_with_where_requests_go(client: TestClient, council: Council) -> None:
    """What the page names for a new date is the body the owner's request is then sent to."""
    sign_in(client, council, "ruth@council.example")
    asked = approvals.request_change(
        council.ctx,
        council.action_id,
        "revise_target",
        by_email="owen@council.example",
        reason="The consultation moved",
        new_target_date=date(2015, 1, 31),
    )
    assert asked.body == "Cabinet"
    page = client.get(f"/workflow?plan={council.plan_id}")
    assert str(page.url).endswith(f"/plans/{council.plan_id}/workflow")
    assert row(page.text, "Change the target date").endswith(
        "Cabinet (as for all peer-challenge plans)"
    )
    queue = client.get("/approvals")
    assert "Change the target date" in queue.text


def test_without_a_plan_each_kind_of_plan_is_named(client: TestClient, council: Council) -> None:
    """The workflow page, for every plan, says which body decides for which kind of plan."""
    sign_in(client, council, "owen@council.example")
    page = client.get("/workflow")
    assert page.status_code == 200
    assert row(page.text, "Change the target date") == (
        "Change the target date Stays approved or in progress Corporate Management Team for "
        "service plans, action plans, scrutiny plans and governance statement plans Cabinet for "
        "peer-challenge plans"
    )
    assert row(page.text, "Start work") == (
        "Start work From approved to in progress Nobody: it happens at once"
    )
    assert f'href="/plans/{council.plan_id}/workflow">Peer Challenge Improvement Plan</a>' in (
        page.text
    )


def test_the_title_is_the_workflow_s_description(client: TestClient, council: Council) -> None:
    """The page is named for people, by the workflow's description, never by its id."""
    sign_in(client, council, "owen@council.example")
    for path in ("/workflow", f"/plans/{council.plan_id}/workflow"):
        page = client.get(path).text
        title = html.unescape(re.search(r"<title>(.*?)</title>", page, flags=re.S).group(1))  # type: ignore[union-attr]
        assert DESCRIPTION in title
        assert "improvement_action" not in page
        assert f"<h1>{html.escape(DESCRIPTION)}</h1>" in page


def test_a_plan_s_own_override_is_named_as_its_own(client: TestClient, council: Council) -> None:
    """A service plan that sends deferrals to CMT shows CMT, set for that plan."""
    plan_id = add_plan(
        council.ctx, "Workforce plan", PlanKind.SERVICE_PLAN, overrides={"defer": "CMT"}
    )
    sign_in(client, council, "owen@council.example")
    page = client.get(f"/plans/{plan_id}/workflow").text
    assert row(page, "Defer the action").endswith("Corporate Management Team (set for this plan)")
    assert row(page, "Change the target date").endswith("in progress Corporate Management Team")
    assert "Workforce plan is a service plan." in words(page)


def test_the_diagram_is_an_accessible_svg_with_every_state(
    client: TestClient, council: Council
) -> None:
    """Well-formed SVG with a title, a description and every state's label; no script at all."""
    sign_in(client, council, "owen@council.example")
    for path in ("/workflow", f"/plans/{council.plan_id}/workflow"):
        page = client.get(path)
        svg = svg_of(page.text)
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None
        assert desc is not None
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert "Diagram of the workflow" in (title.text or "")
        assert (desc.text or "").startswith(
            "5 states: Drafted (where every action starts), Approved, In progress, "
            "Complete (final) and Deferred."
        )
        boxes = [" ".join(text.itertext()) for text in svg.iter(f"{SVG}text")]
        for label in STATE_LABELS:
            assert label in boxes
        arrows = [p for p in svg.iter(f"{SVG}path") if p.get("marker-end")]
        assert len(arrows) == 11  # ten moves of the workflow and the arrow into Drafted
        assert "<script" not in page.text
        assert "stateDiagram" not in page.text
        assert "mermaid" not in page.text.lower()
        assert "script-src 'none'" in page.headers["content-security-policy"]


def test_only_your_organisation_s_plans_have_workflow_pages(
    client: TestClient, council: Council
) -> None:
    """A Westshire owner sees Westshire's plan's workflow; Eastshire's is as if missing."""
    eastshire = plans.create_plan(
        council.ctx, "Eastshire improvement plan", PlanKind.PEER_CHALLENGE, organisation="Eastshire"
    ).id
    add_action(council.ctx, eastshire, "Eastshire's own action")
    people.import_people(
        council.ctx,
        [
            people.PersonInput(
                "Wes Tern", "wes@westshire.example", roles=("owner",), organisation="Westshire"
            )
        ],
    )
    westshire = plans.create_plan(
        council.ctx, "Westshire service plan", PlanKind.SERVICE_PLAN, organisation="Westshire"
    ).id
    sign_in(client, council, "wes@westshire.example")
    own = client.get(f"/plans/{westshire}/workflow")
    assert own.status_code == 200
    assert "Westshire service plan is a service plan." in words(own.text)
    assert client.get(f"/plans/{eastshire}/workflow").status_code == 404
    listed = client.get("/workflow").text
    assert f'href="/plans/{westshire}/workflow">Westshire service plan</a>' in listed
    assert "Eastshire improvement plan" not in listed
