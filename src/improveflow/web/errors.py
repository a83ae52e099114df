"""Every failure becomes a plain page that says what happened and what to do; never a trace."""

from __future__ import annotations

import logging
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from improveflow import exceptions, failures
from improveflow.web.pages import local_path, message, redirect
from improveflow.web.state import web_state

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[exceptions.ImproveflowError], int], ...] = (
    (exceptions.NotFound, 404),
    (exceptions.NotSignedIn, 403),
    (exceptions.FormExpired, 403),
    (exceptions.NotAllowedToView, 403),
    (exceptions.NotAMember, 403),
    (exceptions.OwnRequest, 403),
    (exceptions.NotAllowedToRequest, 403),
    (exceptions.AlreadyDecided, 409),
    (exceptions.AlreadyVoted, 409),
    (exceptions.ConcurrentChange, 409),
    (exceptions.RequestAlreadyPending, 409),
    (exceptions.IllegalTransition, 409),
    (exceptions.InvalidValue, 400),
    (exceptions.ConditionNotMet, 400),
    (exceptions.LinkExpired, 410),
    (exceptions.LinkUsed, 410),
    (exceptions.LinkInvalid, 400),
)

_TITLES: tuple[tuple[type[exceptions.ImproveflowError], str], ...] = (
    (exceptions.NotFound, "Page not found"),
    (exceptions.NotSignedIn, "You need to sign in"),
    (exceptions.FormExpired, "This form has expired"),
    (exceptions.AlreadyDecided, "This request has already been decided"),
    (exceptions.NotAMember, "You cannot decide on this request"),
    (exceptions.OwnRequest, "You cannot decide on your own request"),
    (exceptions.NotAllowedToView, "You do not have access to this page"),
    (exceptions.LinkExpired, "This link has expired"),
    (exceptions.LinkUsed, "This link has already been used"),
    (exceptions.LinkInvalid, "This link does not work"),
    (exceptions.Refused, "You cannot do that"),
)


def status_for(error: exceptions.ImproveflowError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 403 if isinstance(error, exceptions.Refused) else 500


def title_for(error: exceptions.ImproveflowError) -> str:
    for kind, title in _TITLES:
        if isinstance(error, kind):
            return title
    return "Sorry, there is a problem"


def _link_problem(request: Request, error: exceptions.LinkError) -> Response:
    return message(
        request,
        web_state(request),
        title_for(error),
        [
            error.message,
            "To get a new link, enter your email address on the sign-in page: we will email "
            "you one straight away. The reminder or request email you followed is still "
            "there, and everything in it can be reached once you are signed in.",
        ],
        status=status_for(error),
        links=[("/sign-in", "Get a new link")],
    )


def _improveflow_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, exceptions.ImproveflowError)
    if isinstance(error, exceptions.StorageFailure):
        return _storage_failure(request, error, error)
    if isinstance(error, exceptions.LinkError):
        return _link_problem(request, error)
    if isinstance(error, exceptions.NotSignedIn) and request.method in ("GET", "HEAD"):
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect("/sign-in", next=wanted)
    links = [("/sign-in", "Sign in")] if isinstance(error, exceptions.NotSignedIn) else []
    if not links:
        links = [("/", "Go to your start page")]
    status = status_for(error)
    if status == 500:
        log.error("unexpected improveflow error on %s: %s", request.url.path, error)
        return _server_error(request, error)
    return message(
        request, web_state(request), title_for(error), [error.message], status=status, links=links
    )


def _without_trailing_slash(request: Request) -> Response | None:
    """For an address with a slash too many (`/plans/`), a redirect to the page without it.

    The Location is a path on this site, never a whole address: Starlette's own redirect
    built one from the Host header, which the client chooses.
    """
    path = str(request.scope.get("path", ""))
    if request.scope.get("route") is not None or path == "/" or not path.endswith("/"):
        return None
    bare = path.rstrip("/")
    if local_path(bare, "") != bare:
        return None
    probe = {**request.scope, "path": bare}
    if not any(route.matches(probe)[0] is not Match.NONE for route in request.app.router.routes):
        return None
    raw = request.scope.get("raw_path")
    where = raw.decode("latin-1").rstrip("/") if isinstance(raw, bytes) else quote(bare)
    if local_path(where, "") != where:
        return None
    query = request.scope.get("query_string", b"").decode("latin-1")
    return RedirectResponse(where + (f"?{query}" if query else ""), status_code=307)


def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        moved = _without_trailing_slash(request)
        if moved is not None:
            return moved
        return message(
            request,
            web_state(request),
            "Page not found",
            ["If you typed the address, check it is correct. If you followed a link, it may be "
             "out of date: start again from your start page."],
            status=404,
            links=[("/", "Go to your start page")],
        )  # fmt: skip
    if error.status_code == 405:
        return message(
            request,
            web_state(request),
            "That cannot be done here",
            ["This address does not accept that kind of request."],
            status=405,
        )
    return message(
        request, web_state(request), "Sorry, there is a problem", [str(error.detail)],
        status=error.status_code,
    )  # fmt: skip


def _bad_request(request: Request, error: Exception) -> Response:
    return message(
        request,
        web_state(request),
        "Page not found",
        ["The address is not one improveflow knows: check it, or start again from your start "
         f"page. ({quote(request.url.path)})"],
        status=404 if request.method == "GET" else 400,
        links=[("/", "Go to your start page")],
    )  # fmt: skip


def _storage_failure(
    request: Request, failure: exceptions.StorageFailure, error: Exception
) -> Response:
    """The disk or the database failed: say so in the reader's terms, and that nothing was
    half-saved (every change is one transaction)."""
    log.error("%s %s failed: %s", request.method, request.url.path, failure.message, exc_info=error)
    if isinstance(failure, exceptions.ValueRefusedByDatabase):
        return message(
            request,
            web_state(request),
            "There is a problem with what you entered",
            [f"What you entered could not be saved: {failure.reason}.",
             "Nothing was saved. Go back, remove any unusual characters or shorten very long "
             "text, and send it again."],
            status=400,
        )  # fmt: skip
    writing = request.method not in ("GET", "HEAD")
    first = (
        "Your change was not saved: the service could not write to its database. Nothing was "
        "half-saved, so you can send it again."
        if writing
        else "This page could not be shown: the service could not read its database."
    )
    response = message(
        request,
        web_state(request),
        "Sorry, the service is unavailable",
        [first, "Try again in a few minutes. If it keeps happening, tell your improveflow "
         "administrator the time it happened."],
        status=503,
    )  # fmt: skip
    response.headers["Retry-After"] = "120"
    return response


def _server_error(request: Request, error: Exception) -> Response:
    failure = failures.storage_failure(error, web_state(request).ctx.settings.database_url)
    if failure is not None:
        return _storage_failure(request, failure, error)
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return message(
        request,
        web_state(request),
        "Sorry, there is a problem with the service",
        ["Nothing you sent has been lost if it was saved; try again later. If it keeps "
         "happening, tell your improveflow administrator the time it happened."],
        status=500,
    )  # fmt: skip


def install(app: FastAPI) -> None:
    app.add_exception_handler(exceptions.ImproveflowError, _improveflow_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _bad_request)
    # Handled here rather than by the catch-all, which Starlette re-raises after answering: a
    # database that is down or full is a known condition with its own page, not a crash.
    app.add_exception_handler(sa.exc.DBAPIError, _server_error)
    app.add_exception_handler(Exception, _server_error)
