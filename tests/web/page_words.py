"""Reading a page as a person does: its words, without markup, one space between them."""

from __future__ import annotations

import html
import re

# Inline elements run on with the words around them; any other tag breaks the text.
_INLINE = re.compile(r"</?(?:strong|span|a|em|b|i|abbr)(?:\s[^>]*)?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def words(page: str) -> str:
    """The text of an HTML page or fragment, tags removed and whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", _INLINE.sub("", page))).split())


def section(page: str, heading: str) -> str:
    """The words from the <h2> named `heading` to the end of the page's main content."""
    start = page.index(f">{heading}</h2>")
    end = page.index("</main>", start)
    return words(page[start + 1 : end])


def history(page: str) -> list[str]:
    """The words of each entry of an action page's history, newest first."""
    start = page.index(">History</h2>")
    end = page.index("</main>", start)
    return [words(item.split("</li>")[0]) for item in page[start:end].split("<li>")[1:]]
