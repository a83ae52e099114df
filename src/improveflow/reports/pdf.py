"""The reports as tagged PDFs, from their HTML pages through WeasyPrint.

Tagged (headings, tables and their header cells reach a screen reader), in the page's language,
with its dates and identifier taken from the snapshot, so a snapshot's PDF is the same bytes
every time it is made.
"""

from __future__ import annotations

import hashlib

from improveflow import exceptions
from improveflow.reports.html import render_html
from improveflow.reports.model import Report

# What a machine without WeasyPrint's libraries needs, as README's Install section says.
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


def snapshot_seed(report: Report) -> str:
    """What a PDF's identifier is made from: the snapshot alone, never the moment of drawing."""
    return f"{report.snapshot_id}:{report.made_at.isoformat()}"


def pdf_of(page: str, seed: str) -> bytes:
    """A report page drawn as a PDF whose identifier depends only on `seed`."""
    try:
        # Imported here: Pango loads with it, and only PDFs need it.
        from weasyprint import HTML
    except OSError as error:  # WeasyPrint could not load Pango or HarfBuzz
        raise exceptions.ConfigurationError(
            "A PDF report needs the Pango text libraries, which this machine lacks "
            f"({error}). Install them (Debian or Ubuntu: apt-get install {PANGO_PACKAGES}), "
            "or make the report as DOCX or HTML."
        ) from error

    identifier = hashlib.sha256(seed.encode()).hexdigest()[:32]
    pdf: bytes = HTML(string=page).write_pdf(
        pdf_tags=True, pdf_identifier=identifier.encode("ascii")
    )
    return pdf


def render_pdf(report: Report) -> bytes:
    """The committee report as a PDF."""
    return pdf_of(render_html(report), snapshot_seed(report))
