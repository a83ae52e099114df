"""Every event the services store reads back as its typed record, and the record stores the very
same bytes: a log rewritten from its records hashes exactly as the services' own log does, so
writers can move to the records without changing a byte of any installation's chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from improveflow import audit, audit_events, exceptions
from improveflow.audit_events import EventKind, Unrecognised
from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import AuditEvent, PlanKind, Rag, Verdict
from improveflow.services import approvals, delivery, deputies, people, progress, sign_in, sweep
from improveflow.services.context import Context
from improveflow.services.importing import ImportOptions, import_plan_files
from improveflow.stores import people as people_store
from improveflow.stores.tables import table_of
from improveflow.testing import (
    SAMPLE_PEOPLE,
    add_action,
    add_plan,
    add_sample_people,
    make_context,
)
from improveflow.testing.smtp import CapturingSmtpServer

KEY = "an-audit-key-for-tests-kept-apart-from-the-database"
OWEN, DANA, RUTH, ALEX = (
    "owen@council.example",
    "dana@council.example",
    "ruth@council.example",
    "alex@council.example",
)
_EVENTS = table_of(AuditEvent)


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def council(database_url: str, tmp_path: Path) -> Iterator[Context]:
    """A keyed council whose log holds every kind of event a council's year brings."""
    clock = FrozenClock(london(2014, 6, 2, 10, 0))
    with CapturingSmtpServer() as smtp:
        smtp.refuse(DANA)
        context = make_context(
            database_url,
            clock=clock,
            audit_key=KEY,
            secret_key="a-link-signing-secret-of-some-length",
            base_url="https://plans.council.example",
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_from="improvement-plans@council.example",
        )
        try:
            _a_year_of(context, clock, tmp_path)
            yield context
        finally:
            context.close()


def _a_year_of(ctx: Context, clock: FrozenClock, folder: Path) -> None:
    add_sample_people(ctx)
    people.import_people(ctx, [replace(SAMPLE_PEOPLE[3], aliases=("O. Marsh",))])
    people.set_delivery(ctx, OWEN, "daily-digest")
    plan_id = add_plan(ctx)
    action_id = add_action(ctx, plan_id, target=date(2014, 6, 9))
    opened = approvals.request_change(ctx, action_id, "approve", by_email=OWEN)
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email=DANA)
    approvals.request_change(ctx, action_id, "start", by_email=OWEN)
    progress.record_progress(ctx, action_id, "Model drafted", Rag.AMBER, by_email=OWEN)
    refused = approvals.request_change(
        ctx, action_id, "revise_target", by_email=OWEN, reason="Audit late",
        new_target_date=date(2014, 12, 31),
    )  # fmt: skip
    assert refused.request_id is not None
    approvals.decide(ctx, refused.request_id, Verdict.REJECT, by_email=RUTH, comment="Not yet")
    taken_back = approvals.request_change(ctx, action_id, "complete", by_email=OWEN)
    assert taken_back.request_id is not None
    approvals.withdraw(ctx, taken_back.request_id, by_email=OWEN)
    # Late: the sweep escalates and queues notices; the failed email to Dana is retried.
    clock.set(london(2014, 6, 16, 9, 30))
    sweep.sweep(ctx)
    delivery.deliver_due(ctx)
    delivery.requeue(ctx, failed=True)
    # A new date approved by a deputy closes the escalation.
    deputies.add_deputy(ctx, RUTH, ALEX, starts_on=date(2014, 6, 1), ends_on=date(2014, 6, 30))
    moved = approvals.request_change(
        ctx, action_id, "revise_target", by_email=OWEN, reason="Waiting for the audit",
        new_target_date=date(2014, 7, 31),
    )  # fmt: skip
    assert moved.request_id is not None
    approvals.decide(ctx, moved.request_id, Verdict.APPROVE, by_email=ALEX, comment="For Ruth")
    link = sign_in.signer(ctx).sign_in_link(_person_id(ctx, OWEN))
    sign_in.sign_in_with_link(ctx, link.split("token=")[1], "sign_in")
    # A plan from its file, imported twice: the second brings news.
    plan = folder / "finance-plan.csv"
    rows = [
        "Finance Improvement Plan,,,,",
        "Theme,Action,Lead,Target Date,Progress",
        "Finance,Extend medium term financial strategy,Owen Marsh,30/09/2014,{progress}",
    ]
    plan.write_text("\n".join(rows).format(progress="Work started on the model") + "\n")
    import_plan_files(ctx, [plan], ImportOptions(kind=PlanKind.ACTION_PLAN))
    plan.write_text("\n".join(rows).format(progress="COMPLETE. Adopted in June.") + "\n")
    import_plan_files(ctx, [plan], ImportOptions(kind=PlanKind.ACTION_PLAN))
    # Deferred at once (where deferring needs no approval) while its approval waits: the
    # approval comes too late and the request is superseded.
    second = add_action(ctx, plan_id, description="Review the capital programme")
    waiting = approvals.request_change(ctx, second, "approve", by_email=OWEN).request_id
    assert waiting is not None
    with _deferring_at_once(ctx, clock, folder) as at_once:
        approvals.request_change(at_once, second, "defer", by_email=OWEN, reason="No budget")
    with pytest.raises(exceptions.IllegalTransition):
        approvals.decide(ctx, waiting, Verdict.APPROVE, by_email=DANA)


@contextmanager
def _deferring_at_once(ctx: Context, clock: FrozenClock, folder: Path) -> Iterator[Context]:
    """A context on the same database whose workflow defers without asking anyone."""
    source = ctx.settings.workflows_dir / "improvement_action.yaml"
    asked = "    dest: deferred\n    approval: {body: Cabinet}\n"
    text = source.read_text(encoding="utf-8")
    assert text.count(asked) == 1
    assert text.count("      defer: Cabinet\n") == 1
    text = text.replace("      defer: Cabinet\n", "")
    (folder / "workflows").mkdir()
    (folder / "workflows" / "improvement_action.yaml").write_text(
        text.replace(asked, "    dest: deferred\n    approval: none\n"), encoding="utf-8"
    )
    context = make_context(
        ctx.database.url,
        workflows_dir=folder / "workflows",
        migrate=False,
        clock=clock,
        audit_key=KEY,
    )
    try:
        yield context
    finally:
        context.close()


def _person_id(ctx: Context, email: str) -> int:
    with ctx.database.reading() as session:
        found = people_store.person_by_email(session, email).id
    assert found is not None
    return found


def _stored(ctx: Context) -> list[AuditEvent]:
    with ctx.database.engine.connect() as connection:
        rows = connection.execute(sa.select(_EVENTS).order_by(_EVENTS.c.seq)).mappings().all()
    return [AuditEvent(**row) for row in rows]


def test_every_stored_event_is_its_record_byte_for_byte(council: Context) -> None:
    """Each row reads into its record; the record's kind, columns and payload are the row's."""
    rows = _stored(council)
    kinds = {row.event for row in rows}
    assert kinds >= {
        "person_created", "person_updated", "preferences_changed", "plan_created",
        "action_created", "requested", "decision", "transition", "approved", "rejected",
        "withdrawn", "superseded", "progress", "escalated", "escalation_closed",
        "notice_escalation", "emails_requeued", "deputy_named", "signed_in", "imported",
    }  # fmt: skip
    for row in rows:
        logged = audit_events.from_row(row)
        event = logged.event
        assert not isinstance(event, Unrecognised), (row.seq, row.event, event.why)
        assert (logged.seq, logged.at) == (row.seq, row.at)
        assert event.kind == EventKind(row.event)
        stored_columns = {name: getattr(row, name) for name in audit_events.base.COLUMNS}
        assert {**dict.fromkeys(stored_columns), **event.columns()} == stored_columns, row.seq
        assert audit.canonical_json(event.payload()) == row.data, (row.seq, row.event)


def test_a_log_written_from_its_records_hashes_the_same(council: Context, tmp_path: Path) -> None:
    """Recording the typed records again, in order and at the same moments, in an empty
    database gives every event the hash it has now: the chain is unchanged to the byte."""
    original = _stored(council)
    copy = make_context(f"sqlite:///{tmp_path / 'copy.db'}", audit_key=KEY)
    try:
        with copy.database.writing() as session:
            for row in original:
                logged = audit_events.from_row(row)
                assert not isinstance(logged.event, Unrecognised)
                assert audit.record(session, logged.event, at=logged.at) == row.seq
        rewritten = _stored(copy)
        with copy.database.reading() as session:
            report = audit.verify(session, copy.database.audit_key)
    finally:
        copy.close()
    assert [(e.seq, e.hash, e.hash_scheme) for e in rewritten] == [
        (e.seq, e.hash, e.hash_scheme) for e in original
    ]
    assert (report.events, report.keyed_from) == (len(original), 1)


# The log this council's year wrote when every writer still stored its fields one by one: kept
# so that writing through the typed records is held to the very same rows and hashes.
_WRITTEN_BEFORE_RECORDS = Path(__file__).parent.parent / "fixtures" / "audit" / "stored_events.json"


def _as_written(row: AuditEvent) -> dict[str, object]:
    return {
        "seq": row.seq,
        "at": row.at.astimezone(UTC).isoformat(),
        "event": row.event,
        **{name: getattr(row, name) for name in audit_events.base.COLUMNS},
        "data": row.data,
        "hash": row.hash,
    }


def test_the_services_store_what_they_always_stored(council: Context) -> None:
    """Every event of the year, each kind the services write (requests, decisions, each way a
    request ends, transitions, progress by hand and by import, escalations, notices, plans,
    actions, people, emails requeued), is stored row for row and hash for hash as before the
    services wrote typed records: a changed key, value or column would change its bytes."""
    expected = json.loads(_WRITTEN_BEFORE_RECORDS.read_text(encoding="utf-8"))
    stored = [_as_written(row) for row in _stored(council)]
    assert [row["event"] for row in stored] == [row["event"] for row in expected]
    for now, then in zip(stored, expected, strict=True):
        assert now == then, then["seq"]
