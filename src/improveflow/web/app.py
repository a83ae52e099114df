"""The app factory: routes, static files, error pages and security headers for one context."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from improveflow import exceptions
from improveflow.services.context import Context
from improveflow.services.sign_in import signer
from improveflow.services.state_history import StateHistory
from improveflow.web import (
    approvals,
    auth,
    dashboard,
    email_delivery,
    errors,
    my_actions,
    owner,
    plans,
    preferences,
    public,
    request_ids,
    timetable,
    unsubscribe,
)
from improveflow.web.pages import make_templates
from improveflow.web.state import WebState

STATIC_DIR = Path(__file__).parent / "static"

# No script runs on any page, no page may be framed, forms post only here.
_CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
_HEADERS = [
    (b"content-security-policy", _CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # Links carry tokens until the first redirect: never tell another site where we were.
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """Adds the headers above to every response, and no-store to every page but static files.

    It wraps the whole app (see `_App`), so the 500 page that Starlette's outermost error
    middleware sends carries them too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


class _App(FastAPI):
    """FastAPI with the security headers outside everything, its error middleware included.

    Middleware added with `add_middleware` sits inside Starlette's ServerErrorMiddleware, so a
    500 would go out without the headers.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(ctx: Context, extra_routers: Sequence[APIRouter] = ()) -> FastAPI:
    """The web app for `ctx`. Needs IMPROVEFLOW_SECRET_KEY: it signs links and sessions.

    `extra_routers` add pages of their own (the demo's mail view), behind the same headers.
    """
    signer(ctx)  # fails at once, with a clear message, when no usable secret key is set
    secret = ctx.settings.secret_key
    if secret is None:  # signer() has refused already; this satisfies the type checker
        raise exceptions.ConfigurationError("IMPROVEFLOW_SECRET_KEY must be set")
    app = _App(
        title="improveflow",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # Every route's ids are bounded before the route reads them.
        dependencies=[Depends(request_ids.bounded_ids)],
        # Starlette's own redirect names the Host header's site; errors.py redirects by path.
        redirect_slashes=False,
    )
    app.state.web = WebState(
        ctx=ctx, templates=make_templates(), secret=secret, history=StateHistory()
    )
    for module in (
        auth,
        my_actions,
        owner,
        approvals,
        dashboard,
        plans,
        preferences,
        unsubscribe,
        email_delivery,
        public,
        timetable,
    ):
        app.include_router(module.router)
    for router in extra_routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    errors.install(app)
    return app
