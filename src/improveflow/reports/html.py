"""The report as an HTML page, through the Jinja environment every page and email shares;
also the source of the PDF."""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader

from improveflow import templating
from improveflow.reports.model import Report


@functools.cache
def _environment() -> Environment:
    return templating.environment(PackageLoader("improveflow.reports", "templates"))


def render_html(report: Report) -> str:
    return _environment().get_template("report.html").render(r=report)
