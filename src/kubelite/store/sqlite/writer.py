"""The single writer: one thread, one connection, concurrent writes committed together.

Callers on the event loop put operations on a queue and await a future. The writer
thread takes everything queued, applies it in one transaction (each successful
operation gets the next revision), commits once, and hands the outcomes back to the
loop in one callback. While it waits for a commit to reach the disk, new operations
pile up for the next batch, so the cost of the fsync is shared and throughput grows
with concurrency. No other connection writes, so SQLite never answers "database is
locked", and the writer's count of the last revision is always the truth.

An operation that fails its condition (the key exists, the revision moved on) fails
alone; the rest of its batch commits. A failure of the commit itself fails the whole
batch and nothing of it is visible.

The writer also owns the key index (``index``): it decides every condition against
it, and updates it, under its lock, right after each commit. Keys with a time to
live are deleted by the writer itself when they expire, as ordinary deletes in its
next batch, so that watches see them go.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kubelite.store.errors import (
    ConflictError,
    KeyExistsError,
    KeyNotFoundError,
    StoreError,
    StoreUnavailableError,
)
from kubelite.store.interface import Event, EventType, KeyValue
from kubelite.store.sqlite import schema
from kubelite.store.sqlite.index import KeyIndex

log = logging.getLogger(__name__)


class OpKind(enum.Enum):
    CREATE = enum.auto()
    UPDATE = enum.auto()
    DELETE = enum.auto()
    COMPACT = enum.auto()


@dataclass(slots=True)
class Op:
    """One write, as queued. ``revision`` is the condition (None: unconditional)."""

    kind: OpKind
    key: str
    value: bytes
    revision: int | None
    expires_at: float | None
    future: asyncio.Future[object] | None
    # Filled by the writer: a KeyValue, an Event or an error.
    outcome: object = field(default=None)


@dataclass(frozen=True, slots=True)
class Committed:
    """What one batch did: the outcomes are on the ops, in order."""

    ops: list[Op]
    events: list[Event]
    revision: int
    compacted: int


class Writer:
    """Owns the write connection and the thread that uses it."""

    def __init__(
        self,
        path: str,
        *,
        synchronous: str,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[Committed], None],
        max_batch: int = 2048,
    ) -> None:
        self._connection = schema.connect(path, synchronous=synchronous)
        self._connection.executescript(schema.CREATE_TABLES)
        meta = dict(self._connection.execute(schema.READ_META).fetchall())
        # The revision of the last committed write; only the writer thread moves it.
        self.revision: int = meta["revision"]
        self.compacted: int = meta["compacted"]
        self.index = KeyIndex()
        # (expires_at, key, revision) of keys written with a time to live; an entry
        # whose key has moved on to another revision is stale and skipped.
        self._expiries: list[tuple[float, str, int]] = []
        self._load_index()
        self._loop = loop
        self._deliver = deliver
        self._max_batch = max_batch
        # None is the sign to stop, queued once by close().
        self._queue: queue.SimpleQueue[Op | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kubelite-sqlite-writer")
        self._thread.start()

    def submit(self, op: Op) -> None:
        if self._closed:
            raise StoreUnavailableError("the sqlite store is closed")
        self._queue.put(op)

    def close(self) -> None:
        """Finish what is queued, then stop the thread; blocks until it has."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join()
        self._connection.close()

    def _load_index(self) -> None:
        """Rebuild the key index (and the expiries) from the log."""
        index = self.index
        expiring: dict[str, tuple[float, int]] = {}
        rows = self._connection.execute(schema.LOAD_INDEX)
        for revision, key, create_revision, deleted, expires_at in rows:
            if deleted:
                index.delete(key, revision)
            else:
                index.put(key, revision, create_revision)
            if expires_at is None or deleted:
                expiring.pop(key, None)
            else:
                expiring[key] = (expires_at, revision)
        index.revision = self.revision
        index.compacted = self.compacted
        self._expiries = [(at, key, revision) for key, (at, revision) in expiring.items()]
        heapq.heapify(self._expiries)
        log.info("key index loaded", extra={"keys": len(index), "revision": self.revision})

    def _expired(self) -> list[Op]:
        """Deletes for the keys whose time to live has passed."""
        ops: list[Op] = []
        now = time.time()
        while self._expiries and self._expiries[0][0] <= now:
            _, key, revision = heapq.heappop(self._expiries)
            current = self.index.current(key)
            if current is not None and current.mod_revision == revision:
                ops.append(Op(OpKind.DELETE, key, b"", revision, None, None))
        return ops

    def _next_batch(self) -> tuple[list[Op], bool]:
        """Wait for work, then take all that is queued; True once asked to stop."""
        batch = self._expired()
        while not batch:
            timeout = None
            if self._expiries:
                timeout = max(0.0, self._expiries[0][0] - time.time())
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                batch = self._expired()
                continue
            if first is None:
                return batch, True
            batch.append(first)
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        stop = False
        while not stop:
            batch, stop = self._next_batch()
            if batch:
                self._commit_batch(batch)

    def _commit_batch(self, batch: list[Op]) -> None:
        writes = [op for op in batch if op.kind is not OpKind.COMPACT]
        compactions = [op for op in batch if op.kind is OpKind.COMPACT]
        events: list[Event] = []
        started = time.perf_counter()
        try:
            if writes:
                events = self._apply_writes(writes)
            for op in compactions:
                self._apply_compaction(op)
        except sqlite3.Error as err:
            log.error("sqlite commit failed", extra={"ops": len(batch), "error": str(err)})
            self._recover()
            failure = StoreUnavailableError(f"sqlite commit failed: {err}")
            failure.__cause__ = err
            for op in batch:
                op.outcome = failure
            events = []
        log.debug(
            "batch committed",
            extra={
                "ops": len(batch),
                "revision": self.revision,
                "seconds": time.perf_counter() - started,
            },
        )
        committed = Committed(batch, events, self.revision, self.compacted)
        try:
            self._loop.call_soon_threadsafe(self._deliver, committed)
        except RuntimeError:
            # The loop is gone: nobody is waiting for these outcomes any more.
            log.warning("event loop closed before a batch was delivered")

    def _recover(self) -> None:
        """Roll back a failed transaction and re-read what is really committed."""
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")
        meta = dict(self._connection.execute(schema.READ_META).fetchall())
        self.revision = meta["revision"]
        self.compacted = meta["compacted"]

    def _current(self, keys: Sequence[str]) -> dict[str, KeyValue]:
        """The keys that exist now, with their values."""
        entries = [e for e in map(self.index.current, dict.fromkeys(keys)) if e is not None]
        found = schema.values(self._connection, [e.mod_revision for e in entries])
        return {
            e.key: KeyValue(e.key, found[e.mod_revision], e.create_revision, e.mod_revision)
            for e in entries
        }

    def _apply_writes(self, ops: list[Op]) -> list[Event]:
        """Decide every write against the state as the batch leaves it, then commit."""
        state: dict[str, KeyValue | None] = dict(self._current([op.key for op in ops]))
        revision = self.revision
        rows: list[tuple[int, str, int, int, int, float | None, bytes]] = []
        events: list[Event] = []

        for op in ops:
            current = state.get(op.key)
            failure = _check(op, current)
            if failure is not None:
                op.outcome = failure
                continue
            revision += 1
            if op.kind is OpKind.DELETE and current is not None:
                rows.append(
                    (revision, op.key, current.create_revision, current.mod_revision, 1, None, b"")
                )
                state[op.key] = None
                event = Event(EventType.DELETE, op.key, revision, None, current)
                op.outcome = event
            else:
                create_revision = revision if current is None else current.create_revision
                prev_revision = 0 if current is None else current.mod_revision
                kv = KeyValue(op.key, op.value, create_revision, revision)
                rows.append(
                    (revision, op.key, create_revision, prev_revision, 0, op.expires_at, op.value)
                )
                state[op.key] = kv
                event = Event(EventType.PUT, op.key, revision, kv, current)
                op.outcome = kv
            events.append(event)
        if not rows:
            return events

        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(schema.INSERT_LOG, rows)
        connection.execute(schema.SET_META, (revision, "revision"))
        connection.execute("COMMIT")
        self.revision = revision

        index = self.index
        with index.lock:
            for row in rows:
                if row[4]:
                    index.delete(row[1], row[0])
                else:
                    index.put(row[1], row[0], row[2])
            index.revision = revision
        for row in rows:
            if row[5] is not None:
                heapq.heappush(self._expiries, (row[5], row[1], row[0]))
        return events

    def _apply_compaction(self, op: Op) -> None:
        target = op.revision or 0
        if target <= self.compacted:
            op.outcome = None
            return
        if target > self.revision:
            op.outcome = StoreError(
                f"cannot compact to revision {target}: current revision is {self.revision}"
            )
            return
        # Forget in memory first: from here on, reads below the target are refused.
        with self.index.lock:
            dropped = self.index.compact(target)
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(schema.DELETE_REVISION, ((revision,) for revision in dropped))
        connection.execute(schema.SET_META, (target, "compacted"))
        connection.execute("COMMIT")
        log.info("store compacted", extra={"revision": target, "rows": len(dropped)})
        self.compacted = target
        op.outcome = None


def _check(op: Op, current: KeyValue | None) -> StoreError | None:
    """Why ``op`` cannot apply to a key in state ``current``, or None if it can."""
    if op.kind is OpKind.CREATE:
        return KeyExistsError(op.key) if current is not None else None
    if current is None:
        return KeyNotFoundError(op.key)
    if op.revision is not None and op.revision != current.mod_revision:
        return ConflictError(op.key, op.revision, current)
    return None
