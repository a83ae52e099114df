"""The record ids a request names, bounded at the edge before any page reads them.

Every path parameter, and every query or form field named `plan` or ending in `_id`, names a
record. A whole number no database column can hold (2^63 or more) is a page not found here,
rather than an overflow deep in a query. What is found is kept on the request for the check of
what a visit from a link may reach (web.visit_scope).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import cast

from fastapi import Request

from improveflow import exceptions

# The largest id SQLite's INTEGER and PostgreSQL's BIGINT hold.
MAX_ID = 2**63 - 1
# The furthest page of any listing; the listings themselves refuse further ones too.
MAX_PAGE = 100_000

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,40}")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# What the page says: as for any address that leads nowhere, since none of these can.
NO_SUCH_PAGE = (
    "If you typed the address, check it is correct. If you followed a link, it may be out of "
    "date: start again from your start page."
)

# A field's name and its value as sent, for every field that names a record.
NamedIds = tuple[tuple[str, str], ...]


def names_a_record(field: str) -> bool:
    return field == "plan" or field == "id" or field.endswith("_id")


def _refuse_out_of_range(value: str, largest: int) -> None:
    text = value.strip()
    if _WHOLE_NUMBER.fullmatch(text):
        if abs(int(text)) > largest:
            raise exceptions.NotFound(NO_SUCH_PAGE)
    elif text.lstrip("+-").isdigit():
        # Too many digits to be any number worth reading.
        raise exceptions.NotFound(NO_SUCH_PAGE)


async def bounded_ids(request: Request) -> None:
    """Refuse (404) an id or page number out of range; keep the ids for the scope check."""
    named: list[tuple[str, str]] = []
    sources: list[Iterable[tuple[str, object]]] = [
        request.path_params.items(),
        request.query_params.multi_items(),
    ]
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.startswith(_FORM_TYPES):
        # Read already by the page's own form fields: this is the parsed copy, not a re-read.
        sources.append((await request.form()).multi_items())
    for number, fields in enumerate(sources):
        for field, value in fields:
            if not isinstance(value, str):
                continue  # an uploaded file
            if number == 0 or names_a_record(field):
                _refuse_out_of_range(value, MAX_ID)
                named.append((field, value))
            elif field == "page":
                _refuse_out_of_range(value, MAX_PAGE)
    request.state.named_ids = tuple(named)


def named_ids(request: Request) -> NamedIds | None:
    """The ids `bounded_ids` found; None if it has not run (so nothing is known of them)."""
    return cast(NamedIds | None, getattr(request.state, "named_ids", None))


def as_id(value: str) -> int | None:
    """`value` as a record id, or None when it is not one."""
    text = value.strip()
    if not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
