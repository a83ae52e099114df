"""What every command shares: consoles, options, the context, error reporting, output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from improveflow import exceptions, schema
from improveflow.calendar import as_london, parse_moment
from improveflow.config import load_settings
from improveflow.services.context import Context

P = ParamSpec("P")
R = TypeVar("R")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AsOption = Annotated[str, typer.Option("--as", help="Email of the person acting.")]
DateOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="Act as if it were this moment (ISO 8601; without an offset, London time).",
    ),
]


def sub_app(help_text: str) -> typer.Typer:
    return typer.Typer(no_args_is_help=True, help=help_text)


def reports_refusals(command: Callable[P, R]) -> Callable[P, R]:
    """Turn improveflow's errors into a message on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except exceptions.ImproveflowError as error:
            err.print(f"Error: {error}", markup=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def context_of(ctx: typer.Context, *, check_schema: bool = True) -> Context:
    settings = load_settings(database_url=(ctx.obj or {}).get("db"))
    context = Context.build(settings)
    if check_schema and not schema.is_up_to_date(context.database):
        raise exceptions.ConfigurationError(
            f"The database {settings.database_url} is not set up (or is older than this "
            "version): run 'improveflow init' first"
        )
    return context


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(table)


def local(moment: str) -> str:
    return f"{as_london(datetime.fromisoformat(moment)):%Y-%m-%d %H:%M}"


def as_date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


# init / workflow / audit ------------------------------------------------------------------------


def moment(text: str | None) -> datetime | None:
    """`--now` as an aware datetime; bad text is bad usage (exit 2)."""
    if text is None:
        return None
    try:
        return parse_moment(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--now") from None
