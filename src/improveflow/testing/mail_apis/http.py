"""A small HTTP/1.1 server on loopback, in threads, that a fake service answers through.

Each connection has a thread of its own, so concurrent requests really are concurrent (Graph's
limit per mailbox can be observed). Also: a self-signed certificate for 127.0.0.1, for servers
that must offer TLS before a login.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from improveflow.testing.smtp import LOOPBACK, free_port


@dataclass(frozen=True)
class Request:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class Answer:
    """What the fake says back."""

    status: int
    body: Any = None  # bytes as they are, anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)


class LoopbackHttpServer:
    """An HTTP server on 127.0.0.1; subclasses implement `answer`. A context manager."""

    def __init__(self, port: int | None = None) -> None:
        self.host = LOOPBACK
        self.port = port or free_port()
        self._lock = threading.Lock()
        # Notified after each request is answered; its own lock, so a waiter's check may read
        # what arrived (which takes `_lock`).
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def answer(self, request: Request) -> Answer:
        raise NotImplementedError

    def _tell_waiters(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_until(self, reached: Callable[[], bool], timeout: float) -> bool:
        """Block until `reached()` holds, checked after each request is answered, or until
        `timeout` seconds pass; whether it holds."""
        with self._changed:
            return self._changed.wait_for(reached, timeout)

    def start(self) -> None:
        if self._server is not None:
            return
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real services

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    self.path,
                    {name.lower(): value for name, value in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                answer = fake.answer(request)
                fake._tell_waiters()
                body = (
                    answer.body
                    if isinstance(answer.body, bytes)
                    else (b"" if answer.body is None else json.dumps(answer.body).encode())
                )
                self.send_response(answer.status)
                if body and "Content-Type" not in answer.headers:
                    self.send_header("Content-Type", "application/json")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the fake records what it got

        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        # A short poll, so that stopping (which waits for the loop to notice) is quick.
        thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="fake-http", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class MailApiServer(LoopbackHttpServer):
    """A loopback mail API (Graph, Notify): counts its answers by status and can hold the
    messages to an address (`stall`) until released; subclasses answer in `_answer`."""

    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.statuses: Counter[int] = Counter()  # every answer, by status
        self._refused: set[str] = set()
        self._stalled: dict[str, float] = {}
        self._released = threading.Condition(self._lock)  # a stall was lifted

    def stall(self, address: str, seconds: float) -> None:
        """Hold each message to `address` for `seconds` before taking it; 0 lets those held go."""
        with self._lock:
            self._stalled[address.lower()] = seconds
            self._released.notify_all()

    def _hold(self, address: str, seconds: float) -> None:
        """Wait `seconds`, or until the stall on `address` is lifted."""
        deadline = time.monotonic() + seconds
        with self._lock:
            while self._stalled.get(address, 0.0) > 0 and time.monotonic() < deadline:
                self._released.wait(deadline - time.monotonic())

    def answer(self, request: Request) -> Answer:
        answer = self._answer(request)
        with self._lock:
            self.statuses[answer.status] += 1
        return answer

    def _answer(self, request: Request) -> Answer:
        raise NotImplementedError


def loopback_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a new self-signed certificate for 127.0.0.1, and the
    certificate's file (for clients to trust, e.g. through SSL_CERT_FILE).

    Made with the openssl command; raises FileNotFoundError if it is not installed.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("the openssl command is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert)),
            *("-subj", f"/CN={LOOPBACK}", "-addext", f"subjectAltName=IP:{LOOPBACK}"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert
