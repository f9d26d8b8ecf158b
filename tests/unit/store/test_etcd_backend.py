"""What only the etcd backend has to get right, against a real etcd.

The backend-independent behaviour is the conformance suite's; these tests cover
what etcd adds: a member that dies and comes back under a running watch,
failover between endpoints, etcd's compaction errors, TTLs as leases, and the
one watch stream that every watch of a store shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from etcd3aio.kv import KVService

from kubelite.store.errors import (
    CompactedError,
    KeyNotFoundError,
    StoreUnavailableError,
)
from kubelite.store.etcd import EtcdOptions, EtcdStore, codec
from kubelite.store.etcd.connection import open_channel, resolve_target
from kubelite.store.etcd.history import replay
from kubelite.store.etcd.streams import WatchStreams
from kubelite.store.interface import Event, EventType, Watch
from kubelite.testing.etcd import EtcdServer, free_port

pytestmark = [pytest.mark.etcd, pytest.mark.timeout(60)]

T = TypeVar("T")

FAST = EtcdOptions(reconnect_backoff=0.05, reconnect_backoff_max=0.5, request_timeout=5.0)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[EtcdServer]:
    etcd = EtcdServer(data_dir=tmp_path)
    await asyncio.to_thread(etcd.start)
    try:
        yield etcd
    finally:
        await asyncio.to_thread(etcd.kill)


@pytest.fixture
async def store(server: EtcdServer) -> AsyncIterator[EtcdStore]:
    opened = await EtcdStore.open([server.endpoint], options=FAST)
    try:
        yield opened
    finally:
        await opened.close()


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds; the test's timeout bounds the wait."""
    while True:
        if condition():
            return
        await asyncio.sleep(0.01)


async def when_available(call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, retried for as long as etcd is still coming back."""
    while True:
        try:
            return await call()
        except StoreUnavailableError:
            await asyncio.sleep(0.05)


async def collect(watch: Watch, into: list[Event]) -> None:
    async for event in watch:
        into.append(event)


async def test_watch_resumes_across_an_etcd_crash(server: EtcdServer, store: EtcdStore) -> None:
    base = await store.current_revision()
    events: list[Event] = []
    async with store.watch("/crash/", revision=base) as watch:
        reader = asyncio.create_task(collect(watch, events))
        for i in range(3):
            await store.create(f"/crash/before-{i}", b"b")
        await until(lambda: len(events) >= 1)

        # Some events are still unread when etcd dies; all must arrive.
        await asyncio.to_thread(server.kill)
        await asyncio.to_thread(server.start)
        for i in range(3):
            await when_available(functools.partial(store.create, f"/crash/after-{i}", b"a"))
        await until(lambda: len(events) >= 6)

        # A marker written last arrives next: nothing was repeated before it.
        await store.create("/crash/marker", b"m")
        await until(lambda: len(events) >= 7)
        reader.cancel()

    keys = [event.key for event in events]
    assert keys == [
        *(f"/crash/before-{i}" for i in range(3)),
        *(f"/crash/after-{i}" for i in range(3)),
        "/crash/marker",
    ]
    assert [event.revision for event in events] == list(range(base + 1, base + 8))


async def test_resuming_at_a_compacted_revision_raises(
    server: EtcdServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A long back-off keeps the watch away while the history goes.
    slow = EtcdOptions(reconnect_backoff=4.0, reconnect_backoff_max=4.0)
    watcher = await EtcdStore.open([server.endpoint], options=slow)
    try:
        first = await watcher.create("/gone/a", b"1")
        async with (
            watcher.watch("/gone/", revision=first.mod_revision) as watch,
            watcher.watch("/", revision=first.mod_revision) as other,
        ):
            with caplog.at_level(logging.WARNING, logger="kubelite.store.etcd.streams"):
                pending = asyncio.create_task(anext(watch))
                pending_other = asyncio.create_task(anext(other))
                await asyncio.to_thread(server.kill)
                await until(lambda: "watch open failed, retrying" in caplog.messages)
            await asyncio.to_thread(server.start)

            writer = await EtcdStore.open([server.endpoint], options=FAST)
            try:
                await writer.create("/gone/b", b"2")
                latest = await writer.create("/elsewhere", b"3")
                await writer.compact(latest.mod_revision)
            finally:
                await writer.close()

            # Every watch the store had registered fails.
            for waiting in (pending, pending_other):
                with pytest.raises(CompactedError) as raised:
                    await waiting
                assert raised.value.compacted == latest.mod_revision

        # The store's feed went on from the compacted revision.
        async with watcher.watch("/gone/", revision=latest.mod_revision) as watch:
            created = await watcher.create("/gone/c", b"4")
            assert (await anext(watch)).kv == created
    finally:
        await watcher.close()


async def test_several_endpoints_with_the_first_dead(server: EtcdServer) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    store = await EtcdStore.open([dead, server.endpoint], options=FAST)
    try:
        created = await store.create("/multi/a", b"1")
        async with store.watch("/multi/", revision=created.mod_revision) as watch:
            await store.update("/multi/a", b"2", revision=created.mod_revision)
            event = await anext(watch)
        assert (event.type, event.key, event.prev) == (EventType.PUT, "/multi/a", created)
        assert (await store.get("/multi/a")).value == b"2"
    finally:
        await store.close()


async def test_no_endpoint_alive_is_unavailable() -> None:
    with pytest.raises(StoreUnavailableError):
        await EtcdStore.open(
            [f"http://127.0.0.1:{free_port()}"],
            options=EtcdOptions(request_timeout=1.0, read_attempts=1),
        )


async def test_reads_at_a_compacted_revision(store: EtcdStore) -> None:
    old = await store.create("/compact/a", b"1")
    kept = await store.update("/compact/a", b"2", revision=old.mod_revision)
    await store.compact(kept.mod_revision)

    with pytest.raises(CompactedError) as raised:
        await store.get("/compact/a", revision=old.mod_revision)
    assert (raised.value.revision, raised.value.compacted) == (old.mod_revision, kept.mod_revision)
    with pytest.raises(CompactedError):
        await store.list("/compact/", revision=old.mod_revision)
    with pytest.raises(CompactedError):
        async with store.watch("/compact/", revision=old.mod_revision - 1) as watch:
            await anext(watch)

    # At the compacted revision itself, reads and watches still work.
    assert await store.get("/compact/a", revision=kept.mod_revision) == kept
    async with store.watch("/compact/", revision=kept.mod_revision) as watch:
        done = await store.delete("/compact/a")
        assert await anext(watch) == done
    # Compacting again below what is compacted is not an error.
    await store.compact(old.mod_revision)


async def test_ttl_is_a_lease(store: EtcdStore) -> None:
    # etcd raises a TTL under its minimum (2 s by default); 0.2 s rounds up
    # to 1 s and is granted as that minimum.
    created = await store.create("/ttl/a", b"1", ttl=0.2)
    async with store.watch("/ttl/", revision=created.mod_revision) as watch:
        expired = await anext(watch)
    assert (expired.type, expired.key, expired.prev) == (EventType.DELETE, "/ttl/a", created)
    with pytest.raises(KeyNotFoundError):
        await store.get("/ttl/a")

    # An update without a TTL detaches the key from its lease: it outlives
    # the lease of a sibling written at the same time.
    kept = await store.create("/ttl/kept", b"1", ttl=1)
    await store.create("/ttl/sibling", b"1", ttl=1)
    await store.update("/ttl/kept", b"2", revision=kept.mod_revision)
    async with store.watch("/ttl/", revision=await store.current_revision()) as watch:
        event = await anext(watch)
    assert (event.type, event.key) == (EventType.DELETE, "/ttl/sibling")
    assert (await store.get("/ttl/kept")).value == b"2"

    for bad in (0.0, -1.0, float("inf")):
        with pytest.raises(ValueError, match="ttl"):
            await store.create("/ttl/bad", b"1", ttl=bad)


async def test_watches_share_one_etcd_stream(store: EtcdStore) -> None:
    # No watch, no stream: the feed starts with the first watch.
    base = (await store.create("/share/a/0", b"v")).mod_revision
    assert store.watch_streams_opened == 0

    prefixes = ["/share/a/", "/share/b/", "/share/"]
    async with contextlib.AsyncExitStack() as stack:
        watches = [await stack.enter_async_context(store.watch(prefixes[i % 3])) for i in range(30)]
        written = [
            await store.create(f"{prefix}{i}", b"v") for i in (1, 2) for prefix in prefixes[:2]
        ]
        # A watch from the recent past is served from the hub's memory.
        late = await stack.enter_async_context(store.watch("/share/", revision=base))
        for i, watch in enumerate(watches):
            expected = [kv for kv in written if kv.key.startswith(prefixes[i % 3])]
            got = [await asyncio.wait_for(anext(watch), 10) for _ in expected]
            assert [event.kv for event in got] == expected
        got = [await asyncio.wait_for(anext(late), 10) for _ in written]
        assert [event.kv for event in got] == written

    assert store.watch_streams_opened == 1


async def test_history_older_than_the_feed_is_replayed(server: EtcdServer) -> None:
    options = EtcdOptions(request_timeout=5.0)
    channel = open_channel(await resolve_target([server.endpoint]), options)
    store = await EtcdStore.open([server.endpoint], options=FAST)
    try:
        base = await store.current_revision()
        a = await store.create("/old/a", b"1")
        await store.create("/elsewhere", b"x")
        # One transaction, two keys: two events at one revision.
        both = await KVService(channel).txn(
            [],
            [codec.op_put("/old/b", b"2", lease=0), codec.op_put("/old/c", b"3", lease=0)],
            [],
        )
        pair = int(both.header.revision)
        d = await store.update("/old/a", b"4", revision=a.mod_revision)

        # The feed starts now, after all of it: the watch replays from etcd.
        async with store.watch("/old/", revision=base) as watch:
            live = await store.create("/old/e", b"5")
            events = [await asyncio.wait_for(anext(watch), 10) for _ in range(5)]
        assert [(e.key, e.revision) for e in events] == [
            ("/old/a", a.mod_revision),
            ("/old/b", pair),
            ("/old/c", pair),
            ("/old/a", d.mod_revision),
            ("/old/e", live.mod_revision),
        ]
        assert events[3].prev == a

        # A page never splits a revision, even one over the limit.
        streams = WatchStreams(channel)
        page = await replay(
            streams, options, prefix="/old/", after=a.mod_revision, up_to=d.mod_revision, limit=1
        )
        assert [e.key for e in page] == ["/old/b", "/old/c"]
        page = await replay(
            streams, options, prefix="/old/", after=base, up_to=d.mod_revision, limit=2
        )
        assert [e.key for e in page] == ["/old/a"]
    finally:
        await store.close()
        await channel.close()


async def test_a_feed_that_cannot_resume_fails_its_watches_then_restarts(
    server: EtcdServer,
) -> None:
    options = EtcdOptions(
        reconnect_backoff=0.05,
        reconnect_backoff_max=0.2,
        request_timeout=2.0,
        watch_resume_timeout=1.0,
    )
    store = await EtcdStore.open([server.endpoint], options=options)
    try:
        async with store.watch("/down/") as watch:
            await asyncio.to_thread(server.kill)
            with pytest.raises(StoreUnavailableError):
                await asyncio.wait_for(anext(watch), 20)

        await asyncio.to_thread(server.start)
        opened = store.watch_streams_opened
        async with await when_available(lambda: _entered(store.watch("/down/"))) as watch:
            created = await store.create("/down/a", b"1")
            assert (await asyncio.wait_for(anext(watch), 10)).kv == created
        assert store.watch_streams_opened > opened
    finally:
        await store.close()


async def _entered(watch: Watch) -> Watch:
    return await watch.__aenter__()
