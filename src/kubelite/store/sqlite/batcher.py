"""Deciding writes on the event loop and grouping them into batches for the writer.

Every write is decided the moment it is asked for, on the loop, against the state
the writes before it leave: the durable state in the key index, overlaid with the
writes decided but not yet committed. A write that passes its condition gets the
next revision and joins the open batch; one that fails joins it too, so that every
answer is given only once everything decided before it is on disk. The writer
thread commits one batch at a time; the batch that fills up meanwhile goes next, so
the cost of each commit is shared by all the writes that waited for it::

    writes 1..64 decided  -> batch A (revisions 11..74) goes to the writer
    writes 65..90 decided -> batch B fills while A commits (revisions 75..100)
    A committed           -> index updated, watches told, callers of A answered;
                             B goes to the writer

If a commit fails, nothing of its batch is stored, and the batch decided on top of
it is failed too; the state falls back to what is durable, so revisions stay
contiguous.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import sqlite3
import time
from dataclasses import dataclass, field

from kubelite.store.errors import (
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    StoreError,
    StoreUnavailableError,
)
from kubelite.store.hub import WatchHub
from kubelite.store.interface import Event, EventType, KeyValue
from kubelite.store.sqlite import schema
from kubelite.store.sqlite.index import KeyIndex
from kubelite.store.sqlite.writer import Job, Writer

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Batch:
    job: Job = field(default_factory=Job)
    # Each caller's future with the outcome it gets once the batch is durable.
    answers: list[tuple[asyncio.Future[object], object]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.answers


class Batcher:
    """The write path of the sqlite store; lives on the event loop."""

    def __init__(
        self,
        *,
        index: KeyIndex,
        hub: WatchHub,
        writer_connection: sqlite3.Connection,
        values: sqlite3.Connection,
        expiries: list[tuple[float, str, int]],
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._index = index
        self._hub = hub
        self._values = values
        # The last revision handed out; ahead of index.revision while a batch is pending.
        self._revision = index.revision
        # Keys written by decided writes that are not yet durable: key -> (revision,
        # state after it), None for a delete. Cleared as batches commit.
        self._overlay: dict[str, tuple[int, KeyValue | None]] = {}
        self._open = _Batch()
        self._in_flight: _Batch | None = None
        self._flush_scheduled = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        # (expires_at, key, revision) for keys with a time to live; stale entries (the
        # key has moved on) are skipped when they come due.
        self._expiries = expiries
        heapq.heapify(self._expiries)
        self._expiry_timer: asyncio.TimerHandle | None = None
        self._writer = Writer(writer_connection, loop=self._loop, done=self._done)
        self._schedule_expiry()

    # Deciding.

    def _state(self, key: str) -> KeyValue | None:
        """The key as the writes decided so far leave it."""
        pending = self._overlay.get(key)
        if pending is not None:
            return pending[1]
        entry = self._index.current(key)
        if entry is None:
            return None
        row = self._values.execute(schema.VALUE, (entry.mod_revision,)).fetchone()
        return KeyValue(key, row[0], entry.create_revision, entry.mod_revision)

    def _exists(self, key: str) -> bool:
        pending = self._overlay.get(key)
        if pending is not None:
            return pending[1] is not None
        return self._index.current(key) is not None

    def put(
        self,
        key: str,
        value: bytes,
        *,
        create: bool,
        revision: int | None,
        expires_at: float | None,
    ) -> asyncio.Future[object]:
        """Decide a create (``create``) or an update; the future gets a KeyValue."""
        future = self._admit()
        if create:
            if self._exists(key):
                return self._answer(future, KeyExistsError(key))
            current = None
        else:
            current = self._state(key)
            failure = _precondition(key, revision, current)
            if failure is not None:
                return self._answer(future, failure)
        self._revision += 1
        new = self._revision
        create_revision = new if current is None else current.create_revision
        prev_revision = 0 if current is None else current.mod_revision
        kv = KeyValue(key, value, create_revision, new)
        self._open.job.rows.append((new, key, create_revision, prev_revision, 0, expires_at, value))
        self._open.events.append(Event(EventType.PUT, key, new, kv, current))
        self._overlay[key] = (new, kv)
        return self._answer(future, kv)

    def delete(self, key: str, *, revision: int | None) -> asyncio.Future[object]:
        """Decide a delete; the future gets the DELETE event."""
        future = self._admit()
        current = self._state(key)
        failure = _precondition(key, revision, current)
        if failure is not None or current is None:
            return self._answer(future, failure or KeyNotFoundError(key))
        self._revision += 1
        new = self._revision
        row = (new, key, current.create_revision, current.mod_revision, 1, None, b"")
        self._open.job.rows.append(row)
        event = Event(EventType.DELETE, key, new, None, current)
        self._open.events.append(event)
        self._overlay[key] = (new, None)
        return self._answer(future, event)

    def compact(self, revision: int) -> asyncio.Future[object]:
        """Forget history before ``revision``; reads below it are refused at once."""
        future = self._admit()
        index = self._index
        if revision > index.revision:
            return self._answer(future, FutureRevisionError(revision, index.revision))
        if revision > index.compacted:
            job = self._open.job
            job.drop.extend(index.compact(revision))
            job.compact_to = revision
            self._hub.compacted = revision
        return self._answer(future, None)

    def _admit(self) -> asyncio.Future[object]:
        if self._closed:
            raise StoreUnavailableError("the sqlite store is closed")
        return self._loop.create_future()

    def _answer(self, future: asyncio.Future[object], outcome: object) -> asyncio.Future[object]:
        self._open.answers.append((future, outcome))
        self._idle.clear()
        if not self._flush_scheduled and self._in_flight is None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        return future

    # Committing.

    def _flush(self) -> None:
        """Send the open batch to the writer, unless one is already there."""
        self._flush_scheduled = False
        if self._in_flight is not None or self._open.empty:
            return
        batch, self._open = self._open, _Batch()
        if not batch.job.rows and not batch.job.compact_to:
            self._settle(batch)
            return
        if batch.job.rows:
            batch.job.revision = batch.job.rows[-1][0]
        self._in_flight = batch
        self._writer.submit(batch.job)

    def _done(self, job: Job) -> None:
        """The writer finished the batch in flight; runs on the loop."""
        batch = self._in_flight
        self._in_flight = None
        if batch is None or batch.job is not job:
            log.error("writer reported a batch that was not in flight")
            return
        if job.error is not None:
            self._fail(batch, job.error)
        else:
            self._apply(batch)
        self._flush()

    def _apply(self, batch: _Batch) -> None:
        index = self._index
        rows = batch.job.rows
        expiring = False
        for revision, key, create_revision, _, deleted, expires_at, _ in rows:
            if deleted:
                index.delete(key, revision)
            else:
                index.put(key, revision, create_revision)
                if expires_at is not None:
                    heapq.heappush(self._expiries, (expires_at, key, revision))
                    expiring = True
        if rows:
            index.revision = batch.job.revision
        if self._revision == index.revision:
            # Nothing was decided after this batch: every pending write is durable.
            self._overlay.clear()
        else:
            for revision, key, *_ in rows:
                pending = self._overlay.get(key)
                if pending is not None and pending[0] == revision:
                    del self._overlay[key]
        if expiring:
            self._schedule_expiry()
        self._hub.publish(batch.events, index.revision, index.compacted)
        self._settle(batch)

    def _fail(self, batch: _Batch, error: Exception) -> None:
        """Fail the batch and everything decided on top of it."""
        failure = StoreUnavailableError(f"sqlite commit failed: {error}")
        failure.__cause__ = error
        later, self._open = self._open, _Batch()
        for failed in (batch, later):
            failed.answers = [(future, failure) for future, _ in failed.answers]
            self._settle(failed)
        self._overlay.clear()
        self._revision = self._index.revision

    def _settle(self, batch: _Batch) -> None:
        for future, outcome in batch.answers:
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if self._in_flight is None and self._open.empty:
            self._idle.set()

    # Keys with a time to live.

    def _schedule_expiry(self) -> None:
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None
        if self._expiries and not self._closed:
            delay = max(0.0, self._expiries[0][0] - time.time())
            self._expiry_timer = self._loop.call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry_timer = None
        now = time.time()
        while self._expiries and self._expiries[0][0] <= now:
            _, key, revision = heapq.heappop(self._expiries)
            current = self._index.current(key)
            if current is None or current.mod_revision != revision or key in self._overlay:
                continue
            log.debug("key expired", extra={"key": key, "revision": revision})
            self.delete(key, revision=revision).add_done_callback(_ignore_outcome)
        self._schedule_expiry()

    async def close(self) -> None:
        """Answer every write already decided, then stop the writer."""
        self._closed = True
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
        await self._idle.wait()
        await asyncio.to_thread(self._writer.close)


def _precondition(key: str, revision: int | None, current: KeyValue | None) -> StoreError | None:
    """Why an update or delete conditioned on ``revision`` cannot apply, if it cannot."""
    if current is None:
        return KeyNotFoundError(key)
    if revision is not None and revision != current.mod_revision:
        return ConflictError(key, revision, current)
    return None


def _ignore_outcome(future: asyncio.Future[object]) -> None:
    # A sweep's delete may lose to a concurrent write; that is not an error.
    if not future.cancelled():
        future.exception()
