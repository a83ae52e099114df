"""`improveflow plan publish` and `progress publish`: the plan's public progress page."""

from __future__ import annotations

from typing import Annotated

import typer

from improveflow.cli.common import (
    JsonOption,
    context_of,
    out,
    print_json,
    reports_refusals,
    sub_app,
)
from improveflow.cli.plans import plan_app
from improveflow.services import publication

# `--by` as the public page's commands are written; `--as` as every other command's.
ByOption = Annotated[
    str, typer.Option("--by", "--as", help="Email of the person publishing: an approver.")
]

progress_app = sub_app("Progress updates on the plan's public page.")


@plan_app.command("publish")
@reports_refusals
def plan_publish(
    ctx: typer.Context,
    plan_id: int,
    by: ByOption,
    slug: Annotated[
        str | None,
        typer.Option(help="The page's address after /public/plans/ (default: from the title)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Publish the plan's progress page: anyone may read it, without signing in."""
    context = context_of(ctx)
    done = publication.publish_plan(context, plan_id, by_email=by, slug=slug)
    address = context.settings.base_url.rstrip("/") + done.path
    if as_json:
        print_json({"plan_id": done.plan_id, "slug": done.slug, "url": address})
        return
    if done.changed:
        out.print(f"Plan {plan_id} is published at {address}", markup=False, soft_wrap=True)
    else:
        out.print(f"Plan {plan_id} was already published at {address}", markup=False)
    out.print(
        "It shows agreed actions and only the progress updates marked public "
        "('improveflow progress publish UPDATE_ID --by EMAIL').",
        markup=False,
        soft_wrap=True,
    )


@plan_app.command("unpublish")
@reports_refusals
def plan_unpublish(ctx: typer.Context, plan_id: int, by: ByOption) -> None:
    """Withdraw the plan's public page: its address answers 'not found' from now on."""
    done = publication.unpublish_plan(context_of(ctx), plan_id, by_email=by)
    out.print(
        f"Plan {plan_id} is no longer published: {done.path} now answers 'not found'.",
        markup=False,
        soft_wrap=True,
    )


@progress_app.command("publish")
@reports_refusals
def progress_publish(ctx: typer.Context, update_id: int, by: ByOption) -> None:
    """Mark a progress update public: its plan's public page shows it."""
    done = publication.mark_progress(context_of(ctx), update_id, public=True, by_email=by)
    already = "" if done.changed else " already"
    out.print(
        f"Progress update {update_id} (action {done.action_id}) is{already} marked public.",
        markup=False,
    )


@progress_app.command("unpublish")
@reports_refusals
def progress_unpublish(ctx: typer.Context, update_id: int, by: ByOption) -> None:
    """Take a progress update off its plan's public page."""
    done = publication.mark_progress(context_of(ctx), update_id, public=False, by_email=by)
    already = "" if done.changed else " already"
    out.print(
        f"Progress update {update_id} (action {done.action_id}) is{already} not public.",
        markup=False,
    )
