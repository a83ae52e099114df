"""The deputies' contract, held by the in-memory fake, SQLite and PostgreSQL: a deputy stands
in for a member on every day of the period, both ends included, and only for the bodies that
member belongs to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from contract_backends import Backend, fake_bodies

from improveflow.stores.people import deputies
from improveflow.stores.protocols import DeputyStore
from improveflow.testing.fakes import FakeDeputies

NOW = datetime(2014, 6, 2, 9, 0, tzinfo=UTC)
FIRST, LAST = date(2014, 6, 9), date(2014, 6, 13)
# From the sample council: Dana and Sam sit on CMT, Ruth on Cabinet; Owen is on neither.
DANA, SAM, RUTH, OWEN = (
    "dana@council.example",
    "sam@council.example",
    "ruth@council.example",
    "owen@council.example",
)


@pytest.fixture
def store(backend: Backend) -> DeputyStore:
    return FakeDeputies(fake_bodies()) if backend.is_fake else deputies


def name(
    backend: Backend,
    store: DeputyStore,
    member: str,
    deputy: str,
    first: date = FIRST,
    last: date = LAST,
) -> int:
    with backend.writing() as session:
        return store.add_period(
            session,
            member_id=backend.person(member),
            deputy_id=backend.person(deputy),
            starts_on=first,
            ends_on=last,
            now=NOW,
        )


def test_a_deputy_stands_in_on_every_day_of_the_period_and_no_other(
    backend: Backend, store: DeputyStore
) -> None:
    """Both the first and the last day count; the days either side do not."""
    name(backend, store, DANA, OWEN)
    owen, dana = backend.person(OWEN), backend.person(DANA)

    with backend.writing() as session:
        on = {
            day: store.member_stood_in_for(session, owen, "CMT", date(2014, 6, day), ())
            for day in (8, 9, 13, 14)
        }

    assert on == {8: None, 9: dana, 13: dana, 14: None}


def test_a_deputy_stands_in_only_for_the_members_bodies(
    backend: Backend, store: DeputyStore
) -> None:
    """Standing in for a CMT member lets the deputy act for CMT, never for Cabinet."""
    name(backend, store, DANA, OWEN)
    owen = backend.person(OWEN)

    with backend.writing() as session:
        assert store.member_stood_in_for(session, owen, "Cabinet", FIRST, ()) is None
        assert store.bodies_deputised(session, owen, FIRST) == {"CMT"}
        assert store.bodies_deputised(session, owen, date(2014, 6, 14)) == set()


def test_members_already_counted_are_passed_over(backend: Backend, store: DeputyStore) -> None:
    """With the first member excluded (already decided), the deputy stands in for the next;
    with both excluded, for nobody."""
    name(backend, store, DANA, OWEN)
    name(backend, store, SAM, OWEN)
    owen, dana, sam = backend.person(OWEN), backend.person(DANA), backend.person(SAM)

    with backend.writing() as session:
        assert store.member_stood_in_for(session, owen, "CMT", FIRST, ()) == dana
        assert store.member_stood_in_for(session, owen, "CMT", FIRST, {dana}) == sam
        assert store.member_stood_in_for(session, owen, "CMT", FIRST, {dana, sam}) is None


def test_stand_ins_give_each_member_the_last_day_of_the_longest_period(
    backend: Backend, store: DeputyStore
) -> None:
    """Two overlapping periods for one member end on the later last day; periods of other
    deputies are not counted."""
    name(backend, store, DANA, OWEN)
    name(backend, store, DANA, OWEN, FIRST, date(2014, 6, 20))
    name(backend, store, RUTH, OWEN, date(2014, 6, 10), date(2014, 6, 11))
    name(backend, store, SAM, "priya@council.example")

    with backend.writing() as session:
        found = store.stand_ins_on(session, backend.person(OWEN), date(2014, 6, 10))
        later = store.stand_ins_on(session, backend.person(OWEN), date(2014, 6, 16))
        bodies = store.bodies_deputised(session, backend.person(OWEN), date(2014, 6, 10))

    assert found == {
        backend.person(DANA): date(2014, 6, 20),
        backend.person(RUTH): date(2014, 6, 11),
    }
    assert later == {backend.person(DANA): date(2014, 6, 20)}
    assert bodies == {"CMT", "Cabinet"}


def test_every_period_is_listed_oldest_first(backend: Backend, store: DeputyStore) -> None:
    """Periods come back in the order they were named, each as it was recorded."""
    first = name(backend, store, DANA, OWEN)
    second = name(backend, store, RUTH, SAM, date(2014, 7, 1), date(2014, 7, 4))

    with backend.writing() as session:
        periods = store.all_periods(session)

    assert [(p.id, p.member_id, p.deputy_id, p.starts_on, p.ends_on) for p in periods] == [
        (first, backend.person(DANA), backend.person(OWEN), FIRST, LAST),
        (second, backend.person(RUTH), backend.person(SAM), date(2014, 7, 1), date(2014, 7, 4)),
    ]
