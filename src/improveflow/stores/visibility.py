"""Which plans a person may see, as a condition for queries over many plans.

People see the plans of their own council; a plan with no council recorded, or a person with
none, sees across councils. Services judge one plan already loaded with the same rule in
plain Python (`services.dashboard.can_see`).
"""

from __future__ import annotations

import sqlalchemy as sa

from improveflow.models import Plan
from improveflow.stores.tables import table_of

_plan = table_of(Plan)


def visible_to(organisation: str | None) -> sa.ColumnElement[bool]:
    """Plans a person of `organisation` may see: their own and those with none recorded."""
    if organisation is None:
        return sa.true()
    return sa.or_(
        _plan.c.organisation.is_(None),
        sa.func.lower(_plan.c.organisation) == organisation.strip().lower(),
    )
