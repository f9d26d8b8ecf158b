"""kubelite's pytest plugin, as an operator's tests use it: in process, and
pointed at another cluster by kubeconfig."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from kubelite.api.errors import NotFoundError
from kubelite.client import Client
from kubelite.operator.controller import Request
from kubelite.operator.manager import Manager
from kubelite.testing.kubectl import KubeliteServer
from kubelite.testing.pytest_plugin import Cluster

pytestmark = pytest.mark.timeout(120)


async def test_a_controller_runs_against_the_fixture_cluster(
    kubelite: Cluster, kubelite_client: Client, kubelite_manager: Manager
) -> None:
    assert kubelite.in_process
    assert kubelite_client.config.namespace == kubelite.namespace
    made: list[str] = []

    async def reconcile(request: Request) -> None:
        source = kubelite_manager.controllers[0].get(request)
        if source is None:
            return
        copy = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"{request.name}-copy"},
            "stringData": source.get("data") or {},
        }
        await kubelite_client.apply(copy, force=True)
        made.append(request.name)

    kubelite_manager.controller("v1", "ConfigMap", reconcile, namespace=kubelite.namespace)
    await kubelite.start(kubelite_manager)
    await kubelite_client.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "src"}, "data": {"k": "v"}}
    )
    for _ in range(250):
        try:
            secret = await kubelite_client.get("v1", "Secret", "src-copy")
            break
        except NotFoundError:
            await asyncio.sleep(0.02)
    else:
        raise AssertionError("the controller made no copy")
    assert secret["metadata"]["namespace"] == kubelite.namespace
    assert made == ["src"]


SAMPLE = """
from kubelite.testing.pytest_plugin import Cluster

async def test_namespaced(kubelite: Cluster) -> None:
    assert not kubelite.in_process
    got = await kubelite.client.get("v1", "Namespace", kubelite.namespace)
    assert got["metadata"]["name"] == kubelite.namespace
    (Path(__file__).parent / "namespace").write_text(kubelite.namespace)

from pathlib import Path
"""


def test_the_same_tests_run_against_a_cluster_named_by_kubeconfig(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text(SAMPLE)
    with KubeliteServer(tmp_path / "server") as server:
        result = subprocess.run(
            [
                sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "--asyncio-mode=auto", f"--kubelite-kubeconfig={server.kubeconfig}",
                str(sample),
            ],
            capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        namespace = (tmp_path / "namespace").read_text()
        kubectl = server.kubectl(tmp_path / "cache")
        gone = kubectl("get", "namespace", namespace, "-o", "jsonpath={.status.phase}", check=False)
        # Deleted after the test: gone, or terminating until its content is.
        assert gone.returncode != 0 or gone.stdout == "Terminating"
