"""The audit key's rules and the signed checkpoint's format: what is accepted, what refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from improveflow import audit_checkpoint, exceptions
from improveflow.audit_key import AuditKey
from improveflow.config import load_settings

AUDIT_KEY = "an-audit-key-for-tests-kept-apart-from-the-database"
HEAD = "3f" * 32
MADE_AT = datetime(2014, 6, 2, 9, 0, 30, 123456, tzinfo=UTC)  # 10:00 in London


def _checkpoint(key: AuditKey | None = None, seq: int = 15) -> audit_checkpoint.Checkpoint:
    return audit_checkpoint.make(
        key or AuditKey(AUDIT_KEY), seq=seq, head_hash=HEAD, made_at=MADE_AT
    )


def test_no_audit_key_means_unkeyed() -> None:
    """Unset or empty, there is no key: the demo and a fresh install need no set-up."""
    assert AuditKey.from_settings(load_settings()) is None
    assert AuditKey.from_settings(load_settings(audit_key="  ")) is None


def test_audit_key_may_not_be_the_link_secret() -> None:
    """The audit key is refused when it equals IMPROVEFLOW_SECRET_KEY, which signs links."""
    settings = load_settings(secret_key=AUDIT_KEY, audit_key=AUDIT_KEY)
    with pytest.raises(exceptions.ConfigurationError) as refused:
        AuditKey.from_settings(settings)
    assert str(refused.value).startswith(
        "IMPROVEFLOW_AUDIT_KEY must not be the same as IMPROVEFLOW_SECRET_KEY"
    )


def test_short_audit_key_is_refused() -> None:
    """A key short enough to guess is refused, with how to make a good one."""
    with pytest.raises(exceptions.ConfigurationError, match="at least 32 characters"):
        AuditKey.from_settings(load_settings(audit_key="too-short"))


def test_audit_key_is_never_shown() -> None:
    """Neither the settings nor the key object print the key itself."""
    settings = load_settings(audit_key=AUDIT_KEY)
    key = AuditKey.from_settings(settings)
    assert AUDIT_KEY not in repr(settings)
    assert AUDIT_KEY not in repr(key)


def test_checkpoint_reads_back_as_made() -> None:
    """A checkpoint's JSON, alone or inside the text of its email, reads back with its source."""
    made = _checkpoint()
    email_text = f"Dear Chair,\n\nPlease keep this.\n\n{made.as_block()}\n---\nWhy you got it.\n"
    for text in (made.to_json(), email_text):
        read = audit_checkpoint.parse(text, AuditKey(AUDIT_KEY), source="cp.json")
        assert (read.seq, read.events, read.head_hash) == (15, 15, HEAD)
        assert read.made_at == MADE_AT.replace(microsecond=0)
        assert read.describe() == "the checkpoint of Monday 2 June 2014 at 10:00 (cp.json)"
    document = json.loads(made.to_json())
    assert document["made_at"] == "2014-06-02T10:00:30+01:00"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 12),
        ("events", 12),
        ("head_hash", "00" * 32),
        ("made_at", "2014-06-09T10:00:30+01:00"),
    ],
)
def test_edited_checkpoint_is_refused(field: str, value: object) -> None:
    """Changing any field of a signed checkpoint breaks its signature: it proves nothing."""
    document = json.loads(_checkpoint().to_json())
    document[field] = value
    with pytest.raises(exceptions.CheckpointInvalid) as refused:
        audit_checkpoint.parse(json.dumps(document), AuditKey(AUDIT_KEY), source="cp.json")
    assert str(refused.value) == (
        "cp.json: its signature does not match: the checkpoint was edited after it was made, "
        "or made up by someone without IMPROVEFLOW_AUDIT_KEY. It proves nothing"
    )


def test_checkpoint_signed_with_another_key_is_refused() -> None:
    """A checkpoint made with some other key (a forger's own) is refused, naming both keys."""
    forger = AuditKey("a-key-the-attacker-made-up-themselves-00")
    forged = _checkpoint(forger).to_json()
    with pytest.raises(exceptions.CheckpointInvalid, match="signed with another audit key"):
        audit_checkpoint.parse(forged, AuditKey(AUDIT_KEY), source="forged.json")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Dear Chair, nothing here.", "it holds no checkpoint JSON"),
        ('{"format": "something-else"}', "this is not an audit checkpoint"),
        ('{"format": "improveflow-audit-checkpoint/1", "seq": 1}', "incomplete"),
    ],
)
def test_what_is_not_a_checkpoint_is_refused(text: str, problem: str) -> None:
    """Text that is not a whole checkpoint is refused, naming the file and what is wrong."""
    with pytest.raises(exceptions.CheckpointInvalid, match=f"^notes.txt: .*{problem}"):
        audit_checkpoint.parse(text, AuditKey(AUDIT_KEY), source="notes.txt")


def test_checkpoint_needs_an_aware_time() -> None:
    """A checkpoint made with a naive time is refused rather than guessed at."""
    with pytest.raises(ValueError, match="time zone"):
        audit_checkpoint.make(
            AuditKey(AUDIT_KEY), seq=1, head_hash=HEAD, made_at=datetime(2014, 6, 2, 9, 0)
        )
