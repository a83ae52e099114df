"""The old single store, while its callers move to `improveflow.stores` (one module per
aggregate). Nothing new should import this."""

from __future__ import annotations

from improveflow.stores import actions as _actions
from improveflow.stores.actions import ActionState as ActionState
from improveflow.stores.actions import action_by_id as action_by_id
from improveflow.stores.actions import action_state as action_state
from improveflow.stores.actions import latest_progress as latest_progress
from improveflow.stores.actions import progress_count as progress_count
from improveflow.stores.people import Actor as Actor
from improveflow.stores.people import actor_by_email as actor_by_email
from improveflow.stores.people import aliases_of as aliases_of
from improveflow.stores.people import all_people as all_people
from improveflow.stores.people import bodies_of as bodies_of
from improveflow.stores.people import emails_by_id as emails_by_id
from improveflow.stores.people import names_by_id as names_by_id
from improveflow.stores.people import normalise_email as normalise_email
from improveflow.stores.people import organisation_of as organisation_of
from improveflow.stores.people import person_by_email as person_by_email
from improveflow.stores.people import person_by_id as person_by_id
from improveflow.stores.people import roles_of as roles_of
from improveflow.stores.plans import count_in as count_in
from improveflow.stores.plans import objective_in_theme as objective_in_theme
from improveflow.stores.plans import plan_by_id as plan_by_id
from improveflow.stores.plans import theme_named as theme_named
from improveflow.stores.requests import ClaimedRequest as ClaimedRequest
from improveflow.stores.requests import claim_request as claim_request
from improveflow.stores.requests import close_request as close_request
from improveflow.stores.requests import decisions_on as decisions_on
from improveflow.stores.requests import insert_decision as insert_decision
from improveflow.stores.requests import insert_request as insert_request
from improveflow.stores.requests import pending_request_for as pending_request_for
from improveflow.stores.requests import request_by_id as request_by_id
from improveflow.stores.requests import verdicts_on as verdicts_on
from improveflow.stores.tables import insert_or_ignore as insert_or_ignore
from improveflow.stores.tables import table_of as table_of

move_action = _actions.move_if_unchanged
bump_action = _actions.update_if_unchanged
