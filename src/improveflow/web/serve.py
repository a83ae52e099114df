"""`improveflow serve`: the web app under uvicorn, with the scheduler beside it unless told not.

The CLI calls `serve(ctx, host, port, run_scheduler)`; the demo calls `serve_app` with its mail
view as an extra router. Each returns when the server stops (Ctrl+C), after the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import uvicorn
from fastapi import APIRouter

from improveflow.scheduler import build_scheduler
from improveflow.services.context import Context
from improveflow.web.app import create_app

log = logging.getLogger(__name__)


def server_for(
    ctx: Context,
    host: str,
    port: int,
    *,
    log_level: str = "info",
    extra_routers: Sequence[APIRouter] = (),
) -> uvicorn.Server:
    """A uvicorn server for the app on host:port, not yet started.

    Behind a reverse proxy that terminates HTTPS, set FORWARDED_ALLOW_IPS to the proxy's
    address so cookies are marked Secure (uvicorn then trusts its X-Forwarded-Proto).
    """
    config = uvicorn.Config(
        create_app(ctx, extra_routers),
        host=host,
        port=port,
        proxy_headers=True,
        server_header=False,
        log_level=log_level,
        lifespan="off",
    )
    return uvicorn.Server(config)


def serve(ctx: Context, host: str, port: int, run_scheduler: bool) -> None:
    """What `improveflow serve` runs: the app on host:port until interrupted."""
    serve_app(ctx, host, port, run_scheduler=run_scheduler)


def serve_app(
    ctx: Context,
    host: str,
    port: int,
    *,
    run_scheduler: bool,
    extra_routers: Sequence[APIRouter] = (),
) -> None:
    """Serve the app (with any extra routers) until interrupted; the scheduler runs beside it."""
    server = server_for(ctx, host, port, extra_routers=extra_routers)
    scheduler = build_scheduler(ctx, blocking=False) if run_scheduler else None
    if scheduler is not None:
        scheduler.start()
        log.info("scheduler started: sweep and dispatch run in this process")
    try:
        server.run()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
