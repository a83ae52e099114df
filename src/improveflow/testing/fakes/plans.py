"""Plans found by title, and what a plan import reads and writes, kept in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from improveflow.models import Plan
from improveflow.stores.imports import DirectoryPerson, StoredAction
from improveflow.testing.fakes.sessions import FakePerson


class FakePlanTitles:
    """`PlanTitleStore` in memory."""

    def __init__(self) -> None:
        self.plans: list[Plan] = []

    def add_plan(self, session: object, plan: Plan) -> Plan:
        plan.id = len(self.plans) + 1
        self.plans.append(plan)
        return plan

    def plan_titled(self, session: object, title: str, organisation: str | None) -> Plan | None:
        def same_council(plan: Plan) -> bool:
            if organisation is None or plan.organisation is None:
                return organisation is None and plan.organisation is None
            return plan.organisation.lower() == organisation.lower()

        return next((p for p in self.plans if p.title == title and same_council(p)), None)


@dataclasses.dataclass
class FakeProgress:
    """A progress update as the fake keeps it: from a file when it has no author."""

    id: int
    action_id: int
    text: str
    author_id: int | None


class FakeImports:
    """`ImportStore` in memory; `people` are the directory, by id, with their `aliases`."""

    def __init__(
        self, people: Mapping[int, FakePerson], aliases: Mapping[int, Sequence[str]]
    ) -> None:
        self.people = dict(people)
        self.aliases = {person_id: tuple(names) for person_id, names in aliases.items()}
        self.actions: dict[int, dict[str, Any]] = {}  # the rows inserted, by id
        self.progress: list[FakeProgress] = []

    def lead_directory(self, session: object, organisation: str | None) -> list[DirectoryPerson]:
        named = None if organisation is None else " ".join(organisation.split()).lower()
        return [
            DirectoryPerson(person_id, person.email, person.name, self.aliases.get(person_id, ()))
            for person_id, person in sorted(self.people.items())
            if named is None or person.organisation is None or person.organisation.lower() == named
        ]

    def insert_actions(
        self, session: object, rows: Sequence[Mapping[str, object]]
    ) -> dict[str, int]:
        ids = {}
        for row in rows:
            action_id = len(self.actions) + 1
            self.actions[action_id] = dict(row)
            ids[str(row["import_key"])] = action_id
        return ids

    def insert_progress(self, session: object, rows: Sequence[Mapping[str, object]]) -> None:
        for row in rows:
            author = row.get("author_id")
            self.progress.append(
                FakeProgress(
                    len(self.progress) + 1,
                    int(str(row["action_id"])),
                    str(row["text"]),
                    None if author is None else int(str(author)),
                )
            )

    def imported_actions(self, session: object, plan_id: int) -> dict[str, StoredAction]:
        return {
            str(row["import_key"]): StoredAction(
                action_id, row["state"], row.get("lead_text"), row.get("timescale_raw"),
                row.get("target_date"), row.get("owner_id"),
            )
            for action_id, row in self.actions.items()
            if row["plan_id"] == plan_id and row.get("import_key") is not None
        }  # fmt: skip

    def latest_file_progress(self, session: object, plan_id: int) -> dict[int, str]:
        newest: dict[int, str] = {}
        for update in sorted(self.progress, key=lambda update: update.id):
            if update.author_id is None and self.actions[update.action_id]["plan_id"] == plan_id:
                newest[update.action_id] = update.text
        return newest
