"""`improveflow people`: the directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from improveflow.cli.common import (
    JsonOption,
    context_of,
    out,
    plural,
    print_json,
    reports_refusals,
    sub_app,
    table,
)
from improveflow.importers.people_file import read_people_file
from improveflow.services import people

people_app = sub_app("The people directory.")


@people_app.command("import")
@reports_refusals
def people_import(ctx: typer.Context, file: Path) -> None:
    """Import people from a CSV (name,email,aliases,bodies,roles,organisation) or YAML file."""
    context = context_of(ctx)
    result = people.import_people(context, read_people_file(file))
    out.print(
        f"{plural(result.created, 'person', 'people')} added, {result.updated} updated.",
        markup=False,
    )


@people_app.command("list")
@reports_refusals
def people_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List everybody in the directory."""
    rows = people.list_people(context_of(ctx))
    if as_json:
        print_json([row.__dict__ for row in rows])
        return
    table(
        "People",
        ["id", "name", "email", "aliases", "bodies", "roles", "organisation"],
        (
            (
                p.id,
                p.name,
                p.email,
                "; ".join(p.aliases),
                "; ".join(p.bodies),
                "; ".join(p.roles),
                p.organisation or "",
            )
            for p in rows
        ),
        empty="Nobody is in the directory yet: add people with 'improveflow people import'.",
    )


# plans ------------------------------------------------------------------------------------------


@people_app.command("delivery")
@reports_refusals
def people_delivery(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's email.")],
    choice: Annotated[str, typer.Argument(help="immediate or daily-digest.")],
) -> None:
    """Choose immediate reminders or one daily digest (escalations always go at once)."""
    people.set_delivery(context_of(ctx), email, choice)
    out.print(
        f"Reminders for {email} now go {'in a daily digest' if 'digest' in choice else 'at once'}.",
        markup=False,
    )
