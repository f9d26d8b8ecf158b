"""kubelite's own client against an in-process kubelite server on a real socket."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from kubelite.api.errors import (
    AlreadyExistsError,
    ConflictError,
    NotFoundError,
    UnauthorizedError,
)
from kubelite.client import Client, ClusterConfig, WatchEvent
from kubelite.client.config import ExecConfig

pytestmark = pytest.mark.timeout(60)


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


async def test_create_get_replace_patch_delete(client: Client) -> None:
    created = await client.create(configmap("settings", mode="fast"))
    assert created["metadata"]["namespace"] == "default"
    assert created["metadata"]["managedFields"][0]["manager"] == "tester"
    with pytest.raises(AlreadyExistsError) as exists:
        await client.create(configmap("settings"))
    assert (exists.value.code, exists.value.message) == (
        409,
        'configmaps "settings" already exists',
    )

    got = await client.get("v1", "ConfigMap", "settings")
    got["data"]["mode"] = "slow"
    replaced = await client.replace(got)
    assert replaced["data"] == {"mode": "slow"}
    with pytest.raises(ConflictError):
        await client.replace(got)  # its resourceVersion is stale now

    patched = await client.patch("v1", "ConfigMap", "settings", {"data": {"size": "2"}})
    assert patched["data"] == {"mode": "slow", "size": "2"}
    await client.delete("v1", "ConfigMap", "settings")
    with pytest.raises(NotFoundError):
        await client.get("v1", "ConfigMap", "settings")


async def test_apply_creates_merges_and_reports_conflicts(client: Client) -> None:
    first = await client.apply(configmap("shared", a="1"))
    assert first["data"] == {"a": "1"}
    with pytest.raises(ConflictError) as conflict:
        await client.apply(configmap("shared", a="2"), field_manager="other")
    assert conflict.value.details is not None
    assert [c.field for c in conflict.value.details.causes] == [".data.a"]
    forced = await client.apply(configmap("shared", a="2"), field_manager="other", force=True)
    assert forced["data"] == {"a": "2"}


async def test_list_reads_every_page_of_one_revision(client: Client) -> None:
    for number in range(0, 620, 31):
        await asyncio.gather(
            *(client.create(configmap(f"c{i:03d}")) for i in range(number, min(number + 31, 620)))
        )
    await client.create({**configmap("labelled"), "metadata": {"name": "x", "labels": {"a": "b"}}})
    listed = await client.list("v1", "ConfigMap")
    names = [item["metadata"]["name"] for item in listed["items"]]
    assert len(names) == 621
    assert names[0] == "c000"
    assert listed["metadata"]["resourceVersion"]
    only = await client.list("v1", "ConfigMap", label_selector="a=b")
    assert [item["metadata"]["name"] for item in only["items"]] == ["x"]


async def test_watch_from_a_list_sees_later_changes_and_a_timeout_ends_it(
    client: Client,
) -> None:
    listed = await client.list("v1", "ConfigMap")
    events: list[WatchEvent] = []

    async def follow() -> None:
        async for event in client.watch(
            "v1", "ConfigMap", resource_version=listed["metadata"]["resourceVersion"]
        ):
            if event.type != "BOOKMARK":
                events.append(event)
            if len(events) == 3:
                return

    watching = asyncio.create_task(follow())
    await asyncio.sleep(0.1)
    await client.create(configmap("w", v="1"))
    await client.patch("v1", "ConfigMap", "w", {"data": {"v": "2"}})
    await client.delete("v1", "ConfigMap", "w")
    await asyncio.wait_for(watching, 10)
    assert [(e.type, e.object["metadata"]["name"]) for e in events] == [
        ("ADDED", "w"),
        ("MODIFIED", "w"),
        ("DELETED", "w"),
    ]
    # A watch with a timeout ends by itself, after what exists.
    ended = [
        event.type
        async for event in client.watch("v1", "ConfigMap", timeout_seconds=1, bookmarks=False)
    ]
    assert ended == []


async def test_an_unknown_kind_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as missing:
        await client.get("v1", "Gadget", "x")
    assert str(missing.value) == 'the server does not serve kind "Gadget" in version "v1"'


async def test_an_exec_credential_refused_once_is_fetched_again(tmp_path: Path) -> None:
    # A server that takes only the second token the plugin gives.
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != "Bearer token-2":
            return web.json_response(
                {"kind": "Status", "status": "Failure", "reason": "Unauthorized", "code": 401},
                status=401,
            )
        return web.json_response({"kind": "APIVersions", "versions": ["v1"]})

    app = web.Application()
    app.router.add_get("/api", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    counter = tmp_path / "runs"
    script = (
        "import json, sys; from pathlib import Path; p = Path(sys.argv[1]); "
        "n = int(p.read_text()) + 1 if p.exists() else 1; p.write_text(str(n)); "
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', "
        "'kind': 'ExecCredential', 'status': {'token': f'token-{n}'}}))"
    )
    plugin = ExecConfig(
        "client.authentication.k8s.io/v1", sys.executable, ("-c", script, str(counter))
    )
    try:
        async with Client(ClusterConfig(f"http://127.0.0.1:{port}", exec=plugin)) as c:
            assert (await c.request("GET", "/api"))["versions"] == ["v1"]
            assert seen == ["Bearer token-1", "Bearer token-2"]
            counter.write_text("5")  # the next token will be refused twice: a 401
            c.credentials.invalidate()
            with pytest.raises(UnauthorizedError):
                await c.request("GET", "/api")
    finally:
        await runner.cleanup()
