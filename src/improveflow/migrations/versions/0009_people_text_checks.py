"""people's names, aliases and organisations: no control characters, at most 200 characters

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 09:00:00.000000

The service refuses such values with the file and line; the database refuses them too, so a
script writing directly, or a bug, cannot store a name no email can carry. Triggers on both
databases, as for the audit log: they check every write and leave existing rows alone, so an
upgrade never fails on old data.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIMIT = 200
# (table, column, constraint or trigger name stem)
CHECKED = (
    ("person", "name", "ck_person_name_text"),
    ("person_alias", "alias", "ck_person_alias_text"),
    ("person_organisation", "organisation", "ck_person_organisation_text"),
)


def _sqlite_condition(column: str) -> str:
    # GLOB with a character range finds C0 controls and DEL; instr finds a NUL, which ends
    # the text for GLOB and length().
    return (
        f"length(NEW.{column}) <= {LIMIT} "
        f"AND NEW.{column} NOT GLOB '*[' || char(1) || '-' || char(31) || char(127) || ']*' "
        f"AND instr(NEW.{column}, char(0)) = 0"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION refuse_unsendable_text() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE value text := to_jsonb(NEW) ->> TG_ARGV[0]; BEGIN "
            f"IF char_length(value) > {LIMIT} OR value ~ '[[:cntrl:]]' THEN "
            "RAISE EXCEPTION 'CHECK constraint failed: % of %', TG_ARGV[0], TG_TABLE_NAME "
            "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$"
        )
        for table, column, name in CHECKED:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION refuse_unsendable_text('{column}')"
            )
        return
    for table, column, name in CHECKED:
        for verb in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER {name}_{verb.lower()} BEFORE {verb} ON {table} "
                f"WHEN NOT ({_sqlite_condition(column)}) BEGIN "
                f"SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _column, name in CHECKED:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_unsendable_text()")
        return
    for _table, _column, name in CHECKED:
        for verb in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_{verb}")
