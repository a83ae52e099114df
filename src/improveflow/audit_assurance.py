"""What a successful verification of the audit log proved, and what it could not, in words.

A chain that verifies is easy to over-read. These sentences say which events are covered by
what (a keyed hash, a plain hash, a checkpoint) and which tampering would still go unseen, so
whoever reads `improveflow audit verify` knows exactly how far to trust the log.
"""

from __future__ import annotations

from improveflow.audit import VerifyReport

KEY = "IMPROVEFLOW_AUDIT_KEY"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _span(first: int, last: int, *, capital: bool = True) -> str:
    """'Events #1 to #9' or 'Event #3'."""
    text = f"event #{first}" if first == last else f"events #{first} to #{last}"
    return _capital(text) if capital else text


def _verb(first: int, last: int, one: str, many: str) -> str:
    """The verb agreeing with `_span(first, last)`."""
    return one if first == last else many


def headline(report: VerifyReport) -> str:
    if report.events == 0:
        return "Audit log verified: it is empty."
    return (
        f"Audit log verified: {report.events} events (#1 to #{report.events}), "
        f"head {report.head_hash[:16]}…"
    )


def proved(report: VerifyReport) -> list[str]:
    """One sentence per thing the verification showed."""
    sentences = []
    last = report.events
    unkeyed = report.unkeyed_events
    if last == 0:
        sentences.append("The log holds no events, and its head says so.")
    if unkeyed:
        sentences.append(
            f"{_span(1, unkeyed)} {_verb(1, unkeyed, 'chains', 'chain together')}: each one's "
            "plain SHA-256 hash matches its contents and the event before it."
        )
    if report.keyed_from is not None:
        sentences.append(
            f"{_span(report.keyed_from, last)} {_verb(report.keyed_from, last, 'is', 'are')} "
            "as written, in place, with none missing between: each carries a hash keyed with "
            f"{KEY}, which nobody without the key can recompute after changing an event."
        )
    for checkpoint in report.checkpoints:
        if checkpoint.seq == 0:
            sentences.append(
                f"{_capital(checkpoint.describe())} has a valid signature; the log was empty "
                "then, so it protects nothing yet."
            )
            continue
        sentences.append(
            f"Nothing at or before #{checkpoint.seq} has been changed or gone missing since "
            f"{checkpoint.describe()}: its signature is valid, and event #{checkpoint.seq} "
            "still has the hash it recorded."
        )
    return sentences


def not_proved(report: VerifyReport) -> list[str]:
    """One sentence per kind of tampering this verification could not have seen."""
    sentences = []
    last = report.events
    newest = report.newest_checkpoint
    anchored = newest.seq if newest is not None else 0
    # Events at or before the newest checkpoint are protected by it, however they were hashed.
    unanchored_from = anchored + 1
    if unanchored_from <= report.unkeyed_events:
        unkeyed = _span(unanchored_from, report.unkeyed_events, capital=False)
        are = _verb(unanchored_from, report.unkeyed_events, "is", "are")
        if not report.key_set:
            sentences.append(
                f"{KEY} is not set, so {unkeyed} {are} unkeyed: anyone who can write to the "
                "database could edit one, recompute every hash after it and move the head, and "
                f"this check would still pass. Set {KEY} to key the events written from now "
                "on, and keep checkpoints outside the database."
            )
        else:
            sentence = (
                f"{_capital(unkeyed)} {are} unkeyed (written before {KEY} was set): anyone who "
                "can write to the database could edit one and recompute every hash after it, "
                "and this check would still pass."
            )
            if report.keyed_from is None:
                sentence += (
                    f" Anything recorded since {KEY} was set should be keyed, and nothing is: "
                    "check that every improveflow process has the key, or the log has been "
                    "rewritten without it."
                )
            sentences.append(sentence)
    if report.keyed_from is not None and last > anchored:
        rewritable = _span(max(report.keyed_from, unanchored_from), last, capital=False)
        sentences.append(
            f"A chain recomputed by someone holding {KEY}: they could have rewritten "
            f"{rewritable} and recomputed the hashes, since the key only shows that whoever "
            "wrote an event had it."
        )
    if newest is None:
        sentences.append(
            "Events removed from the end: someone who can write to the database could delete "
            "the newest events and move the head back, and this check would still pass."
        )
        sentences.append(
            "A signed checkpoint kept outside the database shows any of these for what was "
            "recorded before it was made: make one with "
            "'improveflow audit checkpoint' and check against it with "
            "'improveflow audit verify --checkpoint FILE'."
        )
    else:
        sentences.append(
            f"Events removed from the end after #{newest.seq}, where the newest checkpoint "
            "given ends: someone who can write to the database could delete later events and "
            "move the head back, and this check would still pass. A later checkpoint shows that."
        )
    return sentences
