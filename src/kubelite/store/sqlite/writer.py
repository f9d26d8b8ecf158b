"""The writer thread: the only connection that writes, committing one batch at a time.

The event loop decides what each write does (``batcher``) and hands the writer whole
batches of rows; the writer inserts them in one transaction, commits, and reports
back to the loop. It runs no logic of its own, so it holds the interpreter lock only
to hand rows to SQLite: the waits for the disk overlap with the loop's work. No
other connection writes, so SQLite never answers "database is locked".
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kubelite.store.sqlite import schema

log = logging.getLogger(__name__)

# One log row: revision, key, create_revision, prev_revision, deleted, expires_at, value.
Row = tuple[int, str, int, int, int, float | None, bytes]


@dataclass(slots=True)
class Job:
    """Rows to append, or revisions to drop when compacting to ``compact_to``."""

    rows: list[Row] = field(default_factory=list)
    revision: int = 0
    drop: list[int] = field(default_factory=list)
    compact_to: int = 0
    # Set by the writer when the transaction failed; nothing of the job is stored.
    error: Exception | None = None


class Writer:
    """Owns the write connection and the thread that uses it."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        loop: asyncio.AbstractEventLoop,
        done: Callable[[Job], None],
    ) -> None:
        self._connection = connection
        self._loop = loop
        self._done = done
        # None is the sign to stop, queued once by close().
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kubelite-sqlite-writer")
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def close(self) -> None:
        """Finish what is queued, then stop the thread; blocks until it has."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join()
        self._connection.close()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            started = time.perf_counter()
            try:
                self._commit(job)
            except Exception as err:
                # Whatever went wrong, the job must be reported, or its callers would
                # wait forever; and the transaction must not stay open.
                log.error("sqlite commit failed", extra={"rows": len(job.rows), "error": str(err)})
                job.error = err
                self._roll_back()
            log.debug(
                "batch committed",
                extra={"rows": len(job.rows), "seconds": time.perf_counter() - started},
            )
            try:
                self._loop.call_soon_threadsafe(self._done, job)
            except RuntimeError:
                # The loop is gone: nobody is waiting for this outcome any more.
                log.warning("event loop closed before a batch was reported")

    def _roll_back(self) -> None:
        try:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
        except sqlite3.Error as err:
            log.error("sqlite rollback failed", extra={"error": str(err)})

    def _commit(self, job: Job) -> None:
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        if job.rows:
            connection.executemany(schema.INSERT_LOG, job.rows)
            connection.execute(schema.SET_META, (job.revision, "revision"))
        if job.compact_to:
            connection.executemany(schema.DELETE_REVISION, ((r,) for r in job.drop))
            connection.execute(schema.SET_META, (job.compact_to, "compacted"))
        connection.execute("COMMIT")
