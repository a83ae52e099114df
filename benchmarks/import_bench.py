"""Importing generated council plans, in rows per second: converted text, XLSX and DOCX.

Three plans are written by this script: 10,000 rows in the councils' converted-table format
(themes, repeated headers, HTML in cells, several paragraphs per row, page-break noise), a
10,000-row audit tracker workbook (title row, real Excel dates, RAG, priority, revised dates),
and a 2,000-row Word plan (a table per theme, merged recommendation cells). Each is imported
into a fresh SQLite database. Two baselines are measured in the same run for each: parsing the
file alone, and a bare Core `executemany` of the same number of action rows. The ratio says how
much the whole import (parse, columns, dates, owner matching, state, audit, progress) costs
beyond those two.

Each import's processor time (`time.process_time`) is reported beside its wall time: on a
shared machine the wall time swings with the other work, the processor time much less.
`--repeat N` imports each plan N times, into a fresh database each time, and keeps the best.

    python benchmarks/import_bench.py [--rows 10000] [--xlsx-rows 10000] [--docx-rows 2000]
        [--formats text,xlsx,docx] [--repeat 1]

The last line of output is JSON with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from improveflow.importers.readers import read_plan_file
from improveflow.models import Action
from improveflow.services import importing, plans
from improveflow.stores.tables import table_of
from improveflow.testing import add_plan, add_sample_people, make_context

OUTCOMES = "<ul><li>\u2022 Fewer complaints</li><li>\u2022 Faster answers</li></ul>"
HEADER = "Challenge\tOutcomes/ Measures of Success\tAction\tLead\tTarget Date\tProgress"
LEADS = [
    "Head of Finance",
    "Chief Executive",
    "HRMT",
    "Cabinet/ Corporate Management Team",
    "Head of Business Transformation",
    "Kier",
    "Head of Strategic HR/ HR Delivery Manager",
]
DATES = [
    "July 2014",
    "February 2014 \u2013 March 2015",
    "Sept - Nov 2016",
    "2015/16",
    "Ongoing",
    "Ongoing until 2016/17.",
    "31-Mar-09",
    "To be determined",
    "Q4 2016/17",
    "Dec-08",
]
PROGRESS = [
    "Work under way with partners.",
    "COMPLETE. New provider in place.",
    "",
    "Deferred until 2017/18.",
    "<p>Draft agreed.</p> <p>Consultation &amp; review next.</p>",
]


def generate_plan(rows: int, seed: int = 7) -> str:
    """A plan of `rows` action rows: 20 themes, a challenge every 5 rows, page noise."""
    rng = random.Random(seed)
    lines = ["", "Benchmark Borough Council \u2013 Peer Challenge Improvement Plan", ""]
    per_theme = max(1, rows // 20)
    for number in range(rows):
        if number % per_theme == 0:
            lines += [
                "",
                f"Theme {number // per_theme + 1}: Delivering Better Services\t\t\t\t\t",
                HEADER,
            ]
        if number % 50 == 49:
            lines += ["", "## Appendix 1", "", "--\t--\t---\t--\t--\t--"]
        challenge = ""
        if number % 5 == 0:
            challenge = (
                f"<p>Improve service {number // 5} so residents get answers first time.</p> "
                f"<p><i>(key challenge suggestion {number // 5 + 1})</i></p>"
            )
        lines.append(
            "\t".join(
                [
                    challenge,
                    OUTCOMES if challenge else "",
                    f"<p>Deliver improvement {number} for the service &amp; its users.</p>",
                    rng.choice(LEADS),
                    rng.choice(DATES),
                    rng.choice(PROGRESS),
                ]
            )
        )
    return "\n".join(lines) + "\n"


def generate_xlsx(path: Path, rows: int, seed: int = 11) -> None:
    """An audit tracker: a title row, a blank row, the header, then one recommendation a row."""
    import openpyxl

    rng = random.Random(seed)
    # Shared strings, as Excel writes them (a write-only workbook's inline strings read slower).
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Tracker"
    sheet.append(["Benchmark Council Internal Audit Recommendations Tracker"])
    sheet.append([])
    sheet.append(XLSX_HEADER)
    for number in range(rows):
        original = date(2025, 4, 1) + timedelta(days=rng.randrange(700))
        revised = original + timedelta(days=90) if number % 3 == 0 else None
        sheet.append(
            [
                f"IA{number // 1000 + 24}-{number % 1000:03d}",
                f"Audit {number // 8 + 1}",
                f"Controls over process {number} should be documented and checked monthly.",
                rng.choice(["High", "Medium", "Low"]),
                f"Management will document process {number} and check it each month.",
                rng.choice(LEADS),
                original,
                revised,
                rng.choice(["Implemented", "Partly implemented", "Not yet due", "Overdue"]),
                rng.choice(["Red", "Amber", "Green"]),
                rng.choice(["Checks in place.", "Procedure drafted.", ""]),
            ]
        )
    workbook.save(path)


def generate_docx(path: Path, rows: int) -> None:
    """A Word plan: a heading and a table per theme, recommendations merged over 3 actions."""
    import docx

    document = docx.Document()
    document.add_heading("Benchmark Council Peer Challenge Improvement Plan", level=1)
    per_table = 200
    for first in range(0, rows, per_table):
        count = min(per_table, rows - first)
        document.add_heading(f"Theme {first // per_table + 1}", level=2)
        table = document.add_table(rows=count + 1, cols=6)
        for cell, text in zip(table.rows[0].cells, DOCX_HEADER, strict=True):
            cell.text = text
        for offset in range(count):
            number = first + offset
            cells = table.rows[offset + 1].cells
            values = [
                f"R{number // 3 + 1}" if number % 3 == 0 else "",
                f"Improve service {number // 3} for residents." if number % 3 == 0 else "",
                f"Deliver improvement {number} for the service and its users.",
                LEADS[number % len(LEADS)],
                DATES[number % len(DATES)],
                PROGRESS[number % 3] if "<" not in PROGRESS[number % 3] else "",
            ]
            for cell, text in zip(cells, values, strict=True):
                cell.text = text
        for group in range(1, count, 3):  # merge each recommendation over its three actions
            end = min(group + 2, count)
            for column in (0, 1):
                table.cell(group, column).merge(table.cell(end, column))
    document.save(str(path))


XLSX_HEADER = [
    "Ref", "Audit", "Recommendation", "Priority", "Management Response",
    "Responsible Officer", "Original Target Date", "Revised Target Date", "Status", "RAG",
    "Latest Update",
]  # fmt: skip
DOCX_HEADER = ["Ref", "Recommendation", "Action", "Lead Officer", "Target Date", "Progress"]


@dataclass
class Measured:
    """One format's figures: the import and its two baselines, in rows per second."""

    rows: int
    parsed_rows: int
    import_s: float
    import_cpu_s: float
    parse_s: float
    insert_s: float

    @property
    def rows_per_s(self) -> float:
        return round(self.rows / self.import_s, 1)

    @property
    def cpu_rows_per_s(self) -> float:
        """Rows per second of processor time: steadier than wall time on a busy machine."""
        return round(self.rows / self.import_cpu_s, 1)

    @property
    def ratio(self) -> float:
        return round(self.import_s / (self.parse_s + self.insert_s), 2)


def timed_import(folder: Path, plan_file: Path, attempt: int) -> tuple[float, float, int]:
    """One import into a fresh database: wall seconds, processor seconds, actions imported."""
    context = make_context(f"sqlite:///{folder / f'{plan_file.stem}-{attempt}.db'}")
    add_sample_people(context)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = importing.import_plan_files(context, [plan_file], importing.ImportOptions())
    import_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started
    context.close()
    return import_s, cpu_s, len(report.plans[0].actions)


def measure(folder: Path, plan_file: Path, repeat: int = 1) -> Measured:
    """Parse alone, the whole import (best of `repeat`), and bare inserts of as many rows."""
    started = time.perf_counter()
    parsed = read_plan_file(plan_file)
    parse_s = time.perf_counter() - started
    parsed_rows = len(parsed.actions())

    name = plan_file.stem
    runs = [timed_import(folder, plan_file, attempt) for attempt in range(repeat)]
    import_s = min(wall for wall, _, _ in runs)
    import_cpu_s = min(cpu for _, cpu, _ in runs)
    imported = runs[0][2]

    # Baseline: the same number of bare action rows in one executemany.
    floor = make_context(f"sqlite:///{folder / f'{name}-floor.db'}")
    plan_id = add_plan(floor)
    with floor.database.writing() as session:
        theme = plans.find_or_add_theme(session, plan_id, "Theme")
        objective_id = plans.find_or_add_objective(session, theme, "Objective").id
    now = datetime.now(UTC)
    rows = [
        {
            "plan_id": plan_id,
            "objective_id": objective_id,
            "description": f"Action {n}",
            "state": "approved",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(imported)
    ]
    started = time.perf_counter()
    with floor.database.writing() as session:
        session.connection().execute(sa.insert(table_of(Action)), rows)
    insert_s = time.perf_counter() - started
    floor.close()
    return Measured(imported, parsed_rows, import_s, import_cpu_s, parse_s, insert_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--xlsx-rows", type=int, default=10_000)
    parser.add_argument("--docx-rows", type=int, default=2_000)
    parser.add_argument(
        "--formats", default="text,xlsx,docx", help="which plans to import (comma-separated)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="imports per plan; the best counts")
    args = parser.parse_args()
    formats = [name.strip() for name in args.formats.split(",") if name.strip()]
    unknown = set(formats) - {"text", "xlsx", "docx"}
    if unknown:
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    measured: dict[str, Measured] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if "text" in formats:
            text_file = folder / "generated_plan.txt"
            text_file.write_text(generate_plan(args.rows), encoding="utf-8")
            measured["text"] = measure(folder, text_file, args.repeat)
        if "xlsx" in formats:
            xlsx_file = folder / "generated_tracker.xlsx"
            generate_xlsx(xlsx_file, args.xlsx_rows)
            measured["xlsx"] = measure(folder, xlsx_file, args.repeat)
        if "docx" in formats:
            docx_file = folder / "generated_plan.docx"
            generate_docx(docx_file, args.docx_rows)
            measured["docx"] = measure(folder, docx_file, args.repeat)

    result: dict[str, object] = {"bench": "import"}
    for label, figures in measured.items():
        # The text plan's keys carry no prefix, as before the formats could be chosen.
        prefix = "" if label == "text" else f"{label}_"
        speed = "import_rows_per_s" if label == "text" else f"{prefix}rows_per_s"
        result.update(
            {
                f"{prefix}rows": figures.rows,
                f"{prefix}parsed_rows": figures.parsed_rows,
                speed: figures.rows_per_s,
                f"{prefix}cpu_rows_per_s": figures.cpu_rows_per_s,
                f"{prefix}parse_rows_per_s": round(figures.parsed_rows / figures.parse_s, 1),
                f"{prefix}bare_insert_rows_per_s": round(figures.rows / figures.insert_s, 1),
                f"{prefix}import_s": round(figures.import_s, 3),
                f"{prefix}import_cpu_s": round(figures.import_cpu_s, 3),
                f"{prefix}ratio": figures.ratio,
            }
        )
        print(
            f"{label:5} {figures.rows:>6} actions: import {figures.rows_per_s:>8,.0f} rows/s "
            f"({figures.import_s:.2f} s; {figures.cpu_rows_per_s:,.0f} rows per CPU second); "
            f"parse only {figures.parsed_rows / figures.parse_s:>8,.0f} rows/s; "
            f"bare inserts {figures.rows / figures.insert_s:>9,.0f} rows/s; "
            f"import costs {figures.ratio}x parse + bare insert"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
