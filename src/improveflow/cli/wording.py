"""The command line's sentences, in the words the web pages use: the workflow's own labels.

A state is "in progress", never `in_progress`; a change is "mark the action complete", never
`complete`; a body is "Corporate Management Team (CMT)". Sentences are built from the fields of
a result, never from a service's message text.
"""

from __future__ import annotations

from datetime import date

from improveflow.services import approvals
from improveflow.workflow.definition import Workflow

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
RAG_LABELS = {"green": "Green", "amber": "Amber", "red": "Red"}


def state_label(workflow: Workflow, state: str | None) -> str:
    """'In progress' for in_progress; a state the workflow does not know, as stored."""
    if not state:
        return ""
    known = workflow.states.get(state)
    return known.label if known else state


def change_label(workflow: Workflow, trigger: str) -> str:
    """'mark the action complete' for complete."""
    known = workflow.transitions.get(trigger)
    return known.label if known else trigger


def body_name(workflow: Workflow, body: str | None) -> str:
    """'Corporate Management Team (CMT)'; a body known only by its name, as it is."""
    if not body:
        return ""
    title = workflow.body_title(body)
    return body if title == body else f"{title} ({body})"


def rag_label(rag: str | None) -> str:
    return RAG_LABELS.get(rag or "", "Not given")


def day(value: date | str | None) -> str:
    """'28 February 2015'."""
    if value is None or value == "":
        return ""
    found = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{found.day} {MONTHS[found.month - 1]} {found.year}"


def change_message(result: approvals.ChangeResult, workflow: Workflow) -> str:
    """What happened to a request for a change, as one sentence."""
    action = f"action {result.action_id}"
    now = state_label(workflow, result.to_state).lower()
    was = state_label(workflow, result.from_state).lower()
    asked = change_label(workflow, result.transition)
    request = f"request {result.request_id} to {asked}"
    body = body_name(workflow, result.body)
    moved = result.to_state != result.from_state
    status = result.status
    if status is approvals.ChangeStatus.APPLIED:
        return f"Action {result.action_id} is now {now}." if moved else f"Done: {asked} ({action})."
    if status is approvals.ChangeStatus.PENDING and result.approvals == 0:
        return (
            f"Request {result.request_id} ({asked}, {action}) is waiting for a decision by {body}."
        )
    if status is approvals.ChangeStatus.PENDING:
        return (
            f"Your approval is recorded: {result.approvals} of the {result.quorum} needed for "
            f"{request}; it is waiting for more members of {body}."
        )
    if status is approvals.ChangeStatus.APPROVED:
        return f"Approved: {action} is now {now}." if moved else f"Approved: {request} ({action})."
    if status is approvals.ChangeStatus.REJECTED:
        return f"Rejected: {request}. Action {result.action_id} stays {was}."
    if status is approvals.ChangeStatus.WITHDRAWN:
        return f"Withdrawn: {request}. Action {result.action_id} stays {was}."
    # Superseded: approved too late, when the action had moved on.
    return f"Not applied: {request} no longer fits {action}. {result.message}"
