"""The report as a Word document a committee clerk can paste into their own template.

Real headings (Heading 1 to 4), plain tables in the built-in "Table Grid" style whose header
row repeats on every page and is marked as a header for screen readers, the document language
set to British English, and no floating shapes or text boxes. Rows are written as XML directly:
python-docx's row-by-row API would take minutes for a plan of thousands of actions.

The same snapshot always gives the same bytes: the core properties carry the snapshot's
moment, and the zip entries are rewritten with a fixed timestamp in a fixed order.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentObject
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from improveflow.reports.model import ActionLine, Report
from improveflow.templating import long_date, moment, short_date

LANGUAGE = "en-GB"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# The RAG colour shown beside the word (the word carries the meaning; the colour helps).
_SHADES = {"red": "F4B6AE", "amber": "FAD7B5", "green": "B3D9C7"}
_W = nsdecls("w")


def _cell(text: str, shade: str | None = None) -> str:
    fill = f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>' if shade else ""
    props = f"<w:tcPr>{fill}</w:tcPr>" if fill else ""
    paragraphs = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>'
        for line in (text.split("\n") if text else [""])
    )
    return f"<w:tc>{props}{paragraphs}</w:tc>"


def _header_cell(text: str) -> str:
    return (
        '<w:tc><w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="F3F2F1"/></w:tcPr>'
        f'<w:p><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
        "</w:p></w:tc>"
    )


def _table(
    document: DocumentObject,
    headers: Sequence[str],
    rows: Sequence[Sequence[str | tuple[str, str | None]]],
    caption: str,
) -> None:
    """A table whose first row is a repeated header row, after the paragraph naming it."""
    body_rows = []
    for row in rows:
        cells = []
        for value in row:
            text, shade = value if isinstance(value, tuple) else (value, None)
            cells.append(_cell(text, shade))
        body_rows.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{''.join(cells)}</w:tr>")
    header = (
        "<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
        + "".join(_header_cell(h) for h in headers)
        + "</w:tr>"
    )
    grid = "".join("<w:gridCol/>" for _ in headers)
    xml = (
        f'<w:tbl {_W}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" '
        f'w:type="pct"/><w:tblCaption w:val="{escape(caption)}"/><w:tblLook w:val="0420" '
        'w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" '
        f'w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{header}'
        f"{''.join(body_rows)}</w:tbl>"
    )
    document.element.body._insert_tbl(parse_xml(xml))  # before the section properties


def _day(value: date | None) -> str:
    return short_date(value) if value else ""


def rag_cell(word: str, code: str) -> tuple[str, str | None]:
    """A RAG rating's cell: its word, shaded in its colour."""
    return word, _SHADES.get(code)


def _rag(line: ActionLine) -> tuple[str, str | None]:
    return rag_cell(line.rag, line.rag_code)


def _paragraph(document: DocumentObject, text: str) -> None:
    document.add_paragraph(text)


def _set_language(document: DocumentObject) -> None:
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    run_props = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for found in run_props.findall(qn("w:lang")):
        run_props.remove(found)
    run_props.append(parse_xml(f'<w:lang {_W} w:val="{LANGUAGE}" w:eastAsia="{LANGUAGE}"/>'))


def _document(report: Report) -> DocumentObject:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(297), Mm(210)  # A4 landscape
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    document.styles["Normal"].font.size = Pt(9)
    _set_language(document)
    title = f"{report.plan_title}: progress report"
    props = document.core_properties
    props.title = title
    props.subject = f"Progress report of {long_date(report.report_date)}"
    props.author = props.last_modified_by = "improveflow"
    props.language = LANGUAGE
    props.created = props.modified = report.made_at.replace(tzinfo=None)
    props.revision = 1
    props.identifier = f"report-snapshot-{report.snapshot_id}"
    props.comments = props.keywords = props.category = props.content_status = ""
    props.version = ""
    # The blank template's thumbnail would show an empty page in file browsers.
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(rel_id)
    return document


def _front(document: DocumentObject, report: Report) -> None:
    document.add_heading(f"{report.plan_title}: progress report", level=1)
    organisation = f"{report.organisation}. " if report.organisation else ""
    since = (
        f"Changes are counted {report.since_text}."
        if report.since_text
        else "This is the plan's first report: changes are counted from the plan's start."
    )
    _paragraph(
        document,
        f"{organisation}Report of {long_date(report.report_date)}, made "
        f"{moment(report.made_at)} from report snapshot {report.snapshot_id}. {since}",
    )
    point = report.checkpoint
    signed = (
        f", in a checkpoint signed with audit key {point.key_id}"
        if point.signed
        else "; the checkpoint is not signed because no audit key was set"
    )
    _paragraph(document, f"Made at audit event {point.seq} (hash {point.head_hash}){signed}.")


def _summary(document: DocumentObject, report: Report) -> None:
    summary = report.summary
    document.add_heading("Summary", level=2)
    noun = "action" if summary.total == 1 else "actions"
    _paragraph(document, f"The plan has {summary.total} {noun}.")
    _paragraph(document, "Actions by state")
    _table(
        document,
        ("State", "Actions"),
        [(c.label, str(c.number)) for c in summary.by_state],
        "Actions by state",
    )
    _paragraph(document, "Actions by RAG rating")
    _table(
        document,
        ("RAG rating", "Actions"),
        [(c.label, str(c.number)) for c in summary.by_rag],
        "Actions by RAG rating",
    )
    since = report.since_text or "since the plan's start"
    for title, items in (
        ("Completed", summary.completed),
        ("Newly red", summary.newly_red),
        ("Deferred", summary.deferred),
        ("Re-dated", summary.redated),
    ):
        document.add_heading(f"{title} {since}", level=3)
        if not items:
            _paragraph(document, "None.")
            continue
        _table(
            document,
            ("Action", "What changed", "Date"),
            [(c.action, c.detail, short_date(c.on)) for c in items],
            f"{title} {since}",
        )


def _exceptions(document: DocumentObject, report: Report) -> None:
    document.add_heading("Exceptions", level=2)
    if not report.exceptions:
        _paragraph(document, "No action is red, overdue, deferred or re-dated.")
        return
    _table(
        document,
        ("Action", "Exception", "Reason", "Lead", "Owner", "Target date", "RAG"),
        [
            (
                f"{e.action.reference} {e.action.description}".strip(),
                ", ".join(e.kinds),
                e.reason,
                e.action.lead,
                e.action.owner,
                _day(e.action.target) or e.action.timescale,
                _rag(e.action),
            )
            for e in report.exceptions
        ],
        "Exceptions",
    )


PLAN_HEADERS = (
    "Ref",
    "Action",
    "Lead",
    "Owner",
    "First target",
    "Current target",
    "Date changes",
    "State",
    "RAG",
    "Latest progress",
)


def _plan(document: DocumentObject, report: Report) -> None:
    document.add_heading("The plan", level=2)
    for theme in report.themes:
        document.add_heading(theme.title, level=3)
        for objective in theme.objectives:
            heading = f"{objective.reference} {objective.text}".strip()
            document.add_heading(heading, level=4)
            _table(
                document,
                PLAN_HEADERS,
                [
                    (
                        a.reference,
                        a.description,
                        a.lead,
                        a.owner,
                        _day(a.first_target),
                        _day(a.target) or a.timescale,
                        a.ledger,
                        "\n".join(filter(None, (a.state, a.signed_off, a.carried_to))),
                        _rag(a),
                        f"{a.progress} ({short_date(a.progress_date)})" if a.progress else "",
                    )
                    for a in objective.actions
                ],
                heading,
            )


def _decisions(document: DocumentObject, report: Report) -> None:
    since = report.since_text or "since the plan's start"
    document.add_heading(f"Appendix: decisions {since}", level=2)
    if not report.decisions:
        _paragraph(document, "No decisions were made.")
        return
    _table(
        document,
        (
            "Action",
            "What was asked",
            "Asked by",
            "Reason given",
            "Decided by",
            "Outcome",
            "Decided on",
        ),
        [
            (
                d.action,
                d.asked,
                d.asked_by,
                d.reason,
                d.decided_by,
                d.outcome,
                short_date(d.decided_on),
            )
            for d in report.decisions
        ],
        "Decisions",
    )


def _fixed_zip(data: bytes) -> bytes:
    """The package again, every entry with one fixed timestamp, in the order written."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def render_docx(report: Report) -> bytes:
    document = _document(report)
    _front(document, report)
    _summary(document, report)
    _exceptions(document, report)
    _plan(document, report)
    _decisions(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())
