"""The tables. Plain SQLModel rows: behaviour lives in services and the workflow engine."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A moment stored in UTC and always read back time-zone aware, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a datetime without a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _moment(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class PlanKind(StrEnum):
    PEER_CHALLENGE = "peer_challenge"
    SERVICE_PLAN = "service_plan"
    ACTION_PLAN = "action_plan"
    # A scrutiny committee's recommendations to the executive: the day the executive received
    # its report begins the executive's response period, and the committee signs items off as
    # implemented.
    SCRUTINY = "scrutiny"
    # An annual governance statement's action plan: one per financial year, rolled over to the
    # next with its unfinished actions.
    GOVERNANCE_STATEMENT = "governance_statement"


class Role(StrEnum):
    OWNER = "owner"
    PEER_CHALLENGE_LEAD = "peer_challenge_lead"
    ADMIN = "admin"
    # Told of a peer-challenge plan's milestones, with its lead.
    CHIEF_EXECUTIVE = "chief_executive"
    # Supports the scrutiny committee: told when the executive's response to its report is
    # due, and records the committee's sign-offs from its minutes.
    SCRUTINY_OFFICER = "scrutiny_officer"


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"


class NoticeKind(StrEnum):
    """What a notice tells its reader; stored in `notice.kind`."""

    REMINDER = "reminder"
    PROGRESS_PROMPT = "progress_prompt"
    ESCALATION = "escalation"
    # No progress update for a while: told as what it is, never as an escalation or a slip.
    NO_PROGRESS = "no_progress"
    APPROVAL_NEEDED = "approval_needed"
    APPROVAL_REMINDER = "approval_reminder"
    APPROVAL_CHASE = "approval_chase"
    DECISION = "decision"
    # A reply by email recorded: the confirmation to its sender.
    REPLY_RECORDED = "reply_recorded"
    # A peer-challenge milestone coming up, then one gone past unmet (`data["stage"]`).
    MILESTONE_REMINDER = "milestone_reminder"
    MILESTONE_OVERDUE = "milestone_overdue"


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


# People -----------------------------------------------------------------------------------------


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Stored lower-cased: addresses are compared case-insensitively.
    email: str = Field(max_length=320, unique=True)
    # "immediate" or "daily_digest", for reminders and prompts; escalations always go at once.
    reminder_delivery: str = Field(default="immediate", max_length=20)
    created_at: datetime = _moment()


class PersonAlias(SQLModel, table=True):
    """A job title or team name the person answers to in plans ("Head of Finance", "HRMT")."""

    __tablename__ = "person_alias"
    __table_args__ = (sa.UniqueConstraint("person_id", "alias"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    alias: str = Field(max_length=200)


class Membership(SQLModel, table=True):
    """Membership of an approving body such as CMT or Cabinet."""

    __table_args__ = (sa.UniqueConstraint("person_id", "body"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    body: str = Field(max_length=100, index=True)


class PersonRole(SQLModel, table=True):
    __tablename__ = "person_role"
    __table_args__ = (sa.UniqueConstraint("person_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=50, index=True)


# Plans ------------------------------------------------------------------------------------------


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=sa.Text)
    kind: str = Field(max_length=30)
    organisation: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, sa_type=sa.Text)
    workflow: str = Field(max_length=100)
    # transition trigger -> approving body, for this plan only.
    approval_overrides: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    # How the last import read the plan's columns: {"tables": [{"headers": [...], "fields":
    # {slot: header}}], "explicit": {field: column}}; next quarter's file is read the same way.
    import_mapping: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # The day a peer challenge ended: its timetable's milestones count from it.
    challenge_date: date | None = None
    # A scrutiny plan: the day the executive received the committee's report, and the months
    # it has to respond, beginning with that day (the executive response milestone's period).
    report_date: date | None = None
    response_months: int | None = None
    # The financial year the plan is for, as its label ("2025/26"): `calendar.FinancialYear`.
    financial_year: str | None = Field(default=None, max_length=9)
    # Rolled over to next year's plan: which, when and by whom. Set once, never cleared.
    rolled_over_to_id: int | None = Field(default=None, foreign_key="plan.id")
    rolled_over_at: datetime | None = _moment(default=None)
    rolled_over_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _moment()


class PlanMilestone(SQLModel, table=True):
    """One step of a peer-challenge plan's timetable, due by a day counted from its challenge
    date (`reminders.peer_challenge`), and done on a day, with a link to what shows it."""

    __tablename__ = "plan_milestone"
    __table_args__ = (sa.UniqueConstraint("plan_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    kind: str = Field(max_length=40)
    due_on: date
    latest_on: date | None = None  # where the guidance gives a latest date
    done_on: date | None = None
    link: str | None = Field(default=None, sa_type=sa.Text)
    done_by_id: int | None = Field(default=None, foreign_key="person.id")


class CommitteeSignOff(SQLModel, table=True):
    """A scrutiny committee's sign-off of one of its plan's actions as implemented, on the day
    of its meeting, with the minute that records it; one per action, corrected in place."""

    __tablename__ = "committee_sign_off"
    __table_args__ = (sa.Index("uq_committee_sign_off_action", "action_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    signed_off_on: date
    minute: str | None = Field(default=None, sa_type=sa.Text)
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime = _moment()


class Theme(SQLModel, table=True):
    """A section of a plan."""

    __table_args__ = (sa.UniqueConstraint("plan_id", "title"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    title: str = Field(sa_type=sa.Text)
    position: int = 0


class Objective(SQLModel, table=True):
    """A challenge or priority within a theme."""

    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    reference: str | None = Field(default=None, sa_type=sa.Text)
    text: str = Field(sa_type=sa.Text)
    outcomes: str | None = Field(default=None, sa_type=sa.Text)
    monitoring: str | None = Field(default=None, sa_type=sa.Text)
    risk_rating: str | None = Field(default=None, sa_type=sa.Text)
    position: int = 0


class Action(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_action_plan_state", "plan_id", "state"),
        # The sweep's candidate queries, each a range over the few actions that are due.
        sa.Index("ix_action_state_target", "state", "target_date"),
        sa.Index("ix_action_escalation_target", "state", "escalation_level", "target_date"),
        sa.Index("ix_action_escalation_heard", "state", "escalation_level", "heard_from_at"),
        sa.Index("ix_action_quiet", "state", "target_date", "quiet_since"),
        sa.Index("ix_action_rag", "state", "rag", "escalation_level"),
        # An imported action's identity within its plan, so a re-import finds it again.
        sa.Index("uq_action_plan_import_key", "plan_id", "import_key", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    objective_id: int = Field(foreign_key="objective.id", index=True)
    reference: str | None = Field(default=None, sa_type=sa.Text)
    description: str = Field(sa_type=sa.Text)
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    lead_text: str | None = Field(default=None, sa_type=sa.Text)
    start_date: date | None = None
    target_date: date | None = Field(default=None, index=True)
    timescale_raw: str | None = Field(default=None, sa_type=sa.Text)
    # [{"label": ..., "start_date": ..., "target_date": ...}] for several dated milestones.
    milestones: list[dict[str, str | None]] = Field(default_factory=list, sa_type=sa.JSON)
    recurrence: str | None = Field(default=None, max_length=50)
    measures: str | None = Field(default=None, sa_type=sa.Text)
    # The first target date, kept when the plan's file gives a revised one (re-baselined).
    original_target_date: date | None = None
    completed_date: date | None = None  # when the plan's file says the work was done
    priority: str | None = Field(default=None, max_length=50)  # as written: "High", "Urgent"
    status_text: str | None = Field(default=None, sa_type=sa.Text)  # as written: "Implemented"
    # Columns of the imported file improveflow has no field for: {header: text}.
    details: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    # Approving bodies named in the lead cell ("Cabinet/ Corporate Management Team").
    body_hint: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # Reasons a person should check this action (set by imports).
    needs_review: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    source: str | None = Field(default=None, sa_type=sa.Text)  # "file:line"
    import_key: str | None = Field(default=None, max_length=64)
    state: str = Field(max_length=50, index=True)
    rag: str | None = Field(default=None, max_length=10)
    # When the owner last gave news: creation, import, or the latest progress update.
    heard_from_at: datetime | None = _moment(default=None)
    # The later of heard_from_at and the last progress prompt: prompts repeat from here.
    quiet_since: datetime | None = _moment(default=None)
    # Highest open escalation level (0: none), so the sweep skips actions already raised.
    escalation_level: int = 0
    # Optimistic locking: every change is `UPDATE ... WHERE version = :seen`.
    version: int = 1
    # Carried forward from last year's plan: the action it continues (whose history stays
    # there), and the date ledger it brought: its first target date and how often it had
    # been re-dated before. Its own re-datings count on from there.
    carried_from_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    carried_first_target: date | None = None
    carried_date_changes: int = 0
    created_at: datetime = _moment()
    updated_at: datetime = _moment()


class ProgressUpdate(SQLModel, table=True):
    __tablename__ = "progress_update"
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    text: str = Field(sa_type=sa.Text)
    rag: str | None = Field(default=None, max_length=10)
    author_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _moment()
    # When, and by whom, an approver marked it for the plan's public page; None: not public.
    public_at: datetime | None = _moment(default=None)
    public_by_id: int | None = Field(default=None, foreign_key="person.id")


class PlanPublication(SQLModel, table=True):
    """A plan's public progress page at /public/plans/<slug>: published while `published_at` is
    set. The slug is kept when the plan is withdrawn, so publishing again gives the same address.
    """

    __tablename__ = "plan_publication"
    __table_args__ = (
        sa.Index("uq_plan_publication_plan", "plan_id", unique=True),
        sa.Index("uq_plan_publication_slug", "slug", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    slug: str = Field(max_length=100)
    published_at: datetime | None = _moment(default=None)
    published_by_id: int | None = Field(default=None, foreign_key="person.id")


# Approvals --------------------------------------------------------------------------------------


class ApprovalRequest(SQLModel, table=True):
    __tablename__ = "approval_request"
    __table_args__ = (
        # At most one pending request per action, enforced by the database itself.
        sa.Index(
            "uq_approval_request_one_pending",
            "action_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_approval_request_status_body", "status", "body"),
    )
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    transition: str = Field(max_length=100)
    requester_id: int = Field(foreign_key="person.id")
    body: str = Field(max_length=100)
    quorum: int = 1
    reason: str | None = Field(default=None, sa_type=sa.Text)
    new_target_date: date | None = None
    status: str = Field(default=RequestStatus.PENDING, max_length=20)
    # Bumped by every decision: the row lock that serialises deciders.
    version: int = 1
    created_at: datetime = _moment()
    closed_at: datetime | None = _moment(default=None)
    # When the body's members, then the requester, were given their notices: the notify
    # step derives them from the request, which keeps the decision's transaction short.
    members_told_at: datetime | None = _moment(default=None, index=True)
    requester_told_at: datetime | None = _moment(default=None, index=True)


class Decision(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("request_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approval_request.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    # A deputy decides for an absent member: both names stay on the record.
    on_behalf_of_id: int | None = Field(default=None, foreign_key="person.id")
    verdict: str = Field(max_length=10)
    comment: str | None = Field(default=None, sa_type=sa.Text)
    decided_at: datetime = _moment()


# Audit ------------------------------------------------------------------------------------------


class AuditEvent(SQLModel, table=True):
    """One entry of the append-only, hash-chained audit log."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: datetime = _moment()
    event: str = Field(max_length=50)
    action_id: int | None = Field(default=None, index=True)
    request_id: int | None = Field(default=None)
    actor_id: int | None = Field(default=None)
    from_state: str | None = Field(default=None, max_length=50)
    to_state: str | None = Field(default=None, max_length=50)
    comment: str | None = Field(default=None, sa_type=sa.Text)
    # Canonical JSON of anything else worth keeping; hashed exactly as stored.
    data: str = Field(default="{}", sa_type=sa.Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # How `hash` was made: "sha256" (unkeyed: every event before keys existed) or
    # "hmac-sha256" (keyed with IMPROVEFLOW_AUDIT_KEY). A keyed event is never followed by an
    # unkeyed one.
    hash_scheme: str = Field(
        default="sha256", max_length=20, sa_column_kwargs={"server_default": sa.text("'sha256'")}
    )


class AuditHead(SQLModel, table=True):
    """The chain's tip. Writers lock this single row, so events are chained one at a time."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


# Reminders, escalations and email ---------------------------------------------------------------


class Deputy(SQLModel, table=True):
    """While a member is away, their deputy receives and may decide their approvals."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="person.id", index=True)
    deputy_id: int = Field(foreign_key="person.id")
    starts_on: date
    ends_on: date
    created_at: datetime = _moment()


class Escalation(SQLModel, table=True):
    """A level of slippage an action has reached; open until the action is put right."""

    __table_args__ = (
        sa.Index(
            "uq_escalation_open_level",
            "action_id",
            "level",
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        ),
        sa.Index("ix_escalation_open", "closed_at", "level"),
    )
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    level: int
    reason: str = Field(max_length=30)  # overdue, rag_red, stalled
    target_date: date | None = None  # the date it slipped against
    raised_at: datetime = _moment()
    closed_at: datetime | None = _moment(default=None)
    close_reason: str | None = Field(default=None, max_length=100)


class Notice(SQLModel, table=True):
    """One thing to tell one person, decided once (its key is unique), later put in an email.

    Several notices for the same person are bundled into one email (a digest).
    """

    __table_args__ = (sa.Index("ix_notice_unsent", "outbox_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=30)
    person_id: int = Field(foreign_key="person.id")
    action_id: int | None = Field(default=None, foreign_key="action.id")
    request_id: int | None = Field(default=None, foreign_key="approval_request.id")
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id")
    data: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    due_at: datetime = _moment()
    created_at: datetime = _moment()
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id")


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # refused for good, or not sent while it was still useful
    SUPERSEDED = "superseded"  # no longer worth sending (superseded_reason says why)


class DeliveryFault(StrEnum):
    """Whose fault an attempt's failure was: it decides what the failure says about the mail."""

    SERVER = "server"  # no connection, no reply, a refused login or sender: no email can go
    RECIPIENT = "recipient"  # a refusal of this recipient or this message
    MESSAGE = "message"  # the message could not be built


class Outbox(SQLModel, table=True):
    """An email to send. Sending marks it sent; a crash resends at most the one in flight."""

    __table_args__ = (
        sa.Index("ix_outbox_status_due", "status", "due_at"),
        # The newest failed attempt, for the delivery status (`improveflow status`, /healthz).
        sa.Index("ix_outbox_status_attempt", "status", "last_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    template: str = Field(max_length=50)
    recipient_email: str = Field(max_length=320)
    recipient_name: str = Field(max_length=200)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    context: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(default=OutboxStatus.QUEUED, max_length=10)
    due_at: datetime = _moment()  # not before: always inside working hours
    attempts: int = 0
    next_attempt_at: datetime | None = _moment(default=None)
    lease_until: datetime | None = _moment(default=None)  # a sender holds it until then
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    fault: str | None = Field(default=None, max_length=20)  # a DeliveryFault: last_error's kind
    last_attempt_at: datetime | None = _moment(default=None)
    superseded_reason: str | None = Field(default=None, sa_type=sa.Text)
    # An administrator asked for it again by name: sent even if it no longer seems to matter.
    send_anyway: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    message_id: str | None = Field(default=None, max_length=300)
    created_at: datetime = _moment()
    sent_at: datetime | None = _moment(default=None, index=True)


class MailRateClaim(SQLModel, table=True):
    """One dispatch run's share of its sending mailbox's rate limit, which every worker on the
    database counts against: `emails` it may send (once it ends, those it sent), counting until
    `counts_until` (while it runs, its lease plus the limit's minute; once it ends, a minute
    after)."""

    __tablename__ = "mail_rate_claim"
    __table_args__ = (sa.Index("ix_mail_rate_claim_mailbox_until", "mailbox", "counts_until"),)
    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=320)
    emails: int
    claimed_at: datetime = _moment()
    counts_until: datetime = _moment()


# Reports ----------------------------------------------------------------------------------------


class ReportSnapshot(SQLModel, table=True):
    """A plan's progress report as it was made: the whole rendered model, so the report of one
    day can be produced again, identical, months later, and the audit log's head it was made at.
    """

    __tablename__ = "report_snapshot"
    __table_args__ = (sa.Index("ix_report_snapshot_plan_made", "plan_id", "made_at"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    made_at: datetime = _moment()
    # The moment changes are counted from: the previous report's, or the date asked for.
    since: datetime | None = _moment(default=None)
    checkpoint_seq: int
    checkpoint_hash: str = Field(max_length=64)
    # The signed checkpoint's JSON, when the audit key was set; None otherwise.
    checkpoint: str | None = Field(default=None, sa_type=sa.Text)
    made_by_id: int | None = Field(default=None, foreign_key="person.id")
    model: str = Field(sa_type=sa.Text)  # canonical JSON of the report model
    # What it was made for: "committee" (the progress report) or "progress-review" (a peer
    # challenge's pack). Only committee reports move the window later reports count from.
    pack: str = Field(
        default="committee",
        max_length=20,
        sa_column_kwargs={"server_default": sa.text("'committee'")},
    )


# The web app: who belongs where, sessions, and links already spent -----------------------------


class PersonOrganisation(SQLModel, table=True):
    """The organisation a person works for, matched against Plan.organisation.

    No row means none is recorded: that person, like a plan with no organisation, is treated as
    belonging to the same organisation as everyone, so single-council installations need none.
    """

    __tablename__ = "person_organisation"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    organisation: str = Field(max_length=200)


class UsedLink(SQLModel, table=True):
    """An email link that has signed someone in: its nonce, so it cannot sign anyone in again."""

    __tablename__ = "used_link"
    nonce: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(max_length=20)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    used_at: datetime = _moment(index=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a secret; only its SHA-256 is stored here."""

    __tablename__ = "web_session"
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    # Every form of this session carries it; a POST without it is refused.
    csrf_token: str = Field(max_length=64)
    via: str = Field(max_length=20)  # the link purpose that started it: sign_in, action, approval
    # What the session may reach: "all" when started by signing in, else the one page its
    # link was for ("action:12", "approval:7", "preferences"). Read by services.link_scope.
    scope: str = Field(max_length=40)
    created_at: datetime = _moment()
    expires_at: datetime = _moment(index=True)


class SignInRequest(SQLModel, table=True):
    """One sign-in link asked for, kept for an hour so the form's limits can count it.

    Neither the address nor the client is stored: only keyed hashes of them.
    """

    __tablename__ = "sign_in_request"
    id: int | None = Field(default=None, primary_key=True)
    address_key: str = Field(max_length=64, index=True)
    client_key: str = Field(max_length=64, index=True)
    asked_at: datetime = _moment(index=True)


# A plan's table pages through its actions in order (SQLite keeps rowid order per plan_id).
sa.Index(
    "ix_action_plan_id",
    Action.__table__.c.plan_id,  # type: ignore[attr-defined]
    Action.__table__.c.id,  # type: ignore[attr-defined]
)
# A plan's dashboard counts its actions by state, RAG and escalation level from this index
# alone, and finds its most escalated actions first.
sa.Index(
    "ix_action_plan_counts",
    Action.__table__.c.plan_id,  # type: ignore[attr-defined]
    Action.__table__.c.escalation_level,  # type: ignore[attr-defined]
    Action.__table__.c.state,  # type: ignore[attr-defined]
    Action.__table__.c.rag,  # type: ignore[attr-defined]
)


# Replies by email ------------------------------------------------------------------------------


class InboundReply(SQLModel, table=True):
    """One email received at the reply address, kept once by its Message-ID, so the same
    message delivered twice (or read by two workers) is handled once.

    `outcome` is a ReplyOutcome: recorded, refused or ignored (automatic mail), with the
    reason for the last two. `email_id` is the outbox row the reply answered, when its address
    named one.
    """

    __tablename__ = "inbound_reply"
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=300, unique=True)
    sender: str = Field(max_length=320)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    email_id: int | None = Field(default=None, foreign_key="outbox.id")
    action_id: int | None = Field(default=None, foreign_key="action.id")
    outcome: str = Field(max_length=10)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    received_at: datetime = _moment(index=True)
