"""A plan's outline during an import: its themes and objectives, cached as the import goes.

Themes and objectives are loaded once and found by folded title or reference; looking each one
up in the database per row made large imports crawl. New themes and objectives wait and go in
one statement each per batch (a tracker grouped by audit meets a new theme every few rows).
"""

from __future__ import annotations

from sqlmodel import Session

from improveflow.importers.records import ParsedObjective
from improveflow.models import Objective
from improveflow.stores import plans as plan_store


class NewTheme:
    """A theme queued for insertion; `id` is known once it is inserted."""

    __slots__ = ("id", "position", "row")

    def __init__(self, position: int, row: dict[str, object]) -> None:
        self.position, self.row = position, row
        self.id: int | None = None


class NewObjective:
    """An objective queued for insertion; `id` is known once it is inserted."""

    __slots__ = ("id", "key", "position", "row")

    def __init__(
        self, key: tuple[int | NewTheme, str], position: int, row: dict[str, object]
    ) -> None:
        self.key, self.position, self.row = key, position, row
        self.id: int | None = None


class Outline:
    """A plan's themes and objectives, loaded once and extended as the import goes."""

    def __init__(self, session: Session, plan_id: int) -> None:
        self.session, self.plan_id = session, plan_id
        # A new theme keeps its handle here: objectives are keyed by it, before and after insertion.
        self.theme_ids: dict[str, int | NewTheme] = {}
        self.new_themes: list[NewTheme] = []
        for theme in plan_store.themes_of(session, plan_id):
            assert theme.id is not None
            self.theme_ids[_fold(theme.title)] = theme.id
        self.objective_ids: dict[tuple[int | NewTheme, str], int | NewObjective] = {}
        self.objective_counts: dict[int | NewTheme, int] = {}
        self.new_objectives: list[NewObjective] = []
        # Objectives stored before, kept to update their texts from the file (`objective`).
        self.stored: dict[int, Objective] = {}
        stored_themes = [known for known in self.theme_ids.values() if isinstance(known, int)]
        for objective in plan_store.objectives_of(session, stored_themes):
            assert objective.id is not None
            key = _fold(objective.reference or objective.text)
            self.objective_ids[(objective.theme_id, key)] = objective.id
            self.stored[objective.id] = objective
            self.objective_counts[objective.theme_id] = (
                self.objective_counts.get(objective.theme_id, 0) + 1
            )

    def theme(self, title: str) -> int | NewTheme:
        """The theme's id, or a handle whose id is set when the new ones are inserted."""
        title = " ".join(title.split())
        known = self.theme_ids.get(_fold(title))
        if known is not None:
            return known
        position = len(self.theme_ids)
        new = NewTheme(position, {"plan_id": self.plan_id, "title": title, "position": position})
        self.new_themes.append(new)
        self.theme_ids[_fold(title)] = new
        return new

    def objective(self, theme_id: int | NewTheme, record: ParsedObjective) -> int | NewObjective:
        """The objective's id, or a handle whose id is set when the new ones are inserted."""
        key = (theme_id, _fold(record.reference or record.text))
        known = self.objective_ids.get(key)
        if known is not None:
            if isinstance(known, NewObjective):
                return known
            objective = self.stored.get(known)
            if objective is None:  # inserted earlier in this import
                objective = self.stored[known] = plan_store.objective_by_id(self.session, known)
            # The document is the source of these texts; keep what it says now.
            objective.outcomes = record.outcomes or objective.outcomes
            objective.monitoring = record.monitoring or objective.monitoring
            objective.risk_rating = record.risk_rating or objective.risk_rating
            return known
        position = self.objective_counts.get(theme_id, 0)
        new = NewObjective(
            key,
            position,
            {
                "theme_id": theme_id,
                "reference": record.reference,
                "text": record.text,
                "outcomes": record.outcomes,
                "monitoring": record.monitoring,
                "risk_rating": record.risk_rating,
                "position": position,
            },
        )
        self.new_objectives.append(new)
        self.objective_counts[theme_id] = position + 1
        self.objective_ids[key] = new
        return new

    def insert_new_objectives(self) -> None:
        """Insert the themes and objectives met since the last call, one statement each.

        One ORM flush per objective was most of the time of a tracker import, where every
        row is an objective of its own; one statement per theme, a tenth of what remained.
        """
        self._insert_new_themes()
        if not self.new_objectives:
            return
        for new in self.new_objectives:
            new.row["theme_id"] = _inserted(new.key[0])
        # New objectives have distinct positions in their theme (see `objective`).
        ids = plan_store.insert_objectives(self.session, [new.row for new in self.new_objectives])
        for new in self.new_objectives:
            new.id = ids[(_inserted(new.key[0]), new.position)]
            self.objective_ids[new.key] = new.id
        self.new_objectives.clear()

    def _insert_new_themes(self) -> None:
        if not self.new_themes:
            return
        # New themes have distinct positions in the plan (see `theme`).
        ids = plan_store.insert_themes(self.session, [new.row for new in self.new_themes])
        for new in self.new_themes:
            new.id = ids[new.position]
        self.new_themes.clear()


def _inserted(theme: int | NewTheme) -> int:
    if isinstance(theme, NewTheme):
        assert theme.id is not None, "new themes are inserted before their objectives"
        return theme.id
    return theme


def _fold(text: str) -> str:
    return " ".join(text.lower().split())
