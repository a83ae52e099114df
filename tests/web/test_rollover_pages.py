"""The pages of a governance statement plan rolled over to next year: the carried action says
where it came from and links to it, last year's says where it went, each plan says which year
it is for and how the two are joined; a visit a link opened for one action links nowhere else."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from page_words import history, words
from web_helpers import Council, follow, new_client, sign_in, start_action

from improveflow.calendar import FinancialYear
from improveflow.models import PlanKind
from improveflow.services import plans, rollover, views
from improveflow.services.context import Context
from improveflow.services.sign_in import signer as link_signer
from improveflow.testing import add_action, add_sample_people

OWEN = "owen@council.example"
ALEX = "alex@council.example"  # administrator
PIA = "pia@peers.example"
TITLE = "Annual Governance Statement 2013/14"
NEXT = "Annual Governance Statement 2014/15"


@pytest.fixture
def years(web_ctx: Context) -> dict[str, int]:
    """Last year's plan with an action in progress, rolled over by Alex Smith."""
    add_sample_people(web_ctx)
    plan_id = plans.create_plan(
        web_ctx, TITLE, PlanKind.GOVERNANCE_STATEMENT, year=FinancialYear(2013)
    ).id
    old = add_action(
        web_ctx, plan_id, "Refresh the contract procedure rules", target=date(2014, 3, 31),
        theme="Procurement", objective="Contract procedure rules are followed",
    )  # fmt: skip
    start_action(web_ctx, old)
    done = rollover.roll_over(web_ctx, plan_id, by_email=ALEX)
    new = next(iter(views.action_rows(web_ctx, plan_id=done.plan.id)))["id"]
    return {"plan": plan_id, "next_plan": done.plan.id, "old": old, "new": new}


def _page(client: TestClient, ctx: Context, path: str, email: str = OWEN) -> str:
    sign_in(client, Council(ctx, 0, 0, 0), email)
    response = client.get(path)
    assert response.status_code == 200
    return response.text


def _summary(page: str, label: str) -> list[str]:
    """The words of each row of the page's summary list named `label`."""
    rows = re.findall(rf"<dt>{label}</dt><dd>(.*?)</dd>", page, flags=re.DOTALL)
    return [words(row) for row in rows]


def test_the_carried_action_says_where_it_came_from_and_links_to_it(
    client: TestClient, web_ctx: Context, years: dict[str, int]
) -> None:
    """Its summary names last year's plan and action, linked; its history begins with the
    carrying forward, by whom and in which state, linking to where the earlier history is."""
    page = _page(client, web_ctx, f"/actions/{years['new']}")
    old = years["old"]
    assert _summary(page, "Carried forward") == [
        f"From {TITLE}, action {old}. Its history before this year is there."
    ]
    assert page.count(f'href="/actions/{old}"') == 2
    assert history(page) == [
        f"10:00 on 2 June 2014 Carried forward from {TITLE}, action {old}, by Alex Smith, as In "
        f"progress Its earlier history is with action {old} in last year's plan."
    ]


def test_last_years_action_says_where_it_went_and_keeps_its_history(
    client: TestClient, web_ctx: Context, years: dict[str, int]
) -> None:
    """Last year's action points on to next year's, where progress and changes are recorded
    now, and offers no form for either, nor counts days overdue against last year's date; its
    own history is as it was, with no entry of the roll-over."""
    page = _page(client, web_ctx, f"/actions/{years['old']}")
    new = years["new"]
    assert _summary(page, "Carried forward") == [
        f"To {NEXT}, action {new}. It continues there: record progress and ask for changes on "
        "that action."
    ]
    assert f'href="/actions/{new}"' in page
    assert f'action="/actions/{years["old"]}/progress"' not in page
    assert f'action="/actions/{years["old"]}/change"' not in page
    assert "overdue" not in words(page)
    assert "Save progress update" in _page(client, web_ctx, f"/actions/{new}")
    assert not any("Carried forward" in entry for entry in history(page))
    assert any("Action added to the plan" in entry for entry in history(page))


def test_each_plan_says_its_year_and_how_the_years_join(
    client: TestClient, web_ctx: Context, years: dict[str, int]
) -> None:
    """The plans list and each plan's caption give its kind and year; last year's plan says
    it was rolled over, to which plan, when and by whom; next year's says what it continues."""
    listed = words(_page(client, web_ctx, "/plans", PIA))
    assert "Governance statement 2013/14" in listed
    assert "Governance statement 2014/15" in listed
    old = _page(client, web_ctx, f"/plans/{years['plan']}", PIA)
    assert "Governance statement 2013/14" in words(old)
    assert (
        f"This plan was rolled over to {NEXT} at 10:00 on 2 June 2014 by Alex Smith. Its "
        "unfinished actions continue there; the actions completed stay here."
    ) in words(old)
    assert f'href="/plans/{years["next_plan"]}"' in old
    new = _page(client, web_ctx, f"/plans/{years['next_plan']}", PIA)
    assert f"This plan carries forward the unfinished actions of {TITLE}." in words(new)
    assert f'href="/plans/{years["plan"]}"' in new


def test_a_visit_from_an_action_link_names_last_years_action_without_linking_it(
    app: FastAPI, web_ctx: Context, years: dict[str, int]
) -> None:
    """A link in an email opens its own action only: the other year's action is named, not
    linked, so the page offers nothing the visit cannot open."""
    owen = Council(web_ctx, 0, 0, 0).person_id(OWEN)
    link = link_signer(web_ctx).action_link(owen, years["new"])
    with new_client(app) as browser:
        page = follow(browser, link)
        assert page.status_code == 200
        assert f"From {TITLE}, action {years['old']}." in words(page.text)
        assert f'href="/actions/{years["old"]}"' not in page.text
