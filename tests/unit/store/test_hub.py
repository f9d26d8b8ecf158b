"""The watch hub on its own, fed by hand, with a replay over a list.

The conformance suite checks the hub through both backends; these tests reach
what a backend rarely shows: several events at one revision at the edge of the
hub's memory, an upstream whose feed trails the writes, a feed that restarts,
and a watch that starts while the hub is being fed.
"""

from __future__ import annotations

import asyncio

import pytest

from kubelite.store.errors import (
    CompactedError,
    StoreUnavailableError,
    WatchOverflowError,
)
from kubelite.store.hub import HubWatch, WatchHub
from kubelite.store.interface import Event, EventType, KeyValue

pytestmark = pytest.mark.timeout(10)


def put(key: str, revision: int) -> Event:
    kv = KeyValue(key, b"v", revision, revision)
    return Event(EventType.PUT, key, revision, kv, None)


class History:
    """Every event published so far: the backend's log, replayed on request."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.replays: list[tuple[str, int, int, int]] = []

    async def replay(self, prefix: str, after: int, up_to: int, limit: int) -> list[Event]:
        self.replays.append((prefix, after, up_to, limit))
        found = [e for e in self.events if after < e.revision <= up_to and e.key.startswith(prefix)]
        if len(found) > limit:
            # Whole revisions only, as the Replay contract asks.
            last = found[limit - 1].revision
            found = [e for e in found if e.revision <= last]
        return found


class Feed:
    """A hub and its history, published to together."""

    def __init__(self, *, history: int = 100, max_pending: int = 1000) -> None:
        self.history = History()
        self.hub = WatchHub(revision=1, compacted=0, history=history, max_pending=max_pending)

    def publish(self, *events: Event) -> None:
        self.history.events.extend(events)
        self.hub.publish(list(events), events[-1].revision)

    def watch(self, prefix: str, revision: int = 0) -> HubWatch:
        return HubWatch(self.hub, prefix, revision, self.history.replay)


async def take(watch: HubWatch, count: int) -> list[Event]:
    return [await anext(watch) for _ in range(count)]


async def test_memory_then_replay_then_live() -> None:
    feed = Feed(history=4)
    events = [put(f"/a/{r}", r) for r in range(2, 12)]
    feed.publish(*events[:6])

    # 4..7 are in memory: no replay.
    async with feed.watch("/a/", revision=3) as watch:
        assert await take(watch, 4) == events[2:6]
    assert feed.history.replays == []

    # 2..3 are not: replayed up to where the hub stood, then live.
    async with feed.watch("/a/", revision=1) as watch:
        feed.publish(*events[6:])
        assert await take(watch, 10) == events
    assert feed.history.replays == [("/a/", 1, 7, 1000)]


async def test_a_revision_half_out_of_memory_is_replayed_whole() -> None:
    feed = Feed(history=3)
    a, b, c, d = put("/t/a", 2), put("/t/b", 2), put("/t/c", 3), put("/t/d", 3)
    feed.publish(a, b)
    feed.publish(c, d)  # memory: b, c, d; a has left, and revision 2 with it

    async with feed.watch("/t/", revision=1) as watch:
        assert await take(watch, 4) == [a, b, c, d]
    assert feed.history.replays == [("/t/", 1, 3, 1000)]

    async with feed.watch("/t/", revision=2) as watch:
        assert await take(watch, 2) == [c, d]
    assert len(feed.history.replays) == 1


async def test_only_matching_watches_get_events() -> None:
    feed = Feed()
    async with feed.watch("/x/") as x, feed.watch("/y/") as y, feed.watch("/") as every:
        feed.publish(put("/x/1", 2), put("/y/1", 3))
        feed.publish(put("/x/2", 4))
        assert [e.key for e in await take(x, 2)] == ["/x/1", "/x/2"]
        assert [e.key for e in await take(y, 1)] == ["/y/1"]
        assert [e.revision for e in await take(every, 3)] == [2, 3, 4]


class Upstream:
    """A backend whose feed trails its writes; ``ready`` waits until released."""

    def __init__(self, head: int) -> None:
        self.head_revision = head
        self.released = asyncio.Event()
        self.readied = 0

    async def ready(self) -> None:
        self.readied += 1
        await self.released.wait()

    async def head(self) -> int:
        return self.head_revision


async def test_a_watch_from_now_starts_at_the_upstream_head() -> None:
    feed = Feed()
    upstream = Upstream(head=3)
    feed.hub.upstream = upstream
    upstream.released.set()

    # Revisions 2 and 3 were written before the watch but not yet fed in.
    async with feed.watch("/u/") as watch:
        feed.publish(put("/u/early", 2), put("/u/early2", 3), put("/u/new", 4))
        assert [e.key for e in await take(watch, 1)] == ["/u/new"]
    assert upstream.readied == 1


async def test_a_watch_registers_only_once_the_upstream_is_ready() -> None:
    feed = Feed()
    upstream = Upstream(head=1)
    feed.hub.upstream = upstream
    watch = feed.watch("/u/", revision=1)

    entering = asyncio.create_task(watch.__aenter__())
    await asyncio.sleep(0)
    assert feed.hub.watch_count == 0
    with pytest.raises(RuntimeError, match="another task"):
        await anext(watch)

    feed.publish(put("/u/a", 2))
    upstream.released.set()
    await entering
    assert feed.hub.watch_count == 1
    assert await take(watch, 1) == [put("/u/a", 2)]
    await watch.aclose()


async def test_reset_fails_registered_watches_and_starts_over() -> None:
    feed = Feed()
    feed.publish(put("/r/a", 2))
    async with feed.watch("/r/") as watch:
        feed.hub.reset(10, CompactedError(2, 10))
        with pytest.raises(CompactedError):
            await anext(watch)
    assert feed.hub.watch_count == 0

    # Nothing before 10 is in memory now: a watch from 5 replays.
    async with feed.watch("/r/", revision=5) as watch:
        feed.publish(put("/r/b", 11))
        assert [e.key for e in await take(watch, 1)] == ["/r/b"]
    assert feed.history.replays == [("/r/", 5, 10, 1000)]


async def test_close_fails_watches_now_and_later() -> None:
    feed = Feed()
    async with feed.watch("/c/") as watch:
        waiting = asyncio.create_task(anext(watch))
        await asyncio.sleep(0)
        feed.hub.close()
        with pytest.raises(StoreUnavailableError):
            await waiting
    with pytest.raises(StoreUnavailableError):
        async with feed.watch("/c/"):
            pass


async def test_a_compacted_start_fails_every_time() -> None:
    feed = Feed()
    feed.hub.compacted = 5
    watch = feed.watch("/k/", revision=4)
    with pytest.raises(CompactedError):
        await watch.__aenter__()
    with pytest.raises(CompactedError):
        await anext(watch)


async def test_a_watcher_too_far_behind_is_dropped() -> None:
    feed = Feed(max_pending=3)
    async with feed.watch("/o/") as slow:
        feed.publish(*(put(f"/o/{r}", r) for r in range(2, 6)))
        with pytest.raises(WatchOverflowError):
            await anext(slow)
