"""The committee report: made from the plan as it is now, stored as a snapshot, rendered.

Making a report is one transaction: the plan's rows, the changes and decisions since the last
report (or a date asked for), and the audit log's head are read together, and the model is
stored with the checkpoint it was made at and what it was made for (the committee report or a
peer challenge's progress review pack). Rendering reads only the stored model, so a snapshot's
report is the same, byte for byte, whenever it is produced again.

Which changes a report counts: those after the last committee report made on an earlier day
(London time), up to now. A progress review pack never moves that point, and neither does
another report made the same day: a clerk who makes the report for the June meeting in Word,
then as a PDF, or twice in one morning, gets the same changes each time, and a report made the
day after the meeting counts from that meeting's report (the day's last). `since` (a day asked
for) overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum

from sqlmodel import Session

from improveflow import audit, audit_checkpoint, audit_events, exceptions
from improveflow.audit_events import ProgressRecorded, TransitionApplied
from improveflow.calendar import LONDON, as_london
from improveflow.models import PlanKind
from improveflow.reports import build
from improveflow.reports.model import (
    ActionLine,
    CheckpointNote,
    DecisionLine,
    MilestoneLine,
    Report,
)
from improveflow.services.context import Context
from improveflow.services.milestones import milestone_views
from improveflow.services.plan_export import ExportRow, rows_in
from improveflow.services.scrutiny import committee_words
from improveflow.stores import plans as plan_store
from improveflow.stores import reports as report_store
from improveflow.stores.audit import StoredEvent
from improveflow.templating import short_date
from improveflow.workflow.deciders import kind_singular

# Changes are counted from here when a plan has no earlier report and no date is given.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


class ReportFormat(StrEnum):
    DOCX = "docx"
    PDF = "pdf"
    HTML = "html"


class ReportPack(StrEnum):
    """What a report is for: the committee's progress report, or the pack for a peer
    challenge's progress review (each recommendation with its actions and their evidence)."""

    COMMITTEE = "committee"
    PROGRESS_REVIEW = "progress-review"


def _line(item: ExportRow, states: dict[str, str], today: date) -> ActionLine:
    row = item.row
    return ActionLine(
        id=row.id,
        reference=row.reference or "",
        description=row.description,
        lead=row.lead or "",
        owner=row.owner or "",
        state=states.get(row.state, row.state),
        rag=build.rag_word(row.rag),
        rag_code=row.rag or "none",
        first_target=item.original_target_date,
        target=row.target_date,
        timescale="" if row.target_date else (row.timescale or ""),
        target_changes=item.target_changes,
        ledger=item.ledger,
        target_reason=item.target_reason or "",
        state_reason=item.state_reason or "",
        progress=row.progress.text if row.progress else "",
        progress_date=row.progress.day if row.progress else None,
        overdue=build.is_overdue(row.state, row.target_date, today),
        signed_off=committee_words(item.sign_off.signed_off_on, item.sign_off.minute)
        if item.sign_off
        else "",
        carried_to=f"Carried forward to {item.carried_to.words}" if item.carried_to else "",
    )


def _decisions(
    closed: list[report_store.ClosedRequest],
    made: list[report_store.DecisionMade],
    labels: dict[str, str],
) -> list[DecisionLine]:
    by_request: dict[int, list[report_store.DecisionMade]] = {}
    for decision in made:
        by_request.setdefault(decision.request_id, []).append(decision)
    found = []
    for request in closed:
        asked = labels.get(request.transition, request.transition.replace("_", " "))
        if request.new_target_date:
            asked += f" to {short_date(request.new_target_date)}"
        deciders = [
            f"{d.by or 'someone no longer listed'}"
            + (f" as deputy for {d.on_behalf_of}" if d.on_behalf_of else "")
            + f" ({'approved' if d.verdict == 'approve' else 'rejected'})"
            for d in by_request.get(request.id, [])
        ]
        found.append(
            DecisionLine(
                action=f"{request.action_reference or ''} {request.action}".strip(),
                asked=asked,
                asked_by=request.requester or "someone no longer listed",
                reason=request.reason or "",
                decided_by="; ".join(deciders) or request.body,
                outcome=request.status.capitalize(),
                decided_on=as_london(request.closed_at).date(),
            )
        )
    return found


def _ratings(report: Report) -> dict[int, str]:
    return {
        action.id: action.rag_code
        for theme in report.themes
        for objective in theme.objectives
        for action in objective.actions
    }


def _window(
    session: Session, plan_id: int, since: date | None, head: int, today: date
) -> tuple[report_store.Window, datetime | None, str, dict[int, str]]:
    """The audit events the report counts, the moment they are counted from, its words, and
    each action's RAG rating then.

    From a day asked for; else after the audit event the plan's last committee report made
    before `today` was made at; else from the plan's start (a first report: no moment, no
    words, no ratings).
    """
    if since is not None:
        start = _midnight(since)
        rated = _ratings_logged(report_store.progress_before(session, plan_id, start))
        return report_store.Window(0, head, start), start, f"since {short_date(since)}", rated
    last = report_store.last_report_before(
        session, plan_id, ReportPack.COMMITTEE.value, _midnight(today)
    )
    if last is None:
        return report_store.Window(0, head, _BEGINNING), None, "", {}
    made_on = short_date(as_london(last.made_at).date())
    words = f"since the report of {made_on} (snapshot {last.id})"
    rated = _ratings(Report.from_json(last.model))
    return report_store.Window(last.checkpoint_seq, head, _BEGINNING), last.made_at, words, rated


def _midnight(day: date) -> datetime:
    """The day's start in London, as a UTC moment."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def _logged_change(stored: StoredEvent) -> build.LoggedChange | None:
    """A transition or progress update as the summary counts it; None for a row that cannot be
    read as one (no count is better than a wrong one)."""
    logged = audit_events.from_row(stored)
    event, on = logged.event, as_london(logged.at).date()
    if isinstance(event, ProgressRecorded):
        rag = event.rag.value if event.rag is not None else None
        return build.LoggedChange(event.action_id, True, None, event.text, rag, None, on)
    if isinstance(event, TransitionApplied):
        moved = event.target_date
        redated = (moved.before, moved.after) if moved is not None else None
        return build.LoggedChange(
            event.action_id, False, event.to_state, event.reason, None, redated, on
        )
    return None


def _ratings_logged(updates: list[StoredEvent]) -> dict[int, str]:
    """Each action's latest rating among `updates` (oldest first)."""
    rated: dict[int, str] = {}
    for stored in updates:
        event = audit_events.from_row(stored).event
        if isinstance(event, ProgressRecorded) and event.rag is not None:
            rated[event.action_id] = event.rag.value
    return rated


def check_pack(ctx: Context, plan_id: int, pack: ReportPack) -> None:
    """Refuse the progress review pack of a plan that is not a peer challenge's: it would be
    a timetable the plan does not have."""
    if pack is not ReportPack.PROGRESS_REVIEW:
        return
    with ctx.database.reading() as session:
        kind = plan_store.plan_by_id(session, plan_id).kind
    if kind != PlanKind.PEER_CHALLENGE:
        raise exceptions.InvalidValue(
            f"Plan {plan_id} is {kind_singular(kind)}, not a peer-challenge plan, so "
            "it has no progress review pack: leave out --pack for its committee report"
        )


def make_report(
    ctx: Context,
    plan_id: int,
    *,
    since: date | None = None,
    made_by: int | None = None,
    pack: ReportPack = ReportPack.COMMITTEE,
) -> Report:
    """Make and store the plan's report as of now, for `pack` (`made_by`: the person who
    asked, when known); the stored model."""
    now = ctx.clock.now().astimezone(UTC).replace(microsecond=0)
    today = as_london(now).date()
    key = ctx.database.audit_key
    with ctx.database.writing() as session:
        plan = plan_store.plan_by_id(session, plan_id)
        workflow = ctx.workflows.workflow(plan.workflow)
        states = {name: state.label for name, state in workflow.states.items()}
        labels = {name: t.label for name, t in workflow.transitions.items()}
        # The log's head, verified: a report never names a checkpoint of a tampered log,
        # and counts exactly the events up to it.
        verified = audit.verify(session, key)
        signed = (
            audit_checkpoint.make(
                key, seq=verified.events, head_hash=verified.head_hash, made_at=now
            )
            if key is not None
            else None
        )
        window, start, since_text, rated_before = _window(
            session, plan_id, since, verified.events, today
        )
        placed = []
        raw_states: dict[int, str] = {}
        for item in rows_in(session, plan_id):
            raw_states[item.row.id] = item.row.state
            placed.append(
                build.PlacedAction(
                    theme=item.row.theme,
                    objective_reference=item.row.objective_ref or "",
                    objective=item.row.objective,
                    line=_line(item, states, today),
                )
            )
        changes = [
            change
            for stored in report_store.changes_in(session, plan_id, window)
            if (change := _logged_change(stored)) is not None
        ]
        closed, made = report_store.decisions_in(session, plan_id, window)
        snapshot_id = report_store.add_snapshot(
            session,
            {
                "plan_id": plan_id,
                "made_at": now,
                "since": start,
                "checkpoint_seq": verified.events,
                "checkpoint_hash": verified.head_hash,
                "checkpoint": signed.to_json() if signed else None,
                "made_by_id": made_by,
                "model": "{}",
                "pack": pack.value,
            },
        )
        report = Report(
            snapshot_id=snapshot_id,
            plan_id=plan_id,
            plan_title=plan.title,
            organisation=plan.organisation or "",
            made_at=now,
            report_date=today,
            since=start,
            since_text=since_text,
            checkpoint=CheckpointNote(
                seq=verified.events,
                head_hash=verified.head_hash,
                signed=signed is not None,
                key_id=signed.key_id if signed else "",
                document=signed.to_json() if signed else "",
            ),
            summary=build.summary(placed, raw_states, states, changes, rated_before, today),
            exceptions=build.exceptions(placed, raw_states),
            themes=build.structure(placed),
            decisions=_decisions(closed, made, labels),
            milestones=[
                MilestoneLine(
                    label=view.label,
                    due_on=view.due_on,
                    latest_on=view.latest_on,
                    done_on=view.done_on,
                    link=view.link or "",
                    words=view.words,
                )
                for view in milestone_views(session, plan_id, today)
            ],
        )
        report_store.set_model(session, snapshot_id, report.to_json())
    return report


@dataclass(frozen=True)
class StoredReport:
    report: Report
    pack: ReportPack  # what the snapshot was made for


def stored(ctx: Context, snapshot_id: int, plan_id: int | None = None) -> StoredReport:
    """A report as it was made, and what it was made for; refused when it belongs to another
    plan than the one named."""
    with ctx.database.reading() as session:
        snapshot = report_store.snapshot_by_id(session, snapshot_id)
        of_plan, model, pack = snapshot.plan_id, snapshot.model, snapshot.pack
    if plan_id is not None and of_plan != plan_id:
        raise exceptions.NotFound(f"No report snapshot {snapshot_id} of plan {plan_id}")
    return StoredReport(Report.from_json(model), ReportPack(pack))


def stored_report(ctx: Context, snapshot_id: int, plan_id: int | None = None) -> Report:
    """A report as it was made; refused when it belongs to another plan than the one named."""
    return stored(ctx, snapshot_id, plan_id).report


def check_stored_pack(found: StoredReport, asked: ReportPack, plan_id: int) -> None:
    """Refuse to produce a snapshot as another pack than it was made for: it would present a
    document that was never made, with the day and checkpoint of one that was."""
    if asked is found.pack:
        return
    snapshot = found.report.snapshot_id
    made_for = _PACK_WORDS[found.pack]
    command = f"improveflow report {plan_id} --snapshot {snapshot}"
    if found.pack is ReportPack.PROGRESS_REVIEW:
        command += f" --pack {ReportPack.PROGRESS_REVIEW.value}"
    fresh = f"improveflow report {plan_id}" + (
        f" --pack {asked.value}" if asked is ReportPack.PROGRESS_REVIEW else ""
    )
    raise exceptions.InvalidValue(
        f"Snapshot {snapshot} of plan {plan_id} was made as its {made_for}, not as its "
        f"{_PACK_WORDS[asked]}: '{command}' produces it again, and '{fresh}' makes a new "
        f"{_PACK_WORDS[asked]}"
    )


# What each pack is called in a sentence.
_PACK_WORDS = {
    ReportPack.COMMITTEE: "committee report",
    ReportPack.PROGRESS_REVIEW: "progress review pack",
}


def pack_words(pack: str) -> str:
    """'committee report' or 'progress review pack'."""
    return _PACK_WORDS[ReportPack(pack)]


def stored_reports(ctx: Context, plan_id: int) -> list[report_store.SnapshotEntry]:
    """The plan's stored reports, oldest first; NotFound for a plan that does not exist."""
    with ctx.database.reading() as session:
        plan_store.plan_by_id(session, plan_id)
        return report_store.snapshots_of(session, plan_id)


def render(report: Report, fmt: ReportFormat, pack: ReportPack = ReportPack.COMMITTEE) -> bytes:
    """The report, or the progress review pack, as a document; the same snapshot always gives
    the same bytes."""
    # Imported here: a format's libraries (Pango for a PDF) load only when it is made.
    if pack is ReportPack.PROGRESS_REVIEW:
        from improveflow.reports import progress_review

        if fmt is ReportFormat.DOCX:
            return progress_review.render_progress_review(report)
        if fmt is ReportFormat.PDF:
            return progress_review.render_progress_review_pdf(report)
        return progress_review.render_progress_review_html(report).encode("utf-8")
    if fmt is ReportFormat.DOCX:
        from improveflow.reports.docx import render_docx

        return render_docx(report)
    if fmt is ReportFormat.PDF:
        from improveflow.reports.pdf import render_pdf

        return render_pdf(report)
    from improveflow.reports.html import render_html

    return render_html(report).encode("utf-8")
