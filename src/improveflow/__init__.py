"""improveflow: workflow and approval engine for public-sector improvement plans."""

from __future__ import annotations

__version__ = "0.1.0"
