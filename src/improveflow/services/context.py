"""Everything a use case needs, built once per process (or per test) and passed in."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from improveflow.audit_key import AuditKey
from improveflow.clock import Clock, SystemClock
from improveflow.config import Settings
from improveflow.db import Database
from improveflow.workflow.registry import WorkflowRegistry

if TYPE_CHECKING:
    from improveflow.transports.factory import TransportFactory


@dataclass
class Context:
    settings: Settings
    database: Database
    workflows: WorkflowRegistry
    clock: Clock = field(default_factory=SystemClock)
    _transports: TransportFactory | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _transports_made: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Context:
        """The context the settings describe; ConfigurationError for an unusable audit key."""
        return cls(
            settings=settings,
            database=Database(settings.database_url, audit_key=AuditKey.from_settings(settings)),
            workflows=WorkflowRegistry.from_folder(settings.workflows_dir),
            clock=clock or SystemClock(),
        )

    @property
    def transports(self) -> TransportFactory:
        """The way out for email the settings choose, made once for the context's life: its
        dispatch runs share one OAuth token provider, so a token is fetched about once an hour."""
        with self._transports_made:
            if self._transports is None:
                # Imported here: the transports' HTTP clients load only when email is sent.
                from improveflow.transports.factory import TransportFactory

                self._transports = TransportFactory(self.settings)
            return self._transports

    def known_bodies(self) -> set[str]:
        return {
            body for name in self.workflows.names() for body in self.workflows.workflow(name).bodies
        }

    def close(self) -> None:
        self.database.dispose()
