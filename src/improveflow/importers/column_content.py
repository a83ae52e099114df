"""What a column's cells hold: dates, RAG ratings, priorities, statuses, codes, names or prose.

A header says what a column is meant to be; its cells say what it is. Each filled cell gets
one :class:`CellKind`; a column's :class:`ColumnProfile` counts them, so the column chooser can
tell a "Priority" column of High / Medium / Low from a "Priority" column of council priorities,
or a "Status" column of Red / Amber / Green from one of progress notes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from improveflow.importers.dates import parse_timescale


class CellKind(StrEnum):
    DATE = "date"  # "31/03/2027", "March 2027", "Q3 2024/25", "2015/16", "Quarterly"
    RAG = "rag"  # Red, Amber, Green, R, A, G
    PRIORITY = "priority"  # High, Medium, Low, Urgent
    STATUS = "status"  # Not started, In progress, Implemented, Overdue
    CODE = "code"  # IA24-01, R1, 3.2
    IDENTIFIER = "identifier"  # a system's opaque id: "pB5Fx2rYw0e7KkQm1sZ8cGHaAbCd"
    NAME = "name"  # a person or a job title: "Head of Finance", "Owen Marsh"
    NUMBER = "number"
    FLAG = "flag"  # Yes / No / True / False
    SENTENCE = "sentence"  # words enough to be something to do or to report
    SHORT = "short"  # a few words that are none of the above


RAG_WORDS: dict[str, str] = {
    "red": "red",
    "r": "red",
    "amber": "amber",
    "a": "amber",
    "green": "green",
    "g": "green",
    "blue": "blue",  # BRAG: complete
    "b": "blue",
    "red amber": "amber",
    "amber red": "amber",
    "amber green": "green",
    "green amber": "green",
}
_PRIORITY_WORDS = frozenset(
    [
        "high",
        "medium",
        "low",
        "urgent",
        "important",
        "critical",
        "essential",
        "significant",
        "fundamental",
        "moderate",
        "merits attention",
        "housekeeping",
        "minor",
        "major",
        "1 high",
        "2 medium",
        "3 low",
        "p1",
        "p2",
        "p3",
        "p4",
        "priority 1",
        "priority 2",
        "priority 3",
        "priority 4",
        "high priority",
        "medium priority",
        "low priority",
    ]
)
_STATUS_WORDS = frozenset(
    [
        "not started",
        "in progress",
        "started",
        "completed",
        "complete",
        "implemented",
        "partly implemented",
        "partially implemented",
        "not implemented",
        "not yet due",
        "overdue",
        "on track",
        "off track",
        "at risk",
        "delayed",
        "deferred",
        "open",
        "closed",
        "accepted",
        "rejected",
        "partially accepted",
        "partly accepted",
        "superseded",
        "cancelled",
        "withdrawn",
        "on hold",
        "no longer applicable",
        "achieved",
        "not achieved",
        "in hand",
        "under way",
        "underway",
        "outstanding",
        "done",
        "ongoing",
        "pending",
        "agreed",
        "not agreed",
        "noted",
        "slipped",
        "behind schedule",
        "ahead of schedule",
        "not due",
        "due",
    ]
)
_FLAG_WORDS = frozenset({"yes", "no", "y", "n", "true", "false"})
_CODE = re.compile(r"^(?:[A-Z]{1,6}[ -]?)?\d{1,4}(?:[-./]\d{1,4}){0,3}[a-z]?$|^[A-Z]{1,2}\d?$")
_IDENTIFIER = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{16,}$")
_NUMBER = re.compile(r"^[£$€]?-?\d[\d,]*(?:\.\d+)?%?$")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_JOB_WORDS = re.compile(
    r"\b(head|manager|director|officer|chief|executive|lead|team|service|services|council"
    r"|cabinet|member|cllr|councillor|board|group|partnership|unit|deputy|assistant|portfolio"
    r"|holder|coordinator|co-ordinator|advisor|adviser|monitoring|all|hr|ict|cmt|smt|slt)\b",
    re.IGNORECASE,
)
_MAX_NAME_WORDS = 8
_SENTENCE_WORDS = 7
_MAX_DATE_CHARS = 40


@lru_cache(maxsize=16384)
def cell_kind(text: str) -> CellKind:
    """The kind of one filled cell (text already stripped of HTML)."""
    flat = " ".join(text.split())
    folded = _NOT_WORD.sub(" ", flat.lower()).strip()
    if folded in RAG_WORDS and (len(flat) > 1 or flat.isupper()):
        return CellKind.RAG
    if folded in _PRIORITY_WORDS:
        return CellKind.PRIORITY
    if folded in _STATUS_WORDS:
        return CellKind.STATUS
    if folded in _FLAG_WORDS:
        return CellKind.FLAG
    if _NUMBER.match(flat) and not _CODE.match(flat):
        return CellKind.NUMBER
    if len(flat) <= _MAX_DATE_CHARS and _is_date(flat):
        return CellKind.DATE
    if _CODE.match(flat):
        return CellKind.CODE
    if _IDENTIFIER.match(flat):
        return CellKind.IDENTIFIER
    words = flat.split()
    if len(words) >= _SENTENCE_WORDS or flat.endswith((".", "!", "?")):
        return CellKind.SENTENCE
    if len(words) <= _MAX_NAME_WORDS and _looks_like_name(flat, words):
        return CellKind.NAME
    return CellKind.SHORT


def _is_date(text: str) -> bool:
    timescale = parse_timescale(text)
    if timescale.target is not None or timescale.start is not None:
        return timescale.review is None or "extra words" not in timescale.review
    return timescale.recurrence is not None and timescale.review is None


def _looks_like_name(text: str, words: list[str]) -> bool:
    if any(character.isdigit() for character in text):
        return False
    if _JOB_WORDS.search(text):
        return True
    # "Owen Marsh", "Priya Shah; Dana Cole": every word capitalised.
    return all(word[:1].isupper() for word in words if word.isalpha())


@dataclass
class ColumnProfile:
    """The kinds of a column's filled cells, a few samples, and how long its text runs."""

    cells: int = 0
    filled: int = 0
    kinds: Counter[CellKind] = field(default_factory=Counter)
    words: int = 0
    samples: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.cells += 1
        flat = " ".join(text.split())
        if not flat:
            return
        self.filled += 1
        self.kinds[cell_kind(flat)] += 1
        self.words += len(flat.split())
        if len(self.samples) < 3 and flat not in self.samples:
            self.samples.append(flat if len(flat) <= 60 else flat[:59] + "…")

    def share(self, *kinds: CellKind) -> float:
        """The fraction of filled cells of these kinds (0 for an empty column)."""
        if not self.filled:
            return 0.0
        return sum(self.kinds[kind] for kind in kinds) / self.filled

    def mostly(self, *kinds: CellKind, threshold: float = 0.7) -> bool:
        return self.filled > 0 and self.share(*kinds) >= threshold

    @property
    def mean_words(self) -> float:
        return self.words / self.filled if self.filled else 0.0

    def describe(self) -> str:
        """ "9 of 10 cells are dates", for the dry run's reasons."""
        if not self.filled:
            return "no filled cells"
        kind, count = self.kinds.most_common(1)[0]
        return f"{count} of {self.filled} cells are {_PLURAL[kind]}"


_PLURAL = {
    CellKind.DATE: "dates",
    CellKind.RAG: "RAG ratings",
    CellKind.PRIORITY: "priorities",
    CellKind.STATUS: "statuses",
    CellKind.CODE: "reference codes",
    CellKind.IDENTIFIER: "system ids",
    CellKind.NAME: "names or job titles",
    CellKind.NUMBER: "numbers",
    CellKind.FLAG: "yes/no values",
    CellKind.SENTENCE: "sentences",
    CellKind.SHORT: "short texts",
}


def profile_columns(rows: Iterable[list[str]], width: int) -> list[ColumnProfile]:
    """One profile per column over the given rows' texts."""
    profiles = [ColumnProfile() for _ in range(width)]
    for texts in rows:
        for index, profile in enumerate(profiles):
            profile.add(texts[index] if index < len(texts) else "")
    return profiles
