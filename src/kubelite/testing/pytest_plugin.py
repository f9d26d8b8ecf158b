"""kubelite's pytest plugin: a control plane per test, for operators' tests.

Installed with kubelite (entry point ``pytest11``), it gives async tests:

- ``kubelite``: a :class:`Cluster`: an in-process API server on an SQLite
  store in the test's temporary folder, started in a fraction of a second,
  with a client (``.client``) whose default namespace is a fresh one per test;
- ``kubelite_client``: that client;
- ``kubelite_manager``: an operator :class:`~kubelite.operator.manager.Manager`
  on that client; add controllers, then ``await cluster.start(manager)``.

Run the same tests against a real cluster with ``--kubelite-kubeconfig PATH``
(or ``KUBELITE_TEST_KUBECONFIG``): each test then gets a fresh namespace there,
deleted afterwards. Example::

    async def test_webapp_gets_its_deployment(kubelite, kubelite_manager):
        kubelite_manager.controller("example.com/v1", "WebApp", reconcile)
        await kubelite.start(kubelite_manager)
        await kubelite.client.create(webapp("shop"))
        ...

The fixtures need ``pytest-asyncio`` (kubelite's ``testing`` extra).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from kubelite.api.errors import ApiError
from kubelite.client import Client, ClusterConfig, load_kubeconfig
from kubelite.operator.manager import Manager

__all__ = ["Cluster"]

_OPTION = "--kubelite-kubeconfig"
_ENV = "KUBELITE_TEST_KUBECONFIG"


@dataclass
class Cluster:
    """The cluster of one test: its client, its namespace, what it started."""

    client: Client
    namespace: str
    in_process: bool
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self, manager: Manager) -> None:
        """Run ``manager`` until the test ends; return once its caches are filled."""
        self._tasks.append(asyncio.create_task(manager.run(), name=f"manager {manager.name}"))
        for controller in manager.controllers:
            controller.prepare()
        await manager.informers.wait_synced()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        _OPTION,
        default=os.environ.get(_ENV, ""),
        help="run kubelite's fixtures against this cluster instead of an in-process one",
    )


@contextlib.asynccontextmanager
async def _in_process(folder: Path) -> AsyncIterator[ClusterConfig]:
    # Imported here: a run against a real cluster needs no server code.
    from kubelite.apiserver.server import ApiServer
    from kubelite.store.sqlite import SqliteStore

    store = await SqliteStore.open(folder / "kubelite.db")
    server = ApiServer(store)
    try:
        port = await server.start("127.0.0.1", 0)
        yield ClusterConfig(f"http://127.0.0.1:{port}")
    finally:
        await server.stop()
        await store.close()


async def _namespace(client: Client, name: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    await client.create(body)


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the report header says what is missing
    pytest_asyncio = None  # type: ignore[assignment]


def pytest_report_header(config: pytest.Config) -> str | None:
    if pytest_asyncio is None:
        return "kubelite fixtures: off, they need pytest-asyncio (pip install 'kubelite[testing]')"
    return None


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def kubelite(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Cluster]:
        """A cluster for one test (see the module docstring)."""
        kubeconfig = str(request.config.getoption(_OPTION) or "")
        namespace = f"test-{uuid.uuid4().hex[:10]}"
        async with contextlib.AsyncExitStack() as stack:
            if kubeconfig:
                config = load_kubeconfig(Path(kubeconfig))
            else:
                config = await stack.enter_async_context(_in_process(tmp_path))
            client = Client(replace(config, namespace=namespace), field_manager="kubelite-test")
            stack.push_async_callback(client.close)
            await _namespace(client, namespace)
            cluster = Cluster(client, namespace, in_process=not kubeconfig)
            try:
                yield cluster
            finally:
                await cluster.stop()
                if kubeconfig:
                    with contextlib.suppress(ApiError):
                        await client.delete("v1", "Namespace", namespace)

    @pytest_asyncio.fixture
    async def kubelite_client(kubelite: Cluster) -> Client:
        """The test cluster's client; its default namespace is the test's own."""
        return kubelite.client

    @pytest_asyncio.fixture
    async def kubelite_manager(kubelite: Cluster, request: pytest.FixtureRequest) -> Manager:
        """A manager on the test cluster; start it with ``await kubelite.start(...)``."""
        name = "test-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
        options: dict[str, Any] = {"retry_seconds": 0.05}
        return Manager(kubelite.client, name=name, informer_options=options)
