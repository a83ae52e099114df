"""`improveflow report PLAN_ID`: the plan's progress report for committee, or a peer challenge's
progress review pack, as a document."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from improveflow.cli.common import context_of, out, reports_refusals
from improveflow.services import reports
from improveflow.services.reports import ReportFormat, ReportPack
from improveflow.templating import moment


@reports_refusals
def report_command(
    ctx: typer.Context,
    plan_id: Annotated[int, typer.Argument(help="The plan's number.")],
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", help="docx (Word), pdf or html, for either pack."),
    ] = ReportFormat.DOCX,
    pack: Annotated[
        ReportPack | None,
        typer.Option(
            "--pack",
            help="committee (the progress report, the default) or progress-review (the peer "
            "challenge timetable, then each recommendation with its actions and evidence). "
            "With --snapshot, the pack it was made for.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            "--since",
            formats=["%Y-%m-%d"],
            help="Count changes from this day (default: since the plan's last committee "
            "report made on an earlier day).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write here (default: plan-ID-report-SNAPSHOT.EXT; for the progress review "
            "pack, progress-review in place of report).",
        ),
    ] = None,
    snapshot: Annotated[
        int | None,
        typer.Option(
            "--snapshot",
            help="Produce an earlier report (or pack) again, identical, from its stored snapshot.",
        ),
    ] = None,
    list_them: Annotated[
        bool, typer.Option("--list", help="List the plan's stored reports; make none.")
    ] = False,
) -> None:
    """Make the plan's progress report, or its progress review pack (stored as a snapshot),
    and write it as a Word document, a PDF or an HTML page."""
    context = context_of(ctx)
    if list_them:
        try:
            stored = reports.stored_reports(context, plan_id)
        finally:
            context.close()
        if not stored:
            out.print(f"Plan {plan_id} has no reports yet.", markup=False)
        for entry in stored:
            out.print(
                f"Snapshot {entry.id}: {reports.pack_words(entry.pack)}, "
                f"made {moment(entry.made_at)}, "
                f"at audit event {entry.checkpoint_seq}",
                markup=False,
            )
        return
    try:
        if pack is not None:
            reports.check_pack(context, plan_id, pack)
        if snapshot is not None:
            if since is not None:
                raise typer.BadParameter(
                    "a stored report keeps the changes it counted", param_hint="--since"
                )
            found = reports.stored(context, snapshot, plan_id)
            reports.check_stored_pack(found, pack or found.pack, plan_id)
            made, pack = found.report, found.pack
        else:
            pack = pack or ReportPack.COMMITTEE
            made = reports.make_report(
                context, plan_id, since=since.date() if since else None, pack=pack
            )
        document = reports.render(made, fmt, pack)
    finally:
        context.close()
    name = "report" if pack is ReportPack.COMMITTEE else pack.value
    path = output or Path(f"plan-{plan_id}-{name}-{made.snapshot_id}.{fmt.value}")
    path.write_bytes(document)
    out.print(
        f"Report snapshot {made.snapshot_id} of plan {plan_id} written to {path}", markup=False
    )
