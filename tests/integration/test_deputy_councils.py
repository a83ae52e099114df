"""A deputy must belong with the council of the member they stand in for: a deputy receives and
decides the member's approvals, so naming one from another council is refused in words that
say why, and nothing is stored. The rule is the one for a plan's people: the same council
(compared as people type it), or none recorded on either side."""

from __future__ import annotations

from datetime import date

import pytest
from two_councils import LGA_LEAD, NORTHSHIRE, SOUTHSHIRE, directory

from improveflow import exceptions
from improveflow.services import deputies, people
from improveflow.services.context import Context

FIRST = date(2014, 6, 1)
LAST = date(2014, 6, 30)
DANA = NORTHSHIRE.cmt[0]


@pytest.fixture
def councils(ctx: Context) -> Context:
    """Both councils' people (no plans: naming a deputy needs none)."""
    people.import_people(ctx, directory())
    return ctx


def test_a_deputy_from_another_council_is_refused(councils: Context) -> None:
    """Southshire's Ade named as Northshire Dana's deputy is refused, naming both councils,
    and no deputy is recorded."""
    with pytest.raises(exceptions.InvalidValue) as refused:
        deputies.add_deputy(councils, DANA, SOUTHSHIRE.admin, FIRST, LAST)
    assert refused.value.message == (
        "Ade Bello cannot be Dana Reeve's deputy: Ade Bello works for Southshire and "
        "Dana Reeve for Northshire. A deputy must work for the same council as the member "
        "they stand in for"
    )
    assert deputies.list_deputies(councils) == []


def test_a_member_of_another_councils_cmt_is_refused_too(councils: Context) -> None:
    """Sitting on a body of the same name ('CMT') elsewhere does not make Southshire's Dara a
    deputy for Northshire's Sam."""
    with pytest.raises(exceptions.InvalidValue) as refused:
        deputies.add_deputy(councils, NORTHSHIRE.cmt[1], SOUTHSHIRE.cmt[0], FIRST, LAST)
    assert refused.value.message.startswith(
        "Dara Quinn cannot be Sam Patel's deputy: Dara Quinn works for Southshire and "
        "Sam Patel for Northshire."
    )
    assert deputies.list_deputies(councils) == []


def test_a_deputy_from_the_same_council_is_named(councils: Context) -> None:
    """Northshire's Alex stands in for Northshire's Dana, whether their council's name is
    typed in the same case or not."""
    people.import_people(
        councils,
        [
            people.PersonInput(
                "Alex Smith", NORTHSHIRE.admin, roles=("admin",), organisation="NORTHSHIRE"
            )
        ],
    )
    deputies.add_deputy(councils, DANA, NORTHSHIRE.admin, FIRST, LAST)
    (named,) = deputies.list_deputies(councils)
    assert (named.member, named.deputy, named.starts_on, named.ends_on) == (
        "Dana Reeve",
        "Alex Smith",
        "2014-06-01",
        "2014-06-30",
    )


def test_someone_with_no_council_recorded_may_deputise_for_either(councils: Context) -> None:
    """The LGA's lead, with no organisation recorded, belongs with both councils' plans, so
    may stand in for a member of either."""
    deputies.add_deputy(councils, DANA, LGA_LEAD, FIRST, LAST)
    deputies.add_deputy(councils, SOUTHSHIRE.cmt[0], LGA_LEAD, FIRST, LAST)
    assert [(d.member, d.deputy) for d in deputies.list_deputies(councils)] == [
        ("Dana Reeve", "Pat Okafor"),
        ("Dara Quinn", "Pat Okafor"),
    ]


def test_a_member_with_no_council_recorded_may_have_any_deputy(ctx: Context) -> None:
    """A member with no organisation belongs with every council's plans, as a plan with none
    does; a deputy from a council stands in for them (and still decides only within reach)."""
    people.import_people(
        ctx,
        [
            people.PersonInput("Cllr Jo Hart", "jo@shared.example", bodies=("Cabinet",)),
            people.PersonInput("Ade Bello", SOUTHSHIRE.admin, organisation="Southshire"),
        ],
    )
    deputies.add_deputy(ctx, "jo@shared.example", SOUTHSHIRE.admin, FIRST, LAST)
    assert [(d.member, d.deputy) for d in deputies.list_deputies(ctx)] == [
        ("Cllr Jo Hart", "Ade Bello")
    ]
