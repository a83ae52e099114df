"""All SQL lives here, one module per aggregate; a store never commits.

A store's functions run their statements on the session or connection they are given, inside
a transaction a service opened (with `Database.writing` or `Database.reading`, or a
`UnitOfWork` the service hands down), so what they write commits, or not, with the rest of
that use case.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import sqlalchemy as sa

# Opens one transaction and yields its connection; the transaction commits when the block
# ends (or rolls back on an error). Services make these; code that must commit between
# steps (a dispatch run records each delivery at once) is handed one instead of a Database.
UnitOfWork = Callable[[], AbstractContextManager[sa.Connection]]
