"""What a person writes when asking for a change, deciding on one or recording progress, and
the refusals that name which of it is wrong.

A refusal about one detail carries it as `detail`, so a form marks the right box by reading
the attribute, never the message. Each refusal is still the kind it always was (a condition
not met, a value not valid), so whoever catches those kinds catches these too.
"""

from __future__ import annotations

from enum import StrEnum

from improveflow import exceptions


class Detail(StrEnum):
    REASON = "reason"  # why a change is asked for
    NEW_TARGET_DATE = "new_target_date"  # the date a change of target date asks for
    COMMENT = "comment"  # a decision's comment
    PROGRESS_TEXT = "progress_text"  # what a progress update says
    RATING = "rating"  # the RAG rating given with a progress update


class DetailRefusal(exceptions.Refused):
    """What was given is not right."""

    def __init__(self, detail: Detail, message: str) -> None:
        self.detail = detail
        super().__init__(message)


class DetailMissing(DetailRefusal, exceptions.ConditionNotMet):
    """The change needs something that was not given, or not given as it must be."""


class DetailInvalid(DetailRefusal, exceptions.InvalidValue):
    """A value given cannot be used."""
