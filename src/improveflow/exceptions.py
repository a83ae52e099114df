"""One root error; each subclass carries a message a person understands.

The class docstring is the default message; raise sites pass a more specific one.
"""

from __future__ import annotations


class ImproveflowError(Exception):
    """Something went wrong in improveflow."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


# Configuration and definitions ------------------------------------------------------------------


class ConfigurationError(ImproveflowError):
    """The configuration is not valid."""


class WorkflowDefinitionError(ConfigurationError):
    """A workflow file is not valid."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        super().__init__(f"{file}: {key}: {problem}")


# Input files ------------------------------------------------------------------------------------


class InputFileError(ImproveflowError):
    """An input file could not be read."""

    def __init__(self, file: str, line: int | None, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {problem}")


# Lookups ----------------------------------------------------------------------------------------


class NotFound(ImproveflowError):
    """The thing asked for does not exist."""


# Refusals: the request was understood and is not allowed ------------------------------------------


class Refused(ImproveflowError):
    """The operation is not allowed."""


class NotAllowedToRequest(Refused):
    """This person may not ask for that change."""


class IllegalTransition(Refused):
    """That change is not possible from the action's current state."""


class ConditionNotMet(Refused):
    """A condition of the change is not met."""


class RequestAlreadyPending(Refused):
    """The action already has a change waiting for approval."""


class NotAMember(Refused):
    """This person is not a member of the body that must approve."""


class OwnRequest(Refused):
    """Nobody may decide on their own request."""


class AlreadyDecided(Refused):
    """The request has already been decided."""


class AlreadyVoted(Refused):
    """This person has already given a decision on the request."""


class ConcurrentChange(Refused):
    """Someone else changed this at the same moment; reload and try again."""


class InvalidValue(Refused):
    """A value given is not valid."""


# Integrity --------------------------------------------------------------------------------------


class AuditChainBroken(ImproveflowError):
    """The audit log does not verify."""
