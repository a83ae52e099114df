"""What every request can reach: the app's state, who is signed in, and checked forms.

The typed `Annotated[..., Depends(...)]` aliases here are the web edge's only dependencies;
below them, services take plain values.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Form, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment

from improveflow import exceptions
from improveflow.services import sessions
from improveflow.services.context import Context
from improveflow.services.sessions import NewSession, Viewer
from improveflow.services.state_history import StateHistory
from improveflow.web import visit_scope

SESSION_COOKIE = "improveflow_session"
# Carries a random value for forms shown before signing in (the sign-in form itself).
FORM_COOKIE = "improveflow_form"


@dataclass
class WebState:
    """Built once per app by `create_app`; nothing of it exists at import time."""

    ctx: Context
    templates: Environment
    secret: str
    history: StateHistory

    @property
    def cookies(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt="improveflow.session")

    def anonymous_form_token(self, value: str) -> str:
        key = hashlib.sha256(("improveflow.form:" + self.secret).encode()).digest()
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def web_state(request: Request) -> WebState:
    return cast(WebState, request.app.state.web)


WebDep = Annotated[WebState, Depends(web_state)]


def _unsigned(web: WebState, raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        value = web.cookies.loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def session_key(request: Request, web: WebState) -> str | None:
    return _unsigned(web, request.cookies.get(SESSION_COOKIE))


def current_viewer(request: Request, web: WebDep) -> Viewer | None:
    """The signed-in person, looked up once per request; None when nobody is.

    A visit from a link (any but a sign-in link) is somebody only on its own page: anywhere
    else it is nobody, so that page sends it to sign in like any visitor.
    """
    if hasattr(request.state, "viewer"):
        return cast(Viewer | None, request.state.viewer)
    key = session_key(request, web)
    viewer = sessions.viewer_for(web.ctx, key) if key else None
    if (
        viewer is not None
        and viewer.scope is not None
        and not visit_scope.permits(web.ctx, request, viewer.scope)
    ):
        viewer = None
    request.state.viewer = viewer
    return viewer


MaybeViewer = Annotated[Viewer | None, Depends(current_viewer)]


def signed_in(viewer: MaybeViewer) -> Viewer:
    if viewer is None:
        raise exceptions.NotSignedIn()
    return viewer


ViewerDep = Annotated[Viewer, Depends(signed_in)]


def form_token(request: Request, web: WebState, viewer: Viewer | None) -> str:
    """The CSRF token every form on the page carries."""
    if viewer is not None:
        return viewer.csrf_token
    value = _unsigned(web, request.cookies.get(FORM_COOKIE))
    if value is None:
        # Set on the response by `remember_form_cookie`.
        value = getattr(request.state, "new_form_value", None) or secrets.token_urlsafe(16)
        request.state.new_form_value = value
    return web.anonymous_form_token(value)


def remember_form_cookie(request: Request, response: Response, web: WebState) -> None:
    value = getattr(request.state, "new_form_value", None)
    if value is not None:
        response.set_cookie(
            FORM_COOKIE,
            web.cookies.dumps(value),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )


def _check(request: Request, web: WebState, viewer: Viewer | None, given: str | None) -> None:
    if viewer is not None:
        expected: str | None = viewer.csrf_token
    else:
        value = _unsigned(web, request.cookies.get(FORM_COOKIE))
        expected = web.anonymous_form_token(value) if value else None
    if not given or not expected or not secrets.compare_digest(given, expected):
        raise exceptions.FormExpired()


def checked_form(
    request: Request,
    web: WebDep,
    viewer: MaybeViewer,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Viewer:
    """A signed-in person's POST whose CSRF token matches their session: 403 otherwise."""
    if viewer is None:
        raise exceptions.NotSignedIn("Your session has ended. Sign in again, then try once more.")
    _check(request, web, viewer, csrf_token)
    return viewer


PostingViewer = Annotated[Viewer, Depends(checked_form)]


def checked_anonymous_form(
    request: Request,
    web: WebDep,
    viewer: MaybeViewer,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Viewer | None:
    """A POST from a form shown before signing in (or after): its token must match."""
    _check(request, web, viewer, csrf_token)
    return viewer


AnonymousPost = Annotated[Viewer | None, Depends(checked_anonymous_form)]


def set_session_cookie(
    request: Request, response: Response, web: WebState, new: NewSession
) -> None:
    lifetime = new.expires_at - web.ctx.clock.now()
    response.set_cookie(
        SESSION_COOKIE,
        web.cookies.dumps(new.key),
        max_age=max(int(lifetime.total_seconds()), 0),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
