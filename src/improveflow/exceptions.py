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


# Links ------------------------------------------------------------------------------------------


class LinkError(ImproveflowError):
    """This link cannot be used. Ask for a new one."""


class LinkExpired(LinkError):
    """This link has expired. Ask for a new one."""


class LinkInvalid(LinkError):
    """This link is not valid: it may have been copied wrongly. Ask for a new one."""


# Email ------------------------------------------------------------------------------------------


class EmailError(ImproveflowError):
    """An email could not be sent."""


class SmtpUnavailable(EmailError):
    """The mail server cannot be reached (or refused the login); emails will be retried."""


class MailboxUnavailable(EmailError):
    """The mailbox replies arrive in cannot be reached, logged in to or opened."""


# Integrity --------------------------------------------------------------------------------------


class AuditChainBroken(ImproveflowError):
    """The audit log does not verify."""


class AuditNotVerifiable(ImproveflowError):
    """The audit log could not be verified: nothing has been proved."""


class CheckpointInvalid(ImproveflowError):
    """This audit checkpoint is not valid, so it proves nothing."""


# The web app ------------------------------------------------------------------------------------


class LinkUsed(LinkError):
    """This link has already been used to sign in. Ask for a new one."""


class NotSignedIn(Refused):
    """You need to sign in to see this page."""


class NotAllowedToView(Refused):
    """You do not have access to this page."""


class FormExpired(Refused):
    """This form has expired or did not come from improveflow. Reload the page and try again."""


# Failures outside improveflow: the disk, the database server --------------------------------------


class StorageFailure(ImproveflowError):
    """The database could not finish the change; nothing was half-written."""


class StorageFull(StorageFailure):
    """The disk holding the database is full."""


class DatabaseUnreachable(StorageFailure):
    """The database cannot be reached."""


class DatabaseBusy(StorageFailure):
    """The database was busy with another change for too long."""


class DatabaseReadOnly(StorageFailure):
    """The database cannot be written to."""


class DatabaseDamaged(StorageFailure):
    """The database file is damaged or is not an improveflow database."""


class ValueRefusedByDatabase(StorageFailure):
    """The database refused a value it was given."""

    # What was wrong with the value, in words a person who typed it understands.
    reason: str = "a value was not accepted"
