"""Actions' workflow state and progress updates, kept in memory."""

from __future__ import annotations

from datetime import date, datetime

from improveflow import exceptions
from improveflow.models import Action, ProgressUpdate
from improveflow.stores.actions import ActionState


class FakeActions:
    """`ActionStore` in memory; `add_action` puts in an action to work on, with its plan's
    workflow, kind and approval overrides."""

    def __init__(self) -> None:
        self.actions: dict[int, Action] = {}
        self.plans: dict[int, tuple[str, str, dict[str, str]]] = {}  # by action id
        self.progress: list[ProgressUpdate] = []

    def add_action(
        self,
        *,
        plan_id: int = 1,
        state: str = "not_started",
        owner_id: int | None = None,
        target_date: date | None = None,
        workflow: str = "default",
        plan_kind: str = "peer_challenge",
        approval_overrides: dict[str, str] | None = None,
    ) -> int:
        action_id = len(self.actions) + 1
        self.actions[action_id] = Action(
            id=action_id,
            plan_id=plan_id,
            objective_id=1,
            description=f"Action {action_id}",
            owner_id=owner_id,
            state=state,
            target_date=target_date,
            version=1,
        )
        self.plans[action_id] = (workflow, plan_kind, dict(approval_overrides or {}))
        return action_id

    def _stored(self, action_id: int) -> Action:
        action = self.actions.get(action_id)
        if action is None:
            raise exceptions.NotFound(f"No action with id {action_id}")
        return action

    def action_by_id(self, session: object, action_id: int) -> Action:
        # A copy, as a load is: a change made since does not show in it.
        return Action(**self._stored(action_id).model_dump())

    def action_state(self, session: object, action_id: int) -> ActionState:
        action = self._stored(action_id)
        workflow, kind, overrides = self.plans[action_id]
        assert action.id is not None
        return ActionState(
            action.id, action.plan_id, action.state, action.version, action.owner_id,
            action.target_date, workflow, kind, dict(overrides),
        )  # fmt: skip

    def update_if_unchanged(
        self, session: object, action: Action, values: dict[str, object]
    ) -> bool:
        assert action.id is not None
        stored = self._stored(action.id)
        if stored.version != action.version:
            return False
        version = stored.version + 1
        for held in (stored, action):  # the caller's copy reads the change, as after a reload
            for name, value in {**values, "version": version}.items():
                setattr(held, name, value)
        return True

    def move_if_unchanged(
        self,
        session: object,
        seen: ActionState,
        state: str,
        at: datetime,
        target_date: date | None,
    ) -> bool:
        stored = self._stored(seen.id)
        if stored.version != seen.version:
            return False
        stored.version += 1
        stored.state, stored.updated_at = state, at
        if target_date is not None:
            stored.target_date = target_date
        return True

    def add_progress(
        self,
        session: object,
        action_id: int,
        text: str,
        rag: str | None,
        author_id: int,
        at: datetime,
    ) -> int:
        update_id = len(self.progress) + 1
        self.progress.append(
            ProgressUpdate(
                id=update_id,
                action_id=action_id,
                text=text,
                rag=rag,
                author_id=author_id,
                created_at=at,
            )
        )
        return update_id

    def latest_progress(self, session: object, action_id: int) -> ProgressUpdate | None:
        updates = [update for update in self.progress if update.action_id == action_id]
        return max(updates, key=lambda update: (update.created_at, update.id or 0), default=None)

    def progress_count(self, session: object, action_id: int) -> int:
        return sum(1 for update in self.progress if update.action_id == action_id)
