"""What one parsed action row says, read into the values an action is stored with.

Its dates (the current target, the first one, start and completion), its RAG rating, its
milestones and the reasons a person should check it. Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from improveflow.importers.column_content import RAG_WORDS
from improveflow.importers.dates import DateReading, Timescale, parse_timescale
from improveflow.importers.leads import LeadMatch
from improveflow.importers.records import ParsedAction
from improveflow.importers.review_reasons import ReviewNote, ReviewReason

_RAG_STATUSES = {"on track": "green", "at risk": "amber", "off track": "red"}


@dataclass(frozen=True)
class ActionDates:
    """The dates of one action row: the current target, the first one, start and completion."""

    target_text: str | None
    target: Timescale | None
    original: date | None
    start: date | None
    completed: date | None
    review: list[ReviewNote]

    @classmethod
    def read(cls, action: ParsedAction, reading: DateReading) -> ActionDates:
        review: list[ReviewNote] = []
        # The current target is the revised date where the row gives one.
        text = action.timescale or action.original_timescale
        target = parse_timescale(text, reading) if text else None
        original = None
        if action.timescale and action.original_timescale:
            first = parse_timescale(action.original_timescale, reading)
            if first.review:
                review.append(ReviewNote.of(ReviewReason.ORIGINAL_TARGET, first.review))
            if first.target != (target.target if target else None):
                original = first.target
        start = target.start if target else None
        if action.start:
            start = cls._day(action.start, ReviewReason.START_DATE, reading, review)
        completed = cls._day(action.completed, ReviewReason.COMPLETED_DATE, reading, review)
        return cls(text, target, original, start, completed, review)

    @staticmethod
    def _day(
        text: str | None, reason: ReviewReason, reading: DateReading, review: list[ReviewNote]
    ) -> date | None:
        if not text:
            return None
        read = parse_timescale(text, reading)
        day = read.target or read.start
        if day is None or read.review:
            review.append(ReviewNote.of(reason, f"'{text}'"))
            return None
        return day


def review_reasons(
    action: ParsedAction, timescale: Timescale | None, lead: LeadMatch
) -> list[ReviewNote]:
    """Why a person should check this row: what the reader, the dates and the lead left open."""
    reasons = [ReviewNote.from_reader(text) for text in action.review]
    if timescale is None:
        reasons.append(ReviewNote.of(ReviewReason.NO_TIMESCALE))
    elif timescale.review:
        reasons.append(_timescale_note(timescale.review))
    reasons.extend(lead.review_notes())
    if not lead.parts:
        reasons.append(ReviewNote.of(ReviewReason.OWNER_UNRESOLVED, "no lead given"))
    return reasons


def _timescale_note(review: str) -> ReviewNote:
    # The date reader says "no timescale given" itself for a cell of only dashes or "n/a".
    if review == ReviewReason.NO_TIMESCALE:
        return ReviewNote(ReviewReason.NO_TIMESCALE, review)
    return ReviewNote(ReviewReason.TIMESCALE, review)


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def rag_rating(text: str | None, review: list[ReviewNote]) -> str | None:
    """A RAG rating as the workflow keeps it (red, amber, green), or None with a review note."""
    if not text:
        return None
    folded = " ".join(text.lower().replace("/", " ").split())
    rating = RAG_WORDS.get(folded) or _RAG_STATUSES.get(folded)
    if rating in ("red", "amber", "green"):
        return rating
    review.append(
        ReviewNote(ReviewReason.RAG, f"RAG rating '{text}' not understood: set it on the action")
    )
    return None


def milestones(timescale: Timescale | None) -> list[dict[str, str | None]]:
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
