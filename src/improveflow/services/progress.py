"""Recording progress against an action."""

from __future__ import annotations

from sqlmodel import Session

from improveflow import audit, exceptions, store
from improveflow.models import Action, ProgressUpdate, Rag
from improveflow.services import escalations
from improveflow.services.authority import describe, refuse_action_out_of_reach, standing
from improveflow.services.context import Context
from improveflow.workflow.definition import ADMIN, LEAD, OWNER

MAY_RECORD_PROGRESS = frozenset({OWNER, LEAD, ADMIN})
MAX_PROGRESS_CHARS = 20_000


def parse_rag(text: str | None) -> Rag | None:
    if text is None:
        return None
    try:
        return Rag(text.strip().lower())
    except ValueError:
        raise exceptions.InvalidValue(
            f"'{text}' is not a RAG rating (green, amber or red)"
        ) from None


def record_progress(
    ctx: Context, action_id: int, text: str, rag: Rag | None, *, by_email: str
) -> int:
    """Add a progress update (and the action's RAG, when given); returns the update's id."""
    text = text.strip()
    if not text:
        raise exceptions.InvalidValue("A progress update needs some text")
    if len(text) > MAX_PROGRESS_CHARS:
        raise exceptions.InvalidValue(
            f"A progress update may be at most {MAX_PROGRESS_CHARS:,} characters"
        )
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        person = store.actor_by_email(session, by_email)
        refuse_action_out_of_reach(session, person.id, action_id)
        action = store.action_by_id(session, action_id)
        if not standing(person, action.owner_id) & MAY_RECORD_PROGRESS:
            raise exceptions.NotAllowedToRequest(
                f"{person.name} cannot update action {action_id}: only "
                f"{describe(MAY_RECORD_PROGRESS)} may record progress"
            )
        if rag is not None:
            _refuse_rating_when_finished(ctx, session, action)
        update = ProgressUpdate(
            action_id=action_id, text=text, rag=rag, author_id=person.id, created_at=now
        )
        session.add(update)
        values: dict[str, object] = {"updated_at": now, "heard_from_at": now, "quiet_since": now}
        if rag is not None:
            values["rag"] = rag.value
        if not store.bump_action(session, action, values):
            raise exceptions.ConcurrentChange(
                f"Action {action_id} changed while the update was being saved; please try again"
            )
        session.flush()
        assert update.id is not None
        escalations.close_stalled(session, action_id, now)
        audit.append(
            session,
            at=now,
            event="progress",
            action_id=action_id,
            actor_id=person.id,
            comment=text,
            data={"progress_id": update.id, "rag": rag.value if rag else None},
        )
        return update.id


def _refuse_rating_when_finished(ctx: Context, session: Session, action: Action) -> None:
    """A finished action is not rated: its last rating stays the one given before it finished."""
    workflow = ctx.workflows.workflow(store.plan_by_id(session, action.plan_id).workflow)
    state = workflow.states.get(action.state)
    if state is not None and state.final:
        raise exceptions.InvalidValue(
            f"Action {action.id} is {state.label.lower()}, so it takes no RAG rating; "
            "record the update without one"
        )
