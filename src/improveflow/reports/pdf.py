"""The report as a tagged PDF, from its HTML page through WeasyPrint.

Tagged (headings, tables and their header cells reach a screen reader), in the page's language,
with its dates and identifier taken from the snapshot, so a snapshot's PDF is the same bytes
every time it is made.
"""

from __future__ import annotations

import hashlib

from improveflow.reports.html import render_html
from improveflow.reports.model import Report


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML  # imported here: Pango loads with it, and only PDFs need it

    identifier = hashlib.sha256(
        f"{report.snapshot_id}:{report.made_at.isoformat()}".encode()
    ).hexdigest()[:32]
    pdf: bytes = HTML(string=render_html(report)).write_pdf(
        pdf_tags=True, pdf_identifier=identifier.encode("ascii")
    )
    return pdf
