"""What is due at `now`: reminders, progress prompts, escalation levels and approval chasers,
and when a daily digest goes. Pure: no clock reads, no I/O, no SQL.

The sweep asks two kinds of question. First, which narrow ranges of the action table can hold
anything due (so it reads only those rows, whatever the table's size); then, for each
candidate, exactly what is due. `SweepPlanner` answers both for one workflow; each rule lives
in its own module:

- `target_reminders`: reminders before a target date, with a catch-up window;
- `progress_prompts`: prompts for actions with no target date after weeks of silence;
- `escalation_ladder`: levels reached by lateness or a red RAG, and stalling below them;
- `approval_chasers`: requests waiting for a decision, then their body's chair;
- `peer_challenge`: a peer challenge's timetable, and its milestones' reminders and escalations;
- `scrutiny`: when the executive's response to a scrutiny report is due;
- `digest_timing`: when the daily digest of people who chose one goes;
- `working_time`: today in London and the first moment inside working hours.
"""

from __future__ import annotations

from improveflow.reminders.approval_chasers import ApprovalChase
from improveflow.reminders.escalation_ladder import (
    ONLY_STALLED,
    OVERDUE,
    RAG_RED,
    STALLED,
    STALLED_LEVEL,
    ReachedLevel,
)
from improveflow.reminders.planner import SweepPlanner
from improveflow.reminders.target_reminders import DueReminder, TargetRange

__all__ = [
    "ONLY_STALLED",
    "OVERDUE",
    "RAG_RED",
    "STALLED",
    "STALLED_LEVEL",
    "ApprovalChase",
    "DueReminder",
    "ReachedLevel",
    "SweepPlanner",
    "TargetRange",
]
