"""Unit tests for improveflow.notify.render: every email kind, its subject, escaping and links."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from jinja2 import UndefinedError

from improveflow import audit_checkpoint, resources
from improveflow.audit_key import AuditKey
from improveflow.clock import FrozenClock
from improveflow.config import load_settings
from improveflow.exceptions import NotFound
from improveflow.links import LinkSigner
from improveflow.notify.render import (
    KINDS,
    SUBJECT_MAX,
    EmailRenderer,
    RenderedEmail,
    digest_summary,
    long_date,
    one_line,
    regarding,
    shorten,
    working_days,
)
from improveflow.services.audit_checkpoints import email_context

BASE = "https://plans.council.example"
NOW = datetime(2015, 7, 24, 8, 0, tzinfo=UTC)
PERSON = 4
FOOTER = "Escalations and approval requests are always sent."
MTFS = "Extend medium term financial strategy"
LONG = (
    "Extend the medium term financial strategy to cover 2016/17 to 2019/20, including "
    "the savings programme and the capital strategy agreed with Cabinet"
)
LINK = re.compile(r"https?://[^\s\"<>]+")


@pytest.fixture(scope="module")
def signer() -> LinkSigner:
    return LinkSigner(
        "a-test-secret-of-sufficient-length", BASE + "/", timedelta(days=14), clock=FrozenClock(NOW)
    )


@pytest.fixture(scope="module")
def renderer(signer: LinkSigner) -> EmailRenderer:
    return EmailRenderer(resources.bundled_dir("templates"), signer)


def render(renderer: EmailRenderer, kind: str, context: dict[str, Any]) -> RenderedEmail:
    return renderer.render(kind, context, recipient_name="Owen Marsh", person_id=PERSON)


# Realistic contexts, as the sweep and the approval services build them --------------------------


def reminder_item(**changes: Any) -> dict[str, Any]:
    item = {
        "action_id": 17,
        "description": MTFS,
        "plan": "Peer Challenge Improvement Plan",
        "theme": "Financial sustainability",
        "objective": "Set a balanced budget for the next four years",
        "target_date": "2015-07-31",
        "as_of": "2015-07-24",
        "working_days_left": 5,
        "state": "in_progress",
        "latest_progress": "Draft strategy taken to CMT on 2 June.",
        "latest_progress_at": "2015-06-02T14:30:00+01:00",
        "rag": "amber",
    }
    return item | changes


def reminder(*items: dict[str, Any]) -> dict[str, Any]:
    return {"items": list(items) or [reminder_item()]}


def prompt_item(**changes: Any) -> dict[str, Any]:
    item = {
        "action_id": 21,
        "description": "Keep the corporate risk register up to date",
        "plan": "Corporate Plan 2015-2019",
        "weeks_since_progress": 6,
        "latest_progress": "Reviewed at CMT in June.",
        "latest_progress_at": "2015-06-12",
    }
    return item | changes


def prompt(*items: dict[str, Any]) -> dict[str, Any]:
    return {"items": list(items) or [prompt_item()]}


def escalation_item(**changes: Any) -> dict[str, Any]:
    item = {
        "action_id": 17,
        "description": MTFS,
        "plan": "Peer Challenge Improvement Plan",
        "owner_name": "Owen Marsh",
        "target_date": "2015-07-17",
        "as_of": "2015-07-24",
        "working_days_overdue": 5,
        "reason": "overdue",
        "level": 2,
        "role": "body",
        "body_title": "Corporate Management Team",
        "latest_progress": None,
        "latest_progress_at": None,
        "rag": "amber",
    }
    return item | changes


def escalation(*items: dict[str, Any]) -> dict[str, Any]:
    return {"items": list(items) or [escalation_item()]}


def no_progress_item(**changes: Any) -> dict[str, Any]:
    item = reminder_item(
        action_id=23,
        description="Agree the workforce strategy",
        target_date="2015-11-30",
        working_days_left=88,
        latest_progress="Consultation planned.",
        latest_progress_at="2015-06-12T10:00:00+01:00",
    )
    return (
        item
        | {
            "days_quiet": 42,
            "role": "owner",
            "owner_name": "Owen Marsh",
            "body_title": None,
        }
        | changes
    )


def no_progress(*items: dict[str, Any]) -> dict[str, Any]:
    return {"items": list(items) or [no_progress_item()]}


def approval(**changes: Any) -> dict[str, Any]:
    context = {
        "request_id": 31,
        "transition": "revise_target",
        "transition_label": "change the target date",
        "body": "CMT",
        "body_title": "Corporate Management Team",
        "requester_name": "Owen Marsh",
        "reason": "The settlement figures arrive late this year.",
        "new_target_date": "2015-09-30",
        "current_target_date": "2015-07-31",
        "from_state": "in_progress",
        "to_state": "in_progress",
        "action": {
            "action_id": 17,
            "description": MTFS,
            "plan": "Peer Challenge Improvement Plan",
            "latest_progress": "Draft strategy taken to CMT on 2 June.",
            "rag": "amber",
        },
        "chase": False,
        "waiting_working_days": 0,
        "on_behalf_of": None,
    }
    return context | changes


def decision(**changes: Any) -> dict[str, Any]:
    context = {
        "request_id": 32,
        "transition_label": "mark the action complete",
        "status": "approved",
        "decider_name": "Dana Reeve",
        "comment": "Well done.",
        "action": {
            "action_id": 17,
            "description": MTFS,
            "plan": "Peer Challenge Improvement Plan",
            "state": "complete",
        },
    }
    return context | changes


def digest() -> dict[str, Any]:
    return {
        "sections": [
            {
                "kind": "reminder",
                "context": reminder(
                    reminder_item(),
                    reminder_item(action_id=18, description="Agree the workforce strategy"),
                    reminder_item(action_id=19, description="Publish the asset review"),
                ),
            },
            {"kind": "progress_prompt", "context": prompt()},
        ],
        "daily": True,
    }


def reply_recorded() -> dict[str, Any]:
    recorded = {
        "progress": "Consultation closed on Friday.",
        "rag": "amber",
        "asked": {
            "transition": "complete",
            "label": "mark the action complete",
            "status": "pending",
            "body": "CMT",
            "body_title": "Corporate Management Team",
            "new_target_date": None,
            "applied": False,
        },
    }
    return {"items": [reminder_item(recorded=recorded)]}


def reply_refused() -> dict[str, Any]:
    return {
        "reason": "Your reply had no new text in it, only the email you replied to.",
        "subject": "RE: Reminder: action 17",
        "received_at": "2015-07-24T09:00:00+00:00",
        "what_to_write": "Reply with your progress update as the text of your email.",
    }


def milestone(**changes: Any) -> dict[str, Any]:
    context = {
        "plan_id": 3,
        "plan": "Corporate Peer Challenge 2026",
        "milestone": "feedback_report",
        "label": "Feedback report published",
        "stage": "reminder",
        "due_on": "2026-12-25",
        "latest_on": "2027-02-25",
        "role": "lead",
    }
    return context | changes


def scrutiny_response(**changes: Any) -> dict[str, Any]:
    context = milestone(
        plan="Scrutiny review of home-to-school transport",
        milestone="executive_response",
        label="Executive response given",
        due_on="2026-08-11",
        latest_on=None,
        role="scrutiny_officer",
    )
    return context | {"report_date": "2026-06-12", "response_period": "two months"} | changes


CONTEXTS: dict[str, Callable[[], dict[str, Any]]] = {
    "reminder": reminder,
    "progress_prompt": prompt,
    "escalation": escalation,
    "no_progress": no_progress,
    "approval_needed": approval,
    "decision": decision,
    "sign_in": lambda: {
        "person_id": 4,
        "requested_at": "2014-06-02T09:00:00+01:00",
        "link_lasts": "1 hour",
    },
    "digest": digest,
    "reply_recorded": reply_recorded,
    "reply_refused": reply_refused,
    "milestone": milestone,
    "scrutiny_response": scrutiny_response,
    "audit_checkpoint": lambda: email_context(
        load_settings(base_url=BASE),
        audit_checkpoint.make(AuditKey("x" * 32), seq=15, head_hash="ab" * 32, made_at=NOW),
    ),
}
# Sent to the audit committee chair, who has no reminder preferences: no preferences footer.
PREFERENCE_KINDS = tuple(kind for kind in KINDS if kind != "audit_checkpoint")


# Every kind ------------------------------------------------------------------------------------


def test_the_contexts_here_cover_every_kind() -> None:
    """These tests exercise every template kind the renderer knows."""
    assert set(CONTEXTS) == set(KINDS)


@pytest.mark.parametrize("kind", PREFERENCE_KINDS)
def test_every_kind_renders_subject_text_and_html(renderer: EmailRenderer, kind: str) -> None:
    """Each kind gives a one-line subject, a text part and an HTML part with greeting and footer."""
    email = render(renderer, kind, CONTEXTS[kind]())
    assert email.subject
    assert "\n" not in email.subject
    assert len(email.subject) <= SUBJECT_MAX
    assert email.text.startswith("Dear Owen Marsh,\n\n")
    assert email.text.endswith(FOOTER + "\n")
    assert "\n\n\n" not in email.text
    assert "You are getting " in email.text
    assert email.html.startswith("<!DOCTYPE html>")
    assert "Dear Owen Marsh," in email.html
    assert FOOTER in email.html
    assert f"{BASE}/preferences?token=" in email.text
    assert f"{BASE}/preferences?token=" in email.html


@pytest.mark.parametrize("kind", KINDS)
def test_html_has_no_remote_assets(renderer: EmailRenderer, kind: str) -> None:
    """No images, scripts or style sheets are fetched: every URL is one of our links."""
    html = render(renderer, kind, CONTEXTS[kind]()).html
    assert "src=" not in html
    assert "<link" not in html
    assert "<script" not in html
    # A URL ending a sentence ("... at https://plans.council.example.") keeps its full stop.
    urls = [url.rstrip(".,;") for url in LINK.findall(html)]
    assert all(url == BASE or url.startswith(BASE + "/") for url in urls)


def test_reminder_body_says_what_where_when_and_how(renderer: EmailRenderer) -> None:
    """A reminder names the action, plan, long target date, days left, progress and a link."""
    text = render(renderer, "reminder", reminder()).text
    assert MTFS in text
    assert "Plan: Peer Challenge Improvement Plan" in text
    assert "Target date: Friday 31 July 2015 (in 5 working days)" in text
    assert "Latest progress (Tuesday 2 June 2015):\nDraft strategy taken to CMT on 2 June." in text
    assert "Status: In progress" in text
    assert "RAG status: Amber" in text
    assert f"Update this action:\n{BASE}/actions/17?token=" in text


def test_reminder_without_progress_says_so(renderer: EmailRenderer) -> None:
    """An action nobody has updated says so plainly in both parts."""
    email = render(
        renderer, "reminder", reminder(reminder_item(latest_progress=None, latest_progress_at=None))
    )
    assert "No progress has been recorded yet." in email.text
    assert "No progress has been recorded yet." in email.html


def test_progress_prompt_says_how_long_since_the_last_update(renderer: EmailRenderer) -> None:
    """A prompt gives the weeks since progress, or says there has never been any."""
    text = render(
        renderer,
        "progress_prompt",
        prompt(
            prompt_item(),
            prompt_item(action_id=22, weeks_since_progress=None, latest_progress=None),
        ),
    ).text
    assert "The last update was 6 weeks ago." in text
    assert "No progress has been recorded yet." in text
    assert f"Add a progress update:\n{BASE}/actions/22?token=" in text


def links_to(body: str, path: str) -> int:
    return len(re.findall(rf"{re.escape(BASE)}/{path}\?token=", body))


def button_labels(html: str) -> list[tuple[str, str]]:
    """Each green button in an HTML email: (the page it opens, its words)."""
    return re.findall(
        r'<a href="'
        + re.escape(BASE)
        + r'/(actions/\d+)\?token=[^"]+" style="display:inline-block;'
        r'[^"]*">([^<]+)</a>',
        html,
    )


def test_escalation_to_the_owner_asks_for_action(renderer: EmailRenderer) -> None:
    """The owner is asked to update the action or ask for a new date, and offered the update."""
    context = escalation(escalation_item(role="owner", level=1, working_days_overdue=1))
    email = render(renderer, "escalation", context)
    assert "Your action has been escalated. Add a progress update, or ask for a new target " in (
        email.text
    )
    assert "It is 1 working day late, so it has reached escalation level 1." in email.text
    assert "Owner:" not in email.text
    assert "For information" not in email.text
    assert f"Update this action:\n{BASE}/actions/17?token=" in email.text
    assert "You are getting this email because you own this action." in email.text
    assert button_labels(email.html) == [("actions/17", "Update this action")]


def test_escalation_to_a_body_is_for_information(renderer: EmailRenderer) -> None:
    """CMT or Cabinet members are told it is for information, who owns it and which body
    they are told as; they are not asked to update an action they do not own."""
    email = render(renderer, "escalation", escalation())
    assert email.text.count("For information: an action has been escalated.") == 1
    assert "You do not need to do anything" in email.text
    assert "Owner: Owen Marsh" in email.text
    assert "It is 5 working days late, so it has reached escalation level 2." in email.text
    assert "Update this action" not in email.text + email.html
    assert f"See this action:\n{BASE}/actions/17?token=" in email.text
    assert (
        "because you are a member of the Corporate Management Team, which is told of "
        "escalations at level 2." in email.text
    )
    assert button_labels(email.html) == []


def test_escalation_to_a_lead_says_leads_are_told(renderer: EmailRenderer) -> None:
    """The peer-challenge lead is told why they, in particular, receive it."""
    context = escalation(
        escalation_item(
            reason="rag_red", working_days_overdue=None, level=3, role="lead", body_title=None
        )
    )
    text = render(renderer, "escalation", context).text
    assert "It is rated red: it is unlikely to be delivered as planned, so it has reached " in (
        text
    )
    assert (
        "because you are a peer-challenge lead, and peer-challenge leads are told of "
        "escalations at level 3." in text
    )


def test_one_email_words_each_action_for_the_recipients_role_in_it(
    renderer: EmailRenderer,
) -> None:
    """A CMT member who owns one escalated action and hears of another as CMT is asked to act
    on hers only, told of the other for information, and offered only her own update."""
    context = escalation(
        escalation_item(
            action_id=18,
            description="Review every savings target",
            owner_name="Dana Reeve",
            role="owner",
            level=3,
            working_days_overdue=21,
        ),
        escalation_item(role="body", level=2),
    )
    email = renderer.render("escalation", context, recipient_name="Dana Reeve", person_id=PERSON)
    assert email.subject == "Escalation: 2 actions are overdue, 1 of them yours"
    text = email.text
    mine, theirs = text.split("\nFor information\n")
    assert "Your actions\nYour action has been escalated. Add a progress update" in mine
    assert "Review every savings target" in mine
    assert "It is 21 working days late, so it has reached escalation level 3." in mine
    assert f"Update this action:\n{BASE}/actions/18?token=" in mine
    assert MTFS not in mine
    assert theirs.startswith(
        "An action you do not own has been escalated. You do not need to do anything, but you "
        "may want to ask its owner about it.\n"
    )
    assert f"{MTFS}\nOwner: Owen Marsh\n" in theirs
    assert "It is 5 working days late, so it has reached escalation level 2." in theirs
    assert f"See this action:\n{BASE}/actions/17?token=" in theirs
    assert "Update this action" not in theirs
    assert "2 of your actions" not in text
    assert (
        "You are getting this email because you own one of these actions, and because you "
        "are a member of the Corporate Management Team, which is told of escalations at "
        "level 2." in text
    )
    html = email.html
    assert button_labels(html) == [("actions/18", "Update this action")]
    assert ">Your actions</h2>" in html
    assert ">For information</h2>" in html
    assert "An action you do not own has been escalated." in html
    assert "<strong>Owner:</strong> Owen Marsh" in html
    assert ">See this action</a>" in html
    assert links_to(html, "actions/17") == 1


def test_an_action_with_no_owner_is_never_offered_as_the_recipients(
    renderer: EmailRenderer,
) -> None:
    """An escalated action nobody owns says so, and nobody is asked to update it."""
    context = escalation(escalation_item(owner_name=None, role="body", body_title="Cabinet"))
    email = render(renderer, "escalation", context)
    assert "Owner: nobody is recorded" in email.text
    assert "Update this action" not in email.text + email.html
    assert button_labels(email.html) == []


def test_no_progress_is_its_own_notice_not_an_escalation(renderer: EmailRenderer) -> None:
    """An action with no news for six weeks is told as that, with the real interval, and is
    never called an escalation, a slip or a level."""
    email = render(renderer, "no_progress", no_progress())
    assert email.subject == "No progress update for 6 weeks: 'Agree the workforce strategy'"
    assert (
        "There has been no progress update on your action for 6 weeks. Please add one: a short "
        "note on what has happened is enough." in email.text
    )
    assert "Target date: Monday 30 November 2015 (in 88 working days)" in email.text
    assert "No progress update for 6 weeks." in email.text
    assert f"Add a progress update:\n{BASE}/actions/23?token=" in email.text
    assert button_labels(email.html) == [("actions/23", "Add a progress update")]
    for words in (email.subject, email.text, email.html):
        assert "escalat" not in words.lower().replace("escalations and approval requests", "")
        assert "slipped" not in words
        assert "level" not in words
    longer = render(renderer, "no_progress", no_progress(no_progress_item(days_quiet=66)))
    assert longer.subject.startswith("No progress update for 9 weeks: ")


def test_no_progress_to_a_member_is_for_information(renderer: EmailRenderer) -> None:
    """A member told of an action without news is not asked to update it."""
    context = no_progress(
        no_progress_item(role="body", body_title="Corporate Management Team", days_quiet=45)
    )
    email = render(renderer, "no_progress", context)
    assert (
        "For information: an action has had no progress update for 6 weeks. You do not "
        "need to do anything, but you may want to ask its owner for news." in email.text
    )
    assert "Owner: Owen Marsh" in email.text
    assert "No progress update for 6 weeks." in email.text
    assert "Add a progress update" not in email.text + email.html
    assert button_labels(email.html) == []


def test_approval_request_gives_the_change_and_one_link(renderer: EmailRenderer) -> None:
    """An approval email says who asks for what and why, with dates, and one approval link."""
    email = render(renderer, "approval_needed", approval())
    assert "Owen Marsh has asked to change the target date." in email.text
    assert "As a member of the Corporate Management Team" in email.text
    assert "Current target date: Friday 31 July 2015" in email.text
    assert "New target date: Wednesday 30 September 2015" in email.text
    assert "The settlement figures arrive late this year." in email.text
    assert len(re.findall(rf"{BASE}/approvals/31\?token=", email.text)) == 1
    assert "Approve or reject this request" in email.html


def test_approval_request_to_a_deputy_names_the_member(renderer: EmailRenderer) -> None:
    """A deputy is told whose approvals they are deciding, in the body and the footer."""
    email = render(renderer, "approval_needed", approval(on_behalf_of="Cllr Ruth Holt"))
    assert "As deputy for Cllr Ruth Holt on the Corporate Management Team" in email.text
    assert "deputy for Cllr Ruth Holt while they are away" in email.text
    assert "Cllr Ruth Holt" in email.html


def test_approval_request_for_a_state_change_shows_from_and_to(renderer: EmailRenderer) -> None:
    """A change of state, not of date, shows the states and no dates."""
    context = approval(
        transition="complete",
        transition_label="mark the action complete",
        new_target_date=None,
        to_state="complete",
        reason=None,
    )
    text = render(renderer, "approval_needed", context).text
    assert "Status: from In progress to Complete" in text
    assert "New target date" not in text
    assert "Reason given" not in text


def test_decision_tells_the_requester_the_outcome(renderer: EmailRenderer) -> None:
    """Approved, not approved and replaced each read plainly, with the decider and comment."""
    approved = render(renderer, "decision", decision()).text
    assert "Dana Reeve approved your request to mark the action complete." in approved
    assert "Their comment:\nWell done." in approved
    assert "Status now: Complete" in approved
    rejected = render(renderer, "decision", decision(status="rejected", comment=None)).text
    assert "Dana Reeve did not approve your request" in rejected
    assert "make a new request" in rejected
    assert "Their comment" not in rejected
    superseded = render(renderer, "decision", decision(status="superseded", decider_name=None)).text
    assert "was replaced by a newer request" in superseded


def test_digest_reuses_each_kind_body(renderer: EmailRenderer) -> None:
    """The digest carries every section's items under a heading, with one footer."""
    email = render(renderer, "digest", digest())
    assert "Reminders\n---------" in email.text
    assert "3 of your actions are due soon." in email.text
    assert "Progress updates needed\n-----------------------" in email.text
    assert "Keep the corporate risk register up to date" in email.text
    assert email.text.count(FOOTER) == 1
    assert "Publish the asset review" in email.html
    assert email.html.count(FOOTER) == 1


def test_digest_may_carry_escalations_and_decisions(renderer: EmailRenderer) -> None:
    """Escalation and decision sections render inside a digest too."""
    context = {
        "sections": [
            {"kind": "escalation", "context": escalation(escalation_item(role="owner"))},
            {"kind": "decision", "context": decision()},
        ],
        "daily": False,
    }
    email = render(renderer, "digest", context)
    assert email.subject == "Improvement plan actions: 1 escalation, 1 decision"
    assert "It is 5 working days late, so it has reached escalation level 2." in email.text
    assert "Dana Reeve approved your request" in email.text


def test_a_digest_says_daily_only_to_who_chose_it(renderer: EmailRenderer) -> None:
    """Only someone who chose a daily summary is told it is one; anyone else is told why
    each part concerns them."""
    daily = render(renderer, "digest", digest())
    assert "Here is your daily summary of improvement plan actions." in daily.text
    assert (
        "You are getting this email because you own the actions it asks you to update. You "
        "chose one email a day for your reminders." in daily.text
    )
    several = {
        "sections": [
            {"kind": "escalation", "context": escalation()},
            {"kind": "reminder", "context": reminder()},
        ],
        "daily": False,
    }
    email = render(renderer, "digest", several)
    for words in (email.text, email.html):
        assert "daily" not in words
        assert "one email a day" not in words
        assert (
            "You are getting this email because you own the actions it asks you to update, and "
            "because you are a member of the Corporate Management Team, which is told of "
            "escalations at level 2." in words
        )


def test_an_escalation_queued_by_an_older_version_still_renders_truthfully(
    renderer: EmailRenderer,
) -> None:
    """A row queued before the upgrade (one level and audience for the email, 'stalled' at
    level 0) still goes out, with no 'level 0' and nothing called slipped."""
    old = {
        "level": 0,
        "audience": "owner",
        "items": [
            {
                key: value
                for key, value in escalation_item(
                    reason="stalled", target_date="2015-11-30"
                ).items()
                if key not in ("level", "role", "body_title", "as_of", "latest_progress_at")
            }
        ],
    }
    email = render(renderer, "escalation", old)
    assert email.subject == f"No recent progress update: '{MTFS}'"
    assert "It has had no progress update for some weeks." in email.text
    for words in (email.subject, email.text, email.html):
        assert "level 0" not in words
        assert "slipped" not in words
    digest_of_old = render(
        renderer, "digest", {"sections": [{"kind": "escalation", "context": old}]}
    )
    assert "level 0" not in digest_of_old.text
    assert "one email a day" not in digest_of_old.text


# Subjects --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, f"Reminder: '{MTFS}' is due in 5 working days"),
        ({"working_days_left": 0, "as_of": "2015-07-31"}, f"Reminder: '{MTFS}' is due today"),
        # Counted on Thursday 30 July, Friday's date is tomorrow.
        ({"working_days_left": 1, "as_of": "2015-07-30"}, f"Reminder: '{MTFS}' is due tomorrow"),
        # Counted on a Friday, a Monday date is one working day away but not tomorrow.
        (
            {"working_days_left": 1, "target_date": "2015-08-03", "as_of": "2015-07-31"},
            f"Reminder: '{MTFS}' is due on Monday",
        ),
        # Counted on Friday 22 May 2015 with the Monday a bank holiday, as the workflow's own
        # calendar counted it: the day is named.
        (
            {"working_days_left": 1, "target_date": "2015-05-26", "as_of": "2015-05-22"},
            f"Reminder: '{MTFS}' is due on Tuesday",
        ),
        # The same Tuesday counted by a calendar where Monday is a working day: 2 days left.
        (
            {"working_days_left": 2, "target_date": "2015-05-26", "as_of": "2015-05-22"},
            f"Reminder: '{MTFS}' is due in 2 working days",
        ),
        # A Saturday target counted on the Thursday before: one working day (Friday) is left.
        (
            {"working_days_left": 1, "target_date": "2015-08-01", "as_of": "2015-07-30"},
            f"Reminder: '{MTFS}' is due on Saturday",
        ),
        (
            {"working_days_left": -2, "as_of": "2015-08-04"},
            f"Reminder: '{MTFS}' was due 2 working days ago",
        ),
        # Queued by an older version, without the day it was counted on: the count alone.
        ({"working_days_left": 1, "as_of": None}, f"Reminder: '{MTFS}' is due in 1 working day"),
    ],
)
def test_reminder_subject_for_one_action(
    renderer: EmailRenderer, changes: dict[str, Any], expected: str
) -> None:
    """One action's reminder says which action and when it is due."""
    assert render(renderer, "reminder", reminder(reminder_item(**changes))).subject == expected


def test_reminder_subject_for_several_actions(renderer: EmailRenderer) -> None:
    """Several actions are counted, not listed, in the subject."""
    context = reminder(reminder_item(), reminder_item(action_id=18), reminder_item(action_id=19))
    assert (
        render(renderer, "reminder", context).subject == "Reminder: 3 of your actions are due soon"
    )


def test_long_descriptions_are_shortened_in_subjects(renderer: EmailRenderer) -> None:
    """A long description is cut at a word near 60 characters, with an ellipsis."""
    subject = render(renderer, "reminder", reminder(reminder_item(description=LONG))).subject
    quoted = subject.split("'")[1]
    assert quoted.endswith("\u2026")
    assert 40 <= len(quoted) <= 60
    assert LONG.startswith(quoted[:-1])
    assert subject.endswith("is due in 5 working days")


def test_progress_prompt_subjects(renderer: EmailRenderer) -> None:
    """One prompt names the action; several are counted."""
    one = render(renderer, "progress_prompt", prompt()).subject
    assert one == "Progress update needed: 'Keep the corporate risk register up to date'"
    two = render(
        renderer, "progress_prompt", prompt(prompt_item(), prompt_item(action_id=22))
    ).subject
    assert two == "Progress update needed on 2 actions"


def test_escalation_subjects(renderer: EmailRenderer) -> None:
    """One escalation says the level and how late; several are counted, and say which are
    the recipient's; a level is named only when every action is at it."""
    assert (
        render(renderer, "escalation", escalation()).subject
        == f"Overdue (level 2): '{MTFS}' is 5 working days late"
    )
    assert (
        render(
            renderer,
            "escalation",
            escalation(escalation_item(working_days_overdue=1, level=1, role="owner")),
        ).subject
        == f"Overdue (level 1): '{MTFS}' is 1 working day late"
    )
    red = escalation(escalation_item(reason="rag_red", level=3))
    assert render(renderer, "escalation", red).subject == f"Rated red (level 3): '{MTFS}'"
    several = escalation(*(escalation_item(action_id=n) for n in range(4)))
    assert (
        render(renderer, "escalation", several).subject
        == "Escalation (level 2): 4 actions are overdue"
    )
    mine = escalation(*(escalation_item(action_id=n, role="owner", level=n) for n in (1, 3)))
    assert (
        render(renderer, "escalation", mine).subject == "Escalation: 2 of your actions are overdue"
    )
    mixed = escalation(
        escalation_item(role="owner", reason="rag_red", level=3),
        escalation_item(action_id=18, level=3),
    )
    assert (
        render(renderer, "escalation", mixed).subject
        == "Escalation (level 3): 2 actions have been escalated, 1 of them yours"
    )


def test_no_progress_subjects(renderer: EmailRenderer) -> None:
    """Several actions without news are counted, with the shortest time without one."""
    two = no_progress(no_progress_item(), no_progress_item(action_id=24, days_quiet=50))
    assert (
        render(renderer, "no_progress", two).subject
        == "No progress update for 6 weeks or more on 2 of your actions"
    )
    same = no_progress(
        no_progress_item(), no_progress_item(action_id=24, days_quiet=43, role="body")
    )
    assert (
        render(renderer, "no_progress", same).subject
        == "No progress update for 6 weeks on 2 actions"
    )


def test_approval_subjects(renderer: EmailRenderer) -> None:
    """An approval request says what change is asked for; a chase says it is still waiting."""
    assert (
        render(renderer, "approval_needed", approval()).subject
        == f"Approval needed: change the target date of '{MTFS}'"
    )
    chase = approval(chase=True, waiting_working_days=3)
    email = render(renderer, "approval_needed", chase)
    assert email.subject == f"Still waiting for your decision: change the target date of '{MTFS}'"
    assert "waiting for a decision for 3 working days" in email.text


def test_decision_subjects(renderer: EmailRenderer) -> None:
    """A decision's subject leads with the outcome."""
    assert (
        render(renderer, "decision", decision()).subject
        == f"Approved: mark the action complete \u2013 '{MTFS}'"
    )
    assert render(renderer, "decision", decision(status="rejected")).subject.startswith(
        "Not approved: mark the action complete"
    )


def test_digest_subject_counts_each_kind(renderer: EmailRenderer) -> None:
    """The digest subject counts reminders and prompts across its sections."""
    subject = render(renderer, "digest", digest()).subject
    assert subject == "Improvement plan actions: 3 reminders, 1 progress update needed"


def test_subject_never_carries_a_line_break(renderer: EmailRenderer) -> None:
    """Line breaks in a description cannot reach the subject (and so a header)."""
    context = reminder(reminder_item(description="Line one\r\nBcc: someone@example.com"))
    subject = render(renderer, "reminder", context).subject
    assert "\n" not in subject
    assert "\r" not in subject


def test_subjects_are_cut_at_about_150_characters() -> None:
    """A subject longer than the limit ends in an ellipsis at a word boundary."""
    subject = one_line("word " * 60)
    assert len(subject) <= SUBJECT_MAX
    assert subject.endswith("word\u2026")


# Escaping and strictness ----------------------------------------------------------------------


def test_html_escapes_what_people_typed_and_text_shows_it_as_is(renderer: EmailRenderer) -> None:
    """A script in a description or progress note is inert in HTML and literal in text."""
    script = "<script>alert('x')</script>"
    context = reminder(
        reminder_item(description=f"Budget {script}", latest_progress=f"Done & dusted {script}")
    )
    email = render(renderer, "reminder", context)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in email.html
    assert "Done &amp; dusted" in email.html
    assert f"Budget {script}" in email.text
    assert f"Done & dusted {script}" in email.text


def test_html_escapes_the_recipient_name(renderer: EmailRenderer) -> None:
    """A name is data, not markup."""
    email = renderer.render("decision", decision(), recipient_name="<b>Owen</b>", person_id=PERSON)
    assert "Dear &lt;b&gt;Owen&lt;/b&gt;," in email.html
    assert "Dear <b>Owen</b>," in email.text


def test_a_missing_key_is_an_error_not_a_blank(renderer: EmailRenderer) -> None:
    """StrictUndefined: a context without a key the template uses raises."""
    item = reminder_item()
    del item["plan"]
    with pytest.raises(UndefinedError):
        render(renderer, "reminder", reminder(item))
    item = escalation_item()
    del item["working_days_overdue"]
    with pytest.raises(UndefinedError):
        render(renderer, "escalation", escalation(item))


def test_an_unknown_kind_is_not_found(renderer: EmailRenderer) -> None:
    """Asking for a template that does not exist names it."""
    with pytest.raises(NotFound, match="newsletter"):
        render(renderer, "newsletter", {})


# Links -----------------------------------------------------------------------------------------


def tokens(body: str, path: str) -> list[str]:
    return re.findall(rf"{re.escape(BASE)}/{path}\?token=([A-Za-z0-9_.-]+)", body)


def test_links_in_both_parts_verify_for_the_recipient(
    renderer: EmailRenderer, signer: LinkSigner
) -> None:
    """Every action link in text and HTML verifies, for the recipient and the right action."""
    context = reminder(reminder_item(), reminder_item(action_id=18))
    email = render(renderer, "reminder", context)
    for body in (email.text, email.html):
        for action_id in (17, 18):
            (token,) = tokens(body, f"actions/{action_id}")
            payload = signer.verify(token, "action", NOW)
            assert payload == payload | {"person": PERSON, "action": action_id}
        (preferences,) = tokens(body, "preferences")
        assert signer.verify(preferences, "preferences", NOW)["person"] == PERSON


def test_both_parts_carry_the_same_token(renderer: EmailRenderer) -> None:
    """Text and HTML share one token per page, so one nonce stands for the email's link."""
    email = render(renderer, "approval_needed", approval())
    assert tokens(email.text, "approvals/31") == tokens(email.html, "approvals/31")


def test_approval_links_verify_as_approvals(renderer: EmailRenderer, signer: LinkSigner) -> None:
    """The approval page's token is made for approvals, for this request and this member."""
    email = render(renderer, "approval_needed", approval())
    (token,) = tokens(email.html, "approvals/31")
    payload = signer.verify(token, "approval", NOW)
    assert (payload["person"], payload["request"]) == (PERSON, 31)


def test_without_a_person_the_preferences_link_asks_them_to_sign_in(
    renderer: EmailRenderer,
) -> None:
    """An email to someone with no record links to the preferences page without a token."""
    email = renderer.render("decision", decision(), recipient_name="Owen Marsh", person_id=None)
    assert f"{BASE}/preferences\n" in email.text
    assert tokens(email.text, "preferences") == []


# Wording helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-07-31", "Friday 31 July 2015"),
        (date(2016, 2, 29), "Monday 29 February 2016"),
        # In winter London keeps UTC; in summer 23:30 UTC is already the next day there.
        ("2015-01-31T23:30:00+00:00", "Saturday 31 January 2015"),
        ("2015-03-31T23:30:00+00:00", "Wednesday 1 April 2015"),
        (None, ""),
    ],
)
def test_long_date(value: str | date | None, expected: str) -> None:
    """Dates read the GOV.UK way, and moments are shown as the London day."""
    assert long_date(value) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (5, "in 5 working days"),
        (1, "in 1 working day"),
        (0, "today"),
        (-1, "1 working day ago"),
        (-12, "12 working days ago"),
        (None, ""),
    ],
)
def test_working_days(n: int | None, expected: str) -> None:
    """Working-day counts read as plain phrases."""
    assert working_days(n) == expected


def test_shorten_keeps_short_text_and_cuts_long_text_at_a_word() -> None:
    """Short text only loses its extra spaces; long text ends at a whole word."""
    assert shorten("  Publish   the\nasset review ") == "Publish the asset review"
    cut = shorten(LONG)
    assert len(cut) <= 60
    assert cut == "Extend the medium term financial strategy to cover 2016/17\u2026"


def test_regarding_reads_naturally_for_each_label() -> None:
    """Labels naming 'the action' take a dash; others take 'of'."""
    assert regarding("change the target date", "X") == "change the target date of 'X'"
    assert regarding("defer the action", "X") == "defer the action \u2013 'X'"


def test_digest_summary_counts_items_and_sections() -> None:
    """Item lists count their items; decisions count one each; empty kinds are left out."""
    sections = [
        {"kind": "reminder", "context": {"items": [1, 2, 3]}},
        {"kind": "decision", "context": {"status": "approved"}},
        {"kind": "progress_prompt", "context": {"items": [1]}},
        {"kind": "escalation", "context": {"items": []}},
        {"kind": "decision", "context": {"status": "rejected"}},
        {"kind": "no_progress", "context": {"items": [1, 2]}},
    ]
    assert digest_summary(sections) == (
        "3 reminders, 1 progress update needed, 2 actions with no recent progress, 2 decisions"
    )


def test_sign_in_email_carries_a_sign_in_link(renderer: EmailRenderer) -> None:
    """The sign-in email's link signs the recipient in, in both parts."""
    email = render(renderer, "sign_in", CONTEXTS["sign_in"]())
    assert email.subject == "Your link to sign in to improveflow"
    assert f"{BASE}/sign-in?token=" in email.text
    assert f"{BASE}/sign-in?token=" in email.html
    assert "It works once and lasts 1 hour." in email.text
    assert "It works once and lasts 1 hour." in email.html


def test_a_sign_in_email_queued_before_an_upgrade_still_renders(renderer: EmailRenderer) -> None:
    """A row queued by an older version says the lifetime in days, and still goes out."""
    old = {"person_id": 4, "requested_at": "2014-06-02T09:00:00+01:00", "link_days": 14}
    assert "It works once and lasts 14 days." in render(renderer, "sign_in", old).text


# Replies by email --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replying(signer: LinkSigner) -> EmailRenderer:
    return EmailRenderer(resources.bundled_dir("templates"), signer, replies=True)


def test_a_digest_numbers_its_actions_for_replies(replying: EmailRenderer) -> None:
    """With replies on, a digest numbers every action once across its sections ('#4' is the
    progress prompt after three reminders) and says how to answer with a number."""
    email = render(replying, "digest", digest())
    assert f"#1 {MTFS}" in email.text
    assert "#2 Agree the workforce strategy" in email.text
    assert "#4 Keep the corporate risk register up to date" in email.text
    assert "You can answer by replying to this email" in email.text
    assert 'as in "#2 DONE"' in email.text
    assert "#3 Publish the asset review" in email.html


def test_without_replies_emails_number_actions_plainly_and_say_nothing_of_replies(
    renderer: EmailRenderer,
) -> None:
    """An installation that does not read replies never invites them."""
    email = render(renderer, "digest", digest())
    assert "2. Agree the workforce strategy" in email.text
    assert "1. Keep the corporate risk register" not in email.text  # one prompt: no number
    assert "#2" not in email.text
    assert "replying" not in email.text


def test_an_email_about_one_action_has_no_number(replying: EmailRenderer) -> None:
    """One action needs no number: the hint leaves the '#2' out too."""
    email = render(replying, "reminder", reminder())
    assert "#1" not in email.text
    assert "You can answer by replying to this email" in email.text
    assert "#2 DONE" not in email.text


def test_emails_not_about_an_owners_actions_do_not_invite_replies(replying: EmailRenderer) -> None:
    """Approval requests and sign-in links carry no reply hint."""
    for kind in ("approval_needed", "sign_in", "decision", "reply_refused"):
        assert "You can answer by replying" not in render(replying, kind, CONTEXTS[kind]()).text


def test_the_confirmation_says_what_was_recorded_and_who_decides(replying: EmailRenderer) -> None:
    """'Recorded your reply on ...', the update, the rating, and that CMT decides."""
    email = render(replying, "reply_recorded", reply_recorded())
    assert email.subject == f"Recorded your reply on '{MTFS}'"
    assert f"Recorded your reply on '{MTFS}'." in email.text
    assert "Consultation closed on Friday." in email.text
    assert "RAG status: Amber" in email.text
    assert (
        "You asked to mark the action complete. The Corporate Management Team will decide"
        in email.text
    )
    assert "because you replied to an email about this action" in email.text


def test_the_polite_answer_says_why_and_what_to_write(replying: EmailRenderer) -> None:
    """The refusal gives its reason, the instructions, and that no other answer will come."""
    email = render(replying, "reply_refused", reply_refused())
    assert email.subject == "We could not record your reply"
    assert 'could not record your reply "RE: Reminder: action 17"' in email.text
    assert "only the email you replied to" in email.text
    assert "Reply with your progress update" in email.text
    assert "This is the only answer" in email.text


def test_a_member_told_of_an_escalation_is_not_invited_to_reply(replying: EmailRenderer) -> None:
    """A CMT member told for information has no update to give: no reply hint."""
    told = render(replying, "escalation", escalation())
    assert "You can answer by replying" not in told.text
    owner = render(replying, "escalation", {"items": [escalation_item(role="owner")]})
    assert "You can answer by replying" in owner.text


def test_a_digest_can_carry_the_confirmation_of_replies(replying: EmailRenderer) -> None:
    """A confirmation bundled with a reminder has its own heading and reason."""
    context = {
        "sections": [
            {"kind": "reminder", "context": reminder()},
            {"kind": "reply_recorded", "context": reply_recorded()},
        ],
        "daily": False,
    }
    email = render(replying, "digest", context)
    assert "Your replies, recorded" in email.text
    assert "Recorded your reply on" in email.text
    assert "because you own the actions it asks you to update, and because you replied" in (
        email.text
    )
    assert email.subject == "Improvement plan actions: 1 reminder, 1 reply recorded"
