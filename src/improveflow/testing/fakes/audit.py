"""The audit log's rows, kept in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

GENESIS_HASH = "0" * 64  # the head of an empty log, as the first migration records it


class FakeAuditChain:
    """`AuditChainStore` in memory: rows only ever appended, the head following the newest."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.head = (0, GENESIS_HASH)

    def lock_head(self, connection: object) -> tuple[int, str]:
        return self.head

    def insert_events(self, connection: object, rows: Sequence[dict[str, Any]]) -> None:
        taken = {row["seq"] for row in self.rows}
        for row in rows:
            if row["seq"] in taken:
                raise ValueError(f"audit event {row['seq']} is already stored")
            taken.add(row["seq"])
        for row in rows:
            self.rows.append({"hash_scheme": "sha256", **row, "id": len(self.rows) + 1})
            self.head = (row["seq"], row["hash"])

    def events_from(self, connection: object, seq: int) -> list[dict[str, Any]]:
        return [dict(row) for row in sorted(self.rows, key=lambda r: r["seq"]) if row["seq"] >= seq]

    def hash_at(self, connection: object, seq: int) -> str | None:
        return next((str(row["hash"]) for row in self.rows if row["seq"] == seq), None)
