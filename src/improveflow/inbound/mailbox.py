"""`improveflow inbound poll`: read a shared mailbox over IMAP, hand each message to a
handler, and move what was handled to a folder of its own.

Logs in with a password or, without one, with the OAuth client improveflow sends with
(XOAUTH2, the token's user being the mailbox). A message stays in the inbox when its handler
fails (the database down, say), so the next poll reads it again; the replies service counts a
Message-ID once, so reading a message twice records it once. A message larger than the limit
is not downloaded: its handler gets its headers and its size, enough to answer the sender.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["MailboxLogin", "PollReport", "poll_mailbox"]

log = logging.getLogger(__name__)

# Messages read in one poll; the rest wait for the next.
PER_POLL = 200


@dataclass(frozen=True)
class MailboxLogin:
    """Where the shared mailbox is and how to log in: `password`, or else `token` (a function
    giving an OAuth access token) for XOAUTH2."""

    host: str
    port: int
    username: str
    tls: bool = True
    password: str | None = None
    token: Callable[[], str] | None = None
    timeout_s: float = 30.0
    tls_context: ssl.SSLContext | None = None


@dataclass
class PollReport:
    """What one poll did: messages handled and moved, and those left for the next poll."""

    handled: int = 0
    left: int = 0
    errors: list[str] = field(default_factory=list)


class MailboxError(Exception):
    """The mailbox could not be reached, logged in to, or opened; the message says which."""


def poll_mailbox(
    login: MailboxLogin,
    handle: Callable[[bytes, int], object],
    *,
    folder: str = "INBOX",
    done_folder: str = "improveflow-handled",
    max_bytes: int | None = None,
) -> PollReport:
    """Hand every message in `folder` to `handle` with its size, moving each handled one to
    `done_folder`. A message over `max_bytes` is handed over as its headers alone."""
    report = PollReport()
    client = _connect(login)
    try:
        _log_in(client, login)
        _ensure_folder(client, done_folder)
        status, _ = client.select(_quoted(folder))
        if status != "OK":
            raise MailboxError(f"The folder {folder!r} could not be opened")
        status, found = client.uid("SEARCH", "ALL")
        listed = found[0] if status == "OK" and found and found[0] else b""
        uids = [uid.decode("ascii") for uid in bytes(listed).split()]
        moves = "MOVE" in _capabilities(client)
        sizes = _sizes(client, uids[:PER_POLL]) if max_bytes is not None and uids else {}
        for uid in uids[:PER_POLL]:
            size = sizes.get(uid)
            whole = max_bytes is None or size is None or size <= max_bytes
            data = _fetch(client, uid, "BODY.PEEK[]" if whole else "BODY.PEEK[HEADER]")
            if data is None:
                report.left += 1
                continue
            try:
                handle(data, len(data) if size is None else size)
            except Exception as error:
                # Left where it is, for the next poll; the rest of this one still runs.
                log.exception("could not handle message %s", uid)
                report.errors.append(f"message {uid}: {error}")
                report.left += 1
                continue
            _move(client, uid, done_folder, moves=moves)
            report.handled += 1
        report.left += max(0, len(uids) - PER_POLL)
        client.expunge()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return report


def _connect(login: MailboxLogin) -> imaplib.IMAP4:
    try:
        if login.tls:
            return imaplib.IMAP4_SSL(
                login.host,
                login.port,
                ssl_context=login.tls_context or ssl.create_default_context(),
                timeout=login.timeout_s,
            )
        return imaplib.IMAP4(login.host, login.port, timeout=login.timeout_s)
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(
            f"Could not connect to the mailbox's server {login.host}:{login.port}: {error}"
        ) from error


def _log_in(client: imaplib.IMAP4, login: MailboxLogin) -> None:
    try:
        if login.password is not None:
            client.login(login.username, login.password)
            return
        if login.token is None:
            raise MailboxError(
                "Set IMPROVEFLOW_IMAP_PASSWORD, or the OAuth settings, to log in to the mailbox"
            )
        token = login.token()
        proof = f"user={login.username}\x01auth=Bearer {token}\x01\x01".encode()
        client.authenticate("XOAUTH2", lambda _: proof)
    except imaplib.IMAP4.error as error:
        raise MailboxError(
            f"The mailbox's server refused the login for {login.username}: {_said(error)}"
        ) from error


def _ensure_folder(client: imaplib.IMAP4, name: str) -> None:
    status, _ = client.create(_quoted(name))
    if status != "OK":  # most often: it exists already
        status, listed = client.list('""', _quoted(name))
        if status != "OK" or not listed or listed[0] is None:
            raise MailboxError(f"The folder {name!r} does not exist and could not be made")


def _capabilities(client: imaplib.IMAP4) -> set[str]:
    """What the server offers once logged in (it may offer more than before)."""
    status, found = client.capability()
    if status != "OK" or not found or not found[-1]:
        return {str(c).upper() for c in client.capabilities}
    return {word.upper() for word in bytes(found[-1]).decode("ascii", "replace").split()}


_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


def _sizes(client: imaplib.IMAP4, uids: list[str]) -> dict[str, int]:
    """Each message's size as the server states it, in one request; those it does not state
    are fetched whole, as before."""
    status, parts = client.uid("FETCH", ",".join(uids), "(RFC822.SIZE)")
    if status != "OK":
        return {}
    sizes = {}
    for part in parts:
        line = part[0] if isinstance(part, tuple) else part
        if not isinstance(line, bytes):
            continue
        uid, size = _UID.search(line), _SIZE.search(line)
        if uid and size:
            sizes[uid.group(1).decode("ascii")] = int(size.group(1))
    return sizes


def _fetch(client: imaplib.IMAP4, uid: str, what: str) -> bytes | None:
    status, parts = client.uid("FETCH", uid, f"({what})")
    if status != "OK":
        return None
    for part in parts:
        if isinstance(part, tuple) and len(part) == 2:
            return bytes(part[1])
    return None


def _move(client: imaplib.IMAP4, uid: str, folder: str, *, moves: bool) -> None:
    if moves:
        status, answer = client.uid("MOVE", uid, _quoted(folder))
        if status == "OK":
            return
    status, answer = client.uid("COPY", uid, _quoted(folder))
    if status != "OK":
        raise MailboxError(f"Could not move a handled message to {folder!r}: {answer!r}")
    client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")


_ATOM = re.compile(r"^[A-Za-z0-9._/-]+$")


def _quoted(name: str) -> str:
    if _ATOM.match(name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(error: BaseException) -> str:
    text = error.args[0] if error.args else error
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)
