"""The public progress page of a published plan, and its table as CSV and JSON open data.

Anyone may read these, signed in or not: no route here reads a session, shows a form or sets a
cookie, so a visitor leaves no trace and carries none. An unknown or withdrawn address is
answered as any missing page.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from fastapi import APIRouter, Request, Response

from improveflow.services import publication
from improveflow.web.export import safe
from improveflow.web.pages import page
from improveflow.web.plans import group
from improveflow.web.state import WebDep

router = APIRouter()

# Open data may be fetched from anywhere: another site's page or a script.
_OPEN = {"access-control-allow-origin": "*"}


@router.get("/public/plans/{slug}.csv")
def public_csv(slug: str, web: WebDep) -> Response:
    plan = publication.public_plan(web.ctx, slug)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(publication.OPEN_DATA_FIELDS)
    for row in publication.open_data_rows(plan):
        # Text a spreadsheet would run as a formula stays text, as in the plan's own export.
        writer.writerow([safe(row[field]) for field in publication.OPEN_DATA_FIELDS])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{plan.slug}.csv"', **_OPEN},
    )


@router.get("/public/plans/{slug}.json")
def public_json(slug: str, web: WebDep) -> Response:
    plan = publication.public_plan(web.ctx, slug)
    body = {
        "plan": plan.title,
        "organisation": plan.organisation,
        "published_at": plan.published_at.isoformat(),
        "last_updated": plan.last_updated.isoformat(),
        "fields": list(publication.OPEN_DATA_FIELDS),
        "actions": publication.open_data_rows(plan),
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2) + "\n",
        media_type="application/json",
        headers=_OPEN,
    )


@router.get("/public/plans/{slug}")
def public_page(slug: str, request: Request, web: WebDep) -> Response:
    plan = publication.public_plan(web.ctx, slug)
    # Nobody is signed in here, whatever cookie came with the request: no name, no form.
    request.state.viewer = None
    themes = group([asdict(row) for row in plan.rows])
    values = {"plan": plan, "themes": themes}
    return page(request, web, "public_plan.html", values, viewer=None, forms=False)
