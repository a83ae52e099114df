"""`improveflow audit verify` and `audit checkpoint`, run as the real command on SQLite and
PostgreSQL: what they catch, what they say they cannot see, and what they refuse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_runner import Cli

from improveflow.models import Verdict
from improveflow.services import approvals
from improveflow.services.context import Context
from improveflow.testing import (
    add_action,
    add_plan,
    add_sample_people,
    audit_tampering,
    make_context,
)
from improveflow.testing.smtp import CapturingSmtpServer

AUDIT_KEY = "an-audit-key-for-tests-kept-apart-from-the-database"
SECRET_KEY = "a-link-signing-secret-of-some-length"


def _fill(ctx: Context) -> None:
    """15 events; #13 is CMT's decision on the owner's request."""
    add_sample_people(ctx)
    plan_id = add_plan(ctx)
    for number in range(3):
        action_id = add_action(ctx, plan_id, f"Action {number}")
    opened = approvals.request_change(ctx, action_id, "approve", by_email="owen@council.example")
    assert opened.request_id is not None
    approvals.decide(ctx, opened.request_id, Verdict.APPROVE, by_email="dana@council.example")


def _cli(folder: Path, database_url: str, **settings: str) -> Cli:
    """The command on `database_url`, with exactly these audit settings and no others."""
    cli = Cli(folder)
    for name in list(cli.env):
        if name.startswith("IMPROVEFLOW_AUDIT_") or name == "IMPROVEFLOW_SECRET_KEY":
            del cli.env[name]
    cli.env["IMPROVEFLOW_DATABASE_URL"] = database_url
    cli.env.update({f"IMPROVEFLOW_{name.upper()}": value for name, value in settings.items()})
    return cli


@pytest.fixture
def keyed_log(database_url: str) -> Iterator[Context]:
    """A log of 15 events written with IMPROVEFLOW_AUDIT_KEY set."""
    context = make_context(database_url, audit_key=AUDIT_KEY)
    _fill(context)
    yield context
    context.close()


@pytest.fixture
def cli(tmp_path: Path, database_url: str, keyed_log: Context) -> Cli:
    return _cli(tmp_path, database_url, audit_key=AUDIT_KEY)


def test_rechained_log_fails_naming_the_edited_event(cli: Cli, keyed_log: Context) -> None:
    """Trigger dropped, CMT's decision edited, every later hash recomputed without the key,
    head moved, trigger recreated: `audit verify` fails and names the decision."""
    with keyed_log.database.engine.begin() as conn:
        audit_tampering.rechain(conn, seq=13, comment="Rubber-stamped")
    broken = cli("audit", "verify", expect=1)
    assert broken.out == ""
    assert broken.err.startswith("Error: The audit log does not verify: audit event ")
    assert "(#13, 'decision' at " in broken.err
    assert (
        "its keyed hash does not match: its contents were changed after writing (and the chain "
        "recomputed by someone without the audit key)"
    ) in broken.err


def test_truncation_is_explained_alone_and_caught_against_a_checkpoint(
    cli: Cli, keyed_log: Context
) -> None:
    """Without a checkpoint, verify passes a truncated log but says it cannot see truncation;
    with the checkpoint taken before, it fails naming the events removed."""
    made = cli("audit", "checkpoint", "--output", "checkpoint.json")
    assert made.out.startswith("Checkpoint of the audit log at #15 (15 events, head ")
    assert made.out.rstrip().endswith("signed, written to checkpoint.json.")
    with keyed_log.database.engine.begin() as conn:
        audit_tampering.truncate(conn, keep=12)

    alone = cli("audit", "verify").out
    assert alone.startswith("Audit log verified: 12 events (#1 to #12), head ")
    assert "What this proves:\n  - Events #1 to #12 are as written, in place" in alone
    assert (
        "What it cannot prove:\n"
        "  - A chain recomputed by someone holding IMPROVEFLOW_AUDIT_KEY: they could have "
        "rewritten events #1 to #12"
    ) in alone
    assert (
        "  - Events removed from the end: someone who can write to the database could delete "
        "the newest events and move the head back, and this check would still pass.\n"
    ) in alone

    caught = cli("audit", "verify", "--checkpoint", "checkpoint.json", expect=1)
    assert caught.err.startswith("Error: The audit log does not verify: the checkpoint of ")
    assert (
        "(checkpoint.json) records 15 events, up to #15, but the log now ends at #12: events "
        "#13 to #15 have been removed from the end"
    ) in caught.err


def test_checkpoint_on_standard_output_verifies_and_an_edited_copy_is_refused(
    cli: Cli, keyed_log: Context
) -> None:
    """`audit checkpoint` prints signed JSON; verify vouches for it in words, and refuses a copy
    edited to match a shorter log."""
    printed = cli("audit", "checkpoint").out
    document = json.loads(printed)
    assert (document["seq"], document["events"]) == (15, 15)
    (cli.folder / "daily.json").write_text(printed, encoding="utf-8")
    document["seq"] = document["events"] = 12
    (cli.folder / "edited.json").write_text(json.dumps(document), encoding="utf-8")

    good = cli("audit", "verify", "--checkpoint", "daily.json").out
    assert (
        "  - Nothing at or before #15 has been changed or gone missing since the checkpoint" in good
    )
    assert (
        "(daily.json): its signature is valid, and event #15 still has the hash it recorded."
        in good
    )
    assert (
        "  - Events removed from the end after #15, where the newest checkpoint given ends" in good
    )

    refused = cli("audit", "verify", "--checkpoint", "daily.json", "--checkpoint", "edited.json",
                  expect=1)  # fmt: skip
    assert refused.err == (
        "Error: edited.json: its signature does not match: the checkpoint was edited after it "
        "was made, or made up by someone without IMPROVEFLOW_AUDIT_KEY. It proves nothing\n"
    )
    assert cli("audit", "checkpoint", "--output", "daily.json", expect=1).err == (
        "Error: daily.json already exists: checkpoints are never overwritten, so choose "
        "another name\n"
    )


def test_keyed_log_without_the_key_is_not_called_verified(
    tmp_path: Path, database_url: str, keyed_log: Context
) -> None:
    """Run without IMPROVEFLOW_AUDIT_KEY, verify refuses in a sentence and claims nothing."""
    refused = _cli(tmp_path, database_url)("audit", "verify", expect=1)
    assert refused.out == ""
    assert refused.err == (
        "Error: The audit log's events from #1 on are keyed with IMPROVEFLOW_AUDIT_KEY, which "
        "is not set here, so they cannot be checked and nothing has been verified: set "
        "IMPROVEFLOW_AUDIT_KEY to this installation's audit key and verify again\n"
    )


def test_audit_key_equal_to_the_link_secret_is_refused(
    tmp_path: Path, database_url: str, keyed_log: Context
) -> None:
    """An audit key equal to IMPROVEFLOW_SECRET_KEY is refused before anything runs."""
    cli = _cli(tmp_path, database_url, audit_key=AUDIT_KEY, secret_key=AUDIT_KEY)
    refused = cli("audit", "verify", expect=1)
    assert refused.err.startswith(
        "Error: IMPROVEFLOW_AUDIT_KEY must not be the same as IMPROVEFLOW_SECRET_KEY"
    )


def test_without_a_key_verify_says_what_it_cannot_protect(
    tmp_path: Path, database_url: str
) -> None:
    """With no set-up the log is unkeyed: verify passes and says plainly what that leaves
    open; a checkpoint cannot be made."""
    context = make_context(database_url)
    try:
        _fill(context)
    finally:
        context.close()
    cli = _cli(tmp_path, database_url)
    said = cli("audit", "verify").out
    assert said.startswith("Audit log verified: 15 events (#1 to #15), head ")
    assert (
        "  - Events #1 to #15 chain together: each one's plain SHA-256 hash matches its "
        "contents and the event before it.\n"
    ) in said
    assert (
        "  - IMPROVEFLOW_AUDIT_KEY is not set, so events #1 to #15 are unkeyed: anyone who can "
        "write to the database could edit one, recompute every hash after it and move the "
        "head, and this check would still pass."
    ) in said
    assert json.loads(cli("audit", "verify", "--json").out)["key_set"] is False
    assert cli("audit", "checkpoint", expect=1).err == (
        "Error: IMPROVEFLOW_AUDIT_KEY must be set to make a checkpoint: checkpoints are signed "
        "with it\n"
    )


def test_checkpoint_by_email_reaches_the_chair(
    tmp_path: Path, database_url: str, keyed_log: Context
) -> None:
    """`audit checkpoint --email` queues it for the configured address; `outbox send` delivers
    it to a real SMTP server, and the email's text verifies as a checkpoint."""
    with CapturingSmtpServer() as smtp:
        cli = _cli(
            tmp_path, database_url, audit_key=AUDIT_KEY, secret_key=SECRET_KEY,
            audit_checkpoint_email="Cllr Jo Baird <jo.baird@council.example>",
            smtp_host=smtp.host, smtp_port=str(smtp.port),
            smtp_from="improvement-plans@council.example",
        )  # fmt: skip
        queued = cli("audit", "checkpoint", "--email").out
        assert "signed, queued for jo.baird@council.example: it goes with the next" in queued
        cli("outbox", "send")
        [received] = smtp.to("jo.baird@council.example")
    text = received.message.get_body(preferencelist=("plain",))
    assert text is not None
    (tmp_path / "saved-email.txt").write_text(str(text.get_content()), encoding="utf-8")
    verified = cli("audit", "verify", "--checkpoint", "saved-email.txt").out
    assert "Nothing at or before #15 has been changed or gone missing since" in verified
