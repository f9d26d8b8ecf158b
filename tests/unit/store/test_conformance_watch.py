"""Store conformance, part two: watches and keys with a TTL.

Runs unchanged against every backend (see ``conftest``). A watch must deliver
every event after its start revision, in order, none twice and none missing;
to check that nothing *extra* arrives, a test writes a last "sentinel" key and
expects it to be the very next event, rather than waiting for silence.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from kubelite.store import (
    CompactedError,
    Event,
    EventType,
    KeyNotFoundError,
    KeyValue,
    Store,
    StoreUnavailableError,
    Watch,
    WatchOverflowError,
)

if TYPE_CHECKING:
    from tests.unit.store.conftest import StoreFactory

TTL_DEADLINE = 15.0


async def take(watch: Watch, count: int, *, within: float = 10.0) -> list[Event]:
    """The next ``count`` events, failing if they do not come ``within`` seconds."""
    events: list[Event] = []
    async with asyncio.timeout(within):
        while len(events) < count:
            events.append(await anext(watch))
    return events


async def past_revision(store: Store) -> int:
    """The current revision, as one a watch can start from to replay what follows.

    A store never written is at revision 0, which a watch reads as "from now";
    one write elsewhere moves it on.
    """
    if await store.current_revision() == 0:
        await store.create("/.start", b"moves the store off revision 0")
    return await store.current_revision()


def put(kv: KeyValue, prev: KeyValue | None = None) -> Event:
    return Event(EventType.PUT, kv.key, kv.mod_revision, kv, prev)


def removed(prev: KeyValue, revision: int) -> Event:
    return Event(EventType.DELETE, prev.key, revision, None, prev)


async def test_watch_from_a_past_revision_replays_then_goes_live(store: Store) -> None:
    base = await past_revision(store)
    a = await store.create("/w/a", b"1")
    await store.create("/x/elsewhere", b"not watched")
    b = await store.create("/w/b", b"1")
    a2 = await store.update("/w/a", b"2", revision=a.mod_revision)
    b_gone = await store.delete("/w/b")
    history = [put(a), put(b), put(a2, prev=a), b_gone]

    async with store.watch("/w/", revision=base) as watch:
        assert await take(watch, 4) == history
        c = await store.create("/w/c", b"live")
        assert await take(watch, 1) == [put(c)]

    # Starting at a revision means "after it": a's creation is not replayed.
    async with store.watch("/w/", revision=a.mod_revision) as watch:
        assert await take(watch, 4) == [*history[1:], put(c)]


async def test_watch_from_zero_sees_only_new_writes(store: Store) -> None:
    old = await store.create("/w/old", b"before the watch")

    async with store.watch("/w/") as watch:
        # Established once entered: a write right now must be seen.
        new = await store.create("/w/new", b"after")
        updated = await store.update("/w/old", b"changed", revision=old.mod_revision)

        assert await take(watch, 2) == [put(new), put(updated, prev=old)]


async def test_watch_from_the_future_skips_up_to_that_revision(store: Store) -> None:
    current = await store.current_revision()

    async with store.watch("/w/", revision=current + 3) as watch:
        written = [await store.create(f"/w/{i}", b"v") for i in range(5)]

        assert await take(watch, 2) == [put(written[3]), put(written[4])]
    assert written[3].mod_revision == current + 4


async def test_put_and_delete_events_carry_kv_and_prev(store: Store) -> None:
    async with store.watch("/e/") as watch:
        v1 = await store.create("/e/x", b"1")
        v2 = await store.update("/e/x", b"2", revision=v1.mod_revision)
        v3 = await store.update("/e/x", b"3", revision=None)
        gone = await store.delete("/e/x", revision=v3.mod_revision)
        reborn = await store.create("/e/x", b"4")

        events = await take(watch, 5)

    assert events == [
        Event(EventType.PUT, "/e/x", v1.mod_revision, kv=v1, prev=None),
        Event(EventType.PUT, "/e/x", v2.mod_revision, kv=v2, prev=v1),
        Event(EventType.PUT, "/e/x", v3.mod_revision, kv=v3, prev=v2),
        Event(EventType.DELETE, "/e/x", v3.mod_revision + 1, kv=None, prev=v3),
        Event(EventType.PUT, "/e/x", reborn.mod_revision, kv=reborn, prev=None),
    ]
    assert gone == events[3]
    assert reborn.create_revision == reborn.mod_revision == v3.mod_revision + 2


@pytest.mark.parametrize("prefix", ["/a/", "/a/b", "/a/b/", "/a_"])
async def test_watch_sees_only_its_prefix(store: Store, prefix: str) -> None:
    keys = ["/a", "/a/", "/a/b", "/a/b/x", "/a/bc", "/a/B", "/a0", "/ab", "/a_/x", "/a%", "/b"]

    async with store.watch(prefix) as watch:
        for key in keys:
            await store.create(key, b"v")
        sentinel = await store.create(prefix + "~sentinel", b"end")

        expected = [key for key in keys if key.startswith(prefix)]
        events = await take(watch, len(expected) + 1)

    assert [event.key for event in events] == [*expected, sentinel.key]


async def test_many_watchers_see_the_same_sequence(store: Store) -> None:
    base = await past_revision(store)
    keys = [f"/m/{i:02d}" for i in range(12)]
    async with (
        store.watch("/m/") as w1,
        store.watch("/m/") as w2,
        store.watch("/m/") as w3,
        store.watch("/m/", revision=base) as w4,
        store.watch("/", revision=base) as w5,
    ):
        # Concurrent writes, so the order is the store's to choose: every
        # watcher must see the order it chose.
        created = await asyncio.gather(*(store.create(key, b"0") for key in keys))
        await asyncio.gather(*(store.update(kv.key, b"1", revision=None) for kv in created[:6]))
        await asyncio.gather(*(store.delete(kv.key) for kv in created[6:]))

        seen = [await take(watch, 24) for watch in (w1, w2, w3, w4, w5)]

    assert all(events == seen[0] for events in seen)
    assert [event.revision for event in seen[0]] == list(range(base + 1, base + 25))
    assert [event.type for event in seen[0]].count(EventType.DELETE) == 6


async def test_replay_hands_over_to_live_events_without_gaps(store: Store) -> None:
    base = await past_revision(store)
    total = 60
    acked = asyncio.Event()

    async def write() -> None:
        for i in range(total):
            await store.create(f"/r/{i:03d}", b"v")
            if i == total // 3:
                acked.set()

    writer = asyncio.create_task(write())
    try:
        # Start the watch in the past while writes are still going on: the
        # handover from history to live events must lose and repeat nothing.
        await asyncio.wait_for(acked.wait(), timeout=10)
        async with store.watch("/r/", revision=base) as watch:
            events = await take(watch, total)
    finally:
        await writer

    assert [event.revision for event in events] == list(range(base + 1, base + total + 1))
    assert [event.key for event in events] == [f"/r/{i:03d}" for i in range(total)]


async def test_watch_replays_a_long_history(store: Store) -> None:
    base = await past_revision(store)
    written = await asyncio.gather(*(store.create(f"/l/{i:04d}", b"v") for i in range(400)))
    await store.create("/l/~sentinel", b"end")

    async with store.watch("/l/", revision=base) as watch:
        events = await take(watch, 401, within=30)

    assert [event.revision for event in events] == list(range(base + 1, base + 402))
    assert {event.kv for event in events[:-1]} == set(written)
    assert events[-1].key == "/l/~sentinel"


async def test_a_slow_watcher_misses_nothing_or_is_told(store: Store) -> None:
    base = await past_revision(store)
    total = 600

    async with store.watch("/s/") as watch:
        # Write without reading: the watcher falls behind while live.
        for start in range(0, total, 100):
            await asyncio.gather(
                *(store.create(f"/s/{i:04d}", b"v") for i in range(start, start + 100))
            )

        # Either every event arrives, in order, or the watch says it fell
        # behind; never a silent gap.
        revisions: list[int] = []
        try:
            async with asyncio.timeout(30):
                while len(revisions) < total:
                    revisions.append((await anext(watch)).revision)
        except WatchOverflowError:
            pass

    assert revisions == list(range(base + 1, base + 1 + len(revisions)))


async def test_watch_from_a_compacted_revision_fails(store: Store) -> None:
    for i in range(4):
        await store.create(f"/k/{i}", b"v")
    # The write at the compaction revision is an update: replaying it from
    # compacted - 1 would need the value before it, which is gone.
    compacted = (await store.update("/k/0", b"changed", revision=None)).mod_revision
    after = await store.create("/k/after", b"v")
    await store.compact(compacted)

    for revision in (compacted - 1, 1):
        with pytest.raises(CompactedError):
            async with asyncio.timeout(10), store.watch("/k/", revision=revision) as watch:
                await anext(watch)

    async with store.watch("/k/", revision=compacted) as watch:
        assert await take(watch, 1) == [put(after)]


async def test_aclose_ends_one_watch_only(store: Store) -> None:
    async with store.watch("/q/") as closed, store.watch("/q/") as kept:
        await closed.aclose()
        kv = await store.create("/q/x", b"v")

        assert await take(kept, 1) == [put(kv)]
        async with asyncio.timeout(10):
            assert [event async for event in closed] == []

    # The store is unharmed, and a new watch works.
    async with store.watch("/q/") as watch:
        kv = await store.create("/q/y", b"v")
        assert await take(watch, 1) == [put(kv)]


async def test_cancelling_a_waiting_watcher_leaves_the_store_working(store: Store) -> None:
    async with store.watch("/q/") as watch:
        waiting = asyncio.create_task(anext(watch))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    async with store.watch("/q/") as watch:
        kv = await store.create("/q/x", b"v")
        assert await take(watch, 1) == [put(kv)]


async def test_a_watch_fails_when_its_store_closes(store: Store) -> None:
    async with store.watch("/q/") as watch:
        kv = await store.create("/q/x", b"v")
        assert await take(watch, 1) == [put(kv)]

        await store.close()

        with pytest.raises(StoreUnavailableError):
            await take(watch, 1)


async def test_a_ttl_outlives_a_reopen(store_factory: StoreFactory) -> None:
    store = await store_factory.open()
    base = await past_revision(store)
    kv = await store.create("/t/x", b"v", ttl=2)
    await store.close()

    reopened = await store_factory.open()
    assert await reopened.get("/t/x") == kv
    async with reopened.watch("/t/", revision=base) as watch:
        events = await take(watch, 2, within=TTL_DEADLINE)

    assert events == [put(kv), removed(kv, kv.mod_revision + 1)]
    with pytest.raises(KeyNotFoundError):
        await reopened.get("/t/x")


async def test_keys_with_a_ttl_expire(store: Store) -> None:
    base = await past_revision(store)

    async with store.watch("/t/", revision=base) as watch:
        created = await store.create("/t/created", b"c", ttl=2)
        plain = await store.create("/t/plain", b"p")
        later = await store.create("/t/later", b"l")
        updated = await store.update("/t/later", b"l2", revision=later.mod_revision, ttl=2)
        assert await store.get("/t/created") == created
        assert await take(watch, 4) == [put(created), put(plain), put(later), put(updated, later)]

        # The watch is the condition waited on: the two expiries' events.
        expiries = await take(watch, 2, within=TTL_DEADLINE)

    # The two leases may run out in either order.
    by_key = {event.key: event for event in expiries}
    first = base + 5
    assert by_key.keys() == {"/t/created", "/t/later"}
    assert by_key["/t/created"] == removed(created, by_key["/t/created"].revision)
    assert by_key["/t/later"] == removed(updated, by_key["/t/later"].revision)
    assert sorted(event.revision for event in expiries) == [first, first + 1]
    assert await store.current_revision() == first + 1
    for key in ("/t/created", "/t/later"):
        with pytest.raises(KeyNotFoundError):
            await store.get(key)
    assert await store.get("/t/plain") == plain
