"""A PostgreSQL server of a test's own, made with initdb and run with pg_ctl, so the test can
stop it mid-run and start it again, as a database restart or failover would.

It runs as the `postgres` user when the tests run as root (initdb refuses root). A test that
needs it is skipped, saying why, when the server programs are not installed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from improveflow.testing.smtp import free_port

BIN_GLOB = "/usr/lib/postgresql/*/bin"


def _bin_dir() -> Path | None:
    found = sorted(
        (Path(path) for path in glob.glob(BIN_GLOB) if (Path(path) / "initdb").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


class ThrowawayPostgres:
    """One server in a temporary folder, on a free port of 127.0.0.1, trusting local logins."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            pytest.skip(f"PostgreSQL's server programs (initdb, pg_ctl) are not in {BIN_GLOB}")
        self.bin = bin_dir
        self.owner: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no postgres user to run initdb as")
            if shutil.which("runuser") is None:
                pytest.skip("running as root and runuser is missing: cannot run initdb as postgres")
            self.owner = "postgres"
        # Not under pytest's folder: the postgres user may not enter root's private folders.
        self.folder = Path(tempfile.mkdtemp(prefix="improveflow-pg-"))
        if self.owner is not None:
            shutil.chown(self.folder, user=self.owner)
        self.data = self.folder / "data"
        self.port = free_port()
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop it: 'immediate' is a crash (connections cut, nothing tidied up)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
