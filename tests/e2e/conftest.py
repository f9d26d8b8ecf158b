"""The real kubectl against kubelite servers of the tests' own.

``kubectl`` gives a test a fresh server. ``kubectl_ns`` shares one server
across a module and gives each test a namespace of its own, set as the
namespace of its kubeconfig's context: a module of many short tests then
starts one server, and its tests cannot see each other's objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kubelite.testing.kubectl import Kubectl, KubeliteServer


@pytest.fixture
def kubectl(tmp_path: Path) -> Iterator[Kubectl]:
    with KubeliteServer(tmp_path / "kubelite") as server:
        yield server.kubectl(tmp_path / "kubectl-cache")


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeliteServer]:
    with KubeliteServer(tmp_path_factory.mktemp("kubelite")) as server:
        yield server


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One kubectl cache per module server, so that discovery is fetched once."""
    return tmp_path_factory.mktemp("kubectl-cache")


@pytest.fixture
def kubectl_ns(
    module_server: KubeliteServer,
    module_cache: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Kubectl:
    """kubectl on the module's server, in a new namespace named after the test."""
    admin = module_server.kubectl(module_cache)
    name = request.node.name.removeprefix("test_").lower()
    namespace = "t-" + re.sub(r"[^a-z0-9]+", "-", name)[-50:].strip("-")
    manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    admin("create", "-f", "-", stdin=yaml.safe_dump(manifest))
    config = yaml.safe_load(module_server.kubeconfig.read_text())
    for context in config["contexts"]:
        context["context"]["namespace"] = namespace
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    return Kubectl(kubeconfig, module_cache, admin.binary, namespace=namespace)
