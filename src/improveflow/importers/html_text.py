"""Table cells converted from Word or PDF: HTML fragments or plain text, turned into paragraphs.

A cell is either an HTML fragment (``<p>``, ``<ul><li>``, ``<b>``, ``<sup>``, entities) or plain
text in which the converter marked paragraph breaks with two or more spaces (CSV and XLSX cells
use newlines). Both become a list of :class:`Block` paragraphs, because the paragraphs of
neighbouring cells often line up (three actions, three leads, three dates in one table row).

Rules:
- ``<p>``, ``<div>``, ``<li>`` and ``<br>`` end a paragraph; ``<b>``, ``<i>``, ``<u>``, ``<sup>``
  and other inline tags keep only their text ("1<sup>st</sup>" -> "1st").
- Text inside ``<ul>``/``<ol>`` or ``<li>``, or starting with a list marker ("•", "·", "- "), is a
  list item. Inline bullets ("• one • two") are split into items and keep their marker.
- A list right after a paragraph ending in ":" belongs to that paragraph: it is kept as one block
  whose lines are the introduction and the items, so "Improve communication including: • a • b"
  stays one action.
- Whitespace is collapsed; entities (``&amp;``, ``&gt;``) are decoded.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

# A cell is treated as HTML only when it holds something that looks like a tag.
_LOOKS_LIKE_HTML = re.compile(r"<[A-Za-z/!]")
# The converter writes paragraph breaks inside plain cells as runs of spaces or as newlines.
_PLAIN_PARAGRAPH_BREAK = re.compile(r"[ \t\u00a0]{2,}|\s*[\r\n\v\f]+\s*")
# "Plan. - Receive accreditation": a dash list marker after a finished sentence starts an item.
_DASH_ITEM_AFTER_SENTENCE = re.compile(r"(?<=[.!?;:])\s+(?=- \S)")
_HAS_LINE_BREAK = re.compile(r"[\r\n\v\f\u00a0\t]")
_INLINE_BULLET = re.compile(r"\s*(?=[•·]\s*\S)")
_LIST_MARKER = re.compile(r"^(?:[•·▪◦●]|-(?=\s|$))")
_ONLY_MARKER = re.compile(r"^(?:[•·▪◦●]|-)\s*$")

_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "br", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_LIST_TAGS = frozenset({"ul", "ol"})


@dataclass(frozen=True)
class Block:
    """One paragraph of a cell; ``list_item`` when it is an item of a bulleted or dashed list."""

    text: str
    list_item: bool = False


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _split_inline_bullets(text: str, in_list: bool) -> list[Block]:
    """Split "intro • one • two" into the introduction and one item per bullet."""
    if "•" not in text and "·" not in text:
        if _ONLY_MARKER.match(text):
            return []
        return [Block(text, in_list or bool(_LIST_MARKER.match(text)))]
    pieces = [piece.strip() for piece in _INLINE_BULLET.split(text)]
    blocks: list[Block] = []
    for piece in pieces:
        if not piece or _ONLY_MARKER.match(piece):
            continue
        blocks.append(Block(piece, in_list or bool(_LIST_MARKER.match(piece))))
    return blocks


class _CellParser(HTMLParser):
    """Collects the paragraphs of one HTML cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._text: list[str] = []
        self._list_depth = 0
        self._in_item = False
        # The converter uses <ul> without <li> as an indent; a <p> inside it is a paragraph.
        self._in_paragraph = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LIST_TAGS:
            self._flush()
            self._list_depth += 1
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag == "li":
                self._in_item = True
            elif tag == "p":
                self._in_paragraph = True

    def handle_endtag(self, tag: str) -> None:
        if tag in _LIST_TAGS:
            self._flush()
            self._list_depth = max(0, self._list_depth - 1)
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag == "li":
                self._in_item = False
            elif tag == "p":
                self._in_paragraph = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        text = _collapse("".join(self._text))
        self._text.clear()
        if text:
            in_list = self._in_item or (self._list_depth > 0 and not self._in_paragraph)
            self.blocks.extend(_split_inline_bullets(text, in_list))


def _plain_blocks(cell: str) -> list[Block]:
    if "&" in cell:
        cell = html.unescape(cell)
    if "  " not in cell and " - " not in cell and not _HAS_LINE_BREAK.search(cell):
        return _split_inline_bullets(_collapse(cell), in_list=False)
    blocks: list[Block] = []
    for chunk in _PLAIN_PARAGRAPH_BREAK.split(cell.strip()):
        for piece in _DASH_ITEM_AFTER_SENTENCE.split(chunk):
            text = _collapse(piece)
            if text:
                blocks.extend(_split_inline_bullets(text, in_list=False))
    return blocks


def _attach_lists_to_introductions(blocks: list[Block]) -> list[Block]:
    """Keep "... including:" together with the list items that follow it."""
    attached: list[Block] = []
    for block in blocks:
        previous = attached[-1] if attached else None
        if (
            block.list_item
            and previous is not None
            and not previous.list_item
            and (previous.text.endswith(":") or "\n" in previous.text)
        ):
            attached[-1] = Block(f"{previous.text}\n{block.text}", list_item=False)
        else:
            attached.append(block)
    return attached


def cell_blocks(cell: str | None) -> list[Block]:
    """The paragraphs of a cell, each marked as list item or not."""
    if not cell or cell.isspace():
        return []
    # Leads, dates, RAG and priority cells repeat down a table: read each text once.
    return list(_cached_blocks(cell))


@lru_cache(maxsize=4096)
def _cached_blocks(cell: str) -> tuple[Block, ...]:
    if _LOOKS_LIKE_HTML.search(cell):
        parser = _CellParser()
        parser.feed(cell)
        parser.close()
        blocks = parser.blocks
    else:
        blocks = _plain_blocks(cell)
    return tuple(_attach_lists_to_introductions(blocks))


def cell_paragraphs(cell: str | None) -> list[str]:
    """The paragraphs of a cell as text; a list introduced by "...:" stays with its introduction."""
    return [block.text for block in cell_blocks(cell)]


def cell_text(cell: str | None) -> str:
    """The whole cell as text: paragraphs on separate lines, whitespace collapsed."""
    return "\n".join(cell_paragraphs(cell))
