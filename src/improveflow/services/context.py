"""Everything a use case needs, built once per process (or per test) and passed in."""

from __future__ import annotations

from dataclasses import dataclass, field

from improveflow.audit_key import AuditKey
from improveflow.clock import Clock, SystemClock
from improveflow.config import Settings
from improveflow.db import Database
from improveflow.workflow.registry import WorkflowRegistry


@dataclass
class Context:
    settings: Settings
    database: Database
    workflows: WorkflowRegistry
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Context:
        """The context the settings describe; ConfigurationError for an unusable audit key."""
        return cls(
            settings=settings,
            database=Database(settings.database_url, audit_key=AuditKey.from_settings(settings)),
            workflows=WorkflowRegistry.from_folder(settings.workflows_dir),
            clock=clock or SystemClock(),
        )

    def known_bodies(self) -> set[str]:
        return {
            body for name in self.workflows.names() for body in self.workflows.workflow(name).bodies
        }

    def close(self) -> None:
        self.database.dispose()
