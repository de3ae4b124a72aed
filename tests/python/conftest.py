"""A live hubd for the Python client's tests.

``HUB_HUBD`` names the hubd to run and ``HUB_PLUGIN_DIR`` its plugins (ctest sets both; by
default the ``build/`` tree's). Each hub gets a folder of its own with a SQLite file, so a
restarted hub keeps its revisions, as a production hub on PostgreSQL does.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))  # the package from its sources

HUBD = os.environ.get("HUB_HUBD", str(ROOT / "build" / "core" / "hubd"))
PLUGIN_DIR = os.environ.get("HUB_PLUGIN_DIR", str(ROOT / "build" / "plugins"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "the condition") -> None:
    """Polls ``condition`` until it holds; fails the test naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


async def eventually(condition: Callable[[], bool], timeout: float = 20.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.02)


PLUGINS = f"""
plugins:
  search_paths: [{PLUGIN_DIR}]
  libraries:
    - library: discovery
      enable:
        - {{implementation: liveness, kind: discovery, config: {{service_timeout_seconds: 90, auto_deregister_dead_services: true, deregister_after_seconds: 300}}}}
    - library: health-probe
      enable:
        - {{implementation: http, kind: health_probe}}
        - {{implementation: tcp, kind: health_probe}}
"""


class Hub:
    """One hubd process on 127.0.0.1; ``restart()`` keeps its port and its SQLite file (or the
    ``storage`` given, a manifest's storage section in YAML flow style)."""

    def __init__(
        self,
        folder: Path,
        port: Optional[int] = None,
        extra: str = "",
        host: str = "127.0.0.1",
        env: Optional[dict] = None,
        ca_file: Optional[str] = None,
        storage: Optional[str] = None,
    ) -> None:
        self.folder = folder
        self.storage = storage or f"{{backend: sqlite, sqlite: {{path: {folder / 'hub.db'}}}}}"
        self.port = port or free_port()
        self.host = host
        self.extra = extra
        self.env = env or {}
        self.ca_file = ca_file  # with one, the hub speaks TLS (extra has its tls section)
        self.process: Optional[subprocess.Popen] = None
        folder.mkdir(parents=True, exist_ok=True)
        self.manifest = folder / "hub.yaml"
        self.log = folder / "hubd.log"

    @property
    def url(self) -> str:
        return f"{'https' if self.ca_file else 'http'}://{self.host}:{self.port}"

    def _open(self, request, timeout: float):
        context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        return urllib.request.urlopen(request, timeout=timeout, context=context)

    def write_manifest(self) -> None:
        self.manifest.write_text(
            f"listen: 127.0.0.1:{self.port}\n"
            f"storage: {self.storage}\n"
            "logging: {level: warn, format: text}\n"
            "registration: {denied_networks: []}\n"
            "health_monitoring:\n  check_interval_seconds: 60\n  service_probe: http\n" + self.extra + PLUGINS
        )

    def start(self) -> "Hub":
        self.write_manifest()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [HUBD, "--config", str(self.manifest)], stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env}
            )
        deadline = time.monotonic() + 30
        while not self.answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"hubd exited with {self.process.returncode}: {self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"hubd did not answer /health within 30 s: {self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        return self

    def answers(self) -> bool:
        try:
            with self._open(f"{self.url}/health", timeout=1) as response:
                return response.status in (200, 503)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def call(self, method: str, path: str, body: Optional[dict] = None, token: Optional[str] = None) -> dict:
        """A plain request from outside the client under test, for setting up and checking."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with self._open(request, timeout=10) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read().decode()}") from None


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    running = Hub(tmp_path / "hub").start()
    yield running
    running.stop()


@pytest.fixture
def make_hub(tmp_path: Path) -> Iterator[Callable[..., Hub]]:
    made = []

    def make(**options) -> Hub:
        made.append(Hub(tmp_path / f"hub{len(made)}", **options))
        return made[-1]

    yield make
    for each in made:
        each.stop()
