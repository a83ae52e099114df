"""Importing a generated 10,000-row council plan, in rows per second.

The plan is written in the councils' converted-table format (themes, repeated headers, HTML in
cells, several paragraphs per row, page-break noise) by this script, then imported into a fresh
SQLite database. Two baselines are measured in the same run: parsing the file alone, and a
bare Core `executemany` of the same number of action rows. The ratio says how much the whole
import (parse, dates, owner matching, state, audit, progress) costs beyond those two.

    python benchmarks/import_bench.py [--rows 10000]

The last line of output is JSON with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from improveflow.importers.council_table import read_council_file
from improveflow.models import Action
from improveflow.services import importing, plans
from improveflow.store import table_of
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plan_file = Path(folder) / "generated_plan.txt"
        plan_file.write_text(generate_plan(args.rows), encoding="utf-8")

        started = time.perf_counter()
        parsed = read_council_file(plan_file)
        parse_s = time.perf_counter() - started
        parsed_rows = len(parsed.actions())

        context = make_context(f"sqlite:///{Path(folder) / 'import.db'}")
        add_sample_people(context)
        started = time.perf_counter()
        report = importing.import_plan_files(context, [plan_file], importing.ImportOptions())
        import_s = time.perf_counter() - started
        imported = len(report.plans[0].actions)

        # Baseline: the same number of bare action rows in one executemany.
        floor = make_context(f"sqlite:///{Path(folder) / 'floor.db'}")
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
        context.close()
        floor.close()

    baseline_s = parse_s + insert_s
    result = {
        "bench": "import",
        "rows": imported,
        "parsed_rows": parsed_rows,
        "import_rows_per_s": round(imported / import_s, 1),
        "parse_rows_per_s": round(parsed_rows / parse_s, 1),
        "bare_insert_rows_per_s": round(imported / insert_s, 1),
        "import_s": round(import_s, 3),
        "ratio": round(import_s / baseline_s, 2),
    }
    print(f"actions imported:        {imported} ({parsed_rows} parsed)")
    rate = result["import_rows_per_s"]
    print(f"full import:             {rate:>10,.0f} rows/s ({import_s:.2f} s)")
    print(f"baseline, parse only:    {result['parse_rows_per_s']:>10,.0f} rows/s")
    print(f"baseline, bare inserts:  {result['bare_insert_rows_per_s']:>10,.0f} rows/s")
    print(f"import costs {result['ratio']}x parse + bare insert")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
