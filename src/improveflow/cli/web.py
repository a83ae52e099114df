"""`improveflow serve` and `improveflow demo`."""

from __future__ import annotations

from typing import Annotated

import typer

from improveflow.cli.common import context_of, out, reports_refusals


@reports_refusals
def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Serve pages only; run no sweep or dispatch.")
    ] = False,
) -> None:
    """Serve the web app (and run the scheduler beside it)."""
    from improveflow.web.serve import serve  # the web stack only when serving

    serve(context_of(ctx), host, port, run_scheduler=not no_scheduler)


@reports_refusals
def demo_command(
    port: Annotated[int, typer.Option(help="Port for the demo's pages.")] = 8000,
    fast_forward: Annotated[
        str | None,
        typer.Option(help="Start the plan this long ago (90d, 12w) and run the scheduler to now."),
    ] = None,
) -> None:
    """A fresh demo council with its plan, mail catcher and web pages, until interrupted."""
    from improveflow.demo.run import parse_span, run_demo

    span = parse_span(fast_forward) if fast_forward else None
    run_demo(port, span, announce=out.print)
