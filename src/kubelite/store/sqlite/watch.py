"""Watches of the sqlite store, fed in-process by the writer: no polling.

The hub lives on the event loop. The writer hands it every committed batch, and it
offers each event to the watchers whose prefix matches, in revision order. It also
keeps the most recent events in memory, so that a watch starting a little in the
past (the common case: a client that has just listed) starts without touching the
database. A watch that starts further back replays the log from the database first,
page by page, while the events committed meanwhile wait in its queue; since the
replay stops at the revision the hub had published when the watch registered, and
the queue holds only what came after, nothing is missed and nothing comes twice::

    registered at hub revision 120, asked for events after 80
    replay from the log: 81 .. 120   (pages of 1,000)
    queued live:         121, 122 ...  (delivered once the replay is done)
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from kubelite.store.errors import (
    CompactedError,
    StoreError,
    StoreUnavailableError,
    WatchOverflowError,
)
from kubelite.store.interface import Event

log = logging.getLogger(__name__)

# (prefix, after, up_to, limit) -> the events in (after, up_to], oldest first.
Replay = Callable[[str, int, int, int], Awaitable[list[Event]]]

_REPLAY_PAGE = 1000


class WatchHub:
    """Fans committed events out to the registered watches."""

    def __init__(self, *, revision: int, compacted: int, history: int, max_pending: int) -> None:
        # The last revision handed to the watches; events up to it are in the log.
        self.revision = revision
        self.compacted = compacted
        self.max_pending = max_pending
        # The newest events, contiguous in revision: _recent[i].revision == first + i.
        self._recent: deque[Event] = deque(maxlen=history)
        self._watches: set[SqliteWatch] = set()
        self.closed = False

    def publish(self, events: list[Event], revision: int, compacted: int) -> None:
        if events:
            self._recent.extend(events)
            for watch in list(self._watches):
                watch.offer(events)
        self.revision = revision
        self.compacted = compacted

    def recent_after(self, revision: int) -> list[Event] | None:
        """The events after ``revision`` from memory; None if memory does not reach."""
        if revision >= self.revision:
            return []
        if not self._recent or self._recent[0].revision > revision + 1:
            return None
        skip = revision + 1 - self._recent[0].revision
        return list(itertools.islice(self._recent, skip, None))

    def register(self, watch: SqliteWatch) -> None:
        self._watches.add(watch)

    def unregister(self, watch: SqliteWatch) -> None:
        self._watches.discard(watch)

    def close(self) -> None:
        self.closed = True
        for watch in list(self._watches):
            watch.fail(StoreUnavailableError("the sqlite store closed"))
        self._watches.clear()

    @property
    def watch_count(self) -> int:
        return len(self._watches)


class SqliteWatch:
    """One watch: replayed history first, then live events, filtered by prefix."""

    def __init__(self, hub: WatchHub, prefix: str, revision: int, replay: Replay) -> None:
        self._hub = hub
        self._prefix = prefix
        self._requested = revision
        self._replay = replay
        # Events are delivered only above this revision (resolved when established).
        self._start = 0
        self._established = False
        # The database replay still to do: events in (_replay_from, _replay_to].
        self._replay_from = 0
        self._replay_to = 0
        self._replayed: deque[Event] = deque()
        self._pending: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: StoreError | None = None
        self._closed = False

    def _establish(self) -> None:
        self._established = True
        hub = self._hub
        if hub.closed:
            raise StoreUnavailableError("the sqlite store is closed")
        start = self._requested or hub.revision
        if start < hub.compacted:
            raise CompactedError(start, hub.compacted)
        self._start = start
        hub.register(self)
        recent = hub.recent_after(start)
        if recent is None:
            self._replay_from, self._replay_to = start, hub.revision
            log.debug(
                "watch replays from the log",
                extra={"prefix": self._prefix, "after": start, "to": hub.revision},
            )
        else:
            self._pending.extend(e for e in recent if e.key.startswith(self._prefix))

    def offer(self, events: list[Event]) -> None:
        """Queue the events this watch wants; called by the hub on the loop."""
        prefix, start = self._prefix, self._start
        self._pending.extend(e for e in events if e.revision > start and e.key.startswith(prefix))
        if len(self._pending) > self._hub.max_pending:
            self.fail(WatchOverflowError(self._prefix, self._pending[0].revision))
            return
        self._wake()

    def fail(self, error: StoreError) -> None:
        if self._error is None:
            log.warning("watch dropped", extra={"prefix": self._prefix, "error": str(error)})
            self._error = error
        self._pending.clear()
        self._hub.unregister(self)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _next_replayed(self) -> Event | None:
        while not self._replayed:
            if self._replay_from >= self._replay_to:
                return None
            page = await self._replay(
                self._prefix, self._replay_from, self._replay_to, _REPLAY_PAGE
            )
            if not page:
                self._replay_from = self._replay_to
                return None
            self._replay_from = page[-1].revision
            self._replayed.extend(page)
        return self._replayed.popleft()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        if not self._established:
            self._establish()
        while True:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise StopAsyncIteration
            if self._replay_from < self._replay_to or self._replayed:
                event = await self._next_replayed()
                if event is not None:
                    return event
                continue
            if self._pending:
                return self._pending.popleft()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def aclose(self) -> None:
        self._closed = True
        self._pending.clear()
        self._replayed.clear()
        self._hub.unregister(self)
        self._wake()

    async def __aenter__(self) -> Self:
        if not self._established:
            self._establish()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
