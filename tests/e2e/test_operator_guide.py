"""docs/operators.md, followed: its files written out as the guide shows them,
its CRD printed and applied with the real kubectl, its operator run against a
kubelite server, and its test run with pytest."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubelite.testing.kubectl import Kubectl

pytestmark = pytest.mark.timeout(180)

GUIDE = Path(__file__).parents[2] / "docs" / "operators.md"
GREETING = """
apiVersion: hello.example.com/v1
kind: Greeting
metadata:
  name: world
spec:
  name: World
  style: loud
"""


def write_guide_files(folder: Path) -> None:
    text = GUIDE.read_text()
    for name in ("greeting.py", "greeter.py", "test_greeter.py"):
        found = re.search(rf"`{re.escape(name)}`:\n\n```python\n(.*?)```", text, re.S)
        assert found is not None, f"the guide shows no {name}"
        (folder / name).write_text(found.group(1))


def test_the_operator_guide_works_as_written(kubectl: Kubectl, tmp_path: Path) -> None:
    write_guide_files(tmp_path)
    env = {"KUBECONFIG": str(kubectl.kubeconfig), "PATH": str(Path(sys.executable).parent)}
    printed = subprocess.run(
        [sys.executable, "-m", "kubelite.cli.main", "crd", "greeting:GREETING"],
        cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    kubectl("apply", "-f", "-", stdin=printed)
    operator = subprocess.Popen(
        [sys.executable, "greeter.py"], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        kubectl("apply", "-f", "-", stdin=GREETING)
        text = ""
        for _ in range(200):
            found = kubectl(
                "get", "configmap", "world-greeting", "-o", "jsonpath={.data.text}", check=False
            )
            text = found.stdout
            if text:
                break
            time.sleep(0.05)
        assert text == "HELLO, WORLD!"
        reason = kubectl("get", "gr", "world", "-o", "jsonpath={.status.conditions[0].reason}")
        assert reason.stdout == "Greeted"
    finally:
        operator.terminate()
        operator.wait(timeout=30)
    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "--asyncio-mode=auto", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
