"""Real servers for the delivery tests: an SMTP server (aiosmtpd), a robot webhook
(http.server) and a Celery worker process. No mocks: the code under test talks
to them over sockets exactly as in production.
"""

from __future__ import annotations

import asyncio
import email
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        server = self.server
        with server.lock:
            server.data_count += 1
            number = server.data_count
        hold = server.hold.get(number)
        if hold == "before_accept":
            # The client has sent the whole message and waits for the reply; the
            # server has not taken it. If the client dies now, it is not taken.
            server.holding.set()
            while not server.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Aborted, please retry"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with server.lock:
            server.messages.append(message)
        if hold == "after_accept":
            # Taken (stored) but the "250" not yet sent: the window SMTP cannot
            # close. A client that dies now does not know it was delivered.
            server.holding.set()
            while not server.release.is_set():
                await asyncio.sleep(0.05)
        return "250 2.0.0 OK: queued"


class SmtpServer:
    """An in-process SMTP server that keeps what it receives.

    ``down()``/``up()`` stop and restart it on the same port (connections are
    refused meanwhile). ``hold[n] = "before_accept" | "after_accept"`` makes the
    n-th DATA wait until ``release`` is set, signalling ``holding``.
    """

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.data_count = 0
        self.hold: dict[int, str] = {}
        self.holding = threading.Event()
        self.release = threading.Event()
        self.controller: Controller | None = None

    def up(self) -> SmtpServer:
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port
        )
        self.controller.start()
        return self

    def down(self) -> None:
        if self.controller is not None:
            self.release.set()
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)

    def by_recipient(self) -> dict[str, list[EmailMessage]]:
        out: dict[str, list[EmailMessage]] = {}
        for message in self.received():
            out.setdefault(str(message["To"]), []).append(message)
        return out


class RobotServer:
    """A WeCom/DingTalk-like robot endpoint: records posts, answers ``errcode``."""

    def __init__(self):
        self.posts: list[dict] = []
        self.paths: list[str] = []
        self.errcode = 0
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                robot.posts.append(body)
                robot.paths.append(self.path)
                answer = json.dumps(
                    {
                        "errcode": robot.errcode,
                        "errmsg": "ok" if not robot.errcode else "x",
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RobotServer:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/cgi-bin/webhook/send?key=k"


class WebhookReceiver:
    """An external system's webhook endpoint on 127.0.0.1: records every POST
    (headers and raw body) and answers the next status of ``statuses`` (200
    once they are used up). With ``hold_first``, the first request is recorded
    (taken) but its answer waits until ``release`` is set, signalling
    ``holding``: the window in which a sender that dies does not know."""

    def __init__(self):
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.hold_first = False
        self.holding = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append((dict(self.headers.items()), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    hold = receiver.hold_first and len(receiver.requests) == 1
                if hold:
                    receiver.holding.set()
                    receiver.release.wait(60)
                answer = b"{}" if status < 300 else b'{"error": "try later"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the sender is gone (killed while waiting)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/hooks/portfolio"

    def received(self) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return list(self.requests)

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received()]


class Worker:
    """A real ``celery -A config.celery_app worker`` process of our own.

    Solo pool: one process, so SIGKILL takes the whole worker down with the
    task it is running (its message stays unacknowledged in Redis).
    """

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self.generation = 0

    def start(self, timeout: float = 60) -> Worker:
        self.generation += 1
        self.log_path = self.log_dir / f"worker-{self.generation}.log"
        log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop/kill)
        self._log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery_app",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"alerts-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(
            lambda: "ready." in self.log() or self.process.poll() is not None,
            timeout,
            "the worker to be ready",
        )
        assert self.process.poll() is None, self.log()
        return self

    def log(self) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def all_logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log"))
        )

    def succeeded(self, task_id: str) -> bool:
        return f"[{task_id}] succeeded" in self.all_logs()

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no chance to requeue or acknowledge."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        log = getattr(self, "_log", None)
        if log is not None and not log.closed:
            log.close()
