"""Two councils on one installation, for the tests that keep them apart.

Northshire and Southshire each have two CMT members, a Cabinet member, an action owner, a
peer-challenge lead and an administrator, all recorded as working for their council. The
LGA's peer-challenge lead follows both councils' plans and has no organisation recorded, so
belongs with both. Northshire's plan holds an action in progress, one approved but not
started, one waiting for CMT's approval and one whose approval CMT has already given; the
Southshire plan holds one action in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from improveflow.models import PlanKind, Verdict
from improveflow.services import approvals, people, plans, progress
from improveflow.services.context import Context


@dataclass(frozen=True)
class Council:
    """One council's people, by email."""

    name: str
    cmt: tuple[str, str]
    cabinet: str
    owner: str
    lead: str
    admin: str

    @property
    def everyone(self) -> frozenset[str]:
        return frozenset({*self.cmt, self.cabinet, self.owner, self.lead, self.admin})


NORTHSHIRE = Council(
    name="Northshire",
    cmt=("dana@northshire.example", "sam@northshire.example"),
    cabinet="ruth@northshire.example",
    owner="owen@northshire.example",
    lead="pia@northshire.example",
    admin="alex@northshire.example",
)
SOUTHSHIRE = Council(
    name="Southshire",
    cmt=("dara@southshire.example", "seren@southshire.example"),
    cabinet="rhys@southshire.example",
    owner="olu@southshire.example",
    lead="lena@southshire.example",
    admin="ade@southshire.example",
)
# The LGA's peer-challenge lead, with no organisation recorded: shared by both councils.
LGA_LEAD = "pat@lga.example"

_NAMES = {
    "dana@northshire.example": "Dana Reeve",
    "sam@northshire.example": "Sam Patel",
    "ruth@northshire.example": "Cllr Ruth Holt",
    "owen@northshire.example": "Owen Marsh",
    "pia@northshire.example": "Pia Lund",
    "alex@northshire.example": "Alex Smith",
    "dara@southshire.example": "Dara Quinn",
    "seren@southshire.example": "Seren Hughes",
    "rhys@southshire.example": "Cllr Rhys Evans",
    "olu@southshire.example": "Olu Adeyemi",
    "lena@southshire.example": "Lena Novak",
    "ade@southshire.example": "Ade Bello",
    LGA_LEAD: "Pat Okafor",
}

NORTH_IN_PROGRESS = "Extend the medium term financial strategy to 2019"
NORTH_APPROVED = "Agree a workforce plan for adult social care"
NORTH_WAITING = "Publish the Northshire plan on the council website"
NORTH_DECIDED = "Review Northshire's reserves policy"
SOUTH_IN_PROGRESS = "Open the Southshire customer contact centre"


def name_of(email: str) -> str:
    return _NAMES[email]


def directory() -> list[people.PersonInput]:
    """Everyone, as the people file would give them."""
    found = [people.PersonInput(name_of(LGA_LEAD), LGA_LEAD, roles=("peer_challenge_lead",))]
    for council in (NORTHSHIRE, SOUTHSHIRE):
        found += [
            people.PersonInput(name_of(email), email, bodies=("CMT",), organisation=council.name)
            for email in council.cmt
        ]
        found += [
            people.PersonInput(
                name_of(council.cabinet),
                council.cabinet,
                bodies=("Cabinet",),
                organisation=council.name,
            ),
            people.PersonInput(
                name_of(council.owner), council.owner, roles=("owner",), organisation=council.name
            ),
            people.PersonInput(
                name_of(council.lead),
                council.lead,
                roles=("peer_challenge_lead",),
                organisation=council.name,
            ),
            people.PersonInput(
                name_of(council.admin), council.admin, roles=("admin",), organisation=council.name
            ),
        ]
    return found


@dataclass(frozen=True)
class TwoCouncils:
    ctx: Context
    north_plan: int
    south_plan: int
    north_in_progress: int  # in progress, with a progress update, due 30 June 2014
    north_approved: int  # approved by Northshire's CMT, not started
    north_waiting: int  # drafted, its approval waiting for CMT (`north_request`)
    north_request: int
    north_decided: int  # approved: `north_decided_request` was decided by Dana Reeve
    north_decided_request: int
    south_in_progress: int  # in progress, with a progress update, due 30 June 2014


def _action(ctx: Context, plan_id: int, description: str, owner: str, target: date) -> int:
    return plans.add_action(
        ctx,
        plans.NewAction(
            plan_id=plan_id,
            theme="Financial Planning and Viability",
            objective="Revisit financial assumptions",
            description=description,
            owner_email=owner,
            target_date=target,
        ),
    )


def _approved(ctx: Context, action_id: int, council: Council) -> int:
    """Asked for by the owner and approved by the council's first CMT member: the request."""
    opened = approvals.request_change(ctx, action_id, "approve", by_email=council.owner)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=council.cmt[0])
    return opened.request_id


def _in_progress(ctx: Context, action_id: int, council: Council, news: str) -> None:
    _approved(ctx, action_id, council)
    approvals.request_change(ctx, action_id, "start", by_email=council.owner)
    progress.record_progress(ctx, action_id, news, None, by_email=council.owner)


def add_two_councils(ctx: Context, *, due: date = date(2014, 6, 30)) -> TwoCouncils:
    """Both councils' people, plans and actions, as the module's docstring describes."""
    people.import_people(ctx, directory())
    north_plan = plans.create_plan(
        ctx, "Northshire Peer Challenge Plan", PlanKind.PEER_CHALLENGE, organisation="Northshire"
    ).id
    south_plan = plans.create_plan(
        ctx, "Southshire Peer Challenge Plan", PlanKind.PEER_CHALLENGE, organisation="Southshire"
    ).id
    owner = NORTHSHIRE.owner
    north_in_progress = _action(ctx, north_plan, NORTH_IN_PROGRESS, owner, due)
    _in_progress(ctx, north_in_progress, NORTHSHIRE, "Five-year model drafted")
    north_approved = _action(ctx, north_plan, NORTH_APPROVED, owner, due)
    _approved(ctx, north_approved, NORTHSHIRE)
    north_decided = _action(ctx, north_plan, NORTH_DECIDED, owner, due)
    north_decided_request = _approved(ctx, north_decided, NORTHSHIRE)
    north_waiting = _action(ctx, north_plan, NORTH_WAITING, owner, due)
    waiting = approvals.request_change(ctx, north_waiting, "approve", by_email=owner)
    assert waiting.request_id is not None
    south_in_progress = _action(ctx, south_plan, SOUTH_IN_PROGRESS, SOUTHSHIRE.owner, due)
    _in_progress(ctx, south_in_progress, SOUTHSHIRE, "Site chosen and lease agreed")
    return TwoCouncils(
        ctx=ctx,
        north_plan=north_plan,
        south_plan=south_plan,
        north_in_progress=north_in_progress,
        north_approved=north_approved,
        north_waiting=north_waiting,
        north_request=waiting.request_id,
        north_decided=north_decided,
        north_decided_request=north_decided_request,
        south_in_progress=south_in_progress,
    )
