"""Real receivers for the outbox's tests: an HTTP server taking webhooks and an SMTP server taking mail.

Both listen on 127.0.0.1 in this process and record what reached them, so a test can tell what a real
receiver would have seen: every request, and which of them it accepted.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    answer: str  # "ok", "fail" (a 500) or "hang" (no answer before the sender's timeout)

    @property
    def message_id(self) -> str:
        return self.headers.get("x-custody-ledger-message-id", "")


class WebhookReceiver:
    """Answers each request as the next entry of `script` says ("ok", "fail", "hang"), then "ok" forever."""

    def __init__(self, hang_seconds: float = 3.0) -> None:
        self.script: list[str] = []
        self.requests: list[Request] = []
        self.hang_seconds = hang_seconds
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"

    @property
    def accepted(self) -> list[Request]:
        return [r for r in self.requests if r.answer == "ok"]

    def _next(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _answer(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else "ok"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                answer = receiver._answer()
                receiver._next(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body, answer))
                if answer == "hang":
                    receiver._closing.wait(receiver.hang_seconds)
                try:
                    self.send_response(500 if answer == "fail" else 200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up on a hung request and closed the connection
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator[WebhookReceiver]:
        thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._closing.set()
            self._server.shutdown()
            self._server.server_close()


@dataclass(frozen=True)
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: Message


class _Recorder:
    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Mail]]]:
    """A real SMTP server (aiosmtpd) on a free port: its port and the mails it accepted."""
    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, recorder.mails
    finally:
        controller.stop()
