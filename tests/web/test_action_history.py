"""The action page's history: one entry per change, in words: who asked, why, who decided."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from page_words import history, words
from web_helpers import Council, sign_in, start_action

from improveflow.calendar import LONDON
from improveflow.clock import FrozenClock
from improveflow.models import PlanKind, Rag, Verdict
from improveflow.services import action_history, approvals, deputies, progress, sweep
from improveflow.services.context import Context
from improveflow.services.importing import ImportOptions, import_plan_files
from improveflow.testing import add_action, add_plan, add_sample_people
from improveflow.web.pages import make_templates

OWEN = "owen@council.example"
DANA = "dana@council.example"
SAM = "sam@council.example"
RUTH = "ruth@council.example"
ALEX = "alex@council.example"
# An audit event's own name (action_created, escalation_closed, notice_reminder) shown as words.
EVENT_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def _page(client: TestClient, ctx: Context, action_id: int, as_email: str = OWEN) -> str:
    sign_in(client, Council(ctx, 0, action_id, action_id), as_email)
    response = client.get(f"/actions/{action_id}")
    assert response.status_code == 200
    return response.text


def _entries(client: TestClient, ctx: Context, action_id: int) -> list[str]:
    """The history's entries without their times, newest first; none shows an event's name."""
    entries = [
        re.sub(r"^\d\d:\d\d on \d{1,2} \w+ \d{4} ", "", entry)
        for entry in history(_page(client, ctx, action_id))
    ]
    for entry in entries:
        assert not EVENT_NAME.search(entry), entry
    return entries


def test_an_approved_date_change_is_one_entry_that_says_it(
    client: TestClient, web_ctx: Context, clock: FrozenClock
) -> None:
    """Asked, decided and applied: one line with both dates, who asked, why, and who approved."""
    clock.set(london(2026, 11, 2, 10, 0))
    add_sample_people(web_ctx)
    action_id = add_action(web_ctx, add_plan(web_ctx), target=date(2026, 11, 30))
    start_action(web_ctx, action_id)
    clock.set(london(2026, 11, 16, 11, 0))
    asked = approvals.request_change(
        web_ctx, action_id, "revise_target", by_email=OWEN,
        reason="The consultation moved to January", new_target_date=date(2027, 1, 31),
    )  # fmt: skip
    assert asked.request_id is not None
    clock.set(london(2026, 11, 18, 15, 30))
    approvals.decide(web_ctx, asked.request_id, Verdict.APPROVE, by_email=RUTH)

    page = _page(client, web_ctx, action_id)
    entries = history(page)
    assert entries[0] == (
        "15:30 on 18 November 2026 Target date changed from 30 November 2026 to "
        "31 January 2027: asked by Owen Marsh (The consultation moved to January), "
        "approved by Cllr Ruth Holt"
    )
    assert entries[1:] == [
        "10:00 on 2 November 2026 State changed from Approved to In progress by Owen Marsh",
        "10:00 on 2 November 2026 State changed from Drafted to Approved: asked by Owen Marsh, "
        "approved by Dana Reeve",
        "10:00 on 2 November 2026 Action added to the plan as Drafted",
    ]
    for old_words in ("Decision given", "Request approved", "Change asked for"):
        assert old_words not in page


def test_every_kind_of_request_and_update_reads_as_a_sentence(
    client: TestClient, web_ctx: Context, clock: FrozenClock
) -> None:
    """Progress, a direct start, a rejection, a withdrawal, deferral, a waiting request."""
    clock.set(london(2014, 6, 2, 10, 0))
    add_sample_people(web_ctx)
    action_id = add_action(web_ctx, add_plan(web_ctx), target=date(2014, 9, 30))
    start_action(web_ctx, action_id)
    progress.record_progress(
        web_ctx, action_id, "Model drafted.\nNext: CMT.", Rag.AMBER, by_email=OWEN
    )
    refused = approvals.request_change(
        web_ctx, action_id, "revise_target", by_email=OWEN, reason="Audit late",
        new_target_date=date(2014, 12, 31),
    )  # fmt: skip
    assert refused.request_id is not None
    approvals.decide(
        web_ctx, refused.request_id, Verdict.REJECT, by_email=RUTH, comment="Not yet: try CMT first"
    )
    taken_back = approvals.request_change(web_ctx, action_id, "complete", by_email=OWEN)
    assert taken_back.request_id is not None
    approvals.withdraw(web_ctx, taken_back.request_id, by_email=OWEN)
    deferred = approvals.request_change(
        web_ctx, action_id, "defer", by_email=OWEN, reason="Budget paused until April"
    )
    assert deferred.request_id is not None
    approvals.decide(web_ctx, deferred.request_id, Verdict.APPROVE, by_email=RUTH)
    resumed = approvals.request_change(web_ctx, action_id, "resume", by_email=OWEN)
    assert resumed.request_id is not None
    approvals.decide(
        web_ctx, resumed.request_id, Verdict.APPROVE, by_email=SAM, comment="Budget agreed"
    )
    approvals.request_change(
        web_ctx, action_id, "complete", by_email=OWEN, reason="Adopted by Council"
    )

    assert _entries(client, web_ctx, action_id)[:7] == [
        "Owen Marsh asked to mark the action complete (Adopted by Council): waiting for a "
        "decision by Corporate Management Team",
        "State changed from Deferred to In progress: asked by Owen Marsh, approved by "
        "Sam Patel (Budget agreed)",
        "State changed from In progress to Deferred: asked by Owen Marsh "
        "(Budget paused until April), approved by Cllr Ruth Holt",
        "Request to mark the action complete withdrawn: asked by Owen Marsh, withdrawn by "
        "Owen Marsh",
        "Request to change the target date from 30 September 2014 to 31 December 2014 "
        "rejected: asked by Owen Marsh (Audit late), rejected by Cllr Ruth Holt "
        "(Not yet: try CMT first)",
        "Progress update by Owen Marsh, rated Amber Model drafted. Next: CMT.",
        "State changed from Approved to In progress by Owen Marsh",
    ]


def test_completion_approved_by_a_deputy_names_both(
    client: TestClient, web_ctx: Context, clock: FrozenClock
) -> None:
    """A deputy's approval shows the deputy and the member they stood in for."""
    clock.set(london(2014, 6, 2, 10, 0))
    add_sample_people(web_ctx)
    action_id = add_action(web_ctx, add_plan(web_ctx), target=date(2014, 9, 30))
    start_action(web_ctx, action_id)
    progress.record_progress(web_ctx, action_id, "Done", None, by_email=OWEN)
    deputies.add_deputy(web_ctx, DANA, ALEX, starts_on=date(2014, 6, 1), ends_on=date(2014, 6, 30))
    asked = approvals.request_change(web_ctx, action_id, "complete", by_email=OWEN)
    assert asked.request_id is not None
    approvals.decide(
        web_ctx, asked.request_id, Verdict.APPROVE, by_email=ALEX, comment="Agreed for Dana"
    )
    assert _entries(client, web_ctx, action_id)[0] == (
        "State changed from In progress to Complete: asked by Owen Marsh, approved by "
        "Alex Smith as deputy for Dana Reeve (Agreed for Dana)"
    )


def test_escalations_say_their_level_and_why_and_a_quiet_spell_is_no_escalation(
    client: TestClient, web_ctx: Context, clock: FrozenClock
) -> None:
    """Levels 1 and 2 say how late; the new date closes them; a quiet spell is only a prompt."""
    clock.set(london(2014, 6, 2, 10, 0))
    add_sample_people(web_ctx)
    action_id = add_action(web_ctx, add_plan(web_ctx), target=date(2014, 6, 9))
    start_action(web_ctx, action_id)
    for day in (10, 16):  # 1, then 5, working days after Monday 9 June
        clock.set(london(2014, 6, day, 9, 30))
        sweep.sweep(web_ctx)
    clock.set(london(2014, 6, 17, 11, 0))
    asked = approvals.request_change(
        web_ctx, action_id, "revise_target", by_email=OWEN, reason="Waiting for the audit",
        new_target_date=date(2014, 7, 31),
    )  # fmt: skip
    assert asked.request_id is not None
    approvals.decide(web_ctx, asked.request_id, Verdict.APPROVE, by_email=RUTH)
    clock.set(london(2014, 7, 15, 9, 30))  # six weeks without news since 2 June
    sweep.sweep(web_ctx)
    clock.set(london(2014, 7, 16, 10, 0))
    progress.record_progress(web_ctx, action_id, "Audit booked", None, by_email=OWEN)

    entries = _entries(client, web_ctx, action_id)
    assert entries[:5] == [
        "Progress update by Owen Marsh Audit booked",
        "No news since 2 June 2014: a progress update was asked for",
        "Target date changed from 9 June 2014 to 31 July 2014: asked by Owen Marsh "
        "(Waiting for the audit), approved by Cllr Ruth Holt This closed the escalations at "
        "levels 1 and 2.",
        "Escalated to level 2: 5 working days past its target date, 9 June 2014",
        "Escalated to level 1: 1 working day past its target date, 9 June 2014",
    ]
    assert not any("level 0" in entry for entry in entries)


def test_a_red_rating_escalation_says_so(
    client: TestClient, web_ctx: Context, clock: FrozenClock
) -> None:
    """An escalation reached by a Red rating, before any date has passed, says it was rated Red."""
    clock.set(london(2014, 6, 2, 10, 0))
    add_sample_people(web_ctx)
    action_id = add_action(web_ctx, add_plan(web_ctx), target=date(2014, 9, 30))
    start_action(web_ctx, action_id)
    progress.record_progress(web_ctx, action_id, "Stuck", Rag.RED, by_email=OWEN)
    clock.set(london(2014, 6, 3, 9, 30))
    sweep.sweep(web_ctx)
    assert _entries(client, web_ctx, action_id)[0] == (
        "Escalated to level 3: the action was rated Red"
    )


def test_an_imported_action_says_where_it_came_from(
    client: TestClient, web_ctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    """Imported with its file position and the words that set its state; a re-import's progress."""
    clock.set(london(2014, 6, 2, 10, 0))
    add_sample_people(web_ctx)
    plan = tmp_path / "finance-plan.csv"
    rows = [
        "Finance Improvement Plan,,,,",
        "Theme,Action,Lead,Target Date,Progress",
        "Finance,Extend medium term financial strategy,Owen Marsh,30/09/2014,{progress}",
    ]
    plan.write_text("\n".join(rows).format(progress="Work started on the model") + "\n")
    report = import_plan_files(web_ctx, [plan], ImportOptions(kind=PlanKind.ACTION_PLAN))
    action_id = report.plans[0].actions[0].id
    assert action_id is not None
    clock.set(london(2014, 7, 1, 10, 0))
    plan.write_text("\n".join(rows).format(progress="COMPLETE. Adopted in June.") + "\n")
    import_plan_files(web_ctx, [plan], ImportOptions(kind=PlanKind.ACTION_PLAN))

    assert _entries(client, web_ctx, action_id) == [
        "Progress update from the plan's file (finance-plan.csv:3) COMPLETE. Adopted in June.",
        "Imported from the plan's file (finance-plan.csv:3) as In progress",
    ]


def test_the_service_gives_typed_entries(web_ctx: Context, clock: FrozenClock) -> None:
    """The history service hands pages fields, not sentences: dates, names, the request."""
    clock.set(london(2026, 11, 2, 10, 0))
    add_sample_people(web_ctx)
    action_id = add_action(web_ctx, add_plan(web_ctx), target=date(2026, 11, 30))
    start_action(web_ctx, action_id)
    asked = approvals.request_change(
        web_ctx, action_id, "revise_target", by_email=OWEN, reason="Consultation moved",
        new_target_date=date(2027, 1, 31),
    )  # fmt: skip
    assert asked.request_id is not None
    approvals.decide(web_ctx, asked.request_id, Verdict.APPROVE, by_email=RUTH, comment="Fine")

    latest = action_history.history_of(web_ctx, action_id)[0]
    assert isinstance(latest, action_history.Changed)
    assert (latest.target_from, latest.target_to) == (date(2026, 11, 30), date(2027, 1, 31))
    assert latest.target_changed
    assert not latest.state_changed
    assert latest.ask is not None
    assert (latest.ask.by, latest.ask.reason, latest.ask.body) == (
        "Owen Marsh",
        "Consultation moved",
        "Cabinet",
    )
    assert latest.ask.approvals == (action_history.Decided("Cllr Ruth Holt", True, "Fine"),)


@pytest.mark.parametrize("who", [OWEN, "pia@peers.example"])
def test_history_reads_the_same_for_everyone(
    client: TestClient, web_ctx: Context, clock: FrozenClock, who: str
) -> None:
    """The owner and a peer-challenge lead read the same words; no notice is listed."""
    clock.set(london(2014, 6, 2, 10, 0))
    add_sample_people(web_ctx)
    action_id = add_action(web_ctx, add_plan(web_ctx), target=date(2014, 6, 9))
    start_action(web_ctx, action_id)
    clock.set(london(2014, 6, 2, 10, 30))
    sweep.sweep(web_ctx)  # a reminder: 5 working days left, emailed, not part of the story
    entries = history(_page(client, web_ctx, action_id, who))
    assert len(entries) == 3
    assert not any("emind" in entry for entry in entries)


def test_rare_entries_read_as_sentences_too() -> None:
    """A request waiting for its second approval, one that came too late, a level closed alone."""
    asked = action_history.Ask(
        label="mark the action complete",
        by="Owen Marsh",
        at=london(2014, 6, 2, 10, 0),
        reason="Adopted",
        body="Corporate Management Team",
        new_target_date=None,
        quorum=2,
        decisions=(action_history.Decided("Dana Reeve", True, "Agreed"),),
    )
    at = london(2014, 6, 3, 10, 0)
    entries = [
        action_history.Waiting(at, asked),
        action_history.RequestClosed(at, asked, action_history.RequestOutcome.LAPSED, "Dana Reeve"),
        action_history.EscalationClosed(at, 2),
    ]
    template = make_templates().get_template("_action_history.html")
    rendered = str(template.module.history(entries))  # type: ignore[attr-defined]
    items = [words(item.split("</li>")[0]) for item in rendered.split("<li>")[1:]]
    assert [item.removeprefix("10:00 on 3 June 2014 ") for item in items] == [
        "Owen Marsh asked to mark the action complete (Adopted): waiting for a decision by "
        "Corporate Management Team (1 of 2 approvals so far, from Dana Reeve (Agreed))",
        "Request to mark the action complete closed with no change: asked by Owen Marsh "
        "(Adopted), approved by Dana Reeve (Agreed), but by then it no longer applied to the "
        "action",
        "Escalation at level 2 closed",
    ]
