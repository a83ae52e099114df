"""Every store contract suite runs on the in-memory fake, SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from contract_backends import Backend, fake_people

from improveflow.clock import FrozenClock
from improveflow.services import people
from improveflow.testing import add_sample_people, make_context


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(
    request: pytest.FixtureRequest, database_url_on: Callable[[str], str], clock: FrozenClock
) -> Iterator[Backend]:
    """One implementation with the sample council's people."""
    if request.param == "fake":
        ids = {person.email: number for number, person in fake_people().items()}
        yield Backend("fake", None, ids)
        return
    context = make_context(database_url_on(request.param), clock=clock)
    add_sample_people(context)
    ids = {person.email: person.id for person in people.list_people(context)}
    yield Backend(request.param, context, ids)
    context.close()
