"""Signed audit checkpoints: the chain's head written down somewhere outside the database.

A checkpoint records, at a moment, how many events the audit log held and the hash of the
newest, signed with the audit key. Kept where the database's administrators cannot rewrite it
(the audit committee chair's mailbox, a write-once bucket, another server), it later proves
that nothing at or before that event was changed or removed, even by someone who could rewrite
the whole database and recompute every hash. The signature stops anyone without the key from
passing off a checkpoint they made up.

A checkpoint is a small JSON document. In an email it sits between two marker lines, and a
file holding the whole email's text reads as well as the bare JSON.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from improveflow import exceptions
from improveflow.audit_key import AuditKey
from improveflow.calendar import as_london
from improveflow.notify.wording import long_date

FORMAT = "improveflow-audit-checkpoint/1"
BEGIN = "-----BEGIN IMPROVEFLOW AUDIT CHECKPOINT-----"
END = "-----END IMPROVEFLOW AUDIT CHECKPOINT-----"
_BLOCK = re.compile(re.escape(BEGIN) + r"(.*?)" + re.escape(END), re.DOTALL)
_HASH = re.compile(r"[0-9a-f]{64}")
_FIELDS = ("format", "seq", "events", "head_hash", "made_at", "key_id", "signature")


@dataclass(frozen=True)
class Checkpoint:
    """The audit log's head at `made_at`, as signed; `source` says where it was read from."""

    seq: int
    events: int
    head_hash: str
    made_at: datetime
    key_id: str
    signature: str
    source: str = ""

    def fields(self) -> dict[str, Any]:
        """The JSON document, in reading order (the signature covers all but itself)."""
        return {
            "format": FORMAT,
            "seq": self.seq,
            "events": self.events,
            "head_hash": self.head_hash,
            "made_at": as_london(self.made_at).isoformat(timespec="seconds"),
            "key_id": self.key_id,
            "signature": self.signature,
        }

    def to_json(self) -> str:
        return json.dumps(self.fields(), indent=2) + "\n"

    def as_block(self) -> str:
        """The JSON between marker lines, for an email someone may save as text."""
        return f"{BEGIN}\n{self.to_json()}{END}\n"

    def describe(self) -> str:
        """'the checkpoint of Monday 2 June 2014 at 10:00 (daily.json)'."""
        where = f" ({self.source})" if self.source else ""
        return f"the checkpoint of {moment_text(self.made_at)}{where}"


def moment_text(moment: datetime) -> str:
    """'Monday 2 June 2014 at 10:00', London time."""
    local = as_london(moment)
    return f"{long_date(local.date())} at {local:%H:%M}"


def _signed_body(document: dict[str, Any]) -> bytes:
    unsigned = {name: value for name, value in document.items() if name != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode("utf-8")


def make(key: AuditKey, *, seq: int, head_hash: str, made_at: datetime) -> Checkpoint:
    """A checkpoint of a chain whose newest event is `seq` with hash `head_hash`."""
    if made_at.tzinfo is None:
        raise ValueError("a checkpoint's time must carry its time zone")
    made_at = made_at.astimezone(UTC).replace(microsecond=0)
    unsigned = Checkpoint(
        seq=seq, events=seq, head_hash=head_hash, made_at=made_at, key_id=key.key_id, signature=""
    )
    signature = key.checkpoint_signature(_signed_body(unsigned.fields()))
    return Checkpoint(
        seq=seq,
        events=seq,
        head_hash=head_hash,
        made_at=made_at,
        key_id=key.key_id,
        signature=signature,
    )


def parse(text: str, key: AuditKey, *, source: str) -> Checkpoint:
    """The checkpoint in `text` (bare JSON, or an email's text holding the marked block).

    Raises CheckpointInvalid, naming `source`, unless the document is whole and its signature
    was made with `key`.
    """
    block = _BLOCK.search(text)
    try:
        document = json.loads(block.group(1) if block else text)
    except json.JSONDecodeError:
        raise _refusal(
            source,
            "this is not an audit checkpoint: it holds no checkpoint JSON "
            f"(nor the lines between {BEGIN} and {END})",
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _refusal(source, f"this is not an audit checkpoint (its format is not {FORMAT})")
    missing = [name for name in _FIELDS if name not in document]
    if missing:
        raise _refusal(source, f"the checkpoint is incomplete: {', '.join(missing)} missing")
    extra = sorted(set(document) - set(_FIELDS))
    if extra:
        raise _refusal(source, f"the checkpoint has fields it should not: {', '.join(extra)}")
    signature = document["signature"]
    expected = key.checkpoint_signature(_signed_body(document))
    if not isinstance(signature, str) or not hmac.compare_digest(signature, expected):
        if document["key_id"] != key.key_id:
            raise _refusal(
                source,
                "its signature does not match: it was edited, or it was signed with another "
                f"audit key (it names key {document['key_id']}; IMPROVEFLOW_AUDIT_KEY here is "
                f"key {key.key_id}). It proves nothing",
            )
        raise _refusal(
            source,
            "its signature does not match: the checkpoint was edited after it was made, or "
            "made up by someone without IMPROVEFLOW_AUDIT_KEY. It proves nothing",
        )
    return _checked(document, source)


def _refusal(source: str, problem: str) -> exceptions.CheckpointInvalid:
    return exceptions.CheckpointInvalid(f"{source}: {problem}")


def _checked(document: dict[str, Any], source: str) -> Checkpoint:
    """The signed document's values, each of the type it must be."""
    seq, events, head_hash = document["seq"], document["events"], document["head_hash"]
    # Signed by an installation holding the key, so these hold unless its writer was wrong;
    # checked anyway, so a bad value is named here rather than failing obscurely later.
    if not (type(seq) is int and type(events) is int and 0 <= seq == events):
        raise _refusal(
            source, f"its sequence number ({seq!r}) and event count ({events!r}) disagree"
        )
    if not (isinstance(head_hash, str) and _HASH.fullmatch(head_hash)):
        raise _refusal(source, f"its head hash {head_hash!r} is not a SHA-256 hash")
    try:
        made_at = datetime.fromisoformat(str(document["made_at"]))
    except ValueError:
        raise _refusal(source, f"its time {document['made_at']!r} is not a date and time") from None
    if made_at.tzinfo is None:
        raise _refusal(source, f"its time {document['made_at']!r} has no time zone")
    return Checkpoint(
        seq=seq,
        events=events,
        head_hash=head_hash,
        made_at=made_at.astimezone(UTC),
        key_id=str(document["key_id"]),
        signature=str(document["signature"]),
        source=source,
    )
