"""Render an email's subject, plain text and HTML from the templates in `templates/emails/`.

One Jinja2 environment compiles every template once, at start-up, so a missing or broken
template stops the scheduler before 9 o'clock rather than failing each email. Each template sees
`c` (its kind's context, a plain dict), `recipient_name`, and link functions bound to the
recipient. The environment's rules and its date filters are the pages' too (see
improveflow.templating): HTML is autoescaped, the plain text and the subject are not.

Nothing here counts working days: the bundler counts them with the calendar of the action's
own workflow and puts the counts, and the day they were counted on (`as_of`), in the context.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Template

from improveflow import templating
from improveflow.exceptions import NotFound
from improveflow.inbound.numbering import numbered_actions
from improveflow.links import LinkSigner, describe_age, milestone_slug
from improveflow.notify import why, wording

# The wording helpers are re-exported: callers and tests have long imported them from here.
from improveflow.notify.wording import (
    SUBJECT_MAX,
    digest_summary,
    humanise,
    one_line,
    plural,
    regarding,
    shorten,
    working_days,
)
from improveflow.templating import long_date

__all__ = [
    "KINDS",
    "SUBJECT_MAX",
    "EmailRenderer",
    "RenderedEmail",
    "digest_summary",
    "humanise",
    "long_date",
    "one_line",
    "plural",
    "regarding",
    "shorten",
    "upgraded",
    "working_days",
]

KINDS = (
    "reminder",
    "progress_prompt",
    "escalation",
    "no_progress",
    "approval_needed",
    "decision",
    "digest",
    "sign_in",
    "audit_checkpoint",
    "reply_recorded",
    "reply_refused",
    "milestone",
    "scrutiny_response",
)
# The emails about actions an owner can answer by replying: each carries a reply address.
REPLYABLE = frozenset(
    {"reminder", "progress_prompt", "escalation", "no_progress", "digest", "reply_recorded"}
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

    def timetable(self, plan_id: int, milestone: str) -> str:
        if self._person_id is None:
            # Nobody to sign for: the page asks them to sign in instead.
            return f"{self._signer.base_url}/plans/{plan_id}/timetable/{milestone_slug(milestone)}"
        key = (f"timetable:{milestone}", plan_id)
        if key not in self._made:
            self._made[key] = self._signer.timetable_link(self._person_id, plan_id, milestone)
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
        replies: bool = False,
    ) -> None:
        """`replies`: emails in REPLYABLE say they can be answered by replying, and number
        their actions '#1', '#2' for a reply to name one (otherwise '1.', '2.')."""
        self._signer = signer
        self._replies = replies
        env = templating.environment(
            FileSystemLoader(templates_dir / "emails"), environment_class=_ContextEnvironment
        )
        # Kept so a date or a snippet can be rendered exactly as an email would render it.
        self.environment: Environment = env
        # The email's own words; the dates come with the environment.
        env.filters.update(
            working_days=wording.working_days,
            plural=wording.plural,
            shorten=wording.shorten,
            regarding=wording.regarding,
            humanise=wording.humanise,
            digest_summary=wording.digest_summary,
            due=wording.due,
            quiet_for=wording.quiet_for,
            quiet_for_all=wording.quiet_for_all,
            and_list=wording.and_list,
            reasons=why.reasons,
            digest_reasons=why.digest_reasons,
        )
        # Loaded once for every render, rather than imported by each body on each render.
        env.globals["s"] = env.get_template("_styles.html").module
        env.globals["digest_headings"] = why.DIGEST_HEADINGS
        # How long a link in an email lasts ("14 days"), for the emails that say so.
        env.globals["links_last"] = describe_age(signer.max_age("timetable"))
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
        numbers = {a: n for n, a in enumerate(numbered_actions(template, context), start=1)}
        replies = self._replies and invites_replies(template, context)

        def action_number(action_id: int, index: int | None = None, of: int = 1) -> str:
            """'#2 ' before an action's title in an email listing several, the number a reply
            names it by. Where replies are not read, a plain text list of several (`of`)
            numbers its items '1. ', '2. ' from its `index`; HTML headings are not numbered."""
            if replies:
                return (
                    f"#{numbers[action_id]} " if len(numbers) > 1 and action_id in numbers else ""
                )
            return f"{index}. " if index is not None and of > 1 else ""

        values = {
            "c": upgraded(template, context),
            "recipient_name": recipient_name,
            "action_link": links.action,
            "approval_link": links.approval,
            "preferences_link": links.preferences,
            "timetable_link": links.timetable,
            "sign_in_link": links.sign_in,
            "action_number": action_number,
            "reply_hint": replies,
            "several_actions": len(numbers) > 1,
        }
        return RenderedEmail(
            subject=one_line(kind.subject.render(values)),
            text=_tidy_text(kind.text.render(values)),
            html=kind.html.render(values),
        )


def invites_replies(template: str, context: Mapping[str, Any]) -> bool:
    """Whether an email of `template` may be answered by replying: one about actions its
    reader owns (a member told of an escalation for information has nothing to report)."""
    if template not in REPLYABLE:
        return False
    sections = (
        [(s["kind"], s["context"]) for s in context.get("sections", [])]
        if template == "digest"
        else [(template, context)]
    )
    for kind, found in sections:
        items = found.get("items", [])
        if kind not in ("escalation", "no_progress") or any(
            item.get("role", "owner") == "owner" for item in items
        ):
            return True
    return False


def upgraded(template: str, context: Mapping[str, Any]) -> Mapping[str, Any]:
    """A context queued by an older version, in the shape the templates read now.

    Escalations once carried one level and one audience for the whole email; each item now
    carries its own `level` and `role`. A digest now says whether the person chose one a day.
    """
    if template == "escalation" and "audience" in context:
        role = context["audience"]
        items = [
            {"level": context.get("level"), "role": role, "body_title": None} | item
            for item in context["items"]
        ]
        return {"items": items}
    if template == "digest" and "daily" not in context:
        sections = [
            {"kind": section["kind"], "context": upgraded(section["kind"], section["context"])}
            for section in context["sections"]
        ]
        return {"sections": sections, "daily": False}
    return context
