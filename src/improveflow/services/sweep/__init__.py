"""The sweep: decide what is due now, record each decision once, queue the emails.

One module per rule, each asking the pure planner (`improveflow.reminders`) and recording
notices through the workflow pass they share:

- `target_reminders`: reminders before target dates;
- `progress_prompts`: prompts for actions with no target date;
- `escalation_ladder`: escalation levels and no-progress notices;
- `approval_chasers`: reminders to undecided members, then the chair;
- `milestones`: a peer-challenge plan's milestones, to its lead and chief executive;
- `workflow_pass`: what the rules share (the actions in scope, people, recording a notice);
- `batches`: the sweep's transactions, renewed every hundred notices at a whole step;
- `run`: the use case running them all.

What they read and write is `improveflow.stores.sweep` (candidate actions through narrow
index ranges, waiting requests, people) and `improveflow.stores.escalations`.
"""

from __future__ import annotations

from improveflow.services.sweep.report import SweepDecision, SweepReport
from improveflow.services.sweep.run import queue_due_notices, sweep

__all__ = ["SweepDecision", "SweepReport", "queue_due_notices", "sweep"]
