"""A real IMAP server for tests: Dovecot from Debian's packages, started on a loopback port
with a configuration, a password file and maildirs of its own, and stopped afterwards.

`dovecot_or_skip()` skips the test, saying why, only when the dovecot binary is absent
(install Debian's `dovecot-imapd`).
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from improveflow.testing.smtp import LOOPBACK, free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "replies@council.example"
PASSWORD = "a-mailbox-password"


def dovecot_or_skip() -> str:
    if not os.access(DOVECOT, os.X_OK):
        pytest.skip("Dovecot is not installed: apt-get install dovecot-imapd")
    return DOVECOT


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int
    user: str
    password: str

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        try:
            yield client
        finally:
            client.logout()

    def deliver(self, data: bytes, folder: str = "INBOX") -> None:
        """Put a message in a folder, as the council's mail system delivers one."""
        with self.client() as client:
            status, answer = client.append(folder, None, None, data)
            assert status == "OK", answer

    def count(self, folder: str) -> int:
        with self.client() as client:
            status, answer = client.select(folder, readonly=True)
            if status != "OK":
                return 0
            return int(answer[0] or 0)


def _oauth(oauth_conf: Path | None) -> str:
    if oauth_conf is None:
        return ""
    return f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {oauth_conf}
}}
"""


def _config(
    folder: Path, mail: Path, port: int, users: Path, oauth_conf: Path | None = None
) -> str:
    if os.geteuid() == 0:
        # Dovecot runs its login processes unprivileged and never reads mail as root.
        internal, login, mail_user = "dovecot", "dovenull", "dovecot"
        chroot = ""
    else:
        internal = login = mail_user = pwd.getpwuid(os.geteuid()).pw_name
        chroot = "  chroot =\n"
    return f"""
protocols = imap
listen = {LOOPBACK}
base_dir = {folder / "run"}
state_dir = {folder / "state"}
instance_name = improveflow-test-{port}
log_path = {folder / "dovecot.log"}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{mail}/%u
{_oauth(oauth_conf)}passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={mail}/%u
}}
service imap-login {{
{chroot}  inet_listener imap {{
    address = {LOOPBACK}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
{chroot}}}
"""


@contextmanager
def running_dovecot(folder: Path, *, introspection_url: str | None = None) -> Iterator[Dovecot]:
    """Dovecot on a free loopback port until the block ends. With `introspection_url`, it also
    takes XOAUTH2 logins, asking that URL (as Bearer) whether each token is active and whose."""
    binary = dovecot_or_skip()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    # Dovecot's unprivileged processes read the password file and the maildirs, which must be
    # reachable by them: pytest's private temporary folders are not.
    shared = Path(tempfile.mkdtemp(prefix="improveflow-dovecot-"))
    shared.chmod(0o755)
    mail = shared / "mail"
    mail.mkdir()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        os.chown(mail, owner.pw_uid, owner.pw_gid)
    users = shared / "users"
    users.write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    oauth_conf = None
    if introspection_url is not None:
        oauth_conf = shared / "oauth2.conf.ext"
        oauth_conf.write_text(
            "introspection_mode = auth\n"
            f"introspection_url = {introspection_url}\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
            "force_introspection = yes\n"
        )
    config = folder / "dovecot.conf"
    config.write_text(_config(folder, mail, port, users, oauth_conf))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = Dovecot(LOOPBACK, port, USER, PASSWORD)
    try:
        _wait(server, process, folder)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(shared, ignore_errors=True)


def _wait(server: Dovecot, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = folder / "dovecot.log"
            said = log.read_text() if log.exists() else ""
            raise AssertionError(f"Dovecot stopped: {said}")
        try:
            with server.client():
                return
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)
    raise AssertionError("Dovecot did not start")
