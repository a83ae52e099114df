"""The workflows of an installation: every YAML file in the workflows folder, loaded once."""

from __future__ import annotations

from pathlib import Path

from improveflow import exceptions
from improveflow.workflow.definition import Workflow
from improveflow.workflow.engine import WorkflowEngine
from improveflow.workflow.loader import load_workflow

DEFAULT_WORKFLOW = "improvement_action"


class WorkflowRegistry:
    def __init__(self, workflows: list[Workflow]) -> None:
        self._engines: dict[str, WorkflowEngine] = {}
        for workflow in workflows:
            if workflow.name in self._engines:
                first = self._engines[workflow.name].workflow.file
                raise exceptions.WorkflowDefinitionError(
                    workflow.file, "workflow", f"'{workflow.name}' is already defined in {first}"
                )
            self._engines[workflow.name] = WorkflowEngine(workflow)

    @classmethod
    def from_folder(cls, folder: Path) -> WorkflowRegistry:
        files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        if not files:
            raise exceptions.ConfigurationError(f"No workflow files (*.yaml) in {folder}")
        return cls([load_workflow(file) for file in files])

    def names(self) -> list[str]:
        return list(self._engines)

    def engine(self, name: str = DEFAULT_WORKFLOW) -> WorkflowEngine:
        try:
            return self._engines[name]
        except KeyError:
            raise exceptions.NotFound(
                f"No workflow named '{name}' (known: {', '.join(self._engines)})"
            ) from None

    def workflow(self, name: str = DEFAULT_WORKFLOW) -> Workflow:
        return self.engine(name).workflow
