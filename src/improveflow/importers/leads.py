"""Lead and owner cells of a plan: split into their parts and matched against the directory.

Splitting (:func:`split_lead`), in order:
- A cell that only repeats the column's title ("Lead Officer/Group", "Owner") names nobody.
- Paragraphs (newlines) are separate parts; within one, "/", ";" and "," separate parts.
- " and " / " & " separate parts only when both sides look like roles on their own ("Head of
  Finance and Head of Policy"), so "Health & Safety Manager", "Head of Legal & Democratic
  Services" and "Communications and Marketing Manager" stay whole.
- A second "Head of" / "Director of" run on after a complete role starts a new part: converters
  lose the paragraph break in "Head of Legal & Democratic Services Head of HR&D".
- Nothing inside parentheses is split. Parts lose bullets, surrounding whitespace and trailing
  punctuation; empty parts are dropped; order is kept; repeats (ignoring case) are dropped.

Matching (:class:`LeadMatcher`) compares names case-, whitespace- and punctuation-insensitively
("&" reads as "and"). Each part is, in order of precedence:
1. a body, when it equals a body's name or title ("CMT", "Corporate Management Team");
2. a person, when it equals one person's name or alias; an alias shared by several people is
   never guessed: the part is unresolved and listed in ``ambiguous``;
3. a body, when it ends with a body's name or title after a qualifier of at most two words
   without linking words ("Political Cabinet" -> Cabinet, but not "Member of Cabinet");
4. otherwise, two adjacent leads that lost their separator, when exactly one way of cutting the
   part in two (dropping an "and"/"&" at the cut) makes both halves resolve
   ("Head of HR&D Diversity Officer"). Without that, the part is unresolved.
When the whole cell is itself one known name or alias ("Head of HR/OD"), it is not split.
Results are cached per cell text, because the same lead recurs on many rows of a plan.
The directory is handed in as plain entries (:class:`DirectoryEntry`), read by the import's
store: nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from improveflow.importers.review_reasons import ReviewNote, ReviewReason

# Cells that repeat the lead column's title are header noise, not a lead.
_HEADER_CELLS = frozenset(
    {"lead", "leads", "owner", "owners", "lead officer", "lead officers", "lead officer group"}
)
_PARAGRAPH = re.compile(r"\s*[\r\n]+\s*")
_SEPARATOR = re.compile(r"\s*[/;,]\s*")
_CONJUNCTION = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
# Where a run-on role starts; the text before it must itself be a role to cut there.
_RUN_ON_ROLE = re.compile(r"\s+(?=(?:Head|Director)\s+of\s)")
_EDGE_JUNK = re.compile(r"^[\s\-\u2013\u2014\u2022\u00b7*.:]+|[\s.,;:/\\\-\u2013\u2014]+$")
_SPACES = re.compile(r"\s+")
# A bracketed remark ("(secondment of ...)"); an unclosed one runs to the end of the text.
_BRACKETED = re.compile(r"\([^)]*\)?")
_APOSTROPHE = re.compile(r"['\u2019\u2018`]")
_NON_WORD = re.compile(r"[^0-9a-z]+")

# A side of " and " is a role when it starts with a role title or ends with a role noun.
_ROLE_START = re.compile(
    r"^(?:head of|director|(?:assistant|deputy|executive|strategic|corporate) director|chief|"
    r"leader|portfolio holder|cabinet member)\b"
)
_ROLE_END = re.compile(
    r"\b(?:manager|managers|officer|officers|executive|director|directors|head|team|group|"
    r"board|cabinet|committee|panel|council|leader|member|members|lead|adviser|advisor|"
    r"coordinator|co ordinator|partner|partners|administrator|secretary|clerk|chair|chairman|"
    r"chairperson|champion|forum|hrmt|cmt|slt|clt|smt)$"
)
# A qualifier before a body's title may not link to it ("Member of Cabinet" is a person).
_LINKING_WORDS = frozenset({"of", "to", "for", "the", "and", "on", "in", "from", "with"})
_MAX_QUALIFIER_WORDS = 2
_CONNECTORS = frozenset({"and"})  # "&" is normalised to "and"
_MAX_CACHED = 8192

REVIEW_OWNER_UNRESOLVED = ReviewReason.OWNER_UNRESOLVED


def normalise_name(text: str) -> str:
    """Lower case, "&" as "and", apostrophes dropped, other punctuation as single spaces."""
    text = _APOSTROPHE.sub("", text.casefold().replace("&", " and "))
    return _NON_WORD.sub(" ", text).strip()


def _split_outside_brackets(
    text: str, pattern: re.Pattern[str], accept: Callable[[str, str], bool] | None = None
) -> list[str]:
    """Cut at each match of ``pattern`` not inside parentheses (and that ``accept`` allows)."""
    brackets = [found.span() for found in _BRACKETED.finditer(text)] if "(" in text else []
    if accept is None and not brackets:
        return pattern.split(text)
    pieces: list[str] = []
    start = 0
    for found in pattern.finditer(text):
        if any(opened <= found.start() < closed for opened, closed in brackets):
            continue
        left, right = text[start : found.start()], text[found.end() :]
        if accept is None or accept(left, right):
            pieces.append(left)
            start = found.end()
    pieces.append(text[start:])
    return pieces


def looks_like_role(text: str) -> bool:
    """True when the text starts with a role title ("Head of") or ends with a role noun."""
    name = normalise_name(text)
    return bool(name) and bool(_ROLE_START.search(name) or _ROLE_END.search(name))


def _both_roles(left: str, right: str) -> bool:
    # Judge the right side only up to the next conjunction: "A and B and C" is cut one at a time.
    return looks_like_role(left) and looks_like_role(_CONJUNCTION.split(right, maxsplit=1)[0])


def _role_before(left: str, _right: str) -> bool:
    return looks_like_role(left) and normalise_name(left).startswith(("head of", "director"))


def _clean(part: str) -> str:
    return _SPACES.sub(" ", _EDGE_JUNK.sub("", part)).strip()


def split_lead(text: str | None) -> list[str]:
    """The separate leads a lead/owner cell names, in order, without repeats."""
    return [part for part, _ in _keyed_parts(text)]


def _keyed_parts(text: str | None) -> list[tuple[str, str]]:
    """Each part as written with its normalised key, so matching need not normalise again."""
    if text is None or normalise_name(text) in _HEADER_CELLS:
        return []
    parts: dict[str, str] = {}  # key -> part; the first spelling of a repeated lead is kept
    for paragraph in _PARAGRAPH.split(text.strip()):
        for piece in _split_outside_brackets(paragraph, _SEPARATOR):
            for joined in _split_outside_brackets(piece, _CONJUNCTION, _both_roles):
                for part in _split_outside_brackets(joined, _RUN_ON_ROLE, _role_before):
                    cleaned = _clean(part)
                    key = normalise_name(cleaned)
                    if key:
                        parts.setdefault(key, cleaned)
    return [(part, key) for key, part in parts.items()]


@dataclass(frozen=True)
class DirectoryEntry:
    """A person of the directory as the matcher needs them."""

    person_id: int
    email: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class LeadMatch:
    """What a lead cell resolved to."""

    parts: tuple[str, ...]  # as split (a run-together part is replaced by its two halves)
    owner_id: int | None  # the first person matched, in the order of parts
    owner_email: str | None
    people: tuple[int, ...]  # every person matched, in order, once each
    bodies: tuple[str, ...]  # approving body names, in order, once each
    unresolved: tuple[str, ...]  # parts matching neither a person nor a body
    ambiguous: tuple[str, ...] = ()  # unresolved parts naming several people

    def review(self) -> tuple[str, ...]:
        """Reasons a person must check this lead, each starting "owner unresolved"."""
        reasons = [
            f"{REVIEW_OWNER_UNRESOLVED}: '{part}' names several people" for part in self.ambiguous
        ]
        reasons += [
            f"{REVIEW_OWNER_UNRESOLVED}: '{part}' matches no person or body"
            for part in self.unresolved
            if part not in self.ambiguous
        ]
        if self.parts and not self.people and not reasons:
            reasons.append(f"{REVIEW_OWNER_UNRESOLVED}: the lead names only bodies")
        return tuple(reasons)

    def review_notes(self) -> tuple[ReviewNote, ...]:
        """The same reasons as `review`, as typed notes."""
        return tuple(ReviewNote(ReviewReason.OWNER_UNRESOLVED, text) for text in self.review())


@dataclass(frozen=True)
class _Resolved:
    person: int | None = None
    body: str | None = None
    ambiguous: bool = False


_NOTHING = _Resolved()
_AMBIGUOUS = _Resolved(ambiguous=True)


class LeadMatcher:
    """Matches lead cells against people and approving bodies; lookups are built once."""

    def __init__(self, people: Sequence[DirectoryEntry], bodies: Mapping[str, str]) -> None:
        self._emails = {person.person_id: person.email for person in people}
        candidates: dict[str, set[int]] = {}
        for person in people:
            for label in (person.name, *person.aliases):
                candidates.setdefault(normalise_name(label), set()).add(person.person_id)
        candidates.pop("", None)
        # Names are entered last, so a body's name wins over another body's title.
        self._titles = {
            normalise_name(title): _Resolved(body=name) for name, title in bodies.items()
        }
        self._titles.update({normalise_name(name): _Resolved(body=name) for name in bodies})
        self._titles.pop("", None)
        # One lookup per key: a body first, then one person, else an ambiguous alias.
        self._exact: dict[str, _Resolved] = {
            key: _Resolved(person=next(iter(ids))) if len(ids) == 1 else _AMBIGUOUS
            for key, ids in candidates.items()
        }
        self._exact.update(self._titles)
        self._cache: dict[str, LeadMatch] = {}

    def match(self, lead_text: str | None) -> LeadMatch:
        """The people and bodies ``lead_text`` names; the same text is resolved only once."""
        text = lead_text or ""
        cached = self._cache.get(text)
        if cached is None:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            cached = self._cache[text] = self._match(text)
        return cached

    def names_one(self, text: str) -> bool:
        """True when the text is exactly one person's name or alias, or one body's name or title.

        An alias shared by several people names nobody in particular, so it does not count.
        """
        return _known(self._exact.get(normalise_name(_clean(text)), _NOTHING))

    def _match(self, text: str) -> LeadMatch:
        whole = _clean(text)
        key = normalise_name(whole)
        # A whole cell that is one known name ("Head of HR/OD") must not be cut at its "/".
        single = _known(self._exact.get(key, _NOTHING))
        keyed = [(whole, key)] if single else _keyed_parts(text)
        resolved: list[tuple[str, _Resolved]] = []
        for part, part_key in keyed:
            found = self._resolve(part_key)
            halves = self._halves(part) if found is _NOTHING else None
            resolved.extend(halves or [(part, found)])
        people = tuple(dict.fromkeys(r.person for _, r in resolved if r.person is not None))
        owner = people[0] if people else None
        return LeadMatch(
            parts=tuple(part for part, _ in resolved),
            owner_id=owner,
            owner_email=self._emails[owner] if owner is not None else None,
            people=people,
            bodies=tuple(dict.fromkeys(r.body for _, r in resolved if r.body is not None)),
            unresolved=tuple(part for part, r in resolved if not _known(r)),
            ambiguous=tuple(part for part, r in resolved if r.ambiguous),
        )

    def _resolve(self, key: str) -> _Resolved:
        exact = self._exact.get(key)
        if exact is not None:
            return exact
        words = key.split()
        # Longest title first, so "Corporate Management Team" beats a body called "Team".
        for cut in range(1, min(_MAX_QUALIFIER_WORDS, len(words) - 1) + 1):
            if _LINKING_WORDS.isdisjoint(words[:cut]):
                body = self._titles.get(" ".join(words[cut:]))
                if body is not None:
                    return body
        return _NOTHING

    def _halves(self, part: str) -> list[tuple[str, _Resolved]] | None:
        """Two leads run together, when exactly one cut makes both halves resolve."""
        words = part.split()
        keys = [normalise_name(word) for word in words]  # normalised once, joined per cut
        found: list[list[tuple[str, _Resolved]]] = []
        for cut in range(1, len(words)):
            skip = cut + 1 if keys[cut] in _CONNECTORS else cut
            if skip >= len(words):
                continue
            left = self._resolve(" ".join(key for key in keys[:cut] if key))
            right = self._resolve(" ".join(key for key in keys[skip:] if key))
            if _known(left) and _known(right):
                found.append(
                    [(_clean(" ".join(words[:cut])), left), (_clean(" ".join(words[skip:])), right)]
                )
        return found[0] if len(found) == 1 else None


def _known(resolved: _Resolved) -> bool:
    return resolved.person is not None or resolved.body is not None
