"""What the sweep reads and writes besides notices and escalations: the open actions that can
have something due, each rule's narrow index range; the requests waiting for a decision; the
people a notice may go to; and an action's silence restarted once it is prompted.

Every candidate read is a Core statement built once here, so a sweep's cost follows the
number of actions due, not the number stored.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from improveflow.models import (
    Action,
    ApprovalRequest,
    Decision,
    Membership,
    Person,
    PersonRole,
    Plan,
    RequestStatus,
)
from improveflow.stores.people import people_of
from improveflow.stores.rollover import NOT_CARRIED_ON
from improveflow.stores.tables import table_of

_ACTION = table_of(Action)
_PLAN = table_of(Plan)
_PERSON = table_of(Person)
_ROLE = table_of(PersonRole)
_MEMBERSHIP = table_of(Membership)
_REQUEST = table_of(ApprovalRequest)
_DECISION = table_of(Decision)

PAGE = 1000  # actions per UPDATE when restarting their silence


class Scope(NamedTuple):
    """The actions one workflow's pass reads: in one of the `states` it reminds about, and
    of plans that use `workflow` (None when every plan does, as with a single workflow)."""

    states: tuple[str, ...]
    workflow: str | None


class Dated(NamedTuple):
    """An open action with an owner and a target date."""

    id: int
    owner_id: int
    target_date: date


class Quiet(NamedTuple):
    """An open action with an owner and no target date, silent since `quiet_since`."""

    id: int
    owner_id: int
    quiet_since: datetime


class Rung(NamedTuple):
    """An open action that may have reached a level of the escalation ladder, with what the
    ladder reads of it and its plan's council."""

    id: int
    owner_id: int | None
    target_date: date | None
    rag: str | None
    heard_from_at: datetime | None
    escalation_level: int
    organisation: str | None


class WaitingRequest(NamedTuple):
    """A request still waiting for its body's decision, with its plan's council."""

    id: int
    body: str
    created_at: datetime
    action_id: int
    requester_id: int
    organisation: str | None


_IN_STATES = _ACTION.c.state.in_(sa.bindparam("states", expanding=True))
_IN_WORKFLOW = _ACTION.c.plan_id.in_(
    sa.select(_PLAN.c.id).where(_PLAN.c.workflow == sa.bindparam("workflow"))
)
_DATED_COLUMNS = (_ACTION.c.id, _ACTION.c.owner_id, _ACTION.c.target_date)
_QUIET_COLUMNS = (_ACTION.c.id, _ACTION.c.owner_id, _ACTION.c.quiet_since)
_RUNG_COLUMNS = (
    _ACTION.c.id,
    _ACTION.c.owner_id,
    _ACTION.c.target_date,
    _ACTION.c.rag,
    _ACTION.c.heard_from_at,
    _ACTION.c.escalation_level,
    # The plan's council: whoever a level names is looked for there.
    sa.select(_PLAN.c.organisation)
    .where(_PLAN.c.id == _ACTION.c.plan_id)
    .scalar_subquery()
    .label("organisation"),
)


class _Read(NamedTuple):
    """One rule's read, for every plan or for the plans of one workflow."""

    every_plan: sa.Select[Any]
    one_workflow: sa.Select[Any]


def _read_of(
    columns: tuple[sa.ColumnElement[Any], ...], condition: sa.ColumnElement[bool]
) -> _Read:
    # No ORDER BY and no paging by id: either would tempt the query planner to walk the table
    # in id order instead of the range. The rows are few by construction (only what is due),
    # so holding them is cheap, and it leaves the sweep free to write as it goes. With one
    # workflow (the usual case) no workflow filter confuses the planner.
    every_plan = sa.select(*columns).where(condition, _IN_STATES, NOT_CARRIED_ON)
    return _Read(every_plan, every_plan.where(_IN_WORKFLOW))


_TARGET_BETWEEN = _read_of(
    _DATED_COLUMNS,
    sa.and_(
        _ACTION.c.target_date.between(
            sa.bindparam("first", type_=sa.Date), sa.bindparam("last", type_=sa.Date)
        ),
        _ACTION.c.owner_id.is_not(None),
    ),
)
_QUIET_WITHOUT_TARGET = _read_of(
    _QUIET_COLUMNS,
    sa.and_(
        _ACTION.c.target_date.is_(None),
        _ACTION.c.quiet_since <= sa.bindparam("since", type_=_ACTION.c.quiet_since.type),
        _ACTION.c.owner_id.is_not(None),
    ),
)
_LATE_BELOW = _read_of(
    _RUNG_COLUMNS,
    sa.and_(
        _ACTION.c.escalation_level.in_(sa.bindparam("levels", expanding=True)),
        _ACTION.c.target_date <= sa.bindparam("target_by", type_=sa.Date),
    ),
)
_RATED_BELOW = _read_of(
    _RUNG_COLUMNS,
    sa.and_(
        _ACTION.c.rag == sa.bindparam("rag", type_=_ACTION.c.rag.type),
        _ACTION.c.escalation_level.in_(sa.bindparam("levels", expanding=True)),
    ),
)
_UNHEARD_SINCE = _read_of(
    _RUNG_COLUMNS,
    sa.and_(
        _ACTION.c.escalation_level == 0,
        _ACTION.c.heard_from_at <= sa.bindparam("since", type_=_ACTION.c.heard_from_at.type),
    ),
)


def _rows(
    session: Session, read: _Read, scope: Scope, values: dict[str, object]
) -> sa.CursorResult[Any]:
    values["states"] = scope.states
    if scope.workflow is None:
        return session.connection().execute(read.every_plan, values)
    values["workflow"] = scope.workflow
    return session.connection().execute(read.one_workflow, values)


def targets_between(session: Session, scope: Scope, first: date, last: date) -> list[Dated]:
    """Actions with an owner whose target date is from `first` to `last`, both included."""
    rows = _rows(session, _TARGET_BETWEEN, scope, {"first": first, "last": last})
    return [Dated._make(row) for row in rows]


def quiet_without_target(session: Session, scope: Scope, since: datetime) -> list[Quiet]:
    """Actions with an owner, no target date and no news since `since` or before."""
    rows = _rows(session, _QUIET_WITHOUT_TARGET, scope, {"since": since})
    return [Quiet._make(row) for row in rows]


def late_below(
    session: Session, scope: Scope, levels: Collection[int], target_by: date
) -> list[Rung]:
    """Actions at one of the escalation `levels` whose target date is `target_by` or earlier."""
    rows = _rows(session, _LATE_BELOW, scope, {"levels": tuple(levels), "target_by": target_by})
    return [Rung._make(row) for row in rows]


def rated_below(session: Session, scope: Scope, rag: str, levels: Collection[int]) -> list[Rung]:
    """Actions rated `rag` at one of the escalation `levels`."""
    rows = _rows(session, _RATED_BELOW, scope, {"rag": rag, "levels": tuple(levels)})
    return [Rung._make(row) for row in rows]


def unheard_since(session: Session, scope: Scope, since: datetime) -> list[Rung]:
    """Actions with no escalation open and no news since `since` or before."""
    rows = _rows(session, _UNHEARD_SINCE, scope, {"since": since})
    return [Rung._make(row) for row in rows]


_RESTART_SILENCE = (
    sa.update(_ACTION)
    .where(_ACTION.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(quiet_since=sa.bindparam("now", type_=_ACTION.c.quiet_since.type))
)


def restart_silence(session: Session, action_ids: Sequence[int], now: datetime) -> None:
    """Count the actions' silence from `now`, when they were prompted (when their owners were
    last heard from stays as it was)."""
    connection = session.connection()
    for start in range(0, len(action_ids), PAGE):
        connection.execute(
            _RESTART_SILENCE, {"ids": list(action_ids[start : start + PAGE]), "now": now}
        )


_WAITING_REQUESTS = (
    sa.select(
        _REQUEST.c.id,
        _REQUEST.c.body,
        _REQUEST.c.created_at,
        _REQUEST.c.action_id,
        _REQUEST.c.requester_id,
        _PLAN.c.organisation,
    )
    .select_from(
        _REQUEST.join(_ACTION, _ACTION.c.id == _REQUEST.c.action_id).join(
            _PLAN, _PLAN.c.id == _ACTION.c.plan_id
        )
    )
    .where(_REQUEST.c.status == RequestStatus.PENDING)
    .order_by(_REQUEST.c.id)
)
_DECIDERS = sa.select(_DECISION.c.person_id).where(
    _DECISION.c.request_id == sa.bindparam("request_id")
)


def waiting_requests(session: Session) -> list[WaitingRequest]:
    """Every request waiting for a decision, oldest first."""
    return [WaitingRequest._make(row) for row in session.connection().execute(_WAITING_REQUESTS)]


def deciders_of(session: Session, request_id: int) -> set[int]:
    """Everyone who has decided the request so far."""
    rows = session.connection().execute(_DECIDERS, {"request_id": request_id})
    return {row[0] for row in rows}


_DIGEST_PEOPLE = sa.select(_PERSON.c.id).where(_PERSON.c.reminder_delivery == "daily_digest")


def digest_people(session: Session) -> set[int]:
    """Everyone who chose one daily digest for their reminders and prompts."""
    return {row[0] for row in session.connection().execute(_DIGEST_PEOPLE)}


# Who a level or a chase may tell, by `people_of`: those who belong with a plan of the
# organisation (its own people, and those with none recorded), never another council's.


def holders_of_role(session: Session, role: str, organisation: str | None) -> list[int]:
    """Everyone holding `role` who belongs with a plan of `organisation`."""
    query = sa.select(_ROLE.c.person_id).where(
        _ROLE.c.role == role, people_of(organisation, _ROLE.c.person_id)
    )
    return [row[0] for row in session.connection().execute(query)]


def members_of_body(session: Session, body: str, organisation: str | None) -> list[int]:
    """Every member of `body` who belongs with a plan of `organisation`."""
    query = sa.select(_MEMBERSHIP.c.person_id).where(
        _MEMBERSHIP.c.body == body, people_of(organisation, _MEMBERSHIP.c.person_id)
    )
    return [row[0] for row in session.connection().execute(query)]


def person_in_council(session: Session, email: str, organisation: str | None) -> int | None:
    """The person whose address is `email` as written, if they belong with a plan of
    `organisation`."""
    query = sa.select(_PERSON.c.id).where(_PERSON.c.email == email, people_of(organisation))
    found = session.connection().execute(query).first()
    return None if found is None else int(found[0])
