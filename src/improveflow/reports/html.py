"""The reports as HTML pages, through the Jinja environment every page and email shares; also
the source of their PDFs."""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader

from improveflow import templating
from improveflow.reports.model import Report


@functools.cache
def _environment() -> Environment:
    return templating.environment(PackageLoader("improveflow.reports", "templates"))


def render_page(template: str, **values: Any) -> str:
    """One of the report templates (each extends `_document.html`, the shared head)."""
    return _environment().get_template(template).render(**values)


def render_html(report: Report) -> str:
    """The committee report as a page."""
    return render_page("report.html", r=report)
