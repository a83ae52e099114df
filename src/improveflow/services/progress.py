"""Recording progress against an action.

A refusal about what was written names it (`Detail.PROGRESS_TEXT` or `Detail.RATING`), so a
form marks the right box from the refusal, never from its words.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.models import Action, Rag
from improveflow.services import escalations, rollover
from improveflow.services.authority import describe, refuse_action_out_of_reach, standing
from improveflow.services.context import Context
from improveflow.stores import actions, people, plans
from improveflow.workflow.definition import ADMIN, LEAD, OWNER
from improveflow.workflow.details import Detail, DetailInvalid

MAY_RECORD_PROGRESS = frozenset({OWNER, LEAD, ADMIN})
MAX_PROGRESS_CHARS = 20_000


def parse_rag(text: str | None) -> Rag | None:
    if text is None:
        return None
    try:
        return Rag(text.strip().lower())
    except ValueError:
        raise DetailInvalid(
            Detail.RATING, f"'{text}' is not a RAG rating (green, amber or red)"
        ) from None


def record_progress(
    ctx: Context, action_id: int, text: str, rag: Rag | None, *, by_email: str
) -> int:
    """Add a progress update (and the action's RAG, when given); returns the update's id."""
    text = checked_text(text)
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        return add_progress(ctx, session, action_id, text, rag, by_email=by_email, now=now)


def checked_text(text: str) -> str:
    """The update's text, stripped; DetailInvalid when empty or too long."""
    text = text.strip()
    if not text:
        raise DetailInvalid(Detail.PROGRESS_TEXT, "A progress update needs some text")
    if len(text) > MAX_PROGRESS_CHARS:
        raise DetailInvalid(
            Detail.PROGRESS_TEXT,
            f"A progress update may be at most {MAX_PROGRESS_CHARS:,} characters",
        )
    return text


def add_progress(
    ctx: Context,
    session: Session,
    action_id: int,
    text: str,
    rag: Rag | None,
    *,
    by_email: str,
    now: datetime,
) -> int:
    """`record_progress` in the caller's transaction (a reply by email records its update and
    its requests together): the same checks, writes and audit event."""
    text = checked_text(text)
    person = people.actor_by_email(session, by_email)
    refuse_action_out_of_reach(session, person.id, action_id)
    rollover.refuse_if_carried_on(session, action_id)
    action = actions.action_by_id(session, action_id)
    if not standing(person, action.owner_id) & MAY_RECORD_PROGRESS:
        raise exceptions.NotAllowedToRequest(
            f"{person.name} cannot update action {action_id}: only "
            f"{describe(MAY_RECORD_PROGRESS)} may record progress"
        )
    if rag is not None:
        _refuse_rating_when_finished(ctx, session, action)
    update_id = actions.add_progress(
        session, action_id, text, rag.value if rag else None, person.id, now
    )
    values: dict[str, object] = {"updated_at": now, "heard_from_at": now, "quiet_since": now}
    if rag is not None:
        values["rag"] = rag.value
    if not actions.update_if_unchanged(session, action, values):
        raise exceptions.ConcurrentChange(
            f"Action {action_id} changed while the update was being saved; please try again"
        )
    escalations.close_stalled(session, action_id, now)
    news = recorded.ProgressRecorded(
        action_id=action_id, actor_id=person.id, text=text, progress_id=update_id, rag=rag
    )
    audit.record(session, news, at=now)
    return update_id


def _refuse_rating_when_finished(ctx: Context, session: Session, action: Action) -> None:
    """A finished action is not rated: its last rating stays the one given before it finished."""
    workflow = ctx.workflows.workflow(plans.plan_by_id(session, action.plan_id).workflow)
    state = workflow.states.get(action.state)
    if state is not None and state.final:
        raise DetailInvalid(
            Detail.RATING,
            f"Action {action.id} is {state.label.lower()}, so it takes no RAG rating; "
            "record the update without one",
        )
