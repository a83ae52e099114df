"""The sentences the approval pages use to say what a request asks for and what became of it.

A pending request is described as approving it now would change the action. A closed one is
described from its record (`services.request_record`): the change as it was asked, and as it
was made or not made when the request closed, never from the action as it is today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from improveflow.models import RequestStatus, Verdict
from improveflow.notify.render import long_date
from improveflow.services.approval_queue import DecisionView, RequestView
from improveflow.services.request_record import Change, Closing
from improveflow.web.pages import moment, short_date
from improveflow.workflow.definition import Workflow


@dataclass(frozen=True)
class RequestWording:
    label: str  # the transition's label: "change the target date"
    body_title: str  # the body that decides: "Cabinet"
    summary: str  # one line for the queue: "From in progress to complete"
    changes: tuple[str, ...]  # pending: what approving it would change, in sentences
    asked: str  # "Owen Marsh, the action's owner, asked to ..."
    outcome: str  # closed: "This request was approved by ..."; '' while pending
    result: str  # closed: what it did to the action; '' while pending


def describe(workflow: Workflow, request: RequestView) -> RequestWording:
    transition = workflow.transition(request.transition)
    body_title = workflow.body_title(request.body)
    words = _Words(workflow)
    if request.status is RequestStatus.PENDING:
        # What approving it now would do: from the action as it is.
        asked = Change(
            from_state=request.state,
            to_state=transition.destination_from(request.state),
            target_from=request.target_date if request.new_target_date else None,
            target_to=request.new_target_date,
        )
        return RequestWording(
            label=transition.label,
            body_title=body_title,
            summary=words.summary(asked),
            changes=words.changes(asked),
            asked=words.asked(request, transition.label, asked),
            outcome="",
            result="",
        )
    status = _STATUS_WORDS[request.status]
    record = request.record
    if record is None or record.closing is None:
        # Without its record (a list's row) a closed request says only what is certain: the
        # action today is no guide to what was asked or done.
        at = f" at {moment(request.closed_at)}" if request.closed_at else ""
        return RequestWording(
            label=transition.label,
            body_title=body_title,
            summary=status.capitalize(),
            changes=(),
            asked=f"{request.requester} asked to {transition.label}.",
            outcome=f"This request was {status}{at}.",
            result="",
        )
    return RequestWording(
        label=transition.label,
        body_title=body_title,
        summary=words.closed_summary(status, record.asked),
        changes=(),
        asked=words.asked(request, transition.label, record.asked),
        outcome=words.outcome(request, record.closing, body_title),
        result=words.result(record.closing, record.asked),
    )


class _Words:
    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow

    def state(self, name: str | None) -> str:
        known = self.workflow.states.get(name or "")
        return known.label.lower() if known else (name or "").replace("_", " ")

    def changes(self, change: Change) -> tuple[str, ...]:
        sentences = []
        if change.moves:
            sentences.append(
                f"The action goes from {self.state(change.from_state)} "
                f"to {self.state(change.to_state)}."
            )
        if change.new_date:
            sentences.append(_pending_date(change.target_from, change.target_to))
        return tuple(sentences) or (f"The action stays {self.state(change.from_state)}.",)

    def summary(self, change: Change) -> str:
        parts = []
        if change.moves:
            parts.append(f"from {self.state(change.from_state)} to {self.state(change.to_state)}")
        if change.new_date:
            before = short_date(change.target_from) if change.target_from else "none"
            parts.append(f"target date from {before} to {short_date(change.target_to)}")
        text = "; ".join(parts) or f"stays {self.state(change.from_state)}"
        return text[:1].upper() + text[1:]

    def closed_summary(self, status: str, asked: Change) -> str:
        asked_for = self.summary(asked)
        return f"{status.capitalize()}. Asked for: {asked_for[:1].lower()}{asked_for[1:]}"

    def asked(self, request: RequestView, label: str, change: Change) -> str:
        who = request.requester
        if request.owner_id is not None and request.requester_id == request.owner_id:
            who = f"{who}, the action's owner,"
        sentence = f"{who} asked to {label}"
        if change.new_date:
            before = long_date(change.target_from) if change.target_from else "no date"
            sentence += f" from {before} to {long_date(change.target_to)}"
        if change.moves:
            sentence += f" (from {self.state(change.from_state)} to {self.state(change.to_state)})"
        return f"{sentence}."

    def outcome(self, request: RequestView, closing: Closing, body_title: str) -> str:
        at = moment(closing.at)
        if closing.status is RequestStatus.APPROVED:
            approvers = [d for d in request.decisions if d.verdict is Verdict.APPROVE]
            names = _and([_decider(d) for d in approvers]) or closing.by or "a member"
            return f"This request was approved by {names} ({body_title}) at {at}."
        if closing.status is RequestStatus.REJECTED:
            rejecter = next((d for d in request.decisions if d.verdict is Verdict.REJECT), None)
            name = _decider(rejecter) if rejecter else closing.by or "a member"
            said = f', saying: "{closing.comment}"' if closing.comment else ""
            return f"This request was rejected by {name} ({body_title}) at {at}{said}."
        if closing.status is RequestStatus.WITHDRAWN:
            who = closing.by or request.requester
            return (
                f"This request was withdrawn by {who}, who had asked for it, at {at}, "
                f"before {body_title} decided on it."
            )
        # Superseded: an approval came when the action had moved on.
        moved = (
            f"the action was {self.state(closing.stayed_state)}"
            if closing.stayed_state
            else "the action had moved on"
        )
        who = f"when {closing.by} approved it, " if closing.by else ""
        return (
            f"This request was closed without a change at {at}: {who}{moved}, "
            "so the change could no longer be made."
        )

    def result(self, closing: Closing, asked: Change) -> str:
        if closing.made is not None:
            sentences = []
            made = closing.made
            if made.moves:
                sentences.append(
                    f"The action went from {self.state(made.from_state)} "
                    f"to {self.state(made.to_state)}."
                )
            if made.new_date:
                sentences.append(_made_date(made.target_from, made.target_to))
            return " ".join(sentences) or "The change was made."
        if closing.stayed_state is None:
            stayed = "Nothing changed: the action stayed as it was"
        else:
            stayed = f"Nothing changed: the action stayed {self.state(closing.stayed_state)}"
        if asked.new_date:
            kept = long_date(closing.stayed_target) if closing.stayed_target else "none"
            stayed += f", and its target date stayed {kept}"
        return f"{stayed}."


_STATUS_WORDS = {
    RequestStatus.PENDING: "waiting for a decision",
    RequestStatus.APPROVED: "approved",
    RequestStatus.REJECTED: "rejected",
    RequestStatus.WITHDRAWN: "withdrawn",
    RequestStatus.SUPERSEDED: "closed without a change",
}


def _pending_date(before: date | None, after: date | None) -> str:
    if before is None:
        return f"The action has no target date; it gets {long_date(after)}."
    return f"The target date changes from {long_date(before)} to {long_date(after)}."


def _made_date(before: date | None, after: date | None) -> str:
    if before is None:
        return f"The action, which had no target date, was given {long_date(after)}."
    return f"The target date changed from {long_date(before)} to {long_date(after)}."


def _decider(decision: DecisionView) -> str:
    if decision.on_behalf_of:
        return f"{decision.name} as deputy for {decision.on_behalf_of}"
    return decision.name


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
