"""Informers against a real kubelite server, and against a server made to
misbehave: restarts, 410 Gone, a watch that goes silent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from kubelite.apiserver.server import ApiServer
from kubelite.client import Client, ClusterConfig
from kubelite.operator.informer import Informer, Informers
from kubelite.store.sqlite import SqliteStore
from kubelite.testing.waiting import until

pytestmark = pytest.mark.timeout(60)


def configmap(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"v": "1"},
    }


class Served:
    """An in-process kubelite that can be restarted on the same port."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = 0
        self.server: ApiServer | None = None
        self.store: SqliteStore | None = None

    async def start(self) -> None:
        self.store = await SqliteStore.open(self.path)
        self.server = ApiServer(self.store)
        self.port = await self.server.start("127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
        if self.store is not None:
            await self.store.close()


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    served = Served(tmp_path / "state.db")
    await served.start()
    try:
        yield served
    finally:
        await served.stop()


async def test_the_cache_follows_creates_updates_and_deletes(served: Served) -> None:
    async with Client(ClusterConfig(f"http://127.0.0.1:{served.port}")) as client:
        await client.create(configmap("before", app="a"))
        informers = Informers(client)
        informer = informers.get("v1", "ConfigMap", namespace="default")
        informer.add_index("app", lambda obj: [obj["metadata"].get("labels", {}).get("app", "")])
        seen: list[tuple[str, str]] = []
        informer.add_handler(lambda kind, obj, old: seen.append((kind, obj["metadata"]["name"])))
        async with asyncio.timeout(10):
            await informers.wait_synced()
        assert [o["metadata"]["name"] for o in informer.by_index("app", "a")] == ["before"]

        await client.create(configmap("after", app="b"))
        await client.patch("v1", "ConfigMap", "before", {"metadata": {"labels": {"app": "b"}}})
        await client.delete("v1", "ConfigMap", "after")
        await until(lambda: len(seen) >= 4)
        assert seen == [
            ("ADDED", "before"),
            ("ADDED", "after"),
            ("MODIFIED", "before"),
            ("DELETED", "after"),
        ]
        assert informer.get("default", "after") is None
        assert [o["metadata"]["name"] for o in informer.by_index("app", "b")] == ["before"]
        assert informer.by_index("app", "a") == []
        await informers.stop()


async def test_a_server_restart_loses_no_update(served: Served) -> None:
    async with Client(ClusterConfig(f"http://127.0.0.1:{served.port}")) as client:
        informer = Informer(client, "v1", "ConfigMap", namespace="default", retry_seconds=0.05)
        task = asyncio.create_task(informer.run())
        async with asyncio.timeout(10):
            await informer.synced.wait()
        await client.create(configmap("one"))
        await until(lambda: informer.get("default", "one") is not None)

        await served.stop()
        await asyncio.sleep(0.2)
        await served.start()
        await client.create(configmap("two"))
        await client.patch("v1", "ConfigMap", "one", {"data": {"v": "2"}})
        await until(lambda: informer.get("default", "two") is not None)
        await until(lambda: (informer.get("default", "one") or {}).get("data") == {"v": "2"})
        assert informer.restarts >= 1
        assert informer.relists == 0  # resumed from its revision, not listed again
        task.cancel()


# -- a misbehaving server ------------------------------------------------------------


class Stub:
    """Discovery and ConfigMaps from a script: lists answer ``lists`` in turn;
    a watch answers 410 when ``expire`` says so, or stays silent."""

    def __init__(self) -> None:
        self.lists: list[list[str]] = []
        self.watches: list[str] = []
        self.expire = True
        self.silent = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1", self.discovery)
        app.router.add_get("/api/v1/namespaces/default/configmaps", self.configmaps)
        return app

    async def discovery(self, request: web.Request) -> web.Response:
        resource = {"name": "configmaps", "kind": "ConfigMap", "namespaced": True}
        return web.json_response({"kind": "APIResourceList", "resources": [resource]})

    async def configmaps(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") != "true":
            names = self.lists.pop(0) if len(self.lists) > 1 else self.lists[0]
            items = [
                {"metadata": {"name": n, "namespace": "default", "resourceVersion": "7"}}
                for n in names
            ]
            return web.json_response({"metadata": {"resourceVersion": "7"}, "items": items})
        self.watches.append(request.query.get("resourceVersion", ""))
        if self.expire:
            self.expire = False
            status = {"kind": "Status", "status": "Failure", "reason": "Expired", "code": 410}
            return web.json_response(status, status=410)
        response = web.StreamResponse()
        await response.prepare(request)
        if self.silent:
            await asyncio.sleep(30)
        bookmark = {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "8"}}}
        await response.write(json.dumps(bookmark).encode() + b"\n")
        await asyncio.sleep(30)
        return response


@pytest.fixture
async def stub() -> AsyncIterator[tuple[Stub, Client]]:
    script = Stub()
    runner = web.AppRunner(script.app(), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with Client(ClusterConfig(f"http://127.0.0.1:{port}")) as client:
            yield script, client
    finally:
        await runner.cleanup()


async def test_410_gone_lists_again_and_tells_what_changed(stub: tuple[Stub, Client]) -> None:
    script, client = stub
    script.lists = [["a", "b"], ["b", "c"]]
    informer = Informer(client, "v1", "ConfigMap", namespace="default", retry_seconds=0.01)
    seen: list[tuple[str, str]] = []
    informer.add_handler(lambda kind, obj, old: seen.append((kind, obj["metadata"]["name"])))
    task = asyncio.create_task(informer.run())
    await until(lambda: len(script.watches) >= 2)
    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a"), ("ADDED", "c")]
    assert informer.relists == 1
    assert sorted(o["metadata"]["name"] for o in informer.objects()) == ["b", "c"]
    await until(lambda: informer.resource_version == "8")  # the bookmark moved it on
    task.cancel()


async def test_a_silent_watch_is_dropped_and_started_again(stub: tuple[Stub, Client]) -> None:
    script, client = stub
    script.lists = [["a"]]
    script.expire, script.silent = False, True
    informer = Informer(
        client, "v1", "ConfigMap", namespace="default", stall_seconds=0.3, retry_seconds=0.01
    )
    task = asyncio.create_task(informer.run())
    await until(lambda: len(script.watches) >= 3)
    assert informer.restarts >= 2
    assert script.watches[:3] == ["7", "7", "7"]  # resumed, not listed again
    assert informer.relists == 0
    task.cancel()


async def test_a_metadata_only_cache_holds_metadata_and_no_more(served: Served) -> None:
    async with Client(ClusterConfig(f"http://127.0.0.1:{served.port}")) as client:
        await client.create(configmap("listed", app="a"))
        informers = Informers(client)
        informer = informers.get("v1", "ConfigMap", namespace="default", metadata_only=True)
        selected = informers.get("v1", "ConfigMap", namespace="default", label_selector="app=b")
        async with asyncio.timeout(10):
            await informers.wait_synced()
        await client.create(configmap("watched", app="b"))
        await until(lambda: informer.get("default", "watched") is not None)
        for name in ("listed", "watched"):
            cached = informer.get("default", name)
            assert cached is not None
            assert cached["kind"] == "PartialObjectMetadata"
            assert "data" not in cached
            assert cached["metadata"]["labels"]["app"] in ("a", "b")
        await until(lambda: selected.get("default", "watched") is not None)
        assert [o["metadata"]["name"] for o in selected.objects()] == ["watched"]
        await informers.stop()
