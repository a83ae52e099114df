"""The import use case: files read into plans, each plan imported in one transaction.

Every file is read before anything is written, so a file that cannot be read fails the import
with nothing stored. A plan is found by its title within its council, or created; its leads are
matched only to people of that council. A dry run writes everything, reports it and rolls back.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from improveflow import audit, exceptions
from improveflow import audit_events as recorded
from improveflow.importers.assemble import assemble_document
from improveflow.importers.column_choice import ColumnMapping
from improveflow.importers.dates import UK_DATES, DateReading
from improveflow.importers.leads import DirectoryEntry, LeadMatcher
from improveflow.importers.readers import ReadOptions, is_tabular, read_plan_document
from improveflow.importers.records import ParsedPlan
from improveflow.models import Plan, PlanKind
from improveflow.services import people as people_service
from improveflow.services.context import Context
from improveflow.services.import_mapping import (
    layout_changes,
    mapping_to_store,
    stored_explicit_mapping,
    table_columns,
)
from improveflow.services.import_report import ImportReport, PlanImportReport
from improveflow.services.importing.writer import PlanWriter
from improveflow.services.organisations import organisation_for_new_plan
from improveflow.services.plans import refuse_if_rolled_over
from improveflow.stores import imports as import_store
from improveflow.stores import plans as plan_store
from improveflow.workflow.deciders import kind_singular
from improveflow.workflow.registry import DEFAULT_WORKFLOW

_SERVICE_PLAN = re.compile(r"\bservices? plan\b")


class _DryRun(Exception):
    """Raised to roll back a dry run once its report is complete."""


@dataclass(frozen=True)
class ImportOptions:
    plan_title: str | None = None
    kind: PlanKind | None = None
    dry_run: bool = False
    # Columns named by the person (--map, --mapping); empty: a plan's stored mapping, if any.
    mapping: ColumnMapping = field(default_factory=ColumnMapping)
    sheet: str | None = None
    dates: DateReading = UK_DATES
    # The council the plan belongs to; required once the installation knows any organisation.
    organisation: str | None = None


def guess_kind(title: str) -> PlanKind:
    lowered = " ".join(title.lower().split())
    if "peer challenge" in lowered or "peer review" in lowered:
        return PlanKind.PEER_CHALLENGE
    if _SERVICE_PLAN.search(lowered):
        return PlanKind.SERVICE_PLAN
    return PlanKind.ACTION_PLAN


def import_plan_files(
    ctx: Context,
    paths: Sequence[Path],
    options: ImportOptions,
    people: Sequence[people_service.PersonInput] = (),
) -> ImportReport:
    """Import each file as a plan (or all of them into one titled plan), all or nothing."""
    with _collector_paused():
        return _import_files(ctx, paths, options, people)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off for the length of an import.

    An import builds tens of thousands of objects that live until it ends (cells, drafts,
    records, report lines); the collector's passes over them, which find nothing to free, were
    a fifth to a quarter of an import's processor time. Cycles made meanwhile are freed by the
    collector's next pass once it runs again.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _import_files(
    ctx: Context,
    paths: Sequence[Path],
    options: ImportOptions,
    people: Sequence[people_service.PersonInput],
) -> ImportReport:
    parsed = _read_files(ctx, paths, options)  # bad files fail before any writing
    groups = _group_by_plan(parsed, options)
    report = ImportReport(dry_run=options.dry_run, people_created=0, people_updated=0, plans=[])
    try:
        with ctx.database.writing() as session:
            if people:
                added = people_service.import_people_in(session, ctx, people)
                report.people_created, report.people_updated = added.created, added.updated
            for title, files in groups:
                organisation = organisation_for_new_plan(session, options.organisation, title)
                # Leads are matched only to people of the plan's own council.
                matcher = _lead_matcher(session, ctx, organisation)
                report.plans.append(
                    _import_plan(ctx, session, title, organisation, files, options, matcher)
                )
            if options.dry_run:
                raise _DryRun
    except _DryRun:
        # Nothing was stored: ids given out inside the rolled-back transaction mean nothing.
        for plan in report.plans:
            plan.plan_id = None
            for line in plan.actions:
                line.id = None
            for item in plan.review:
                item.action_id = None
    return report


def _read_files(ctx: Context, paths: Sequence[Path], options: ImportOptions) -> list[ParsedPlan]:
    """Every file read into a plan, each with the mapping its plan keeps if none is given."""
    documents = [
        (path, read_plan_document(path, ReadOptions(sheet=options.sheet))) for path in paths
    ]
    titles = {
        (options.plan_title or document.title or Path(document.file).stem).strip()
        for _, document in documents
    }
    stored: dict[str, dict[str, Any]] = {}
    if not options.mapping:
        with ctx.database.reading() as session:
            stored = plan_store.import_mappings(session, titles)
    parsed = []
    for path, document in documents:
        title = (options.plan_title or document.title or Path(document.file).stem).strip()
        mapping = options.mapping or stored_explicit_mapping(stored.get(title))
        plan = assemble_document(document, mapping, tabular=is_tabular(path))
        plan.layout_changes = layout_changes(stored.get(title), plan.layouts)
        parsed.append(plan)
    return parsed


def _group_by_plan(
    parsed: list[ParsedPlan], options: ImportOptions
) -> list[tuple[str, list[ParsedPlan]]]:
    if options.plan_title:
        return [(options.plan_title.strip(), parsed)]
    groups: dict[str, list[ParsedPlan]] = {}
    for plan in parsed:
        title = (plan.title or Path(plan.file).stem).strip()
        groups.setdefault(title, []).append(plan)
    return list(groups.items())


def _lead_matcher(session: Session, ctx: Context, organisation: str | None) -> LeadMatcher:
    entries = [
        DirectoryEntry(person.person_id, person.email, person.name, person.aliases)
        for person in import_store.lead_directory(session, organisation)
    ]
    bodies = {
        body.name: body.title
        for name in ctx.workflows.names()
        for body in ctx.workflows.workflow(name).bodies.values()
    }
    return LeadMatcher(entries, bodies)


def _import_plan(
    ctx: Context,
    session: Session,
    title: str,
    organisation: str | None,
    files: list[ParsedPlan],
    options: ImportOptions,
    matcher: LeadMatcher,
) -> PlanImportReport:
    now = ctx.clock.now()
    # A plan is known by its title within its council: two councils may both have a "Peer
    # Challenge Improvement Plan".
    plan = plan_store.plan_titled(session, title, organisation)
    kind = options.kind or (PlanKind(plan.kind) if plan else guess_kind(title))
    created = plan is None
    if plan is None:
        plan = Plan(
            title=title,
            kind=kind.value,
            organisation=organisation,
            source=", ".join(Path(f.file).name for f in files),
            workflow=DEFAULT_WORKFLOW,
            created_at=now,
        )
        plan_store.add_plan(session, plan)
        assert plan.id is not None
        created_event = recorded.PlanCreated(
            plan_id=plan.id,
            title=title,
            plan_kind=kind,
            organisation=organisation,
            source=plan.source,
        )
        audit.record(session, created_event, at=now)
    else:
        refuse_if_rolled_over(plan)
    if not created and options.kind and plan.kind != options.kind.value:
        raise exceptions.InvalidValue(
            f"Plan '{title}' already exists as {kind_singular(plan.kind)}, not "
            f"{kind_singular(options.kind.value)}"
        )
    assert plan.id is not None
    report = PlanImportReport(
        plan_id=plan.id,
        plan_title=title,
        plan_kind=plan.kind,
        files=[f.file for f in files],
        plan_created=created,
    )
    writer = PlanWriter(session, plan, matcher, report, now, options.dates)
    layouts = []
    for parsed in files:
        writer.write(parsed)
        layouts.extend(parsed.layouts)
        report.layout_changes.extend(
            f"{Path(parsed.file).name}: {c}" for c in parsed.layout_changes
        )
    writer.finish()
    report.columns = table_columns(layouts)
    mapping = options.mapping or stored_explicit_mapping(plan.import_mapping)
    # The plan is the session's own: the change is written with the rest of the import.
    plan.import_mapping = mapping_to_store(mapping, layouts)
    return report
