"""A production-shaped stack of our own: a private PostgreSQL and gunicorn.

The fault tests restart PostgreSQL. The machine's cluster is shared (other
test runs, other databases), so they get a throwaway cluster instead: initdb
in a temporary directory, on a free port, loaded with the plan by the project's
own commands, and served by gunicorn with the production settings — the shape
``docker compose up`` runs. Restarting it disturbs nobody, so these tests can
run in every ``make test``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian's layout)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def missing() -> str | None:
    if postgres_bin() is None:
        return "PostgreSQL server binaries not found (apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start PostgreSQL"
    return None


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory (trust auth, user root)."""

    def __init__(self):
        self.bin = postgres_bin()
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="bz-hardening-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        # As root, the server runs as "postgres" (initdb refuses root).
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_owner, *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    @property
    def url(self) -> str:
        return f"postgres://root@127.0.0.1:{self.port}/bazhong"

    def init(self) -> None:
        os.chmod(self.base, 0o755)
        self.data.mkdir()
        self.log.touch()
        if self.as_owner:
            shutil.chown(self.data, "postgres")
            shutil.chown(self.log, "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "root",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.start()
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "root"]
            + ["-d", "postgres", "-qc", "CREATE DATABASE bazhong"],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.data} -c fsync=off "
            "-c max_connections=100"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"
        )

    def is_up(self) -> bool:
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
        )
        return result.returncode == 0

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "stop",
                check=False,
            )
        shutil.rmtree(self.base, ignore_errors=True)


def manage(database_url: str, *args: str, settings: str = "config.settings.test"):
    """``python manage.py …`` against the private database; returns stdout."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": settings,
        "PYTHONUNBUFFERED": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.stdout


class Gunicorn:
    """The web app under gunicorn with the production settings."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 2,
        threads: int = 10,
        extra_env: dict[str, str] | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="bz-hardening-gunicorn-")[1])
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "hardening-tests-" + "x" * 40,
            "SECURE_SSL_REDIRECT": "False",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CONN_MAX_AGE": "60",
            "API_THROTTLE_RATE": "1000000/minute",
            "API_WRITE_THROTTLE_RATE": "1000000/minute",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
        ]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                requests.get(f"{self.url}/api/v1/", timeout=10)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


class PrivateRedis:
    """A redis-server of our own (no persistence), stopped and started at will."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="bz-hardening-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"],
                capture_output=True,
                text=True,
            )
            if "PONG" in ping.stdout:
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Gone, with whatever it held (no persistence: queued tasks are lost)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


TOKENS_SCRIPT = """
from portfolio.choices import ApiScope
from portfolio.credentials import api_client_create
for i in range({count}):
    client, token = api_client_create(
        name="{prefix}" + str(i), scope=ApiScope.WRITE, actor="tests"
    )
    print(token)
"""


def write_tokens(database_url: str, count: int, prefix: str) -> list[str]:
    """``count`` new whole-portfolio write tokens (one command, not ``count``)."""
    script = TOKENS_SCRIPT.format(count=count, prefix=prefix)
    out = manage(database_url, "shell", "-c", script)
    return [line for line in out.split() if line.startswith("bzk_")]
