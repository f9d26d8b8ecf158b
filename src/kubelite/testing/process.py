"""Stopping the server processes that tests start."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited after ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
