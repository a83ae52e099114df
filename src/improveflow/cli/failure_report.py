"""What the command line says when a command fails for a reason outside it: one sentence on
stderr and exit code 1, with the details kept in a log file rather than shown as a traceback."""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path

from improveflow import failures
from improveflow.cli.common import err


def log_file() -> Path:
    """Where the details go: the user's state folder (XDG), as other command-line tools keep
    theirs."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "improveflow" / "errors.log"


def _keep_details(error: BaseException) -> str:
    """Appends the traceback to the log; says where it went, or why it could not go there."""
    path = log_file()
    details = "".join(traceback.format_exception(error))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')}\n{details}\n")
    except OSError as why:
        return f"The details could not be written to {path} ({why.strerror or why})."
    return f"Details are in {path}."


def report(error: BaseException, database_url: str | None) -> None:
    """Says on stderr what went wrong and what to do."""
    failure = failures.storage_failure(error, database_url)
    if failure is not None:
        err.print(f"Error: {failure.message} {_keep_details(error)}", markup=False, soft_wrap=True)
        return
    err.print(
        f"Error: improveflow failed unexpectedly ({type(error).__name__}: "
        f"{str(error).splitlines()[0][:300] if str(error) else 'no message'}). Nothing "
        f"was half-written: the change that failed was undone. {_keep_details(error)} "
        "Please report it with that file.",
        markup=False,
        soft_wrap=True,
    )
