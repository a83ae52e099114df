"""The README's command-line walkthrough runs as written, in an empty folder, step by step."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Five minutes with the command line"


def walkthrough() -> list[tuple[str, int]]:
    """The section's shell commands, each whole (continuations and here-documents joined),
    with the exit code its comment promises: 1 where it says "(exit 1)", else 0."""
    text = README.read_text(encoding="utf-8").split(SECTION, 1)[1]
    block = text.split("```sh\n", 1)[1].split("\n```", 1)[0]
    commands: list[tuple[str, int]] = []
    lines = iter(block.splitlines())
    for line in lines:
        if not line.strip():
            continue
        command = line
        heredoc = re.search(r"<<'(\w+)'", line)
        if heredoc:
            for body in lines:
                command += "\n" + body
                if body == heredoc.group(1):
                    break
        while command.endswith("\\"):
            command = command[:-1] + next(lines).strip()
        commands.append((command, 1 if "(exit 1)" in line else 0))
    return commands


def test_the_walkthrough_runs_as_written_in_an_empty_folder(tmp_path: Path) -> None:
    """Every command succeeds (and the one the README says is refused, is), in a fresh folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPROVEFLOW_")}
    # `improveflow` as this interpreter runs it, so the test needs no installed script.
    define = f'improveflow() {{ {shlex.quote(sys.executable)} -m improveflow "$@"; }}\n'
    steps = walkthrough()
    assert len(steps) == 16
    assert steps[0][0].startswith("cat > people.csv <<'EOF'\nname,email")
    said = []
    for command, expected in steps:
        done = subprocess.run(
            ["bash", "-c", define + command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == expected, f"{command}\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stderr
        said.append(done.stdout + done.stderr)
    assert (tmp_path / "improveflow.db").exists()
    assert "Error: Priya Shah is not a member of CMT" in said[11]
    assert "Approved: action 1 is now complete." in said[12]
    assert "State: Complete" in said[13]
    assert "Audit log verified" in said[14]
    assert said[15].startswith("stateDiagram-v2")
