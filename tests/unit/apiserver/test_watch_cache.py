"""The watch cache behind lists and watches, on a real store.

Each registry here has a cache, and the answers are compared with what the
same registry gives without one (read from the store), so that the cache is
held to the store's answers rather than to expectations written by hand.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubelite.api.errors import ApiError
from kubelite.api.resources import ResourceTypes
from kubelite.api.selectors import parse_field_selector, parse_label_selector
from kubelite.apiserver.cache import WatchCache, WatchEvent
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.selection import ListOptions
from kubelite.store import Store
from kubelite.store.sqlite import SqliteStore
from kubelite.testing.etcd import EtcdServer

pytestmark = pytest.mark.timeout(60)

TYPES = ResourceTypes()
PODS = TYPES.by_path("", "v1", "pods")
CONFIGMAPS = TYPES.by_path("", "v1", "configmaps")
NAMESPACES = TYPES.by_path("", "v1", "namespaces")


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }


class Cluster:
    """Registries over one store: pods with a cache and without, configmaps."""

    def __init__(self, store: Store, *, window: int = 10_000, max_pending: int = 100_000) -> None:
        assert PODS is not None
        assert CONFIGMAPS is not None
        assert NAMESPACES is not None
        self.store = store
        self.cache = WatchCache(store, PODS, window=window, max_pending=max_pending)
        self.pods = Registry(store, PODS, cache=self.cache)
        self.uncached = Registry(store, PODS)
        self.configmaps = Registry(store, CONFIGMAPS)
        self.namespaces = Registry(store, NAMESPACES)

    async def start(self) -> None:
        for name in ("default", "other"):
            await self.namespaces.create(
                "", {"metadata": {"name": name}}, dry_run=False, manager="tester"
            )
        await self.cache.start()


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    store = await SqliteStore.open(tmp_path / "state.db")
    cluster = Cluster(store)
    await cluster.start()
    try:
        yield cluster
    finally:
        await cluster.cache.stop()
        await store.close()


class Flat:
    """A registry's watch, one event at a time rather than in batches."""

    def __init__(self, batches: AsyncGenerator[list[WatchEvent], None]) -> None:
        self._batches = batches
        self._pending: deque[WatchEvent] = deque()

    def __aiter__(self) -> Flat:
        return self

    async def __anext__(self) -> WatchEvent:
        while not self._pending:
            self._pending.extend(await anext(self._batches))
        return self._pending.popleft()

    async def aclose(self) -> None:
        await self._batches.aclose()


def flat(batches: AsyncGenerator[list[WatchEvent], None]) -> Flat:
    return Flat(batches)


async def next_event(events: AsyncIterator[WatchEvent]) -> WatchEvent:
    return await asyncio.wait_for(anext(events), 5)


def names(listed: dict[str, Any]) -> list[str]:
    return [item["metadata"]["name"] for item in listed["items"]]


async def test_list_matches_the_store_across_namespaces_and_selectors(cluster: Cluster) -> None:
    for i in range(12):
        ns = "default" if i % 2 else "other"
        await cluster.pods.create(
            ns, pod(f"p{i:02}", tier=f"t{i % 3}"), dry_run=False, manager="tester"
        )
    await cluster.pods.delete("default", "p03", dry_run=False)
    for namespace in ("", "default", "other"):
        for labels, fields in [
            ("", ""),
            ("tier=t1", ""),
            ("tier in (t0,t2)", "metadata.name!=p04"),
            ("", "metadata.namespace=other"),
        ]:
            options = ListOptions(parse_label_selector(labels), parse_field_selector(fields))
            cached = await cluster.pods.list(namespace, options)
            stored = await cluster.uncached.list(namespace, options)
            assert cached == stored
    assert "p03" not in names(await cluster.pods.list("", ListOptions()))


async def test_a_list_is_as_fresh_as_the_store(cluster: Cluster) -> None:
    await cluster.pods.create("default", pod("a"), dry_run=False, manager="tester")
    # Writes to another type move the store's revision but send the cache nothing.
    await cluster.configmaps.create(
        "default", {"metadata": {"name": "c"}}, dry_run=False, manager="tester"
    )
    listed = await cluster.pods.list("default", ListOptions())
    assert names(listed) == ["a"]
    assert listed["metadata"]["resourceVersion"] == str(await cluster.store.current_revision())
    for i in range(20):
        await cluster.pods.create("default", pod(f"b{i}"), dry_run=False, manager="tester")
        assert f"b{i}" in names(await cluster.pods.list("default", ListOptions()))


async def test_pages_from_the_cache_continue_from_the_store(cluster: Cluster) -> None:
    for i in range(7):
        await cluster.pods.create("default", pod(f"p{i}"), dry_run=False, manager="tester")
    seen: list[str] = []
    token = ""
    revisions = set()
    while True:
        page = await cluster.pods.list("default", ListOptions(limit=3, continue_token=token))
        seen += names(page)
        revisions.add(page["metadata"]["resourceVersion"])
        # Written between pages: not in this list, which is one snapshot.
        await cluster.pods.create("default", pod(f"z{len(seen)}"), dry_run=False, manager="tester")
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert seen == [f"p{i}" for i in range(7)]
    assert len(revisions) == 1


async def test_a_list_at_a_revision_not_reached_waits_then_times_out(cluster: Cluster) -> None:
    current = await cluster.store.current_revision()
    with pytest.raises(ApiError) as caught:
        await cluster.pods.list("default", ListOptions(resource_version=str(current + 100)))
    assert caught.value.code == 504
    assert "Too large resource version" in caught.value.message


async def test_watch_sends_current_objects_then_changes(cluster: Cluster) -> None:
    await cluster.pods.create("default", pod("a"), dry_run=False, manager="tester")
    await cluster.pods.create("other", pod("elsewhere"), dry_run=False, manager="tester")
    events = flat(cluster.pods.watch("default", ListOptions()))
    first = await next_event(events)
    assert (first.type, first.object["metadata"]["name"]) == ("ADDED", "a")
    await cluster.pods.create("default", pod("b"), dry_run=False, manager="tester")
    await cluster.pods.create("other", pod("ignored"), dry_run=False, manager="tester")
    added = await next_event(events)
    assert (added.type, added.object["metadata"]["name"]) == ("ADDED", "b")
    assert added.object["kind"] == "Pod"
    assert added.object["apiVersion"] == "v1"
    deleted = await cluster.pods.delete("default", "a", dry_run=False)
    gone = await next_event(events)
    assert gone.type == "DELETED"
    assert gone.object["metadata"]["resourceVersion"] == deleted["metadata"]["resourceVersion"]
    await events.aclose()
    assert cluster.cache.watcher_count == 0


async def test_every_watcher_shares_one_encoding_of_an_event(cluster: Cluster) -> None:
    created = await cluster.pods.create("default", pod("a"), dry_run=False, manager="tester")
    revision = created["metadata"]["resourceVersion"]
    watchers = [
        flat(cluster.pods.watch("default", ListOptions(resource_version=revision)))
        for _ in range(3)
    ]
    await cluster.pods.create("default", pod("b"), dry_run=False, manager="tester")
    received = [await next_event(w) for w in watchers]
    lines = [event.line() for event in received]
    assert all(line is lines[0] for line in lines)
    assert b'"type":"ADDED"' in lines[0]
    assert b'"name":"b"' in lines[0]
    for watcher in watchers:
        await watcher.aclose()


async def test_watch_resumes_inside_and_beyond_the_window(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "state.db")
    cluster = Cluster(store, window=4)
    await cluster.start()
    try:
        written = [f"p{i}" for i in range(10)]
        created = [
            await cluster.pods.create("default", pod(name), dry_run=False, manager="tester")
            for name in written
        ]
        for start in (1, 5, 8):  # before the window (from the store), inside it, at its end
            rv = created[start]["metadata"]["resourceVersion"]
            events = flat(cluster.pods.watch("default", ListOptions(resource_version=rv)))
            expected = written[start + 1 :]
            got = [(await next_event(events)).object["metadata"]["name"] for _ in expected]
            assert got == expected
            written.append(f"after{start}")
            await cluster.pods.create(
                "default", pod(f"after{start}"), dry_run=False, manager="tester"
            )
            assert (await next_event(events)).object["metadata"]["name"] == f"after{start}"
            await events.aclose()
    finally:
        await cluster.cache.stop()
        await store.close()


async def test_selector_transitions_are_added_and_deleted(cluster: Cluster) -> None:
    await cluster.pods.create("default", pod("a", app="web"), dry_run=False, manager="tester")
    options = ListOptions(parse_label_selector("app=web"))
    events = flat(cluster.pods.watch("default", options))
    assert (await next_event(events)).type == "ADDED"

    def relabel(app: str) -> Any:
        def change(current: dict[str, Any]) -> dict[str, Any]:
            return {**current, "metadata": {**current["metadata"], "labels": {"app": app}}}

        return change

    await cluster.pods.read_modify_write(
        "default", "a", relabel("db"), dry_run=False, manager="tester"
    )
    left = await next_event(events)
    assert left.type == "DELETED"
    assert left.object["metadata"]["labels"] == {"app": "web"}
    await cluster.pods.read_modify_write(
        "default", "a", relabel("web"), dry_run=False, manager="tester"
    )
    back = await next_event(events)
    assert back.type == "ADDED"
    assert back.object["metadata"]["labels"] == {"app": "web"}
    await events.aclose()


async def test_initial_events_end_with_a_bookmark_and_quiet_watches_get_bookmarks(
    cluster: Cluster,
) -> None:
    await cluster.pods.create("default", pod("a"), dry_run=False, manager="tester")
    await cluster.configmaps.create(
        "default", {"metadata": {"name": "c"}}, dry_run=False, manager="tester"
    )
    cluster.pods.bookmark_interval = 0.05
    events = flat(
        cluster.pods.watch("default", ListOptions(allow_bookmarks=True), initial_events=True)
    )
    assert (await next_event(events)).type == "ADDED"
    end = await next_event(events)
    current = str(await cluster.store.current_revision())
    assert end.type == "BOOKMARK"
    assert end.object["metadata"] == {
        "resourceVersion": current,
        "annotations": {"k8s.io/initial-events-end": "true"},
    }
    quiet = await next_event(events)
    assert quiet.type == "BOOKMARK"
    assert quiet.object["metadata"]["resourceVersion"] == current
    await events.aclose()


async def test_watch_without_bookmarks_stays_silent(cluster: Cluster) -> None:
    cluster.pods.bookmark_interval = 0.02
    events = flat(cluster.pods.watch("default", ListOptions(resource_version="0")))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(events), 0.2)
    await events.aclose()


async def test_a_watcher_too_far_behind_is_ended(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "state.db")
    cluster = Cluster(store, max_pending=3)
    await cluster.start()
    try:
        events = flat(cluster.pods.watch("default", ListOptions(resource_version="0")))
        with pytest.raises(TimeoutError):  # subscribe, with nothing to send yet
            await asyncio.wait_for(anext(events), 0.05)
        for i in range(5):
            await cluster.pods.create("default", pod(f"p{i}"), dry_run=False, manager="tester")
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(events), 5)
        assert cluster.cache.watcher_count == 0
    finally:
        await cluster.cache.stop()
        await store.close()


@pytest.mark.etcd
async def test_on_etcd_a_list_waits_for_the_feed(tmp_path: Path) -> None:
    from kubelite.store.etcd import EtcdStore

    (tmp_path / "etcd").mkdir()
    server = EtcdServer(data_dir=tmp_path / "etcd")
    await asyncio.to_thread(server.start)
    try:
        store = await EtcdStore.open([server.endpoint])
        cluster = Cluster(store)
        await cluster.start()
        try:
            for i in range(5):
                await cluster.pods.create("default", pod(f"p{i}"), dry_run=False, manager="tester")
                await cluster.configmaps.create(
                    "default", {"metadata": {"name": f"c{i}"}}, dry_run=False, manager="tester"
                )
                before = await store.current_revision()
                listed = await cluster.pods.list("default", ListOptions())
                assert names(listed) == [f"p{j}" for j in range(i + 1)]
                assert int(listed["metadata"]["resourceVersion"]) >= before
        finally:
            await cluster.cache.stop()
            await store.close()
    finally:
        await asyncio.to_thread(server.kill)


async def test_a_watch_from_a_compacted_revision_ends_with_expired(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "state.db")
    cluster = Cluster(store, window=2)
    await cluster.start()
    try:
        first = await cluster.pods.create("default", pod("a"), dry_run=False, manager="tester")
        for i in range(5):
            await cluster.pods.create("default", pod(f"b{i}"), dry_run=False, manager="tester")
        await store.compact(await store.current_revision())
        options = ListOptions(resource_version=first["metadata"]["resourceVersion"])
        events = flat(cluster.pods.watch("default", options))  # accepted: the stream starts
        with pytest.raises(ApiError) as caught:
            await next_event(events)
        assert caught.value.code == 410
        assert caught.value.reason == "Expired"
        await events.aclose()
    finally:
        await cluster.cache.stop()
        await store.close()


def test_a_bad_watch_request_raises_before_any_event(cluster: Cluster) -> None:
    with pytest.raises(ApiError) as caught:
        cluster.pods.watch("default", ListOptions(resource_version="x"))
    assert caught.value.code == 400
    with pytest.raises(ApiError) as caught:
        cluster.pods.watch("default", ListOptions(field_selector=parse_field_selector("spec.x=1")))
    assert caught.value.message == "field label not supported: spec.x"
