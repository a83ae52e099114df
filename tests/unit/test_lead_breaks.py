"""Leads cut by a page break: the directory decides whether words below end the lead above."""

from __future__ import annotations

import pytest

from improveflow.importers.council_table import parse_council_text
from improveflow.importers.lead_breaks import join_leads_cut_by_page_breaks
from improveflow.importers.leads import DirectoryEntry, LeadMatcher
from improveflow.importers.records import (
    REVIEW_LEAD_JOINED,
    REVIEW_PAGE_BREAK_MERGE,
    ParsedAction,
    ParsedPlan,
)

HEADER = "Challenge\tOutcomes/ Measures of Success\tAction\tLead\tTarget Date\tProgress"
DIGITAL_HEAD = DirectoryEntry(1, "rae@example.gov.uk", "Rae Quinn", ("Head of Digital Services",))
DIGITAL_MANAGER = DirectoryEntry(
    2, "sol@example.gov.uk", "Sol Byrne", ("Digital Services Manager",)
)
BODIES = {"CMT": "Corporate Management Team", "Cabinet": "Cabinet"}


def plan_text(above_lead: str, below_lead: str, *, page_break: bool = True) -> str:
    """A challenge cut by a page break: its second row continues the first and adds an action."""
    return "\n".join(
        [
            "Customer Access\t\t\t\t\t",
            HEADER,
            "Move more council services\t<p>More forms online</p>\tHire a web content editor.\t"
            f"{above_lead}\tMay 2016\tDone",
            *([""] if page_break else []),
            "online for residents.\tand fewer phone calls\tTrain the service editors.\t"
            f"{below_lead}\tJune 2016\tFirst session held.",
        ]
    )


def parsed(above_lead: str, below_lead: str, *, page_break: bool = True) -> ParsedPlan:
    return parse_council_text(
        plan_text(above_lead, below_lead, page_break=page_break), "digital.txt"
    )


def editor_and_training(plan: ParsedPlan) -> tuple[ParsedAction, ParsedAction]:
    editor, training = plan.actions()
    assert editor.description == "Hire a web content editor."
    assert training.description == "Train the service editors."
    return editor, training


def joined_notes(action: ParsedAction) -> list[str]:
    return [reason for reason in action.review if reason.startswith(REVIEW_LEAD_JOINED)]


@pytest.mark.parametrize(
    "people",
    [(DIGITAL_HEAD, DIGITAL_MANAGER), (DIGITAL_HEAD,)],
    ids=["both leads known", "only the lead above known"],
)
def test_lead_cut_by_a_page_break_is_joined_when_the_directory_knows_it(
    people: tuple[DirectoryEntry, ...],
) -> None:
    """ "Head of Digital" + "Services ..." becomes the known "Head of Digital Services"."""
    plan = parsed("Head of Digital", "Services Digital Services Manager")
    assert join_leads_cut_by_page_breaks(plan, LeadMatcher(people, BODIES)) == 1
    editor, training = editor_and_training(plan)
    assert editor.lead == "Head of Digital Services"
    assert training.lead == "Digital Services Manager"
    # The repair is reported on both actions, beside the page-break merge they already had.
    assert joined_notes(editor) == [
        f"{REVIEW_LEAD_JOINED}: 'Services' taken from the start of the lead below"
    ]
    assert joined_notes(training) == [
        f"{REVIEW_LEAD_JOINED}: 'Services' moved to the end of the lead above"
    ]
    assert REVIEW_PAGE_BREAK_MERGE in editor.review
    assert REVIEW_PAGE_BREAK_MERGE in training.review


def test_reading_alone_keeps_the_leads_as_written_and_marks_the_candidate() -> None:
    """Without the directory, where the cut lead ends cannot be told from the text."""
    editor, training = editor_and_training(parsed("Head of Digital", "Services Digital Manager"))
    assert (editor.lead, training.lead) == ("Head of Digital", "Services Digital Manager")
    assert (editor.lead_follows_break, training.lead_follows_break) == (False, True)


def test_join_extends_the_last_of_several_leads_above() -> None:
    """Only the last part above can have been cut; the parts before it stay as they are."""
    plan = parsed("Cabinet/ Head of Digital", "Services Digital Services Manager")
    assert join_leads_cut_by_page_breaks(plan, LeadMatcher([DIGITAL_HEAD], BODIES)) == 1
    editor, training = editor_and_training(plan)
    assert editor.lead == "Cabinet/ Head of Digital Services"
    assert training.lead == "Digital Services Manager"


def test_a_lead_shared_by_several_actions_below_is_repaired_for_each() -> None:
    """One lead paragraph beside two actions leads both, so both lose the moved word."""
    text = plan_text("Head of Digital", "Services Digital Services Manager").replace(
        "Train the service editors.",
        "<p>Train the service editors.</p> <p>Publish a style guide.</p>",
    )
    plan = parse_council_text(text, "digital.txt")
    assert join_leads_cut_by_page_breaks(plan, LeadMatcher([DIGITAL_HEAD], BODIES)) == 1
    assert [action.lead for action in plan.actions()] == [
        "Head of Digital Services",
        "Digital Services Manager",
        "Digital Services Manager",
    ]
    assert all(joined_notes(action) for action in plan.actions())


AMBIGUOUS_OR_UNSUPPORTED = [
    pytest.param(
        "Head of Digital",
        "Services Digital Services Manager",
        (),
        id="the directory knows neither lead",
    ),
    pytest.param(
        "Head of Digital",
        "Services Manager",
        (DIGITAL_HEAD, DirectoryEntry(3, "ivy@example.gov.uk", "Ivy Cole", ("Services Manager",))),
        id="the lead below is known as written",
    ),
    pytest.param(
        "Head of Digital",
        "Services Manager",
        (
            DIGITAL_HEAD,
            DirectoryEntry(3, "ivy@example.gov.uk", "Ivy Cole", ("Services Manager",)),
            DirectoryEntry(4, "max@example.gov.uk", "Max Dunn", ("Services Manager",)),
        ),
        id="the lead below is an alias several people share",
    ),
    pytest.param(
        "Head of Digital",
        "Services Delivery Team Leader",
        (
            DIGITAL_HEAD,
            DirectoryEntry(
                3, "ivy@example.gov.uk", "Ivy Cole", ("Head of Digital Services Delivery",)
            ),
        ),
        id="two different cuts give known leads",
    ),
    pytest.param(
        "Head of Digital",
        "Services Kier",
        (DIGITAL_HEAD,),
        id="what is left below is not a role",
    ),
    pytest.param(
        "Head of Digital",
        "Services and Contracts Manager",
        (DIGITAL_HEAD,),
        id="what is left below starts with a linking word",
    ),
    pytest.param(
        "Head of Digital Services",
        "Services Digital Services Manager",
        (
            DIGITAL_HEAD,
            DirectoryEntry(
                3, "ivy@example.gov.uk", "Ivy Cole", ("Head of Digital Services Services",)
            ),
        ),
        id="the lead above is already known",
    ),
    pytest.param(
        "Kier/",
        "CMT Digital Services Manager",
        (DIGITAL_HEAD,),
        id="the words below would be a lead of their own",
    ),
]


@pytest.mark.parametrize(("above", "below", "people"), AMBIGUOUS_OR_UNSUPPORTED)
def test_leads_are_left_alone_without_clear_evidence(
    above: str, below: str, people: tuple[DirectoryEntry, ...]
) -> None:
    """No single cut that makes the lead above known and keeps the one below a lead: no change."""
    plan = parsed(above, below)
    assert join_leads_cut_by_page_breaks(plan, LeadMatcher(people, BODIES)) == 0
    editor, training = editor_and_training(plan)
    assert (editor.lead, training.lead) == (above, below)
    assert joined_notes(editor) == joined_notes(training) == []


def test_rows_without_a_page_break_between_them_are_not_joined() -> None:
    """Two ordinary rows of one challenge: the second's lead is its own."""
    text = plan_text("Head of Digital", "Services Digital Services Manager", page_break=False)
    plan = parse_council_text(text.replace("online for residents.", ""), "digital.txt")
    assert join_leads_cut_by_page_breaks(plan, LeadMatcher([DIGITAL_HEAD], BODIES)) == 0
    assert [action.lead for action in plan.actions()] == [
        "Head of Digital",
        "Services Digital Services Manager",
    ]


def test_an_inherited_lead_above_is_not_extended() -> None:
    """A row above with an empty lead cell borrowed its lead, so no page break cut it."""
    text = "\n".join(
        [
            "Customer Access\t\t\t\t\t",
            HEADER,
            "Move more council services\t\tHire a web content editor.\tHead of Digital\tMay\t",
            "\t\tBuy a content system.\t\tJune\t",
            "",
            "online for residents.\t\tTrain the service editors.\tServices Digital Manager\tJuly\t",
        ]
    )
    plan = parse_council_text(text, "digital.txt")
    assert join_leads_cut_by_page_breaks(plan, LeadMatcher([DIGITAL_HEAD], BODIES)) == 0
    assert [action.lead for action in plan.actions()] == [
        "Head of Digital",
        "Head of Digital",
        "Services Digital Manager",
    ]
    assert not any(action.lead_follows_break for action in plan.actions())
