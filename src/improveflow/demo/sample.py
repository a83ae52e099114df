"""The demo's council: its people and a peer-challenge plan in the councils' table format.

Target dates are written relative to the day the demo starts, as words a council would use
("March 2027", "2026/27", "Ongoing"), so the plan goes through the real importer.
"""

from __future__ import annotations

from datetime import date

from improveflow.calendar import FinancialYear
from improveflow.services.people import PersonInput

PEOPLE: tuple[PersonInput, ...] = (
    PersonInput("Dana Reeve", "dana@demo.council.example", ("Head of Finance",), ("CMT",)),
    PersonInput(
        "Sam Patel", "sam@demo.council.example", ("Chief Executive",), ("CMT",), ("admin",)
    ),
    PersonInput("Cllr Ruth Holt", "ruth@demo.council.example", ("Leader",), ("Cabinet",)),
    PersonInput(
        "Owen Marsh",
        "owen@demo.council.example",
        ("Head of Business Transformation",),
        (),
        ("owner",),
    ),
    PersonInput(
        "Priya Shah", "priya@demo.council.example", ("Head of People", "HRMT"), (), ("owner",)
    ),
    PersonInput("Pia Lund", "pia@peers.example", (), (), ("peer_challenge_lead",)),
)

HEADER = "Challenge\tOutcomes/ Measures of Success\tAction\tLead\tTarget Date\tProgress"


def _month(day: date, months: int) -> str:
    """'March 2027' for the month `months` after `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1).strftime("%B %Y")


def plan_text(today: date) -> str:
    """A small peer-challenge improvement plan, its dates spread around `today`."""
    this_year = FinancialYear.containing(today).label
    rows = [
        ("Vision and Priorities", [
            ("<p>Refresh the Council Plan so that priorities match the money available.</p> "
             "<p><i>(key challenge suggestion 1)</i></p>",
             "<ul><li>• Fewer, clearer priorities</li><li>• Budgets follow priorities</li></ul>",
             "Agree a new Council Plan with three priorities.", "Chief Executive",
             _month(today, 1), "Draft plan discussed with Cabinet."),
            ("", "", "Publish the plan and explain it to staff and residents.",
             "Head of Business Transformation", _month(today, 3), ""),
        ]),
        ("Money and Resources", [
            ("<p>Set a balanced budget and a five year financial plan.</p> "
             "<p><i>(key challenge suggestion 2)</i></p>",
             "<ul><li>• A balanced budget</li><li>• A five year plan</li></ul>",
             "Extend the medium term financial strategy to five years.", "Head of Finance",
             _month(today, -2), "Model built; assumptions being checked."),
            ("", "", "Review every savings target with budget holders.", "Head of Finance",
             this_year, "Reviews booked with every service."),
            ("", "", "Sell the former depot site.", "Head of Finance", "Ongoing",
             "Marketing agents appointed."),
        ]),
        ("People and Leadership", [
            ("<p>Build the skills to lead change.</p> "
             "<p><i>(key challenge suggestion 3)</i></p>",
             "<ul><li>• Managers confident to lead change</li></ul>",
             "Run a leadership programme for all managers.", "HRMT", _month(today, 2),
             "First cohort of 20 managers started."),
            ("", "", "Agree a new appraisal scheme with the trade unions.", "Head of People",
             _month(today, -1), ""),
            ("", "", "Recruit a programme office for the transformation.",
             "Head of Business Transformation", _month(today, -3), "COMPLETE. Team in post."),
        ]),
    ]  # fmt: skip
    lines = ["", "Demo Borough Council \u2013 Peer Challenge Improvement Plan", ""]
    for theme, actions in rows:
        lines += [f"{theme}\t\t\t\t\t", HEADER]
        lines += ["\t".join(cells) for cells in actions]
        lines.append("")
    return "\n".join(lines) + "\n"
