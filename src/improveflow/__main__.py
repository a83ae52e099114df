from __future__ import annotations

from improveflow.cli import main

main()
