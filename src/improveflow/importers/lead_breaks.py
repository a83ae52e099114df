"""Leads cut by a page break: the end of one action's lead at the start of the next one's.

When a page break cuts a table row, the converter puts the rest of each cell at the top of the
next page, where it runs into the next row's own text: "Head of Digital" above, "Services Digital
Services Manager" below. Leads carry no punctuation, so the text cannot show where the cut lead
ends; :mod:`place_rows` only marks the candidates (``ParsedAction.lead_follows_break``). The
directory the leads are matched against can tell.

Rule, for a marked action and the action above it in its objective:
- the last part of the lead above names no person and no body;
- with the first one, two or three words of the lead below added, that part is exactly one
  person's name or alias, or one body's name or title, and only one number of words does that;
- what is left below still reads as a lead: it does not start with a linking word, each of its
  parts resolves or reads as a role ("... Manager"), and it resolves no worse than before (no
  more unresolved parts; no person, body or alias shared by several people lost).
Then the words move up (for every action of the row that shares the lead below) and each action
concerned is flagged "lead joined across a page break" with the words moved. Otherwise nothing
changes, and the reasons the import gives for an unresolved owner stand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from improveflow.importers.leads import LeadMatcher, looks_like_role, normalise_name, split_lead
from improveflow.importers.records import REVIEW_LEAD_JOINED, ParsedAction, ParsedPlan

_MAX_MOVED_WORDS = 3
_SEPARATORS = " /;,"
# A lead does not start with these: the words before them belong to the same lead.
_LINKING_STARTS = frozenset({"and", "of", "for", "to", "the", "in", "on", "with", "from"})


@dataclass(frozen=True)
class _Cut:
    """The lead below split where the lead above ends."""

    moved: str  # the first words, which end the lead above
    rest: str  # the lead below without them


def join_leads_cut_by_page_breaks(plan: ParsedPlan, matcher: LeadMatcher) -> int:
    """Move the end of each lead cut by a page break back up, in place; returns how many."""
    joined = 0
    for objective in plan.objectives():
        actions = objective.actions
        for index in range(1, len(actions)):
            above, below = actions[index - 1], actions[index]
            # Later actions of the same row share the lead below and are repaired with the first.
            if below.lead_follows_break and above.line != below.line:
                joined += _repair(above, _sharing_row(actions, index), matcher)
    return joined


def _sharing_row(actions: Sequence[ParsedAction], first: int) -> list[ParsedAction]:
    """The marked action at ``first`` and the actions after it given the same lead paragraph."""
    lead, line = actions[first].lead, actions[first].line
    group = [actions[first]]
    for action in actions[first + 1 :]:
        if not (action.lead_follows_break and action.line == line and action.lead == lead):
            break
        group.append(action)
    return group


def _repair(above: ParsedAction, group: list[ParsedAction], matcher: LeadMatcher) -> int:
    if not above.lead or not group[0].lead:
        return 0
    cut = _find_cut(above.lead, group[0].lead, matcher)
    if cut is None:
        return 0
    above.lead = f"{above.lead} {cut.moved}"
    _flag(above, f"{REVIEW_LEAD_JOINED}: '{cut.moved}' taken from the start of the lead below")
    for action in group:
        action.lead = cut.rest
        _flag(action, f"{REVIEW_LEAD_JOINED}: '{cut.moved}' moved to the end of the lead above")
    return 1


def _flag(action: ParsedAction, reason: str) -> None:
    if reason not in action.review:
        action.review.append(reason)


def _find_cut(above: str, below: str, matcher: LeadMatcher) -> _Cut | None:
    """The one way of ending the lead above with the first words below, if there is exactly one."""
    last_part = _unresolved_last_part(above, matcher)
    if last_part is None:
        return None
    first_line, newline, other_lines = below.partition("\n")
    words = first_line.split()
    cuts = [
        cut
        for count in range(1, min(_MAX_MOVED_WORDS, len(words) - 1) + 1)
        if (cut := _cut_after(words, count, newline + other_lines)) is not None
        and _completes(above, last_part, cut.moved, matcher)
    ]
    if len(cuts) != 1 or not _still_a_lead(below, cuts[0].rest, matcher):
        return None
    return cuts[0]


def _unresolved_last_part(lead: str, matcher: LeadMatcher) -> str | None:
    """The lead's last part when it names nobody: the part a page break may have cut."""
    parts = split_lead(lead)
    if not parts or not matcher.match(parts[-1]).unresolved:
        return None
    return parts[-1]


def _cut_after(words: Sequence[str], count: int, other_lines: str) -> _Cut | None:
    moved = " ".join(words[:count]).rstrip(_SEPARATORS)
    rest = " ".join(words[count:]).lstrip(_SEPARATORS)
    if not moved or not rest or len(split_lead(moved)) != 1:
        return None  # the words would carry a separator, so they are not one lead's end
    return _Cut(moved=moved, rest=rest + other_lines)


def _completes(above: str, last_part: str, moved: str, matcher: LeadMatcher) -> bool:
    """True when the moved words finish the last part above into exactly one known name."""
    parts = split_lead(f"{above} {moved}")
    if not parts or not matcher.names_one(parts[-1]):
        return False
    # The words must extend the cut part, not stand after it as a lead of their own.
    return normalise_name(parts[-1]).startswith(normalise_name(last_part) + " ")


def _still_a_lead(before: str, after: str, matcher: LeadMatcher) -> bool:
    """True when what stays below reads as a lead and resolves no worse than the whole did."""
    words = normalise_name(after).split()
    if not words or words[0] in _LINKING_STARTS:
        return False
    now, was = matcher.match(after), matcher.match(before)
    if not now.parts or not all(looks_like_role(part) for part in now.unresolved):
        return False
    # A shared alias names nobody in particular, but it is still a lead worth keeping whole.
    return (
        len(now.unresolved) <= len(was.unresolved)
        and set(was.people) <= set(now.people)
        and set(was.bodies) <= set(now.bodies)
        and set(was.ambiguous) <= set(now.ambiguous)
    )
