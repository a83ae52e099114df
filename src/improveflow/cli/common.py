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
from improveflow.calendar import parse_moment
from improveflow.config import load_settings
from improveflow.services.context import Context

P = ParamSpec("P")
R = TypeVar("R")

# On a terminal, lines wrap at its width, between words. Anything else (a pipe, a file)
# gets each line whole, so nothing is broken mid-word for the program or file reading it.
UNWRAPPED = 100_000


def console(*, stderr: bool = False) -> Console:
    found = Console(stderr=stderr, highlight=False)
    if found.is_terminal:
        return found
    return Console(stderr=stderr, highlight=False, width=UNWRAPPED, soft_wrap=True)


out = console()
err = console(stderr=True)

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


def table(
    title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]], *, empty: str | None = None
) -> None:
    """A table of `rows` under `title`; the sentence `empty`, when given, if there are none."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    if table.row_count or empty is None:
        out.print(table)
    else:
        out.print(empty, markup=False)


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 action', '2 actions'; `many` for a plural that is not `one` + 's'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


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
