"""Real local receivers for delivery tests: an SMTP server (aiosmtpd) and an HTTP webhook endpoint."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from souk.notifications.signing import verify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a random port; `messages` holds what arrived."""

    def __init__(self):
        self.inbox = _Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def messages(self):
        return self.inbox.envelopes


@dataclass
class WebhookReceiver:
    """An operator's endpoint, done right: checks the signature and drops events it already processed.

    `script` is the list of statuses to answer, in order (then 200). With
    `crash_after_processing`, a 500 is answered AFTER the event was processed,
    the way a receiver that dies before replying looks to the sender.
    """

    secret: str
    script: list[int] = field(default_factory=list)
    crash_after_processing: bool = False
    requests: list[dict] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def __post_init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                signed = verify(receiver.secret, headers.get("souk-signature", ""), body)
                receiver.requests.append({"path": self.path, "headers": headers, "body": body, "signed": signed})
                if not signed:
                    return self._answer(400)
                status = receiver.script.pop(0) if receiver.script else 200
                if status >= 300 and not receiver.crash_after_processing:
                    return self._answer(status)
                event_id = headers["souk-event-id"]
                if event_id in receiver.processed:
                    receiver.duplicates.append(event_id)  # already done: acknowledge, do nothing
                else:
                    receiver.processed.append(event_id)
                self._answer(status)

            def _answer(self, status: int):
                payload = json.dumps({"ok": status < 300}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/souk"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
