"""The worlds a store contract runs in: the in-memory fake, SQLite or PostgreSQL, each with the
sample council's people, and a transaction to hand the store (the fake ignores it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from improveflow.services.context import Context
from improveflow.testing import SAMPLE_PEOPLE
from improveflow.testing.fakes import FakePerson


@dataclass
class Backend:
    """One implementation's world: its database (none for the fake) and its people by email."""

    name: str
    context: Context | None
    person_ids: dict[str, int]

    @property
    def is_fake(self) -> bool:
        return self.context is None

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """A committed transaction's session; None for the fake."""
        if self.context is None:
            yield None
            return
        with self.context.database.writing() as session:
            yield session

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A committed transaction's connection; None for the fake."""
        with self.writing() as session:
            yield None if session is None else session.connection()

    def person(self, email: str) -> int:
        return self.person_ids[email]


def fake_people() -> dict[int, FakePerson]:
    """The sample people as the fakes know them, numbered in order (the fake's own ids)."""
    return {
        number: FakePerson(person.name, person.email, person.organisation)
        for number, person in enumerate(SAMPLE_PEOPLE, start=1)
    }


def fake_bodies() -> dict[int, tuple[str, ...]]:
    """The approving bodies of each sample person, by the fake's ids."""
    return {number: person.bodies for number, person in enumerate(SAMPLE_PEOPLE, start=1)}
