"""What is particular to the sqlite backend: its file, its lock, its history bounds.

The behaviour both backends share is in the conformance suite; these tests cover
what only the embedded store does: reopening the file, refusing a second process,
compacting by itself, replaying watches from the database once the in-memory
history no longer reaches, and dropping watchers that fall behind.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from kubelite.store import (
    CompactedError,
    EventType,
    KeyNotFoundError,
    StoreUnavailableError,
    WatchOverflowError,
)
from kubelite.store.sqlite import SqliteOptions, SqliteStore


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    """Poll ``check`` until it holds; fail after ``seconds``."""
    async with asyncio.timeout(seconds):
        for _ in itertools.count():
            if await check():
                return
            await asyncio.sleep(0.01)


async def is_compacted(store: SqliteStore, key: str, revision: int) -> bool:
    try:
        await store.get(key, revision=revision)
    except CompactedError:
        return True
    return False


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


async def test_reopen_keeps_keys_history_and_revision(path: Path) -> None:
    store = await SqliteStore.open(path)
    first = await store.create("/a", b"1")
    second = await store.update("/a", b"2", revision=first.mod_revision)
    await store.create("/b", b"x")
    deleted = await store.delete("/b")
    await store.close()

    store = await SqliteStore.open(path)
    try:
        assert await store.current_revision() == deleted.revision
        assert (await store.get("/a")).value == b"2"
        assert (await store.get("/a", revision=first.mod_revision)).value == b"1"
        assert (await store.get("/b", revision=deleted.revision - 1)).value == b"x"
        with pytest.raises(KeyNotFoundError):
            await store.get("/b")
        following = await store.update("/a", b"3", revision=second.mod_revision)
        assert following.mod_revision == deleted.revision + 1
        assert following.create_revision == first.create_revision
    finally:
        await store.close()


async def test_a_second_open_of_the_same_file_is_refused(path: Path) -> None:
    store = await SqliteStore.open(path)
    try:
        with pytest.raises(StoreUnavailableError, match="open in another process"):
            await SqliteStore.open(path)
    finally:
        await store.close()
    reopened = await SqliteStore.open(path)
    await reopened.close()


async def test_closed_store_refuses_reads_and_writes(path: Path) -> None:
    store = await SqliteStore.open(path)
    await store.close()
    with pytest.raises(StoreUnavailableError):
        await store.create("/a", b"1")
    with pytest.raises(StoreUnavailableError):
        await store.get("/a")


async def test_history_is_compacted_by_revision_count(path: Path) -> None:
    options = SqliteOptions(keep_revisions=5, keep_seconds=0, compaction_interval=0.01)
    store = await SqliteStore.open(path, options)
    try:
        kv = await store.create("/a", b"0")
        for n in range(1, 20):
            kv = await store.update("/a", str(n).encode(), revision=kv.mod_revision)
        await eventually(lambda: is_compacted(store, "/a", 1))
        assert (await store.get("/a")).value == b"19"
        # The newest keep_revisions revisions stay readable.
        assert (await store.get("/a", revision=kv.mod_revision - 4)).value == b"15"
    finally:
        await store.close()


async def test_compaction_survives_reopen(path: Path) -> None:
    store = await SqliteStore.open(path)
    kv = await store.create("/a", b"0")
    for n in range(1, 5):
        kv = await store.update("/a", str(n).encode(), revision=kv.mod_revision)
    await store.create("/gone", b"x")
    await store.delete("/gone")
    await store.compact(kv.mod_revision)
    await store.close()

    store = await SqliteStore.open(path)
    try:
        with pytest.raises(CompactedError):
            await store.get("/a", revision=kv.mod_revision - 1)
        assert (await store.get("/a", revision=kv.mod_revision)).value == b"4"
        assert [item.key for item in (await store.list("/")).items] == ["/a"]
    finally:
        await store.close()


async def test_expired_key_is_deleted_after_a_restart(path: Path) -> None:
    store = await SqliteStore.open(path)
    created = await store.create("/event", b"e", ttl=0.2)
    await store.close()
    await asyncio.sleep(0.3)  # the key's time to live passes while no store is open

    store = await SqliteStore.open(path)
    try:
        async with store.watch("/", revision=created.mod_revision) as watch:
            event = await asyncio.wait_for(anext(watch), 10)
        assert event.type is EventType.DELETE
        assert event.prev is not None
        assert event.prev.value == b"e"
        with pytest.raises(KeyNotFoundError):
            await store.get("/event")
    finally:
        await store.close()


async def test_update_without_ttl_keeps_the_key(path: Path) -> None:
    store = await SqliteStore.open(path)
    try:
        kv = await store.create("/k", b"1", ttl=0.2)
        kv = await store.update("/k", b"2", revision=kv.mod_revision)
        marker = await store.create("/marker", b"m", ttl=0.3)
        async with store.watch("/marker", revision=marker.mod_revision) as watch:
            await asyncio.wait_for(anext(watch), 10)
        assert (await store.get("/k")).value == b"2"
    finally:
        await store.close()


async def test_watch_replays_from_the_database_past_the_memory_history(path: Path) -> None:
    store = await SqliteStore.open(path, SqliteOptions(watch_history=10))
    try:
        await asyncio.gather(*(store.create(f"/k/{n:05d}", b"v") for n in range(2500)))
        await store.create("/other", b"o")
        async with store.watch("/k/", revision=1) as watch:
            events = [await anext(watch) for _ in range(2499)]
            assert [e.revision for e in events] == list(range(2, 2501))
            live = await store.create("/k/live", b"l")
            assert (await anext(watch)).revision == live.mod_revision
    finally:
        await store.close()


async def test_a_watch_that_falls_behind_is_dropped(path: Path) -> None:
    store = await SqliteStore.open(path, SqliteOptions(watch_max_pending=5))
    try:
        async with store.watch("/") as slow:
            for n in range(10):
                await store.create(f"/k/{n}", b"v")
            with pytest.raises(WatchOverflowError):
                await anext(slow)
        async with store.watch("/", revision=0) as fresh:
            kv = await store.create("/after", b"v")
            assert (await anext(fresh)).revision == kv.mod_revision
    finally:
        await store.close()


async def test_concurrent_writes_share_commits_and_stay_contiguous(path: Path) -> None:
    store = await SqliteStore.open(path)
    try:
        results = await asyncio.gather(*(store.create(f"/c/{n:04d}", b"v") for n in range(500)))
        revisions = sorted(kv.mod_revision for kv in results)
        assert revisions == list(range(1, 501))
        assert await store.count("/c/") == 500
    finally:
        await store.close()


async def test_a_failed_commit_fails_its_batch_and_revisions_stay_contiguous(
    path: Path,
) -> None:
    store = await SqliteStore.open(path)
    try:
        first = await store.create("/before", b"1")
        # A real failure inside SQLite: a trigger that aborts any insert of one key.
        connection = sqlite3.connect(path)
        connection.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON log WHEN NEW.key = '/poison' "
            "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )
        connection.commit()
        connection.close()

        keys = ["/a", "/poison", "/b"]
        results = await asyncio.gather(
            *(store.create(key, b"v") for key in keys), return_exceptions=True
        )
        assert isinstance(results[1], StoreUnavailableError)
        assert "injected failure" in str(results[1])
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, BaseException):
                with pytest.raises(KeyNotFoundError):
                    await store.get(key)
            else:
                assert (await store.get(key)).mod_revision == result.mod_revision

        after = await store.create("/after", b"v")
        stored = sorted(kv.mod_revision for kv in (await store.list("/")).items)
        assert stored == list(range(first.mod_revision, after.mod_revision + 1))
    finally:
        await store.close()
