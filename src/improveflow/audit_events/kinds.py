"""The kinds of audit event, as stored in `audit_event.event`.

The values are the words already in every installation's log and inside its hashes: they stay
as written whatever later code calls them. A new kind is a new member, never a renamed one.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    # Plans and actions
    PLAN_CREATED = "plan_created"
    ACTION_CREATED = "action_created"
    ACTION_IMPORTED = "imported"
    PROGRESS_RECORDED = "progress"
    # A peer-challenge plan's timetable
    CHALLENGE_DATE_SET = "challenge_date_set"
    MILESTONE_DONE = "milestone_done"
    # A scrutiny plan's report date, and its committee's sign-off of an action
    REPORT_DATE_SET = "report_date_set"
    COMMITTEE_SIGNED_OFF = "committee_signed_off"
    # A governance statement plan rolled over to next year, and each action it carried forward
    PLAN_ROLLED_OVER = "plan_rolled_over"
    ACTION_CARRIED_FORWARD = "action_carried_forward"
    # Approval requests, from asking to their end
    CHANGE_REQUESTED = "requested"
    REQUEST_DECIDED = "decision"
    TRANSITION_APPLIED = "transition"
    REQUEST_APPROVED = "approved"
    REQUEST_REJECTED = "rejected"
    REQUEST_WITHDRAWN = "withdrawn"
    REQUEST_SUPERSEDED = "superseded"
    # Escalations
    ESCALATION_RAISED = "escalated"
    ESCALATION_CLOSED = "escalation_closed"
    # Notices queued by the sweep: "notice_" and the notice's kind
    NOTICE_REMINDER = "notice_reminder"
    NOTICE_PROGRESS_PROMPT = "notice_progress_prompt"
    NOTICE_ESCALATION = "notice_escalation"
    NOTICE_NO_PROGRESS = "notice_no_progress"
    NOTICE_APPROVAL_NEEDED = "notice_approval_needed"
    NOTICE_APPROVAL_REMINDER = "notice_approval_reminder"
    NOTICE_APPROVAL_CHASE = "notice_approval_chase"
    NOTICE_DECISION = "notice_decision"
    NOTICE_MILESTONE_REMINDER = "notice_milestone_reminder"
    NOTICE_MILESTONE_OVERDUE = "notice_milestone_overdue"
    # People, sign-ins and email
    PERSON_CREATED = "person_created"
    PERSON_UPDATED = "person_updated"
    PREFERENCES_CHANGED = "preferences_changed"
    DEPUTY_NAMED = "deputy_named"
    SIGNED_IN = "signed_in"
    EMAILS_REQUEUED = "emails_requeued"
    # Replies by email
    REPLY_RECEIVED = "reply_received"
    # The public progress page: plans published, progress updates marked public
    PLAN_PUBLISHED = "plan_published"
    PLAN_UNPUBLISHED = "plan_unpublished"
    PROGRESS_MADE_PUBLIC = "progress_made_public"
    PROGRESS_MADE_PRIVATE = "progress_made_private"


NOTICE_PREFIX = "notice_"
