"""The layering the architecture promises, checked on the source: SQL only in stores (and the
database plumbing), transactions only in services, notify never reaching up into services, and a
pure core that touches no database. A module that breaks a rule is named with its line."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import improveflow

PACKAGE = Path(improveflow.__file__).parent

# The database plumbing (engine set-up, migrations, schema revision checks) speaks SQL by its
# nature; the shipped test helpers tamper with the database on purpose.
SQL_ALLOWED = (
    "stores/",
    "migrations/",
    "models.py",
    "db.py",
    "schema.py",
    "testing/",
)
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "table_of", "update_values"}
SQL_METHODS = {"exec_driver_sql", "execute", "exec", "scalars", "scalar"}
PURE_CORE = ("workflow/", "reminders/", "calendar.py", "clock.py")


@dataclass(frozen=True)
class _Module:
    """What the checks need of one module, kept instead of its syntax tree (a cache of every
    tree would slow each garbage collection for the rest of the run)."""

    name: str
    imports: tuple[tuple[int, str], ...]
    sql: tuple[tuple[int, str], ...]
    transactions: tuple[tuple[int, str], ...]
    # Names reached through an attribute that the audit log keeps to itself.
    audit_internals: tuple[tuple[int, str], ...]


# Behind `audit.record`: storing fields a caller chose instead of a typed event.
_AUDIT_INTERNALS = frozenset({"_append", "insert_events"})


@functools.cache
def _modules() -> tuple[_Module, ...]:
    """Every module of the package, parsed and walked once for all the checks (that is their
    cost)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        nodes = list(ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=name)))
        found.append(
            _Module(
                name,
                tuple(_imported(nodes)),
                tuple(_sql_uses(nodes)),
                tuple(_calls_to(nodes, {"writing", "reading"})),
                tuple(
                    (node.lineno, node.attr)
                    for node in nodes
                    if isinstance(node, ast.Attribute) and node.attr in _AUDIT_INTERNALS
                ),
            )
        )
    return tuple(found)


def _imported(nodes: list[ast.AST]) -> Iterator[tuple[int, str]]:
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _sqlalchemy_names(nodes: list[ast.AST]) -> set[str]:
    """Names bound to SQL builders by `from sqlalchemy/sqlmodel import select, ...`."""
    bound: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            "sqlalchemy",
            "sqlmodel",
        ):
            bound.update(alias.asname or alias.name for alias in node.names)
    return bound & SQL_BUILDERS


def _sql_uses(nodes: list[ast.AST]) -> Iterator[tuple[int, str]]:
    builders = _sqlalchemy_names(nodes)
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and (
            function.id in builders or function.id == "table_of"
        ):
            yield node.lineno, function.id
        elif isinstance(function, ast.Attribute):
            owner = function.value
            if isinstance(owner, ast.Name) and owner.id in ("sa", "sqlalchemy", "sqlmodel"):
                if function.attr in SQL_BUILDERS:
                    yield node.lineno, f"{owner.id}.{function.attr}"
            elif function.attr in ("exec_driver_sql", "table_of"):
                yield node.lineno, function.attr
            elif function.attr in SQL_METHODS and _looks_like_a_session(owner):
                yield node.lineno, f"session.{function.attr}"


def _looks_like_a_session(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name in ("session", "connection", "conn", "db_session")


def _calls_to(nodes: list[ast.AST], names: set[str]) -> Iterator[tuple[int, str]]:
    for node in nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in names
        ):
            yield node.lineno, node.func.attr


def test_sql_lives_only_in_the_stores() -> None:
    """Services, pages, commands, importers and notify ask a store; they write no SQL."""
    found = [
        f"{module.name}:{line}: {what}"
        for module in _modules()
        if not module.name.startswith(SQL_ALLOWED)
        for line, what in module.sql
    ]
    assert found == []


def test_transactions_open_only_in_services() -> None:
    """Only a service (a use case) opens a unit of work; edges and stores never do."""
    found = [
        f"{module.name}:{line}: {what}()"
        for module in _modules()
        if not module.name.startswith(("services/", "db.py", "testing/"))
        for line, what in module.transactions
    ]
    assert found == []


def test_notify_never_imports_services() -> None:
    """Rendering and sending email sit below the use cases that decide what to send."""
    found = [
        f"{module.name}:{line}: {name}"
        for module in _modules()
        if module.name.startswith("notify/")
        for line, name in module.imports
        if name.startswith("improveflow.services")
    ]
    assert found == []


def test_stores_never_import_services_or_edges() -> None:
    """A store is the bottom layer: it knows the tables, nothing that uses them."""
    edges = ("improveflow.services", "improveflow.web", "improveflow.cli", "improveflow.scheduler")
    found = [
        f"{module.name}:{line}: {name}"
        for module in _modules()
        if module.name.startswith("stores/")
        for line, name in module.imports
        if name.startswith(edges)
    ]
    assert found == []


def test_the_core_is_pure() -> None:
    """The engine, the reminder planner and the calendar touch no database and no services."""
    impure = (
        "sqlalchemy",
        "sqlmodel",
        "improveflow.db",
        "improveflow.stores",
        "improveflow.services",
    )
    found = [
        f"{module.name}:{line}: {name}"
        for module in _modules()
        if module.name.startswith(PURE_CORE)
        for line, name in module.imports
        if name.startswith(impure)
    ]
    assert found == []


def test_audit_events_are_written_only_as_typed_records() -> None:
    """`audit.record` is the one way into the log: it takes a typed event, and no module but
    the audit log's own reaches past it to store fields it chose (`_append`, `insert_events`)."""
    from improveflow import audit

    assert not hasattr(audit, "append")
    found = [
        f"{module.name}:{line}: {name}"
        for module in _modules()
        if module.name not in ("audit.py", "stores/audit.py")
        for line, name in [
            *module.audit_internals,
            *((line, name.rpartition(".")[2]) for line, name in module.imports),
        ]
        if name in _AUDIT_INTERNALS
    ]
    assert found == []
