"""Why a person must check an imported action: the kind of reason, and the words people read.

Each entry of an action's review list is a `ReviewNote`: its `reason`, a `ReviewReason`, says
what kind of doubt it is, for whatever counts, sorts or groups the review list; its `text` is
the sentence people read in the import report and on the action's page, worded as it always
was. Where a reason's words open that sentence, the member's value is those words, so
``f"{ReviewReason.CHANGED} lead ..."`` reads exactly as the old string constant did.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReviewReason(StrEnum):
    """The kinds of reason an imported action needs a person to check it."""

    # Placing a table's rows into actions (the plan readers).
    PAGE_BREAK_MERGE = "text merged across a page break"
    PARAGRAPHS_MISALIGNED = "paragraphs did not line up"
    ROW_MERGED = "row without its own action merged into the action above"
    NO_LEAD_OR_TIMESCALE = "row gives neither lead nor timescale"
    DESCRIPTION_FROM_OBJECTIVE = "row has no action text; the objective describes it"
    LEAD_JOINED = "lead joined across a page break"
    # Reading one action's cells.
    OWNER_UNRESOLVED = "owner unresolved"
    NO_TIMESCALE = "no timescale given"
    TIMESCALE = "timescale"  # the date reader's doubt, in its own words ("year only: ...")
    ORIGINAL_TARGET = "original target"
    START_DATE = "start date not understood"
    COMPLETED_DATE = "completed date not understood"
    RAG = "RAG rating not understood"  # reads "RAG rating 'Blue' not understood: ..."
    STATUS_NOT_A_STATE = "the status says this may not be done"
    # The import itself.
    DUPLICATE = "the same action appears again"
    CHANGED = "the file now says"
    OTHER = "other"  # a reader's reason not sorted into a kind above


# What plan readers record on a parsed action today: text opening with one of these words.
_READER_REASONS = (
    ReviewReason.PAGE_BREAK_MERGE,
    ReviewReason.PARAGRAPHS_MISALIGNED,
    ReviewReason.ROW_MERGED,
    ReviewReason.NO_LEAD_OR_TIMESCALE,
    ReviewReason.DESCRIPTION_FROM_OBJECTIVE,
    ReviewReason.LEAD_JOINED,
)


@dataclass(frozen=True, slots=True)
class ReviewNote:
    """One reason to check an action: its kind and the sentence people read."""

    reason: ReviewReason
    text: str

    @classmethod
    def of(cls, reason: ReviewReason, detail: str | None = None) -> ReviewNote:
        """The reason's own words, followed by ": detail" when there is one."""
        return cls(reason, f"{reason.value}: {detail}" if detail else reason.value)

    @classmethod
    def from_reader(cls, text: str) -> ReviewNote:
        """A reason a plan reader recorded as text on a parsed action, sorted by its first words.

        The readers keep their reasons as strings for now; each opens with one of the reader
        reasons' words, and anything else is kept, word for word, as OTHER.
        """
        for reason in _READER_REASONS:
            if text.startswith(reason.value):
                return cls(reason, text)
        return cls(ReviewReason.OTHER, text)

    def __str__(self) -> str:
        return self.text
