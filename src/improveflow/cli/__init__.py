"""The `improveflow` command. Thin: parse, call a service, show the result.

Exit codes: 0 success, 1 a refused or failed operation (reason on stderr), 2 bad usage.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from improveflow.cli import failure_report
from improveflow.cli.actions import action_app
from improveflow.cli.admin import audit_app, init, workflow_app
from improveflow.cli.approvals import approvals_app
from improveflow.cli.inbound import inbound_app
from improveflow.cli.mail import mail_app
from improveflow.cli.outbox_commands import status_command  # and `outbox retry`
from improveflow.cli.people import people_app
from improveflow.cli.plans import plan_app
from improveflow.cli.publication import progress_app  # and `plan publish`
from improveflow.cli.report import report_command
from improveflow.cli.scheduling import (
    deputies_app,
    escalations_app,
    outbox_app,
    scheduler_app,
    sweep_command,
)
from improveflow.cli.web import demo_command, serve_command
from improveflow.config import load_settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="improveflow: improvement plans that run themselves.",
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL (default: IMPROVEFLOW_DATABASE_URL or SQLite)."),
]


@app.callback()
def _global(ctx: typer.Context, db: DbOption = None) -> None:
    ctx.obj = {"db": db}


app.command("init", help="Create the database, or bring it up to the newest schema.")(init)
app.command("sweep", help="Decide which reminders and escalations are due, and queue them.")(
    sweep_command
)
app.command("serve", help="Serve the web app, with the scheduler beside it.")(serve_command)
app.command("demo", help="Run a demo council on this machine, with its email on a page.")(
    demo_command
)
app.command(
    "report",
    help="The plan's committee report, or its progress review pack: DOCX, PDF or HTML.",
)(report_command)
app.command("status", help="Whether email is getting out: the queue and the last error.")(
    status_command
)
for sub, name in (
    (people_app, "people"),
    (plan_app, "plan"),
    (action_app, "action"),
    (approvals_app, "approvals"),
    (audit_app, "audit"),
    (workflow_app, "workflow"),
    (outbox_app, "outbox"),
    (escalations_app, "escalations"),
    (deputies_app, "deputies"),
    (scheduler_app, "scheduler"),
    (mail_app, "mail"),
    (inbound_app, "inbound"),
    (progress_app, "progress"),
):
    app.add_typer(sub, name=name)


def main() -> None:
    try:
        app()
    except Exception as error:  # the last resort: one sentence, never a traceback
        failure_report.report(error, _database_url())
        raise SystemExit(1) from None


def _database_url() -> str | None:
    """The database the command used, for naming it in a failure (--db, else the setting)."""
    arguments = sys.argv[1:]
    for index, argument in enumerate(arguments):
        if argument == "--db" and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith("--db="):
            return argument.removeprefix("--db=")
    try:
        return load_settings().database_url
    except Exception:  # a broken setting was reported already, or is not the story here
        return None
