"""Review reasons are typed, and their words stay the ones people have always read.

The plan readers still record their reasons as text: each must sort into its own kind, so a
reader's wording and the enum cannot drift apart unnoticed.
"""

from __future__ import annotations

import pytest

from improveflow.importers import records
from improveflow.importers.leads import REVIEW_OWNER_UNRESOLVED, DirectoryEntry, LeadMatcher
from improveflow.importers.progress_state import STATUS_NOT_A_STATE
from improveflow.importers.review_reasons import ReviewNote, ReviewReason
from improveflow.services.importing import REVIEW_CHANGED, REVIEW_DUPLICATE


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        (records.REVIEW_PAGE_BREAK_MERGE, ReviewReason.PAGE_BREAK_MERGE),
        (
            f"{records.REVIEW_PARAGRAPHS_MISALIGNED}: 3 actions, 2 leads",
            ReviewReason.PARAGRAPHS_MISALIGNED,
        ),
        (records.REVIEW_ROW_MERGED, ReviewReason.ROW_MERGED),
        (records.REVIEW_NO_LEAD_OR_TIMESCALE, ReviewReason.NO_LEAD_OR_TIMESCALE),
        (records.REVIEW_DESCRIPTION_FROM_OBJECTIVE, ReviewReason.DESCRIPTION_FROM_OBJECTIVE),
        (
            f"{records.REVIEW_LEAD_JOINED}: 'Manager' moved to the end of the lead above",
            ReviewReason.LEAD_JOINED,
        ),
    ],
)
def test_each_reader_reason_sorts_into_its_kind_word_for_word(
    written: str, kind: ReviewReason
) -> None:
    """A reader's reason keeps its exact words and gains its kind."""
    assert ReviewNote.from_reader(written) == ReviewNote(kind, written)


def test_a_reason_no_kind_knows_is_kept_as_other() -> None:
    """Text no kind opens is never lost or reworded."""
    note = ReviewNote.from_reader("a reason added to a reader later")
    assert (note.reason, note.text, str(note)) == (
        ReviewReason.OTHER,
        "a reason added to a reader later",
        "a reason added to a reader later",
    )


def test_the_old_constants_are_the_kinds_and_read_the_same() -> None:
    """Code that formats the old constants into sentences writes the same words as before."""
    assert REVIEW_OWNER_UNRESOLVED is ReviewReason.OWNER_UNRESOLVED
    assert REVIEW_CHANGED is ReviewReason.CHANGED
    assert REVIEW_DUPLICATE is ReviewReason.DUPLICATE
    assert f"{REVIEW_CHANGED} lead 'X'" == "the file now says lead 'X'"
    assert (
        f"{REVIEW_DUPLICATE}: first at a.txt:3" == "the same action appears again: first at a.txt:3"
    )
    assert ReviewReason.STATUS_NOT_A_STATE == STATUS_NOT_A_STATE


def test_a_note_of_a_kind_reads_its_words_then_the_detail() -> None:
    """`of` writes "words: detail", or the words alone."""
    assert ReviewNote.of(ReviewReason.START_DATE, "'soon'").text == (
        "start date not understood: 'soon'"
    )
    assert ReviewNote.of(ReviewReason.NO_TIMESCALE).text == "no timescale given"


def test_a_lead_matching_nobody_gives_owner_unresolved_notes() -> None:
    """The lead matcher's reasons come typed as well as in words."""
    matcher = LeadMatcher([DirectoryEntry(1, "a@example.gov.uk", "Ann Finch", ())], {})
    found = matcher.match("Ann Finch/ Estates Manager")
    assert found.review_notes() == (
        ReviewNote(
            ReviewReason.OWNER_UNRESOLVED,
            "owner unresolved: 'Estates Manager' matches no person or body",
        ),
    )
    assert tuple(note.text for note in found.review_notes()) == found.review()
