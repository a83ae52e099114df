"""Fixtures for the web app: a context with a signing key, a small council, a test client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import BASE, SECRET, Council, add_council

from improveflow.clock import FrozenClock
from improveflow.services.context import Context
from improveflow.testing import make_context
from improveflow.web.app import create_app


@pytest.fixture
def web_ctx(database_url: str, clock: FrozenClock) -> Iterator[Context]:
    context = make_context(database_url, clock=clock, secret_key=SECRET, base_url=BASE)
    yield context
    context.close()


@pytest.fixture
def council(web_ctx: Context) -> Council:
    return add_council(web_ctx)


@pytest.fixture
def app(web_ctx: Context) -> FastAPI:
    return create_app(web_ctx)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client
