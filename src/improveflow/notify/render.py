"""Render an email's subject, plain text and HTML from the templates in `templates/emails/`.

One Jinja2 environment compiles every template once, at start-up, so a missing or broken
template stops the scheduler before 9 o'clock rather than failing each email. Each template sees
`c` (its kind's context, a plain dict), `recipient_name`, and link functions bound to the
recipient. HTML is autoescaped; the plain text and the subject are not (they are not HTML).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from improveflow.calendar import WorkingCalendar, as_london
from improveflow.exceptions import NotFound
from improveflow.links import LinkSigner

__all__ = [
    "KINDS",
    "EmailRenderer",
    "RenderedEmail",
    "digest_summary",
    "long_date",
    "one_line",
    "regarding",
    "shorten",
    "working_days",
]

KINDS = (
    "reminder",
    "progress_prompt",
    "escalation",
    "approval_needed",
    "decision",
    "digest",
    "sign_in",
)
SUBJECT_MAX = 150
DESCRIPTION_MAX = 60
ELLIPSIS = "\u2026"
EN_DASH = "\u2013"

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Digest subject wording, in the order the parts are listed.
_DIGEST_PARTS = (
    ("reminder", "reminder", "reminders"),
    ("progress_prompt", "progress update needed", "progress updates needed"),
    ("escalation", "escalation", "escalations"),
    ("approval_needed", "approval needed", "approvals needed"),
    ("decision", "decision", "decisions"),
)
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """One email's words: a one-line subject, the plain text and the HTML."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class _Kind:
    subject: Template
    text: Template
    html: Template


# Wording helpers, registered as filters and usable on their own -------------------------------


def _as_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    elif len(value) == 10:
        return date.fromisoformat(value)
    else:
        moment = datetime.fromisoformat(value)
    # A moment is shown as the day it was in London, where the councils are.
    return as_london(moment).date() if moment.tzinfo is not None else moment.date()


def long_date(value: str | date | None) -> str:
    """'Friday 31 July 2015' from an ISO date or moment; '' for none."""
    day = _as_date(value)
    if day is None:
        return ""
    # Spelled out here rather than with strftime, which follows the machine's locale.
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def working_days(n: int | None) -> str:
    """'in 5 working days', 'today' or '1 working day ago'; '' for none."""
    if n is None:
        return ""
    if n == 0:
        return "today"
    unit = "working day" if abs(n) == 1 else "working days"
    return f"in {n} {unit}" if n > 0 else f"{-n} {unit} ago"


def plural(n: int, singular: str, many: str | None = None) -> str:
    """'1 action', '3 actions'."""
    return f"{n} {singular if n == 1 else (many or singular + 's')}"


def shorten(text: str | None, width: int = DESCRIPTION_MAX) -> str:
    """`text` on one line, cut at a word boundary to at most `width` characters."""
    flat = " ".join((text or "").split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - len(ELLIPSIS)]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-" + EN_DASH) + ELLIPSIS


def one_line(text: str, width: int = SUBJECT_MAX) -> str:
    """A subject line: no line breaks, single spaces, at most `width` characters."""
    return shorten(text, width)


def regarding(label: str, description: str) -> str:
    """The change and the action it is about, for a subject.

    "change the target date of 'X'", or "mark the action complete" + en dash + "'X'" when the
    label already names the action.
    """
    if "action" in label.split():
        return f"{label} {EN_DASH} '{description}'"
    return f"{label} of '{description}'"


def humanise(name: str | None) -> str:
    """'in_progress' -> 'In progress'."""
    return (name or "").replace("_", " ").capitalize()


def digest_summary(sections: Sequence[Mapping[str, Any]]) -> str:
    """'3 reminders, 1 progress update needed' from a digest's sections."""
    counts: dict[str, int] = {}
    for section in sections:
        context = section["context"]
        # Decisions and approvals are one per section; the rest list items.
        counted = len(context["items"]) if "items" in context else 1
        counts[section["kind"]] = counts.get(section["kind"], 0) + counted
    return ", ".join(
        plural(counts[kind], one, many) for kind, one, many in _DIGEST_PARTS if counts.get(kind)
    )


def _tidy_text(text: str) -> str:
    # Optional template lines leave blank runs and trailing spaces; plain text shows them.
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip() + "\n"


class _Links:
    """The link functions templates call, bound to one recipient for one render.

    Memoised, so the text and HTML parts carry the same token for the same page.
    """

    __slots__ = ("_made", "_person_id", "_signer")

    def __init__(self, signer: LinkSigner, person_id: int | None) -> None:
        self._signer = signer
        self._person_id = person_id
        self._made: dict[tuple[str, int], str] = {}

    def action(self, action_id: int) -> str:
        key = ("action", action_id)
        if key not in self._made:
            self._made[key] = self._signer.action_link(self._person_id, action_id)
        return self._made[key]

    def approval(self, request_id: int) -> str:
        key = ("approval", request_id)
        if key not in self._made:
            self._made[key] = self._signer.approval_link(self._person_id, request_id)
        return self._made[key]

    def sign_in(self) -> str:
        if self._person_id is None:
            return f"{self._signer.base_url}/sign-in"
        key = ("sign_in", self._person_id)
        if key not in self._made:
            self._made[key] = self._signer.sign_in_link(self._person_id)
        return self._made[key]

    def preferences(self) -> str:
        if self._person_id is None:
            # Nobody to sign for: the page asks them to sign in instead.
            return f"{self._signer.base_url}/preferences"
        key = ("preferences", self._person_id)
        if key not in self._made:
            self._made[key] = self._signer.preferences_link(self._person_id)
        return self._made[key]


class _ContextEnvironment(Environment):
    """An environment that reads a dict's keys before its attributes.

    Email contexts are JSON (plain dicts), so `item.plan` means the key; Jinja would try the
    attribute first and fail, ~1 microsecond each time, dozens of times an email. It also
    lets `c.items` mean the key rather than the dict's method.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


class EmailRenderer:
    """Renders the emails of every kind in KINDS from one compiled set of templates."""

    def __init__(
        self,
        templates_dir: Path,
        signer: LinkSigner,
        *,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        self._signer = signer
        self._calendar = calendar or WorkingCalendar()
        env = _ContextEnvironment(
            loader=FileSystemLoader(templates_dir / "emails"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates do not change while the process runs: skip the per-render file checks.
            auto_reload=False,
        )
        env.filters.update(
            long_date=long_date,
            working_days=working_days,
            plural=plural,
            shorten=shorten,
            regarding=regarding,
            humanise=humanise,
            digest_summary=digest_summary,
            due=self.due,
        )
        # Loaded once for every render, rather than imported by each body on each render.
        env.globals["s"] = env.get_template("_styles.html").module
        self._kinds = {
            kind: _Kind(
                subject=env.get_template(f"{kind}.subject.txt"),
                text=env.get_template(f"{kind}.txt"),
                html=env.get_template(f"{kind}.html"),
            )
            for kind in KINDS
        }

    def render(
        self,
        template: str,
        context: Mapping[str, Any],
        *,
        recipient_name: str,
        person_id: int | None,
    ) -> RenderedEmail:
        """The subject, text and HTML of a `template` email to `recipient_name`.

        A key the template needs but `context` lacks raises jinja2.UndefinedError.
        """
        kind = self._kinds.get(template)
        if kind is None:
            raise NotFound(f"There is no email template called {template!r}.")
        links = _Links(self._signer, person_id)
        values = {
            "c": context,
            "recipient_name": recipient_name,
            "action_link": links.action,
            "approval_link": links.approval,
            "preferences_link": links.preferences,
            "sign_in_link": links.sign_in,
        }
        return RenderedEmail(
            subject=one_line(kind.subject.render(values)),
            text=_tidy_text(kind.text.render(values)),
            html=kind.html.render(values),
        )

    def due(self, working_days_left: int | None, target_date: str | date | None = None) -> str:
        """'is due in 5 working days', 'is due today', 'is due tomorrow', 'was due 2 working
        days ago'. One working day left is 'tomorrow' only when the day before the target
        date is a working day; otherwise it names the day ('is due on Monday')."""
        n = working_days_left
        if n is None:
            return "has no target date"
        if n == 1:
            target = _as_date(target_date)
            if target is None:
                return "is due in 1 working day"
            if self._calendar.is_working_day(target - timedelta(days=1)):
                return "is due tomorrow"
            return f"is due on {_DAYS[target.weekday()]}"
        if n < 0:
            return f"was due {working_days(n)}"
        return f"is due {working_days(n)}"
