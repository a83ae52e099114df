"""Plan tables name people: the owner beside the lead as the plan wrote it (a job title, a team)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import follow

from improveflow.services import importing, sign_in
from improveflow.services.context import Context
from improveflow.stores import people
from improveflow.testing import add_sample_people

PLAN = """\
Theme,Objective,Action,Lead,Target Date
Money,Balance the budget,Extend the medium term financial strategy,Head of Finance,31/03/2027
Money,Balance the budget,Sell the former depot site,Estates Manager,Ongoing
People,Lead change,Run a leadership programme,Priya Shah,30/06/2027
"""


@pytest.fixture
def plan_id(web_ctx: Context, tmp_path: Path, client: TestClient) -> int:
    """An imported plan, and the peer-challenge lead signed in to read it."""
    add_sample_people(web_ctx)
    source = tmp_path / "plan.csv"
    source.write_text(PLAN, encoding="utf-8")
    (plan,) = importing.import_plan_files(web_ctx, [source], importing.ImportOptions()).plans
    with web_ctx.database.reading() as session:
        pia = people.person_by_email(session, "pia@peers.example").id
    assert pia is not None
    assert plan.plan_id is not None
    follow(client, sign_in.signer(web_ctx).sign_in_link(pia))
    return plan.plan_id


def _row(page: str, action: str) -> str:
    """The text of the table row holding `action`, tags and spacing removed."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        if action in row:
            return " ".join(re.sub(r"<[^>]+>", " ", row).split())
    raise AssertionError(f"no row for {action!r}")


@pytest.mark.parametrize("path", ["/plans/{id}", "/plans/{id}/dashboard"])
def test_lead_column_names_the_owner_beside_the_lead_as_written(
    client: TestClient, plan_id: int, path: str
) -> None:
    """'Dana Reeve (Head of Finance)'; an unmatched lead says so; a lead who is a name, once."""
    page = client.get(path.format(id=plan_id))
    assert page.status_code == 200
    assert "Dana Reeve (Head of Finance)" in _row(page.text, "Extend the medium term")
    assert "Estates Manager (no person matched yet)" in _row(page.text, "Sell the former depot")
    led = _row(page.text, "Run a leadership programme")
    assert "Priya Shah" in led
    assert "(Priya Shah)" not in led
