"""Who may see a plan, its dashboard and its table: people of the plan's own council.

A plan with no council recorded, or a person with none, sees across councils. `can_see` is the
rule for one plan already loaded; `visible_to`, the same rule as a condition for queries over
many plans, lives with the stores.
"""

from __future__ import annotations

from improveflow.stores.visibility import visible_to

__all__ = ["can_see", "visible_to"]


def can_see(plan_organisation: str | None, organisation: str | None) -> bool:
    if plan_organisation is None or organisation is None:
        return True
    return plan_organisation.strip().lower() == organisation.strip().lower()
