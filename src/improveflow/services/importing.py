"""Importing council plans: parsed records into themes, objectives and actions.

One transaction for the whole import: a file that fails leaves nothing behind. Every action
keeps its source ("file:line"), its timescale as written, the dates read from it and the
reasons a person should check it. State comes from the progress text and is recorded as an
`imported` audit event citing the source, not as an approval. Re-importing finds each action
again by its import key, so nothing is duplicated; changed progress becomes a new update.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from improveflow import audit, exceptions
from improveflow.importers.assemble import assemble_document
from improveflow.importers.column_choice import ColumnMapping
from improveflow.importers.column_content import RAG_WORDS
from improveflow.importers.dates import UK_DATES, DateReading, Timescale, parse_timescale
from improveflow.importers.lead_breaks import join_leads_cut_by_page_breaks
from improveflow.importers.leads import (
    REVIEW_OWNER_UNRESOLVED,
    DirectoryEntry,
    LeadMatch,
    LeadMatcher,
)
from improveflow.importers.progress_state import (
    COMPLETE,
    DEFERRED,
    STATUS_NOT_A_STATE,
    infer_state,
    state_from_status,
    status_refuses_action,
)
from improveflow.importers.readers import ReadOptions, is_tabular, read_plan_document
from improveflow.importers.records import ParsedAction, ParsedObjective, ParsedPlan
from improveflow.models import (
    Action,
    Objective,
    Person,
    PersonAlias,
    Plan,
    PlanKind,
    ProgressUpdate,
    Theme,
)
from improveflow.services import escalations
from improveflow.services import people as people_service
from improveflow.services.context import Context
from improveflow.services.import_mapping import (
    layout_changes,
    mapping_to_store,
    stored_explicit_mapping,
    table_columns,
)
from improveflow.services.import_report import (
    ImportedActionLine,
    ImportReport,
    PlanImportReport,
    ReviewItem,
    UnplacedItem,
)
from improveflow.services.organisations import (
    organisation_for_new_plan,
    people_of,
    same_organisation,
)
from improveflow.store import table_of
from improveflow.workflow.registry import DEFAULT_WORKFLOW

_BATCH = 500
REVIEW_DUPLICATE = "the same action appears again"
REVIEW_CHANGED = "the file now says"
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
            rows = session.exec(
                select(Plan.title, Plan.import_mapping).where(col(Plan.title).in_(titles))
            ).all()
            stored = {title: dict(mapping) for title, mapping in rows if mapping}
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
    aliases: dict[int, list[str]] = {}
    for person_id, alias in session.exec(select(PersonAlias.person_id, PersonAlias.alias)).all():
        aliases.setdefault(person_id, []).append(alias)
    entries = [
        DirectoryEntry(
            person_id=person.id,
            email=person.email,
            name=person.name,
            aliases=tuple(aliases.get(person.id, ())),
        )
        for person in session.exec(select(Person).where(people_of(organisation))).all()
        if person.id is not None
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
    plan = session.exec(
        select(Plan).where(
            Plan.title == title, same_organisation(_PLAN.c.organisation, organisation)
        )
    ).first()
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
        session.add(plan)
        session.flush()
        audit.append(
            session,
            at=now,
            event="plan_created",
            data={
                "plan_id": plan.id,
                "title": title,
                "kind": kind.value,
                "source": plan.source,
                "organisation": organisation,
            },
        )
    elif options.kind and plan.kind != options.kind.value:
        raise exceptions.InvalidValue(
            f"Plan '{title}' already exists as a {plan.kind.replace('_', ' ')} plan, "
            f"not {options.kind.value.replace('_', ' ')}"
        )
    assert plan.id is not None
    report = PlanImportReport(
        plan_id=plan.id,
        plan_title=title,
        plan_kind=plan.kind,
        files=[f.file for f in files],
        plan_created=created,
    )
    writer = _PlanWriter(ctx, session, plan, matcher, report, now, options.dates)
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
    plan.import_mapping = mapping_to_store(mapping, layouts)
    session.add(plan)
    return report


def _import_key(theme: str, objective: ParsedObjective, description: str, seen: int) -> str:
    """An action's identity in its plan: where it sits and what it says, not its line."""
    parts = [theme, objective.reference or objective.text, description]
    normalised = "\x1f".join(" ".join(part.lower().split()) for part in parts)
    if seen:
        normalised += f"\x1f{seen}"
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:40]


_ACTION = table_of(Action)
_PROGRESS = table_of(ProgressUpdate)
_OBJECTIVE = table_of(Objective)
_PLAN = table_of(Plan)
_THEME = table_of(Theme)


class _PlanWriter:
    """Writes one plan's records; new actions and progress go in batches of Core inserts."""

    def __init__(
        self,
        ctx: Context,
        session: Session,
        plan: Plan,
        matcher: LeadMatcher,
        report: PlanImportReport,
        now: datetime,
        dates: DateReading,
    ) -> None:
        assert plan.id is not None
        self.ctx, self.session, self.plan, self.matcher = ctx, session, plan, matcher
        self.dates = dates
        self.plan_id: int = plan.id
        self.report, self.now = report, now
        self.outline = _Outline(session, self.plan_id)
        self.existing = self._existing_actions()
        self.latest_progress = self._latest_progress()
        self.touched: set[int] = set()
        self.seen_here: dict[str, str] = {}  # import key -> where this import first had it
        self.pending: list[tuple[dict[str, object], ImportedActionLine, str | None, str]] = []
        self.themes: set[int] = set()
        self.objectives: set[int | _NewObjective] = set()

    def _existing_actions(self) -> dict[str, _Stored]:
        rows = self.session.connection().execute(
            sa.select(
                _ACTION.c.import_key, _ACTION.c.id, _ACTION.c.state, _ACTION.c.lead_text,
                _ACTION.c.timescale_raw, _ACTION.c.target_date, _ACTION.c.owner_id,
            ).where(_ACTION.c.plan_id == self.plan_id, _ACTION.c.import_key.is_not(None))
        )  # fmt: skip
        return {row[0]: _Stored(*row[1:]) for row in rows}

    def _latest_progress(self) -> dict[int, str]:
        """The progress text each action last had from a file (imports have no author).

        Compared with the file's text on re-import: an owner's own later update is not the
        file's, so it must not make the unchanged file's text look new.
        """
        newest = (
            select(sa.func.max(ProgressUpdate.id))
            .join(Action, col(Action.id) == ProgressUpdate.action_id)
            .where(Action.plan_id == self.plan_id, col(ProgressUpdate.author_id).is_(None))
            .group_by(col(ProgressUpdate.action_id))
        )
        rows = self.session.exec(
            select(ProgressUpdate.action_id, ProgressUpdate.text).where(
                col(ProgressUpdate.id).in_(newest)
            )
        ).all()
        return dict(rows)

    def write(self, parsed: ParsedPlan) -> None:
        file = Path(parsed.file).name
        self.parsed = parsed
        # Only the directory can tell where a lead cut by a page break ends.
        join_leads_cut_by_page_breaks(parsed, self.matcher)
        self.report.sections_skipped.extend(f"{file}: {s}" for s in parsed.sections_skipped)
        self.report.unplaced.extend(
            UnplacedItem(source=f"{file}:{row.line}", text=row.text, reason=row.reason)
            for row in parsed.unplaced
        )
        for theme_record in parsed.themes:
            theme_id = self.outline.theme(theme_record.title)
            self.themes.add(theme_id)
            occurrences: dict[str, int] = {}
            for objective_record in theme_record.objectives:
                objective_id = self.outline.objective(theme_id, objective_record)
                self.objectives.add(objective_id)
                for action in objective_record.actions:
                    key = _import_key(theme_record.title, objective_record, action.description, 0)
                    seen = occurrences.get(key, 0)
                    occurrences[key] = seen + 1
                    if seen:
                        key = _import_key(
                            theme_record.title, objective_record, action.description, seen
                        )
                    self._action(
                        file, theme_record.title, objective_record, objective_id, action, key
                    )
        self._flush()

    def _action(
        self,
        file: str,
        theme: str,
        objective: ParsedObjective,
        objective_id: int | _NewObjective,
        action: ParsedAction,
        key: str,
    ) -> None:
        source = self.parsed.source(action.line)
        dates = _ActionDates.read(action, self.dates)
        timescale = dates.target
        lead = self.matcher.match(action.lead)
        review = _review_reasons(action, timescale, lead) + dates.review
        inferred = state_from_status(action.status) or infer_state(action.progress)
        if status_refuses_action(action.status):
            review.append(f"{STATUS_NOT_A_STATE}: '{action.status}'")
        rag = _rag(action.rag, review)
        line = ImportedActionLine(
            id=None,
            source=source,
            theme=theme,
            objective_ref=objective.reference,
            description=action.description,
            owner_email=lead.owner_email,
            lead=action.lead,
            timescale=action.timescale,
            target_date=timescale.target.isoformat() if timescale and timescale.target else None,
            state=inferred.state,
            status="created",
            needs_review=review,
            original_target_date=_iso(dates.original),
            start_date=_iso(dates.start),
            completed_date=_iso(dates.completed),
            rag=rag,
            priority=action.priority,
            status_text=action.status,
            details=dict(action.extra),
        )
        self.report.actions.append(line)
        first_seen = self.seen_here.get(key)
        if first_seen is not None:
            # The same action twice in this import (say, in two files of one plan).
            line.status = "duplicate"
            line.needs_review.append(f"{REVIEW_DUPLICATE}: first at {first_seen}")
            return
        self.seen_here[key] = source
        known = self.existing.get(key)
        if known is not None:
            self._reimported(known, line, action, source, inferred.state)
            return
        row: dict[str, object] = {
            "plan_id": self.plan_id,
            "objective_id": objective_id,
            "description": action.description,
            "owner_id": lead.owner_id,
            "lead_text": action.lead,
            "reference": objective.reference,
            "start_date": dates.start,
            "target_date": timescale.target if timescale else None,
            "timescale_raw": dates.target_text,
            "original_target_date": dates.original,
            "completed_date": dates.completed,
            "priority": (action.priority or "")[:50] or None,
            "status_text": action.status,
            "rag": rag,
            "details": dict(action.extra),
            "milestones": _milestones(timescale),
            "recurrence": timescale.recurrence if timescale else None,
            "measures": action.measures,
            "body_hint": list(lead.bodies),
            "needs_review": review,
            "source": source,
            "import_key": key,
            "state": inferred.state,
            "version": 1,
            "heard_from_at": self.now,
            "quiet_since": self.now,
            "created_at": self.now,
            "updated_at": self.now,
        }
        self.pending.append((row, line, action.progress, inferred.evidence or ""))
        if len(self.pending) >= _BATCH:
            self._flush()

    def _reimported(
        self,
        stored: _Stored,
        line: ImportedActionLine,
        action: ParsedAction,
        source: str,
        inferred_state: str,
    ) -> None:
        """An action imported before: keep what is stored, add new progress, flag the rest.

        Dates, leads and states change through the workflow (a new target date needs its
        approval), so a file that now says otherwise is reported, not applied.
        """
        action_id = stored.id
        progress = action.progress
        for name, now_says, stored_value in (
            ("lead", action.lead, stored.lead_text),
            ("timescale", action.timescale, stored.timescale_raw),
        ):
            if (now_says or None) != (stored_value or None):
                line.needs_review.append(
                    f"{REVIEW_CHANGED} {name} '{now_says or ''}' (kept '{stored_value or ''}')"
                )
        if inferred_state in (COMPLETE, DEFERRED) and inferred_state != stored.state:
            line.needs_review.append(
                f"{REVIEW_CHANGED} the action is {inferred_state.replace('_', ' ')}: ask for "
                "that change through the workflow (kept "
                f"{stored.state.replace('_', ' ')})"
            )
        line.id, line.state, line.status = action_id, stored.state, "unchanged"
        line.lead, line.timescale = stored.lead_text, stored.timescale_raw
        line.target_date = stored.target_date.isoformat() if stored.target_date else None
        self.touched.add(action_id)
        text = (progress or "").strip()
        if text and self.latest_progress.get(action_id) != text:
            self.session.connection().execute(
                sa.insert(_PROGRESS),
                {"action_id": action_id, "text": text, "created_at": self.now},
            )
            self.latest_progress[action_id] = text
            escalations.heard_from(self.session, action_id, self.now)
            audit.append(
                self.session,
                at=self.now,
                event="progress",
                action_id=action_id,
                comment=text,
                data={"source": source, "imported": True},
            )
            line.status = "progress added"

    def _flush(self) -> None:
        if not self.pending:
            return
        connection = self.session.connection()
        self.outline.insert_new_objectives()
        for row, *_ in self.pending:
            objective_id = row["objective_id"]
            if isinstance(objective_id, _NewObjective):
                row["objective_id"] = objective_id.id
        # Matched by import key, unique within an import: asking the database to return ids
        # in parameter order makes SQLite insert one row per statement.
        inserted = connection.execute(
            sa.insert(_ACTION).returning(_ACTION.c.import_key, _ACTION.c.id),
            [row for row, *_ in self.pending],
        )
        ids: dict[str, int] = {}
        for import_key, action_id in inserted:
            ids[import_key] = action_id
        progress_rows = []
        for row, line, progress, evidence in self.pending:
            action_id = ids[str(row["import_key"])]
            line.id = action_id
            self.touched.add(action_id)
            audit.append(
                self.session,
                at=self.now,
                event="imported",
                action_id=action_id,
                to_state=str(row["state"]),
                comment=evidence or None,
                data={"source": row["source"], "plan_id": self.plan_id},
            )
            text = (progress or "").strip()
            if text:
                progress_rows.append({"action_id": action_id, "text": text, "created_at": self.now})
                self.latest_progress[action_id] = text
        if progress_rows:
            connection.execute(sa.insert(_PROGRESS), progress_rows)
        self.pending.clear()

    def finish(self) -> None:
        self._flush()
        self.outline.insert_new_objectives()  # objectives whose actions were all duplicates
        self.report.review = [
            ReviewItem(
                source=line.source, action_id=line.id, description=line.description, reason=r
            )
            for line in self.report.actions
            for r in line.needs_review
        ]
        self.report.themes = len(self.themes)
        self.report.objectives = len(self.objectives)
        self.report.not_in_files = sorted(
            stored.id for stored in self.existing.values() if stored.id not in self.touched
        )


@dataclass(frozen=True)
class _Stored:
    """What the database holds for an action imported before."""

    id: int
    state: str
    lead_text: str | None
    timescale_raw: str | None
    target_date: date | None
    owner_id: int | None


class _Outline:
    """A plan's themes and objectives, loaded once and extended as the import goes.

    Looking each one up in the database per row made large imports crawl.
    """

    def __init__(self, session: Session, plan_id: int) -> None:
        self.session, self.plan_id = session, plan_id
        self.theme_ids: dict[str, int] = {}
        for theme in session.exec(select(Theme).where(Theme.plan_id == plan_id)).all():
            assert theme.id is not None
            self.theme_ids[_fold(theme.title)] = theme.id
        self.objective_ids: dict[tuple[int, str], int | _NewObjective] = {}
        self.objective_counts: dict[int, int] = {}
        self.new_objectives: list[_NewObjective] = []
        rows = session.exec(
            select(Objective).where(col(Objective.theme_id).in_(list(self.theme_ids.values())))
        ).all()
        for objective in rows:
            assert objective.id is not None
            key = _fold(objective.reference or objective.text)
            self.objective_ids[(objective.theme_id, key)] = objective.id
            self.objective_counts[objective.theme_id] = (
                self.objective_counts.get(objective.theme_id, 0) + 1
            )

    def theme(self, title: str) -> int:
        title = " ".join(title.split())
        known = self.theme_ids.get(_fold(title))
        if known is not None:
            return known
        # Core, not the ORM: a tracker grouped by audit has a theme every few rows.
        theme_id: int = (
            self.session.connection()
            .execute(
                sa.insert(_THEME).returning(_THEME.c.id),
                {"plan_id": self.plan_id, "title": title, "position": len(self.theme_ids)},
            )
            .scalar_one()
        )
        self.theme_ids[_fold(title)] = theme_id
        return theme_id

    def objective(self, theme_id: int, record: ParsedObjective) -> int | _NewObjective:
        """The objective's id, or a handle whose id is set when the new ones are inserted."""
        key = (theme_id, _fold(record.reference or record.text))
        known = self.objective_ids.get(key)
        if known is not None:
            if isinstance(known, _NewObjective):
                return known
            objective = self.session.get(Objective, known)
            assert objective is not None
            # The document is the source of these texts; keep what it says now.
            objective.outcomes = record.outcomes or objective.outcomes
            objective.monitoring = record.monitoring or objective.monitoring
            objective.risk_rating = record.risk_rating or objective.risk_rating
            return known
        position = self.objective_counts.get(theme_id, 0)
        new = _NewObjective(
            key,
            position,
            {
                "theme_id": theme_id,
                "reference": record.reference,
                "text": record.text,
                "outcomes": record.outcomes,
                "monitoring": record.monitoring,
                "risk_rating": record.risk_rating,
                "position": position,
            },
        )
        self.new_objectives.append(new)
        self.objective_counts[theme_id] = position + 1
        self.objective_ids[key] = new
        return new

    def insert_new_objectives(self) -> None:
        """Insert the objectives met since the last call in one statement.

        One ORM flush per objective was most of the time of a tracker import, where every
        row is an objective of its own.
        """
        if not self.new_objectives:
            return
        inserted = self.session.connection().execute(
            sa.insert(_OBJECTIVE).returning(
                _OBJECTIVE.c.theme_id, _OBJECTIVE.c.position, _OBJECTIVE.c.id
            ),
            [new.row for new in self.new_objectives],
        )
        # New objectives have distinct positions in their theme (see `objective`).
        ids = {(theme_id, position): objective_id for theme_id, position, objective_id in inserted}
        for new in self.new_objectives:
            new.id = ids[(new.key[0], new.position)]
            self.objective_ids[new.key] = new.id
        self.new_objectives.clear()


class _NewObjective:
    """An objective queued for insertion; `id` is known once it is inserted."""

    __slots__ = ("id", "key", "position", "row")

    def __init__(self, key: tuple[int, str], position: int, row: dict[str, object]) -> None:
        self.key, self.position, self.row = key, position, row
        self.id: int | None = None


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def _review_reasons(
    action: ParsedAction, timescale: Timescale | None, lead: LeadMatch
) -> list[str]:
    reasons = list(action.review)
    if timescale is None:
        reasons.append("no timescale given")
    elif timescale.review:
        reasons.append(timescale.review)
    reasons.extend(lead.review())
    if not lead.parts:
        reasons.append(f"{REVIEW_OWNER_UNRESOLVED}: no lead given")
    return reasons


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _rag(text: str | None, review: list[str]) -> str | None:
    """A RAG rating as the workflow keeps it (red, amber, green), or None with a review note."""
    if not text:
        return None
    folded = " ".join(text.lower().replace("/", " ").split())
    rating = RAG_WORDS.get(folded) or _RAG_STATUSES.get(folded)
    if rating in ("red", "amber", "green"):
        return rating
    review.append(f"RAG rating '{text}' not understood: set it on the action")
    return None


_RAG_STATUSES = {"on track": "green", "at risk": "amber", "off track": "red"}


@dataclass(frozen=True)
class _ActionDates:
    """The dates of one action row: the current target, the first one, start and completion."""

    target_text: str | None
    target: Timescale | None
    original: date | None
    start: date | None
    completed: date | None
    review: list[str]

    @classmethod
    def read(cls, action: ParsedAction, reading: DateReading) -> _ActionDates:
        review: list[str] = []
        # The current target is the revised date where the row gives one.
        text = action.timescale or action.original_timescale
        target = parse_timescale(text, reading) if text else None
        original = None
        if action.timescale and action.original_timescale:
            first = parse_timescale(action.original_timescale, reading)
            if first.review:
                review.append(f"original target: {first.review}")
            if first.target != (target.target if target else None):
                original = first.target
        start = target.start if target else None
        if action.start:
            start = cls._day(action.start, "start date", reading, review)
        completed = cls._day(action.completed, "completed date", reading, review)
        return cls(text, target, original, start, completed, review)

    @staticmethod
    def _day(text: str | None, label: str, reading: DateReading, review: list[str]) -> date | None:
        if not text:
            return None
        read = parse_timescale(text, reading)
        day = read.target or read.start
        if day is None or read.review:
            review.append(f"{label} not understood: '{text}'")
            return None
        return day


def _milestones(timescale: Timescale | None) -> list[dict[str, str | None]]:
    if timescale is None:
        return []
    return [
        {
            "label": m.label,
            "start_date": m.start.isoformat() if m.start else None,
            "target_date": m.target.isoformat() if m.target else None,
        }
        for m in timescale.milestones
    ]
