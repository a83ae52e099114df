"""The workflow state an imported action starts in, judged from its progress text.

Rules, first match wins:
- No progress (None, blank, only punctuation such as "--", or "n/a") -> "approved": the plan was
  agreed and nothing has been reported yet.
- The text opens with a completion status -> "complete": "COMPLETE.", "Complete", "Completed",
  "Completed in March 2015", "Action complete", "100% complete", "Status: complete", "Done.".
  "Complete" as an opening verb ("Complete the review") is not a status: only the end of the text
  or punctuation may follow it, and after "Completed" also a date or "by ..." ("Completed 3 of 5
  workshops" and "Completed in part" are partial).
- The last sentence says the action is done, with no subject but the action itself ->
  "complete": "... This action is now complete.", "... Completed." but not "Policy restructure
  complete." (one piece of the work), "Partially complete." or "Not yet complete.".
- The text says the work was deferred ("deferred until 2017/18", "on hold", "postponed",
  "paused"), unless it is negated ("no longer on hold") or the work has resumed since ->
  "deferred". "Deferred payments" and the like are services, not a state.
- Any other progress -> "in_progress". Words such as "will be completed by", "completion
  expected", "not yet complete" and "incomplete" never make an action complete.

``evidence`` is the phrase that decided, as written, for the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPLETE = "complete"
DEFERRED = "deferred"
IN_PROGRESS = "in_progress"
APPROVED = "approved"

# When a past "completed" happened: "in March 2015", "27/02/14", "Q4", "on time"; never a count
# or a scope ("3 of 5 sessions", "in part"), which would mean only part of the work is done.
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
)
_DATE = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b"
    rf"|(?:19|20)\d\d\b|{_MONTH}|q[1-4]\b|(?:spring|summer|autumn|winter)\b)"
)
_WHEN = rf"(?:(?:(?:in|on|at|during|as\s+of)\s+(?:the\s+)?)?{_DATE}|on\s+time\b|in\s+full\b)"
# Placeholders councils write in an empty progress cell.
_NOTHING_REPORTED = re.compile(r"^(?:[\W_]*|n\s*/\s*a|none|nil)[\W_]*$", re.IGNORECASE)
_LEADING_MARKERS = re.compile(r"^[\s\-\u2013\u2014\u2022\u00b7*]+")
# A status at the very start. Only punctuation, the end, or (after "completed") a date or agent
# may follow it, so the verb of "Complete the review" is not read as a status.
_OPENING_STATUS = re.compile(
    r"^(?:(?:status|progress|update)\s*[:\-\u2013]\s*)?"
    r"(?:(?:100\s*%|action|fully|now)\s+)?"
    r"(?:completed?|done)"
    r"(?:"
    r"\s*$"  # the whole text
    r"|\s*[.!;:,]"  # "COMPLETE. New provider ..."
    r"|\s+[\-\u2013\u2014]\s"  # "Complete - report approved"
    rf"|(?P<when>(?<=d)\s+(?:{_WHEN}|by\s))"  # "Completed in March 2015", "Completed by HR"
    r")",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\s*[\r\n]+\s*")
# A closing sentence that reports the whole action done: no other subject, no qualifier.
_CLOSING_STATUS = re.compile(
    r"^(?:(?:all\s+)?(?:this\s+|the\s+)?(?:actions?|work|tasks?|activity|activities|items?)\s+)?"
    r"(?:(?:is|are|was|were|has|have|been|now|fully|therefore|successfully)\s+)*"
    r"completed?"
    rf"(?:(?<=d)\s+(?:{_WHEN}|by\s)[^.!?]*)?[.!]?$",
    re.IGNORECASE,
)
_DEFERRAL = re.compile(
    r"\b(?:deferred|postponed|paused|(?:put\s+)?on[\s-]+hold)\b"
    # Names of services or schemes, not a state of the work.
    r"(?!\s+(?:payments?|income|pensions?|charges?|tax|members?|benefits?|liabilit))"
    r"(?:\s+(?:until|till)\s+[^\s.,;:]+)?",  # keep "until 2017/18" in the evidence
    re.IGNORECASE,
)
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|\bno\s+longer|\bpreviously|\bformerly|\bhad\s+been|\bno)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)
_RESUMED = re.compile(
    r"\b(?:resumed|restarted|recommenced|re-started|re-commenced|back\s+on\s+track|"
    r"taken\s+off\s+hold|now\s+(?:under\s*way|progressing))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class InferredState:
    """The state to import an action in, and the words of its progress that decided it."""

    state: str
    evidence: str | None


def infer_state(progress: str | None) -> InferredState:
    """The workflow state an action's progress text shows; see the module's rules."""
    if progress is None or _NOTHING_REPORTED.match(progress.strip()):
        return InferredState(APPROVED, None)
    text = _LEADING_MARKERS.sub("", progress.strip())
    sentences = [sentence for sentence in _SENTENCES.split(text) if sentence.strip()]
    opening = _OPENING_STATUS.match(text)
    if opening:
        # A dated status is cited whole ("Completed in March 2015."), others as written.
        status = sentences[0] if opening.group("when") else opening.group()
        return InferredState(COMPLETE, status.strip().rstrip(",;:-\u2013\u2014").strip())
    last = _LEADING_MARKERS.sub("", sentences[-1]).strip()
    if _CLOSING_STATUS.match(last):
        return InferredState(COMPLETE, last)
    deferral = _deferral(text)
    if deferral is not None:
        return deferral
    return InferredState(IN_PROGRESS, None)


def _deferral(text: str) -> InferredState | None:
    for found in _DEFERRAL.finditer(text):
        if _NEGATION_BEFORE.search(text, 0, found.start()):
            continue
        resumed = _RESUMED.search(text, found.end())
        if resumed:
            return InferredState(IN_PROGRESS, resumed.group())
        return InferredState(DEFERRED, found.group())
    return None


# A tracker's status column, as councils word it, and the state it means. Words that say the
# recommendation will not be done ("Rejected", "Withdrawn") have no state: the action is
# imported as its progress text says and flagged for a person to decide.
_STATUS_STATES: dict[str, str] = {
    **dict.fromkeys(
        ("complete", "completed", "implemented", "fully implemented", "done", "achieved",
         "closed"),
        COMPLETE,
    ),
    **dict.fromkeys(("deferred", "on hold", "paused", "postponed"), DEFERRED),
    **dict.fromkeys(
        ("in progress", "started", "on track", "off track", "at risk", "delayed", "overdue",
         "partly implemented", "partially implemented", "under way", "underway", "in hand",
         "ongoing", "slipped", "behind schedule", "ahead of schedule"),
        IN_PROGRESS,
    ),
    **dict.fromkeys(
        ("not started", "not yet due", "not due", "open", "pending", "accepted", "agreed",
         "partially accepted", "partly accepted"),
        APPROVED,
    ),
}  # fmt: skip
_STATUS_NOISE = re.compile(r"[^a-z]+")
STATUS_NOT_A_STATE = "the status says this may not be done"
_NOT_TO_BE_DONE = frozenset(
    {"rejected", "not agreed", "cancelled", "withdrawn", "superseded", "no longer applicable",
     "not implemented", "not achieved", "not accepted"}
)  # fmt: skip


def state_from_status(status: str | None) -> InferredState | None:
    """The state a status cell names ("Implemented" -> complete), or None when it names none."""
    if not status:
        return None
    words = _STATUS_NOISE.sub(" ", status.lower()).strip()
    state = _STATUS_STATES.get(words)
    return InferredState(state, f"status: {status.strip()}") if state else None


def status_refuses_action(status: str | None) -> bool:
    """Whether a status says the recommendation will not be carried out ("Rejected")."""
    return (
        bool(status) and _STATUS_NOISE.sub(" ", (status or "").lower()).strip() in _NOT_TO_BE_DONE
    )
