"""What a reply says: its new text (no quoted history, signature or disclaimer) and what its
first line asks for.

    #2 DONE                                  ask for action 2 of a digest to be marked complete
    NEW DATE 31/03/2027 because the ...      ask for a new target date, with that reason
    RAG AMBER                                rate the action amber (or red, green)
    DEFER because ...                        ask for the action to be deferred

Everything after the first line (or the whole text, when the first line asks for nothing)
is the progress update. Nothing here decides anything: the services check each request as
they would the action page's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from mailparser_reply import EmailReplyParser

from improveflow.models import Rag

__all__ = ["Ask", "ReplyInstruction", "ReplyUnclear", "new_text", "read_instruction"]

WHAT_TO_WRITE = (
    "Reply with your progress update as the text of your email. To ask for something as well, "
    "start the first line with one of:\n"
    "  DONE (to ask for the action to be marked complete)\n"
    "  NEW DATE 31/03/2027 because ... (to ask for a new target date)\n"
    "  RAG AMBER (or RAG RED, RAG GREEN)\n"
    "  DEFER because ... (to ask for the action to be deferred)\n"
    "When the email listed several actions, start with the action's number, as in '#2 DONE'."
)


class Ask(StrEnum):
    """A change the reply asks for, by its workflow transition."""

    COMPLETE = "complete"
    NEW_DATE = "revise_target"
    DEFER = "defer"


class ReplyUnclear(ValueError):
    """The reply's first line looks like an instruction but cannot be read; the message says
    what was wrong, for the polite answer."""


@dataclass(frozen=True)
class ReplyInstruction:
    """What one reply asks for: a progress update's text, a rating, a change, for which action."""

    text: str
    number: int | None = None
    ask: Ask | None = None
    new_target_date: date | None = None
    reason: str | None = None
    rag: Rag | None = None

    @property
    def asks_anything(self) -> bool:
        return bool(self.text) or self.ask is not None or self.rag is not None


def new_text(text: str) -> str:
    """The words the sender wrote in this reply: quoted history, 'From: ... Sent: ...' blocks,
    signatures and disclaimers left out."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return ""
    replies = EmailReplyParser(languages=["en"]).read(text).replies
    if not replies:
        return ""
    body = replies[0].body or ""
    kept: list[str] = []
    for line in body.split("\n"):
        # The parser finds a sign-off only below some text: one on the first line (a reply with
        # nothing written above the signature) is cut here, with all that follows it.
        if _SIGN_OFF.match(line):
            break
        # A line quoted with '>' that the parser left (quoted text with no header above it).
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip()


_SIGN_OFF = re.compile(
    r"^\s*(?:(?:kind |best |warm |many )?(?:regards|wishes|thanks)|thank you|cheers|"
    r"yours sincerely|sent from my .*|get outlook for .*|--)\s*[,.!]?\s*$",
    re.IGNORECASE,
)


_NUMBER = re.compile(r"^#\s*(\d{1,3})\b[\s:.,-]*", re.IGNORECASE)
_DONE = re.compile(r"^(?:done|complete|completed)\b[\s:.,!-]*", re.IGNORECASE)
_NEW_DATE = re.compile(r"^new\s+(?:target\s+)?date\b[\s:]*", re.IGNORECASE)
_RAG = re.compile(r"^rag\b[\s:]*", re.IGNORECASE)
_DEFER = re.compile(r"^defer(?:red)?\b[\s:.,-]*", re.IGNORECASE)
_BECAUSE = re.compile(r"^(?:because|as|since|-|:)\s*", re.IGNORECASE)
_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y")
_DATE_WORDS = re.compile(
    r"^(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+[A-Za-z]+\s+\d{4})\b\s*"
)


def read_instruction(text: str) -> ReplyInstruction:
    """The instruction in a reply's new text; ReplyUnclear when its first line starts an
    instruction that cannot be read."""
    first, _, rest = text.strip().partition("\n")
    first, rest = first.strip(), rest.strip()
    number = None
    found = _NUMBER.match(first)
    if found:
        number = int(found[1])
        first = first[found.end() :].strip()
    if found := _DONE.match(first):
        return ReplyInstruction(
            text=_joined(first[found.end() :], rest), number=number, ask=Ask.COMPLETE
        )
    if found := _NEW_DATE.match(first):
        when, reason = _date_and_reason(first[found.end() :])
        return ReplyInstruction(
            text=rest, number=number, ask=Ask.NEW_DATE, new_target_date=when, reason=reason
        )
    if found := _RAG.match(first):
        word, _, after = first[found.end() :].partition(" ")
        try:
            rag = Rag(word.strip(" .,:;!").lower())
        except ValueError:
            raise ReplyUnclear(
                f"The first line asks for a RAG rating, but '{word}' is not one: write "
                "RAG GREEN, RAG AMBER or RAG RED."
            ) from None
        return ReplyInstruction(text=_joined(after, rest), number=number, rag=rag)
    if found := _DEFER.match(first):
        reason = _BECAUSE.sub("", first[found.end() :]).strip() or None
        return ReplyInstruction(text=rest, number=number, ask=Ask.DEFER, reason=reason)
    return ReplyInstruction(text=_joined(first, rest), number=number)


def _date_and_reason(words: str) -> tuple[date, str | None]:
    found = _DATE_WORDS.match(words)
    if found:
        for pattern in _DATE_FORMATS:
            try:
                when = datetime.strptime(found[1], pattern).date()
            except ValueError:
                continue
            reason = _BECAUSE.sub("", words[found.end() :]).strip() or None
            return when, reason
    shown = words.split(" because ")[0].strip() or "nothing"
    raise ReplyUnclear(
        f"The first line asks for a new date, but '{shown}' is not a date improveflow can "
        "read: write it as NEW DATE 31/03/2027 because ..."
    )


def _joined(*parts: str) -> str:
    return "\n".join(part.strip() for part in parts if part.strip())
