"""`improveflow mail check`: would email leave with these settings, and if not, why not.

It connects with the configured transport, logs in or gets a token, optionally sends one test
email, and explains each failure in plain words with what the council's IT team should change.
Exit 0 when mail would go, 1 when not (or the settings are wrong), 2 for bad usage.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer
from pydantic import ValidationError

from improveflow.cli.common import JsonOption, err, out, print_json
from improveflow.clock import SystemClock
from improveflow.config import Settings, load_settings
from improveflow.exceptions import InvalidValue
from improveflow.transports.check import CheckReport, check_mail

mail_app = typer.Typer(no_args_is_help=True, help="Email: check that improveflow can send it.")


@mail_app.command("check")
def mail_check(
    send_test: Annotated[
        str | None,
        typer.Option(
            "--send-test",
            metavar="ADDRESS",
            help="Also send one test email to this address.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Connect with the configured transport and log in; say what IT must change if it fails."""
    # The check explains each failure itself; the Notify client would also log it, as noise.
    logging.getLogger("notifications_python_client").setLevel(logging.CRITICAL)
    settings = _settings()
    try:
        report = asyncio.run(check_mail(settings, send_test=send_test, now=SystemClock().now()))
    except InvalidValue as error:
        raise typer.BadParameter(str(error), param_hint="--send-test") from None
    if as_json:
        print_json(_as_dict(report))
    else:
        _show(report)
    raise typer.Exit(0 if report.ok else 1)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as error:
        err.print("The email settings are not valid:", markup=False)
        for problem in error.errors():
            message = str(problem["msg"]).removeprefix("Value error, ")
            field = ".".join(str(part) for part in problem["loc"])
            named = (
                f"IMPROVEFLOW_{field.upper()}: " if field and "IMPROVEFLOW_" not in message else ""
            )
            err.print(f"- {named}{message}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _show(report: CheckReport) -> None:
    out.print(f"Sending with {report.transport}: {report.target}", markup=False, soft_wrap=True)
    for step in report.steps:
        mark = "ok  " if step.ok else "FAIL"
        out.print(f"{mark}  {step.title}: {step.detail}", markup=False, soft_wrap=True)
        if step.explanation is not None:
            out.print(f"      What happened: {step.explanation.what}", markup=False, soft_wrap=True)
            if step.explanation.fix:
                out.print(
                    f"      What IT should change: {step.explanation.fix}",
                    markup=False,
                    soft_wrap=True,
                )
    for note in report.notes:
        out.print(f"Note: {note}", markup=False, soft_wrap=True)
    if report.ok:
        out.print("Email would go.", markup=False)
    else:
        out.print("Email would not go: see what to change above.", markup=False)


def _as_dict(report: CheckReport) -> dict[str, object]:
    return {
        "ok": report.ok,
        "transport": report.transport,
        "target": report.target,
        "steps": [
            {
                "title": step.title,
                "ok": step.ok,
                "detail": step.detail,
                "cause": step.cause.value if step.cause else None,
                "what_happened": step.explanation.what if step.explanation else None,
                "what_to_change": step.explanation.fix if step.explanation else None,
            }
            for step in report.steps
        ],
        "notes": report.notes,
    }
