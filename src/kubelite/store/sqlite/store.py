"""``SqliteStore``: the embedded default backend, one database file in WAL mode.

Three parts share the work. The batcher (``batcher``) decides every write on the
event loop and groups them into batches; the writer thread (``writer``) commits one
batch at a time; when a batch is durable, the batcher updates the in-memory key
index (``index``), hands the events to the watch hub (``store.hub``) and answers the
callers. A read finds its keys' revisions in the index and then reads the values by
revision: point reads on the loop, with a connection of their own (tens of
microseconds, less than a hop to a thread), and lists of many keys on a reader
thread, so that the loop stays responsive. Rows never change once written, so the
values read are those of the revisions the index gave, unless compaction removed
them in between, in which case the read fails as compacted, as it would have a
moment later.

A background task keeps the history in bounds: it compacts to keep the last
``keep_revisions`` revisions or ``keep_seconds`` seconds, whichever reaches further
back. An exclusive lock on ``<path>.lock`` keeps a second process from opening the
same store: the index in this process must be the only one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import logging
import os
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

from kubelite.store import keys
from kubelite.store.errors import (
    CompactedError,
    FutureRevisionError,
    KeyNotFoundError,
    StoreError,
    StoreUnavailableError,
)
from kubelite.store.hub import HubWatch, WatchHub
from kubelite.store.interface import Event, EventType, KeyValue, Page
from kubelite.store.sqlite import index as key_index
from kubelite.store.sqlite import schema
from kubelite.store.sqlite.batcher import Batcher
from kubelite.store.sqlite.index import Entry

log = logging.getLogger(__name__)

T = TypeVar("T")
# Spelled out here: the class has a method named list.
_Events = list[Event]
_KeyValues = list[KeyValue]
_Entries = list[Entry]

# A list with more values than this reads them on the reader thread, off the loop.
_INLINE_VALUES = 100


@dataclass(frozen=True, slots=True)
class SqliteOptions:
    """How the sqlite store trades durability, memory and history.

    ``synchronous`` is SQLite's setting: FULL makes every acknowledged write survive
    a power loss; NORMAL survives a crash of the process but not of the machine.
    """

    synchronous: str = "FULL"
    keep_revisions: int = 10_000
    keep_seconds: float = 300.0
    compaction_interval: float = 60.0
    watch_history: int = 10_000
    watch_max_pending: int = 100_000


class SqliteStore:
    """The ``Store`` protocol on one SQLite database file."""

    def __init__(self, path: Path, options: SqliteOptions) -> None:
        """Lock the file, load the index, start the writer; use ``open``."""
        synchronous = options.synchronous.upper()
        if synchronous not in {"FULL", "NORMAL", "EXTRA", "OFF"}:
            raise ValueError(f"unknown synchronous setting: {options.synchronous}")
        self._path = path
        self._options = options
        self._closed = False
        self._loop = asyncio.get_running_loop()
        self._lock_fd = _lock(path)
        try:
            writer_connection = schema.connect(str(path), synchronous=synchronous)
            writer_connection.executescript(schema.CREATE_TABLES)
            self._index, expiries = key_index.load(writer_connection)
        except BaseException:
            os.close(self._lock_fd)
            raise
        # Point reads run on the loop with this connection; lists on the reader thread.
        self._local = schema.connect(str(path), synchronous=synchronous, readonly=True)
        self._readers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kubelite-sqlite")
        self._reader: sqlite3.Connection | None = None
        self._hub = WatchHub(
            revision=self._index.revision,
            compacted=self._index.compacted,
            history=options.watch_history,
            max_pending=options.watch_max_pending,
        )
        self._batcher = Batcher(
            index=self._index,
            hub=self._hub,
            writer_connection=writer_connection,
            values=self._local,
            expiries=expiries,
        )
        # (monotonic time, revision) samples, oldest first, for compaction by age.
        self._revisions: deque[tuple[float, int]] = deque()
        self._compactor: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: str | os.PathLike[str], options: SqliteOptions | None = None) -> Self:
        """Open (creating if needed) the store in ``path`` and start its writer."""
        store = cls(Path(path), options or SqliteOptions())
        store._compactor = asyncio.create_task(
            store._compact_history(), name="kubelite-sqlite-compaction"
        )
        log.info(
            "sqlite store opened",
            extra={"path": str(path), "revision": store._index.revision, "keys": len(store._index)},
        )
        return store

    # Writes.

    @staticmethod
    def _expiry(ttl: float | None) -> float | None:
        if ttl is None:
            return None
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        return time.time() + ttl

    async def create(self, key: str, value: bytes, *, ttl: float | None = None) -> KeyValue:
        expires_at = self._expiry(ttl)
        future = self._batcher.put(key, value, create=True, revision=None, expires_at=expires_at)
        return _expect(await future, KeyValue)

    async def update(
        self, key: str, value: bytes, *, revision: int | None, ttl: float | None = None
    ) -> KeyValue:
        expires_at = self._expiry(ttl)
        future = self._batcher.put(
            key, value, create=False, revision=revision, expires_at=expires_at
        )
        return _expect(await future, KeyValue)

    async def delete(self, key: str, *, revision: int | None = None) -> Event:
        return _expect(await self._batcher.delete(key, revision=revision), Event)

    async def compact(self, revision: int) -> None:
        await self._batcher.compact(revision)

    # Reads.

    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailableError("the sqlite store is closed")

    async def current_revision(self) -> int:
        self._check_open()
        return self._index.revision

    def _resolve(self, revision: int) -> int:
        """The revision a read at ``revision`` sees."""
        index = self._index
        if revision < 0:
            raise ValueError(f"revision must not be negative, got {revision}")
        if revision > index.revision:
            raise FutureRevisionError(revision, index.revision)
        if 0 < revision < index.compacted:
            raise CompactedError(revision, index.compacted)
        return revision or index.revision

    async def get(self, key: str, *, revision: int = 0) -> KeyValue:
        self._check_open()
        at = self._resolve(revision)
        entry = self._index.current(key) if revision == 0 else self._index.at(key, at)
        if entry is None:
            raise KeyNotFoundError(key)
        row = self._local.execute(schema.VALUE, (entry.mod_revision,)).fetchone()
        if row is None:
            raise CompactedError(at, self._index.compacted)
        return KeyValue(key, row[0], entry.create_revision, entry.mod_revision)

    async def count(self, prefix: str) -> int:
        self._check_open()
        return self._index.count(*keys.key_range(prefix))

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start: str | None = None
    ) -> Page:
        self._check_open()
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        at = self._resolve(revision)
        low, high = keys.key_range(prefix, start)
        scan = self._index.scan(low, high, at)
        entries = list(itertools.islice(scan, limit + 1)) if limit else list(scan)
        more = bool(limit) and len(entries) > limit
        if more:
            del entries[limit:]
        if len(entries) > _INLINE_VALUES:
            items = await self._on_reader(self._fetch, entries, at, None)
        else:
            items = self._fetch(entries, at, self._local)
        return Page(items, at, more)

    def _fetch(
        self, entries: _Entries, at: int, connection: sqlite3.Connection | None
    ) -> _KeyValues:
        found = schema.values(
            connection or self._reader_connection(), [e.mod_revision for e in entries]
        )
        if len(found) < len(entries):
            raise CompactedError(at, self._index.compacted)
        return [
            KeyValue(e.key, found[e.mod_revision], e.create_revision, e.mod_revision)
            for e in entries
        ]

    def watch(self, prefix: str, *, revision: int = 0) -> HubWatch:
        self._check_open()
        if revision < 0:
            raise ValueError(f"revision must not be negative, got {revision}")
        return HubWatch(self._hub, prefix, revision, self._replay)

    async def _replay(self, prefix: str, after: int, up_to: int, limit: int) -> _Events:
        return await self._on_reader(self._replay_page, prefix, after, up_to, limit)

    def _replay_page(self, prefix: str, after: int, up_to: int, limit: int) -> _Events:
        connection = self._reader_connection()
        low, high = keys.key_range(prefix)
        connection.execute("BEGIN")
        try:
            compacted = dict(connection.execute(schema.READ_META).fetchall())["compacted"]
            if after < compacted:
                raise CompactedError(after, compacted)
            rows = connection.execute(
                schema.REPLAY, (after, up_to, low, high or schema.KEY_MAX, limit)
            ).fetchall()
        finally:
            connection.execute("COMMIT")
        return [_event(row) for row in rows]

    def _reader_connection(self) -> sqlite3.Connection:
        # Only the single reader thread calls this, so one connection is enough.
        if self._reader is None:
            self._reader = schema.connect(
                str(self._path), synchronous=self._options.synchronous, readonly=True
            )
        return self._reader

    async def _on_reader(self, function: Callable[..., T], *args: Any) -> T:
        try:
            return await self._loop.run_in_executor(self._readers, function, *args)
        except RuntimeError as err:
            if self._closed:
                raise StoreUnavailableError("the sqlite store is closed") from err
            raise

    # Background work.

    async def _compact_history(self) -> None:
        """Compact to keep the last revisions or the last seconds, the longer."""
        options = self._options
        while True:
            await asyncio.sleep(options.compaction_interval)
            now = time.monotonic()
            revision = self._index.revision
            self._revisions.append((now, revision))
            # The newest sample already older than keep_seconds bounds the time window.
            by_time = 0
            while self._revisions and self._revisions[0][0] <= now - options.keep_seconds:
                by_time = self._revisions.popleft()[1]
            target = min(by_time, revision - options.keep_revisions)
            if target > self._index.compacted:
                try:
                    await self.compact(target)
                except StoreUnavailableError:
                    return
                except StoreError as err:
                    log.warning("compaction failed", extra={"error": str(err)})

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._compactor is not None:
            self._compactor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._compactor
        await self._batcher.close()
        self._hub.close()
        self._readers.shutdown(wait=True)
        if self._reader is not None:
            self._reader.close()
        self._local.close()
        os.close(self._lock_fd)
        log.info("sqlite store closed", extra={"path": str(self._path)})


def _lock(path: Path) -> int:
    """Take the store's exclusive lock; the kernel drops it if the process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as err:
        os.close(fd)
        raise StoreUnavailableError(f"{path} is open in another process") from err
    return fd


def _event(row: tuple[Any, ...]) -> Event:
    revision, key, create_revision, deleted, value, prev_rev, prev_create, prev_value = row
    prev = None if prev_rev is None else KeyValue(key, prev_value, prev_create, prev_rev)
    if deleted:
        return Event(EventType.DELETE, key, revision, None, prev)
    kv = KeyValue(key, value, create_revision, revision)
    return Event(EventType.PUT, key, revision, kv, prev)


def _expect(outcome: object, kind: type[T]) -> T:
    if isinstance(outcome, kind):
        return outcome
    raise StoreError(f"the writer returned {type(outcome).__name__}, not {kind.__name__}")
