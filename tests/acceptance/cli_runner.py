"""Running the real `improveflow` command in a subprocess, as a person at a terminal would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """`improveflow` against a SQLite file in `folder`; checks each exit code.

    Its output goes to a pipe, as into a script or a file. `columns` sets COLUMNS, the width
    a terminal would have; None leaves it unset, as in most pipelines.
    """

    def __init__(
        self, folder: Path, database: str = "improveflow.db", *, columns: int | None = 200
    ) -> None:
        self.folder = folder
        self.env = {
            key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")
        }
        self.env["IMPROVEFLOW_DATABASE_URL"] = f"sqlite:///{folder / database}"
        if columns is not None:
            self.env["COLUMNS"] = str(columns)

    def __call__(self, *args: str, expect: int = 0) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "improveflow", *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        run = Run(done.returncode, done.stdout, done.stderr)
        assert run.code == expect, f"improveflow {' '.join(args)} -> {run.code}\n{run.out}{run.err}"
        return run
