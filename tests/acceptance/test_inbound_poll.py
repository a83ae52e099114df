"""`improveflow inbound poll` end to end against a real IMAP server (Dovecot, started by the
test): replies delivered to the shared mailbox are recorded and moved to the handled folder;
an out-of-office is moved too but never answered; the same message delivered twice counts
once; a wrong password is a clear refusal that leaves the mailbox untouched."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from improveflow.inbound.mailbox import MailboxLogin, poll_mailbox
from improveflow.testing.mail_apis.http import Answer, LoopbackHttpServer, Request
from improveflow.testing.mail_apis.tokens import SMTP_AUDIENCE, TokenEndpoint, Verdict
from improveflow.testing.smtp import CapturingSmtpServer
from tests.dovecot_server import Dovecot, running_dovecot
from tests.reply_council import (
    OWEN,
    RepliesCouncil,
    action_page,
    answers,
    command_env,
    kept_replies,
    mail_council,
    progress_of,
    reminder_reply_to,
    requests_of,
)
from tests.reply_mail import gmail_reply, outlook_reply

BASE = "http://testserver"
HANDLED = "improveflow-handled"


@pytest.fixture
def smtp() -> Iterator[CapturingSmtpServer]:
    with CapturingSmtpServer() as server:
        yield server


@pytest.fixture
def council(database_url: str, smtp: CapturingSmtpServer) -> Iterator[RepliesCouncil]:
    made = mail_council(database_url, smtp, BASE)
    yield made
    made.ctx.close()


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    with running_dovecot(tmp_path / "dovecot") as server:
        yield server


def _poll(
    council: RepliesCouncil,
    dovecot: Dovecot,
    tmp_path: Path,
    *,
    password: str | None = None,
    **login: str,
) -> subprocess.CompletedProcess[str]:
    """`improveflow inbound poll` once; logging in with `login` when given, else a password."""
    env = command_env(
        council,
        IMPROVEFLOW_IMAP_HOST=dovecot.host,
        IMPROVEFLOW_IMAP_PORT=str(dovecot.port),
        IMPROVEFLOW_IMAP_TLS="false",
        IMPROVEFLOW_IMAP_USERNAME=dovecot.user,
        **(login or {"IMPROVEFLOW_IMAP_PASSWORD": password or dovecot.password}),
    )
    return subprocess.run(
        [sys.executable, "-m", "improveflow", "inbound", "poll"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_replies_in_the_shared_mailbox_are_recorded_and_moved(
    council: RepliesCouncil,
    smtp: CapturingSmtpServer,
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    """An Outlook reply (rated amber) and a Gmail one (DONE), the Gmail one delivered twice,
    and an out-of-office: all four leave the inbox for the handled folder; the page shows the
    two updates, the rating and the completion request; nothing is answered."""
    ctx = council.ctx
    reply_to = reminder_reply_to(council, smtp)
    dovecot.deliver(bytes(outlook_reply("RAG AMBER\nScaffolding is up.", to=reply_to)))
    done = bytes(gmail_reply("DONE\nAll repairs finished.", to=reply_to))
    dovecot.deliver(done)
    dovecot.deliver(done)
    away = outlook_reply(
        "I am out of the office until Monday.",
        to=reply_to,
        message_id="<OOF-1@council.example>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    away.replace_header("Subject", "Automatic reply: Reminder")
    dovecot.deliver(bytes(away))

    polled = _poll(council, dovecot, tmp_path)
    assert polled.returncode == 0, polled.stdout + polled.stderr
    assert "4 handled, 0 left for the next poll" in polled.stdout
    assert dovecot.count("INBOX") == 0
    assert dovecot.count(HANDLED) == 4

    assert sorted(kept.outcome for kept in kept_replies(ctx)) == [
        "ignored",
        "recorded",
        "recorded",
    ]
    assert progress_of(ctx, council.action_id) == [
        ("Scaffolding is up.", "amber"),
        ("All repairs finished.", None),
    ]
    assert requests_of(ctx, council.action_id) == [("complete", "pending", None)]
    assert answers(ctx) == []
    page = action_page(ctx, council.action_id, council.person_id(OWEN))
    assert "Scaffolding is up." in page
    assert "Waiting for a decision" in page

    again = _poll(council, dovecot, tmp_path)
    assert "0 handled" in again.stdout


def test_a_refused_login_leaves_the_mailbox_untouched(
    council: RepliesCouncil, dovecot: Dovecot, tmp_path: Path
) -> None:
    """A wrong password is refused with the mailbox named; the reply waits in the inbox."""
    dovecot.deliver(bytes(gmail_reply("News", to="improvement+x@council.example")))
    polled = _poll(council, dovecot, tmp_path, password="not-the-password")
    assert polled.returncode == 1
    assert "refused the login for replies@council.example" in polled.stderr
    assert dovecot.count("INBOX") == 1
    assert kept_replies(council.ctx) == []


class _Introspection(LoopbackHttpServer):
    """What Exchange Online does with a bearer token, for Dovecot to ask: active only when the
    token endpoint issued it for Exchange with IMAP.AccessAsApp granted."""

    def __init__(self, tokens: TokenEndpoint, mailbox: str) -> None:
        super().__init__()
        self.tokens, self.mailbox = tokens, mailbox
        self.asked = 0

    def answer(self, request: Request) -> Answer:
        self.asked += 1
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        verdict = self.tokens.verify(token, SMTP_AUDIENCE, "IMAP.AccessAsApp")
        active = "true" if verdict is Verdict.VALID else "false"
        return Answer(200, {"active": active, "username": self.mailbox})


def test_the_sending_oauth_client_logs_in_with_xoauth2(
    council: RepliesCouncil, smtp: CapturingSmtpServer, tmp_path: Path
) -> None:
    """Without a password, poll gets a token from the OAuth client that sends email and logs
    in with XOAUTH2; the server takes it (as Exchange would, IMAP.AccessAsApp granted) and the
    reply is recorded."""
    granted = {SMTP_AUDIENCE: ("SMTP.SendAsApp", "IMAP.AccessAsApp")}
    with (
        TokenEndpoint(roles=granted) as tokens,
        _Introspection(tokens, "replies@council.example") as introspection,
        running_dovecot(tmp_path / "dovecot", introspection_url=introspection.url) as dovecot,
    ):
        reply_to = reminder_reply_to(council, smtp)
        dovecot.deliver(bytes(gmail_reply("Tenders are in.", to=reply_to)))
        polled = _poll(
            council,
            dovecot,
            tmp_path,
            IMPROVEFLOW_OAUTH_TOKEN_URL=tokens.token_url,
            IMPROVEFLOW_OAUTH_CLIENT_ID=tokens.client_id,
            IMPROVEFLOW_OAUTH_CLIENT_SECRET=tokens.client_secret,
        )
        assert polled.returncode == 0, polled.stdout + polled.stderr
        assert tokens.issued == 1
        assert introspection.asked >= 1
    assert progress_of(council.ctx, council.action_id) == [("Tenders are in.", None)]


def test_a_reply_over_the_limit_is_answered_without_being_downloaded(
    council: RepliesCouncil, smtp: CapturingSmtpServer, dovecot: Dovecot, tmp_path: Path
) -> None:
    """A reply carrying a 2 MB photo, over a 50 kB limit: the mailbox is asked for its size
    and its headers only, never the photo; the sender is answered once that it was too large
    to read, and the message leaves the inbox."""
    reply_to = reminder_reply_to(council, smtp)
    message = gmail_reply("See the photo of the site.", to=reply_to)
    photo = b"\xff\xd8" + bytes(range(256)) * 8_000
    message.add_attachment(photo, maintype="image", subtype="jpeg", filename="site.jpg")
    dovecot.deliver(bytes(message))

    handed: list[tuple[bytes, int]] = []

    def keep_and_leave(data: bytes, size: int) -> None:
        handed.append((data, size))
        raise RuntimeError("left in the inbox for the command below")

    login = MailboxLogin(
        host=dovecot.host, port=dovecot.port, username=dovecot.user,
        password=dovecot.password, tls=False,
    )  # fmt: skip
    left = poll_mailbox(login, keep_and_leave, max_bytes=50_000)
    assert left.left == 1
    [(data, size)] = handed
    assert size >= len(bytes(message)) > 2_000_000
    assert len(data) < 5_000
    assert b"site.jpg" not in data
    assert b"Subject:" in data

    polled = _poll(
        council, dovecot, tmp_path,
        IMPROVEFLOW_IMAP_PASSWORD=dovecot.password, IMPROVEFLOW_REPLY_MAX_BYTES="50000",
    )  # fmt: skip
    assert polled.returncode == 0, polled.stdout + polled.stderr
    assert "1 handled, 0 left for the next poll" in polled.stdout
    assert dovecot.count("INBOX") == 0
    [kept] = kept_replies(council.ctx)
    assert kept.outcome == "refused"
    assert kept.reason is not None
    assert kept.reason.startswith("Your reply was too large to read (2.8 MB; at most 0.1 MB)")
    [answer] = answers(council.ctx)
    assert "Please reply again without attachments or pictures." in answer.context["reason"]
    assert progress_of(council.ctx, council.action_id) == []
