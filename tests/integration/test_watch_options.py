"""``resourceVersionMatch`` on a watch, in-process over a real socket.

A watch follows other rules than a list (Kubernetes' ``validateWatchOptions``):
the streaming list that kubectl delete, wait and rollout status send has
``sendInitialEvents=true&resourceVersionMatch=NotOlderThan`` and no
resourceVersion, which a list would refuse. Refusing it made kubectl fall back
to a list and a watch, and warn about a "very short watch".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from kubelite.apiserver.server import ApiServer
from kubelite.store.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(60)

PODS = "/api/v1/namespaces/default/pods"
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "a"},
    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
}


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    store = await SqliteStore.open(tmp_path / "state.db")
    server = ApiServer(store)
    port = await server.start("127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.stop()
        await store.close()


async def test_a_streaming_list_needs_no_resource_version(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(base + PODS, json=POD) as created:
            assert created.status == 201
        query = (
            "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
            "&allowWatchBookmarks=true&fieldSelector=metadata.name%3Da"
        )
        async with session.get(base + PODS + query) as response:
            assert response.status == 200

            async def event() -> Any:
                return orjson.loads(await asyncio.wait_for(response.content.readline(), 10))

            added = await event()
            assert (added["type"], added["object"]["metadata"]["name"]) == ("ADDED", "a")
            bookmark = await event()
            assert bookmark["type"] == "BOOKMARK"
            annotations = bookmark["object"]["metadata"]["annotations"]
            assert annotations == {"k8s.io/initial-events-end": "true"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            "?watch=true&resourceVersionMatch=NotOlderThan",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch "
            "unless sendInitialEvents is provided",
            id="watch-without-initial-events",
        ),
        pytest.param(
            "?watch=true&sendInitialEvents=true&resourceVersionMatch=Exact",
            'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"',
            id="watch-exact",
        ),
        pytest.param(
            "?resourceVersionMatch=NotOlderThan",
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
            "resourceVersion is provided",
            id="list-without-resource-version",
        ),
    ],
)
async def test_a_match_where_it_does_not_apply_is_invalid(
    base: str, query: str, message: str
) -> None:
    async with aiohttp.ClientSession() as session, session.get(base + PODS + query) as response:
        status = orjson.loads(await response.read())
    assert (response.status, status["reason"]) == (422, "Invalid")
    assert status["message"] == f'ListOptions.meta.k8s.io "" is invalid: {message}'
    assert [c["field"] for c in status["details"]["causes"]] == ["resourceVersionMatch"]
