"""Shared fixtures: every database test runs on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from improveflow.clock import FrozenClock
from improveflow.services.context import Context
from improveflow.testing import DEFAULT_MOMENT, make_context

POSTGRES_URL = os.environ.get("IMPROVEFLOW_TEST_POSTGRES_URL")
# Unique per run: two test runs on one server must not share (or drop) a template.
_TEMPLATE = f"improveflow_template_{uuid.uuid4().hex[:8]}"


# Each test belongs to one tier, by where it lives; browser tests are acceptance tests wherever
# they sit. `.ci/run` runs the tiers one by one, fastest first.
TIERS = ("unit", "contract", "integration", "acceptance")
_FOLDER_TIERS = {"unit": "unit", "contract": "contract", "acceptance": "acceptance"}


def tier_of(path: Path) -> str:
    parts = path.relative_to(Path(__file__).parent).parts
    if parts[0] == "web" and ("browser" in path.stem or path.stem in _BROWSER_FILES):
        return "acceptance"
    return _FOLDER_TIERS.get(parts[0], "integration")


_BROWSER_FILES = {"test_accessibility", "test_pages_without_script"}


# The tiers whose tests all live in their own folder: a test elsewhere may name a tier of its
# own only to leave its folder's (a timed check kept out of the unit tier), never to join these.
_FOLDER_ONLY_TIERS = ("unit", "contract")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Asked for the unit or contract tier alone, read only that tier's folder: importing the
    other tiers' modules (servers, browsers, subprocess helpers) took longer than the unit tests
    themselves."""
    tier = config.getoption("markexpr", "")
    if tier not in _FOLDER_ONLY_TIERS:
        return None
    here = Path(__file__).parent
    if collection_path.parent == here and collection_path.is_dir():
        return collection_path.name != tier
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # A test may name its tier itself (a timed check kept out of the unit tier's budget).
        if not any(item.get_closest_marker(tier) for tier in TIERS):
            item.add_marker(getattr(pytest.mark, tier_of(Path(str(item.fspath)))))


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return f"PostgreSQL tests: on, against {POSTGRES_URL}"
    return "PostgreSQL tests: SKIPPED (set IMPROVEFLOW_TEST_POSTGRES_URL to run them)"


def _admin_engine() -> sa.Engine:
    assert POSTGRES_URL is not None
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated template database; each test gets a fresh copy of it."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set IMPROVEFLOW_TEST_POSTGRES_URL")
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {_TEMPLATE}")
    url = sa.make_url(POSTGRES_URL).set(database=_TEMPLATE)
    context = make_context(url.render_as_string(hide_password=False))
    context.close()
    yield _TEMPLATE
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_TEMPLATE} WITH (FORCE)")
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    name = f"improveflow_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    assert POSTGRES_URL is not None
    yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def fresh_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The URL of a fresh database on `backend` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'improveflow.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, migrated-on-demand database on each backend."""
    return fresh_database_url(request.param, request, tmp_path_factory)


@pytest.fixture
def database_url_on(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """Makes the URL of a fresh database on a backend it is given, for suites that choose."""
    return lambda backend: fresh_database_url(backend, request, tmp_path_factory)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DEFAULT_MOMENT)


@pytest.fixture
def ctx(database_url: str, clock: FrozenClock) -> Iterator[Context]:
    """A context on a fresh database with the newest schema and a frozen clock."""
    context = make_context(database_url, clock=clock)
    yield context
    context.close()
