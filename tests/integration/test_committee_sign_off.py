"""A scrutiny committee's sign-off of an action as implemented: recorded by the plan's scrutiny
officer or an administrator of its own council, in the audit log, corrected in place; shown in
the action's detail, the plan's export and the committee report; refused for another kind of
plan, an action not yet complete, a future day, a day before the report, and anyone else,
each with a sentence."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from sweep_helpers import london

from improveflow import audit_events, exceptions
from improveflow.audit_events import CommitteeSignedOff
from improveflow.cli import history
from improveflow.clock import FrozenClock
from improveflow.models import PlanKind
from improveflow.services import action_history, people, plans, reports, scrutiny, views
from improveflow.services.action_history import SignedOff
from improveflow.services.context import Context
from improveflow.services.dashboard import TableFilter
from improveflow.services.plan_export import export_rows
from improveflow.services.reports import ReportFormat
from improveflow.stores import audit as audit_store
from improveflow.testing import add_action, add_sample_people, complete_action

OFFICER = "sid@council.example"
ADMIN = "alex@council.example"  # the sample administrator
OWNER = "owen@council.example"
CHIEF = "cara@council.example"
REPORT = date(2026, 6, 12)


@pytest.fixture
def action_id(ctx: Context, clock: FrozenClock) -> int:
    add_sample_people(ctx)
    people.import_people(
        ctx,
        [
            people.PersonInput("Sid Amin", OFFICER, (), (), ("scrutiny_officer",)),
            people.PersonInput("Cara Evans", CHIEF, (), (), ("chief_executive",)),
        ],
    )
    clock.set(london(2026, 10, 20, 12, 0))
    plan_id = plans.create_plan(
        ctx, "Scrutiny review of school transport", PlanKind.SCRUTINY, report_date=REPORT
    ).id
    action_id = add_action(
        ctx, plan_id, "R1 Publish the transport eligibility policy", target=date(2026, 9, 30)
    )
    complete_action(ctx, action_id)
    return action_id


def _signed_off_events(ctx: Context, action_id: int) -> list[CommitteeSignedOff]:
    with ctx.database.reading() as session:
        stored = audit_store.events_of_action(session, action_id)
        events = [audit_events.from_row(row).event for row in stored]
    return [event for event in events if isinstance(event, CommitteeSignedOff)]


def test_the_scrutiny_officer_records_a_sign_off_shown_everywhere_the_action_is(
    ctx: Context, action_id: int
) -> None:
    """Signed off on 14 October with minute 45/26: in the audit log as a typed event, in the
    action's detail (as `action show` and the action page read it), in the export, and in
    the committee report's plan table, in its HTML and its Word document."""
    view = scrutiny.sign_off(
        ctx, action_id, signed_off_on=date(2026, 10, 14), minute=" 45/26 ", by_email=OFFICER
    )
    assert view.words == "Signed off by committee on Wednesday 14 October 2026 (minute 45/26)"
    assert view.recorded_by == OFFICER
    [event] = _signed_off_events(ctx, action_id)
    assert (event.signed_off_on, event.minute, event.earlier) == (date(2026, 10, 14), "45/26", None)
    detail = views.action_detail(ctx, action_id)
    assert detail["committee_sign_off"] == {
        "signed_off_on": "2026-10-14",
        "minute": "45/26",
        "recorded_by": OFFICER,
        "words": "Signed off by committee on Wednesday 14 October 2026 (minute 45/26)",
    }
    assert "committee_signed_off" in [entry["event"] for entry in detail["history"]]
    [row] = list(export_rows(ctx, detail["plan_id"], TableFilter()))
    assert row.sign_off is not None
    assert (row.sign_off.signed_off_on, row.sign_off.minute) == (date(2026, 10, 14), "45/26")
    made = reports.make_report(ctx, detail["plan_id"])
    [line] = made.themes[0].objectives[0].actions
    assert line.signed_off == "Signed off by committee on 14 October 2026 (minute 45/26)"
    html = reports.render(made, ReportFormat.HTML).decode()
    assert "<br>Signed off by committee on 14 October 2026 (minute 45/26)</td>" in html
    document = Document(io.BytesIO(reports.render(made, ReportFormat.DOCX)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any(
        text.endswith("\nSigned off by committee on 14 October 2026 (minute 45/26)")
        for text in cells
    )


def test_a_second_sign_off_corrects_the_first_and_the_log_keeps_both(
    ctx: Context, action_id: int
) -> None:
    """An administrator corrects the day (no minute given): the action shows the new day, and
    the log records the correction with the day it replaced."""
    scrutiny.sign_off(ctx, action_id, signed_off_on=date(2026, 10, 14), by_email=OFFICER)
    view = scrutiny.sign_off(ctx, action_id, signed_off_on=date(2026, 10, 15), by_email=ADMIN)
    assert view.words == "Signed off by committee on Thursday 15 October 2026"
    assert view.recorded_by == ADMIN
    first, second = _signed_off_events(ctx, action_id)
    assert (first.signed_off_on, first.earlier) == (date(2026, 10, 14), None)
    assert (second.signed_off_on, second.earlier) == (date(2026, 10, 15), date(2026, 10, 14))
    # The action's history tells both, newest first, in the words of its page and `action show`.
    entries = [e for e in action_history.history_of(ctx, action_id) if isinstance(e, SignedOff)]
    assert [(e.on, e.by, e.earlier) for e in entries] == [
        (date(2026, 10, 15), "Alex Smith", date(2026, 10, 14)),
        (date(2026, 10, 14), "Sid Amin", None),
    ]
    assert history.sentence(entries[0]) == (
        "Signed off by committee on 15 October 2026, recorded by Alex Smith, in place of "
        "14 October 2026"
    )
    assert views.action_detail(ctx, action_id)["committee_sign_off"]["signed_off_on"] == (
        "2026-10-15"
    )


def test_a_sign_off_is_refused_with_a_sentence(ctx: Context, action_id: int) -> None:
    """The owner whose work it is, and the chief executive, may not record it; nor a day in
    the future or before the executive received the report; nor a minute reference that is the
    minutes."""
    for who in (OWNER, CHIEF):
        with pytest.raises(
            exceptions.Refused,
            match="cannot record a committee's sign-off: only the scrutiny officer or an "
            "administrator",
        ):
            scrutiny.sign_off(ctx, action_id, signed_off_on=date(2026, 10, 14), by_email=who)
    with pytest.raises(
        exceptions.InvalidValue,
        match="Wednesday 21 October 2026 is in the future: record a sign-off once",
    ):
        scrutiny.sign_off(ctx, action_id, signed_off_on=date(2026, 10, 21), by_email=OFFICER)
    with pytest.raises(
        exceptions.InvalidValue,
        match="Monday 1 June 2026 is before the executive received the scrutiny report, on "
        "Friday 12 June 2026",
    ):
        scrutiny.sign_off(ctx, action_id, signed_off_on=date(2026, 6, 1), by_email=OFFICER)
    with pytest.raises(exceptions.InvalidValue, match="A minute reference is at most"):
        scrutiny.sign_off(
            ctx, action_id, signed_off_on=date(2026, 10, 14), minute="x" * 201, by_email=OFFICER
        )
    assert _signed_off_events(ctx, action_id) == []
    assert views.action_detail(ctx, action_id)["committee_sign_off"] is None


def test_an_action_not_yet_complete_is_not_signed_off(ctx: Context, action_id: int) -> None:
    """The committee signs an action off as implemented: a drafted one, or one reopened after
    its sign-off, is refused in words naming its state and what to do first, and nothing is
    recorded; once complete it is accepted."""
    plan_id = views.action_detail(ctx, action_id)["plan_id"]
    drafted = add_action(ctx, plan_id, "R2 Review the appeals process", target=date(2026, 9, 30))
    with pytest.raises(
        exceptions.Refused,
        match=rf"^Action {drafted} is drafted: the committee signs off an action as implemented "
        r"once it is complete\. Ask for it to be marked complete first, then record the "
        "sign-off$",
    ):
        scrutiny.sign_off(ctx, drafted, signed_off_on=date(2026, 10, 14), by_email=OFFICER)
    assert _signed_off_events(ctx, drafted) == []
    assert views.action_detail(ctx, drafted)["committee_sign_off"] is None
    complete_action(ctx, drafted)
    view = scrutiny.sign_off(ctx, drafted, signed_off_on=date(2026, 10, 14), by_email=OFFICER)
    assert view.signed_off_on == date(2026, 10, 14)


def test_another_kind_of_plans_action_is_not_signed_off(ctx: Context, action_id: int) -> None:
    """A service plan's action has no scrutiny committee to sign it off: refused, saying why."""
    service = plans.create_plan(ctx, "Finance service plan", PlanKind.SERVICE_PLAN).id
    other = add_action(ctx, service, "Close the accounts", target=date(2026, 9, 30))
    with pytest.raises(
        exceptions.Refused,
        match=f"Action {other} is in plan {service}, a service plan: only a scrutiny plan's "
        "actions are signed off by its committee",
    ):
        scrutiny.sign_off(ctx, other, signed_off_on=date(2026, 10, 14), by_email=OFFICER)
    assert _signed_off_events(ctx, other) == []


def test_another_councils_officer_is_answered_as_if_the_action_did_not_exist(
    ctx: Context, clock: FrozenClock
) -> None:
    """Southshire's scrutiny officer cannot sign off Northshire's action: 'No action with id',
    as for one that does not exist; Northshire's own officer can."""
    people.import_people(
        ctx,
        [
            people.PersonInput(
                "Nia", "nia@north.example", roles=("scrutiny_officer",), organisation="Northshire"
            ),
            people.PersonInput(
                "Sol", "sol@south.example", roles=("scrutiny_officer",), organisation="Southshire"
            ),
            people.PersonInput(
                "Ola", "ola@north.example", roles=("owner",), organisation="Northshire"
            ),
            people.PersonInput("Cai", "cai@north.example", (), ("CMT",), (), "Northshire"),
        ],
    )
    clock.set(london(2026, 10, 20, 12, 0))
    plan_id = plans.create_plan(
        ctx, "Northshire scrutiny", PlanKind.SCRUTINY, organisation="Northshire",
        report_date=REPORT,
    ).id  # fmt: skip
    action_id = add_action(ctx, plan_id, "R1 Review the policy", owner="ola@north.example")
    complete_action(ctx, action_id, owner="ola@north.example", decider="cai@north.example")
    with pytest.raises(exceptions.NotFound, match=f"No action with id {action_id}"):
        scrutiny.sign_off(
            ctx, action_id, signed_off_on=date(2026, 10, 14), by_email="sol@south.example"
        )
    view = scrutiny.sign_off(
        ctx, action_id, signed_off_on=date(2026, 10, 14), by_email="nia@north.example"
    )
    assert view.recorded_by == "nia@north.example"
