"""How the paragraphs of a row's cells relate to each other and to the row before a page break.

Two questions are answered here, from the text alone:

- Does the first paragraph of a cell continue the previous row's cell? It does when it starts in
  lower case ("leadership and change management programme."), when it is a short fragment
  standing before list items while the previous text stopped mid-sentence ("Plan." then
  "- Receive accreditation"), or, in a row already known to continue the one before, when the cell
  has exactly one paragraph more than the row has new actions (the extra one finishes the
  previous action: "Head of Business" + "Transformation").
- Which paragraph of a cell belongs to which action of a row that holds several actions? One each
  when the counts agree; one paragraph is shared by all for leads, dates and measures; otherwise
  paragraph i goes to action i, the surplus to the last action, and the row is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from improveflow.importers.html_text import Block

_SENTENCE_END = frozenset(".!?:;")
_CLOSING = "\"')]\u2019\u201d"
_OPENING = "\"'([\u2018\u201c"


def starts_lowercase(text: str) -> bool:
    """True when the text begins with a lower-case letter, ignoring opening brackets and quotes."""
    stripped = text.lstrip(_OPENING)
    return bool(stripped) and stripped[0].islower()


def is_unterminated(parts: Sequence[str]) -> bool:
    """True when the last paragraph stops without ending its sentence."""
    if not parts:
        return False
    last_line = parts[-1].rsplit("\n", 1)[-1].rstrip().rstrip(_CLOSING)
    return bool(last_line) and last_line[-1] not in _SENTENCE_END


def textual_continuation(blocks: Sequence[Block], previous: Sequence[str]) -> int:
    """How many leading blocks the text itself shows to continue ``previous`` (0, 1 or more)."""
    if not blocks or not previous or blocks[0].list_item:
        return 0
    first_continues = starts_lowercase(blocks[0].text) or (
        len(blocks) > 1 and blocks[1].list_item and is_unterminated(previous)
    )
    if not first_continues:
        return 0
    return 1 + _items_continuing_a_list(blocks, previous)


def counted_continuation(
    blocks: Sequence[Block], previous: Sequence[str], new_actions: int, *, prose: bool
) -> int:
    """In a continued row: 1 when the cell has one paragraph more than the row has new actions.

    For prose the previous text must also have stopped mid-sentence; leads and dates carry no
    punctuation, so for them the count alone decides.
    """
    if not blocks or not previous or len(blocks) != new_actions + 1:
        return 0
    if prose and not is_unterminated(previous):
        return 0
    return 1


def _items_continuing_a_list(blocks: Sequence[Block], previous: Sequence[str]) -> int:
    """List items right after the fragment carry on the previous paragraph's own list."""
    if "\n" not in previous[-1]:
        return 0
    count = 0
    for block in blocks[1:]:
        if not block.list_item:
            break
        count += 1
    return count


@dataclass(frozen=True)
class Distribution:
    """The paragraphs each action of a row receives from one cell."""

    per_action: list[list[str]]
    lined_up: bool


def distribute(
    paragraphs: Sequence[str], actions: int, *, shared: bool, one_per_action: bool = False
) -> Distribution:
    """Give a cell's paragraphs to the row's actions, in order.

    ``shared``: a single paragraph applies to every action (one lead for several milestones).
    ``one_per_action``: each action expects at most one paragraph (a lead, a date), so several
    paragraphs for a single action do not line up either.
    Never drops text: a surplus goes to the last action.
    """
    count = len(paragraphs)
    if count == 0:
        return Distribution([[] for _ in range(actions)], lined_up=True)
    if actions == 1:
        return Distribution([list(paragraphs)], lined_up=count == 1 or not one_per_action)
    if count == actions:
        return Distribution([[paragraph] for paragraph in paragraphs], lined_up=True)
    if count == 1 and shared:
        return Distribution([[paragraphs[0]] for _ in range(actions)], lined_up=True)
    per_action: list[list[str]] = [[] for _ in range(actions)]
    for index, paragraph in enumerate(paragraphs):
        per_action[min(index, actions - 1)].append(paragraph)
    return Distribution(per_action, lined_up=False)
