"""The public progress page: publishing a plan, marking progress public, and what the page shows.

A council chooses to publish a plan; its page at /public/plans/<slug> then shows every agreed
action (not those still being drafted) with its state, rating, target and lead as the plan
wrote it, and only the progress an approver has marked public. An approver is a member of a
body that decides this plan's changes (as its workflow, its kind and its own overrides say),
in the plan's own council. Every publication and marking goes into the audit log.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.calendar import as_london
from improveflow.models import Role
from improveflow.services.context import Context
from improveflow.stores import actions, people, plans
from improveflow.stores import publication as store
from improveflow.stores.people import Actor
from improveflow.stores.publication import MarkableUpdate, PublicRow
from improveflow.workflow.deciders import PlanRules, for_plan, joined

PUBLIC_PATH = "/public/plans/"
MAX_SLUG_CHARS = 80
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# Who may publish and mark ------------------------------------------------------------------------


def deciding_bodies(ctx: Context, session: Session, plan_id: int) -> list[str]:
    """The bodies that decide any change to this plan's actions, by name."""
    plan = plans.plan_by_id(session, plan_id)
    workflow = ctx.workflows.workflow(plan.workflow)
    rules = PlanRules(plan.kind, plan.approval_overrides)
    found = {for_plan(workflow, trigger, rules).body for trigger in workflow.transitions}
    return sorted(body for body in found if body is not None)


def _approver(
    ctx: Context,
    session: Session,
    person: Actor,
    plan_id: int,
    doing: str,
    *,
    or_admin: bool = False,
) -> None:
    """Refuses, in a sentence naming who may, unless `person` is an approver of the plan (or,
    with `or_admin`, an administrator). Another council's plan is answered as a missing one."""
    if not store.plan_in_reach(session, person.id, plan_id):
        raise exceptions.NotFound(f"No plan with id {plan_id}")
    bodies = deciding_bodies(ctx, session, plan_id)
    if person.bodies & set(bodies) or (or_admin and Role.ADMIN in person.roles):
        return
    which = (
        f"members of {joined(bodies, 'or')}, the bodies that decide this plan's changes"
        if len(bodies) > 1
        else f"members of {''.join(bodies)}, the body that decides this plan's changes"
    )
    admin = "an administrator or " if or_admin else ""
    raise exceptions.NotAMember(f"{person.name} cannot {doing}: only {admin}{which}, may")


def may_mark(ctx: Context, session: Session, person: Actor, plan_id: int) -> bool:
    try:
        _approver(ctx, session, person, plan_id, "mark progress public")
    except (exceptions.NotFound, exceptions.NotAMember):
        return False
    return True


# Publishing a plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    plan_id: int
    title: str
    slug: str
    published: bool
    changed: bool  # False when it already stood so: nothing was recorded

    @property
    def path(self) -> str:
        return PUBLIC_PATH + self.slug


def slug_for(title: str) -> str:
    """'Peer Challenge: Improvement Plan' -> 'peer-challenge-improvement-plan'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > MAX_SLUG_CHARS:
            break
        slug = longer
    return slug or "plan"


def _checked_slug(text: str) -> str:
    slug = text.strip().lower()
    if not _SLUG.fullmatch(slug) or len(slug) > MAX_SLUG_CHARS:
        raise exceptions.InvalidValue(
            f"'{text}' cannot be a page address: use lower-case letters, digits and single "
            f"hyphens, at most {MAX_SLUG_CHARS} characters (e.g. peer-challenge-2014)"
        )
    return slug


def publish_plan(
    ctx: Context, plan_id: int, *, by_email: str, slug: str | None = None
) -> Publication:
    """Open the plan's public page; at its earlier address when it had one and none is given."""
    wanted = _checked_slug(slug) if slug is not None else None
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        person = people.actor_by_email(session, by_email)
        _may_publish(ctx, session, person, plan_id, "publish this plan")
        store.hold_plan(session, plan_id)
        plan = plans.plan_by_id(session, plan_id)
        earlier = store.publication_of(session, plan_id)
        chosen = wanted or (earlier.slug if earlier else _free_slug(session, plan.title, plan_id))
        if store.slug_taken(session, chosen, plan_id):
            raise exceptions.InvalidValue(
                f"Another plan is published at {PUBLIC_PATH}{chosen}; choose another --slug"
            )
        if earlier and earlier.published_at is not None and earlier.slug == chosen:
            return Publication(plan_id, plan.title, chosen, published=True, changed=False)
        store.save_publication(session, plan_id, chosen, now, person.id)
        audit.record(
            session,
            recorded.PlanPublished(
                published=True, actor_id=person.id, plan_id=plan_id, slug=chosen
            ),
            at=now,
        )
        return Publication(plan_id, plan.title, chosen, published=True, changed=True)


def unpublish_plan(ctx: Context, plan_id: int, *, by_email: str) -> Publication:
    """Withdraw the plan's public page: its address answers 'not found' from now on."""
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        person = people.actor_by_email(session, by_email)
        _may_publish(ctx, session, person, plan_id, "withdraw this plan's public page")
        store.hold_plan(session, plan_id)
        plan = plans.plan_by_id(session, plan_id)
        earlier = store.publication_of(session, plan_id)
        if earlier is None or earlier.published_at is None:
            raise exceptions.InvalidValue(
                f"Plan {plan_id} is not published, so there is no page to withdraw"
            )
        store.save_publication(session, plan_id, earlier.slug, None, None)
        event = recorded.PlanPublished(
            published=False, actor_id=person.id, plan_id=plan_id, slug=earlier.slug
        )
        audit.record(session, event, at=now)
        return Publication(plan_id, plan.title, earlier.slug, published=False, changed=True)


def _may_publish(ctx: Context, session: Session, person: Actor, plan_id: int, doing: str) -> None:
    """An administrator of the plan's council, or one of its approvers, may publish it."""
    _approver(ctx, session, person, plan_id, doing, or_admin=True)


def _free_slug(session: Session, title: str, plan_id: int) -> str:
    slug = slug_for(title)
    if store.slug_taken(session, slug, plan_id):
        slug = f"{slug[: MAX_SLUG_CHARS - 12]}-{plan_id}"
    return slug


# Marking progress public -----------------------------------------------------------------------


@dataclass(frozen=True)
class Marking:
    update_id: int
    action_id: int
    public: bool
    changed: bool  # False when it already stood so: nothing was recorded


def mark_progress(
    ctx: Context, update_id: int, *, public: bool, by_email: str, on_action: int | None = None
) -> Marking:
    """Mark a progress update public (or take it off the public page), as an approver.

    `on_action`: the action the update must be of (a form on that action's page).
    """
    now = ctx.clock.now()
    with ctx.database.writing() as session:
        person = people.actor_by_email(session, by_email)
        update = store.update_by_id(session, update_id)
        if on_action is not None and update.action_id != on_action:
            raise exceptions.NotFound(f"No progress update with id {update_id}")
        plan_id = plans_of_action(session, update.action_id)
        doing = "mark progress public" if public else "take progress off the public page"
        try:
            _approver(ctx, session, person, plan_id, doing)
        except exceptions.NotFound:
            # Another council's update is answered exactly as a missing one.
            raise exceptions.NotFound(f"No progress update with id {update_id}") from None
        if (update.public_at is not None) == public:
            return Marking(update_id, update.action_id, public, changed=False)
        store.mark_update(
            session, update_id, now if public else None, person.id if public else None
        )
        event = recorded.ProgressMarked(
            public=public, action_id=update.action_id, actor_id=person.id, progress_id=update_id
        )
        audit.record(session, event, at=now)
        return Marking(update_id, update.action_id, public, changed=True)


def plans_of_action(session: Session, action_id: int) -> int:
    return actions.action_by_id(session, action_id).plan_id


@dataclass(frozen=True)
class ActionProgress:
    """An action's newest progress updates for its page, and whether the viewer may mark them."""

    updates: list[MarkableUpdate]
    may_mark: bool
    published_path: str | None  # the plan's public page, while it is published


def action_progress(ctx: Context, action_id: int, shown: int, *, by_email: str) -> ActionProgress:
    with ctx.database.reading() as session:
        person = people.actor_by_email(session, by_email)
        plan_id = plans_of_action(session, action_id)
        publication = store.publication_of(session, plan_id)
        return ActionProgress(
            updates=store.updates_of(session, action_id, shown),
            may_mark=may_mark(ctx, session, person, plan_id),
            published_path=PUBLIC_PATH + publication.slug
            if publication and publication.published_at
            else None,
        )


# The public page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicPlan:
    title: str
    organisation: str | None
    slug: str
    published_at: datetime
    last_updated: datetime
    rows: list[PublicRow]
    state_labels: dict[str, str]
    drafting_label: str  # the state whose actions are not shown: "Drafted"

    def state_label(self, state: str) -> str:
        return self.state_labels.get(state, state)


def public_plan(ctx: Context, slug: str) -> PublicPlan:
    """The published plan at `slug`, as anyone may see it; NotFound when none is published."""
    with ctx.database.reading() as session:
        found = store.published_plan(session, slug) if _SLUG.fullmatch(slug) else None
        if found is None:
            raise exceptions.NotFound("No published plan at this address")
        workflow = ctx.workflows.workflow(found.workflow)
        rows = store.public_rows(session, found.plan_id, [workflow.initial])
    moments = [found.published_at]
    moments += [row.updated_at for row in rows]
    moments += [row.marked_public_at for row in rows if row.marked_public_at is not None]
    return PublicPlan(
        title=found.title,
        organisation=found.organisation,
        slug=found.slug,
        published_at=found.published_at,
        last_updated=max(moments),
        rows=rows,
        state_labels={name: state.label for name, state in workflow.states.items()},
        drafting_label=workflow.states[workflow.initial].label,
    )


OPEN_DATA_FIELDS = (
    "theme",
    "objective_reference",
    "objective",
    "action_reference",
    "action",
    "lead",
    "target_date",
    "timescale",
    "state",
    "rag",
    "progress",
    "progress_date",
)


def open_data_rows(plan: PublicPlan) -> list[dict[str, str | None]]:
    """The public table's rows as open data: only the fields the page shows, dates as ISO."""
    return [
        {
            "theme": row.theme,
            "objective_reference": row.objective_ref,
            "objective": row.objective,
            "action_reference": row.reference,
            "action": row.description,
            "lead": row.lead,
            "target_date": _iso(row.target_date),
            "timescale": row.timescale,
            "state": plan.state_label(row.state),
            "rag": row.rag,
            "progress": row.progress,
            "progress_date": _iso(as_london(row.progress_at).date()) if row.progress_at else None,
        }
        for row in plan.rows
    ]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
