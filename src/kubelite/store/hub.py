"""The watch hub: one feed of committed events, fanned out to many watches.

Every backend has one source of committed events: the sqlite store's batcher
hands over each durable batch, the etcd store's single watch stream each
response. The hub lives on the event loop and offers each event to the watches
whose prefix matches, in revision order, so that an event is decoded once
however many watches want it.

It also keeps the most recent events in memory, so that a watch starting a
little in the past (the common case: a client that has just listed) starts
without asking the backend. A watch that starts further back replays older
history through the backend's ``Replay`` first, page by page, while the events
published meanwhile wait in its queue; since the replay stops at the revision
the hub had published when the watch registered, and the queue holds only what
came after, nothing is missed and nothing comes twice::

    registered at hub revision 120, asked for events after 80
    replay from the backend: 81 .. 120   (pages of 1,000)
    queued live:             121, 122 ...  (delivered once the replay is done)

A backend whose feed trails its own writes (etcd: the stream delivers a write
some time after the write was answered) gives the hub an ``Upstream``. Every
watch then waits for the feed to be running before it registers, and a watch
"from now" starts at the backend's latest revision rather than the hub's, so
that a write answered before ``__aenter__`` returned is never delivered. The
sqlite batcher publishes before it answers, so the hub's revision is already
the latest there and it needs no upstream.

Watches never hold the feed back: each has its own queue, and one that falls
more than ``max_pending`` events behind is dropped with ``WatchOverflowError``.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol, Self

from kubelite.store.errors import (
    CompactedError,
    StoreError,
    StoreUnavailableError,
    WatchOverflowError,
)
from kubelite.store.interface import Event

log = logging.getLogger(__name__)

# (prefix, after, up_to, limit) -> the events under prefix in (after, up_to],
# oldest first: at most limit of them, unless one revision alone holds more,
# and never part of a revision.
Replay = Callable[[str, int, int, int], Awaitable[list[Event]]]

_REPLAY_PAGE = 1000


class Upstream(Protocol):
    """What a hub asks of a backend whose feed trails its writes."""

    async def ready(self) -> None:
        """Return once the hub is fed: its revision is where the feed stands."""
        ...

    async def head(self) -> int:
        """The backend's latest committed revision, which the hub's may trail."""
        ...


class WatchHub:
    """Fans committed events out to the registered watches."""

    def __init__(
        self,
        *,
        revision: int,
        compacted: int,
        history: int,
        max_pending: int,
        upstream: Upstream | None = None,
    ) -> None:
        # The last revision handed to the watches; events up to it are in the
        # backend's history, so a replay up to it finds them all.
        self.revision = revision
        # No watch may start below it. A lower bound: the backend may have
        # compacted further, and then says so when asked to replay.
        self.compacted = compacted
        self.max_pending = max_pending
        self.upstream = upstream
        # The newest events in revision order (a revision may hold several).
        # Invariant: every event with a revision in (_floor, revision] is here.
        self._recent: deque[Event] = deque(maxlen=history)
        self._history = history
        self._floor = revision
        self._watches: set[HubWatch] = set()
        self.closed = False

    def publish(self, events: list[Event], revision: int, compacted: int | None = None) -> None:
        """Hand ``events`` (all above the hub's revision) to the watches.

        ``revision`` is the backend's revision once they are committed, at
        least the last event's; ``compacted``, when given, its compacted one.
        """
        if events:
            self._remember(events)
            # Watches often share a prefix (every informer of one resource):
            # the events under each prefix are picked out once, not per watch.
            wanted: dict[str, list[Event]] = {}
            for watch in list(self._watches):
                prefix = watch.prefix
                matching = wanted.get(prefix)
                if matching is None:
                    matching = [e for e in events if e.key.startswith(prefix)]
                    wanted[prefix] = matching
                if matching:
                    watch.offer(matching)
        self.revision = revision
        if compacted is not None:
            self.compacted = compacted

    def recent_after(self, revision: int) -> list[Event] | None:
        """The events after ``revision`` from memory; None if memory does not reach."""
        if revision >= self.revision:
            return []
        if revision < self._floor:
            return None
        skip = bisect.bisect_right(self._recent, revision, key=_revision_of)
        return list(itertools.islice(self._recent, skip, None))

    def reset(self, revision: int, error: StoreError | None) -> None:
        """Start over at ``revision`` with nothing in memory.

        For a backend whose feed lost its place (or starts for the first
        time): the registered watches fail with ``error``, since what they
        were owed between the old revision and ``revision`` is gone.
        """
        self._fail_all(error or StoreUnavailableError("the store's watch feed restarted"))
        self._recent.clear()
        self.revision = self._floor = revision

    def register(self, watch: HubWatch) -> None:
        self._watches.add(watch)

    def unregister(self, watch: HubWatch) -> None:
        self._watches.discard(watch)

    def close(self) -> None:
        self.closed = True
        self._fail_all(StoreUnavailableError("the store closed"))

    @property
    def watch_count(self) -> int:
        return len(self._watches)

    def _remember(self, events: list[Event]) -> None:
        recent = self._recent
        overflow = len(recent) + len(events) - self._history
        if overflow > 0:
            # The oldest events leave memory, and with them the revision of
            # the last to leave: part of it may be gone.
            if overflow <= len(recent):
                self._floor = recent[overflow - 1].revision
            else:
                self._floor = events[overflow - len(recent) - 1].revision
        recent.extend(events)

    def _fail_all(self, error: StoreError) -> None:
        for watch in list(self._watches):
            watch.fail(error)
        self._watches.clear()


def _revision_of(event: Event) -> int:
    return event.revision


class HubWatch:
    """One watch: replayed history first, then live events, filtered by prefix."""

    def __init__(self, hub: WatchHub, prefix: str, revision: int, replay: Replay) -> None:
        self._hub = hub
        self._prefix = prefix
        self._requested = revision
        self._replay = replay
        # Events are delivered only above this revision (resolved when established).
        self._start = 0
        self._established = False
        self._establishing = False
        # The backend replay still to do: events in (_replay_from, _replay_to].
        self._replay_from = 0
        self._replay_to = 0
        self._replayed: deque[Event] = deque()
        self._pending: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: StoreError | None = None
        self._closed = False

    async def _establish(self) -> None:
        if self._established:
            return
        if self._establishing:
            raise RuntimeError(f"watch on {self._prefix!r} is being started by another task")
        self._establishing = True
        try:
            start = await self._resolve_start()
            self._register(start)
        except StoreError as err:
            # Later calls raise it again rather than wait for nothing.
            self._error = err
            self._established = True
            raise
        finally:
            self._establishing = False
        self._established = True

    async def _resolve_start(self) -> int:
        """The revision to deliver after; the hub is fed once this returns."""
        hub = self._hub
        if hub.closed:
            raise StoreUnavailableError("the store is closed")
        start = self._requested
        if hub.upstream is not None:
            await hub.upstream.ready()
            if not start:
                start = await hub.upstream.head()
            if hub.closed:
                raise StoreUnavailableError("the store is closed")
        return start or hub.revision

    def _register(self, start: int) -> None:
        # No await from here on: registering and reading the hub's memory
        # happen between two publishes, so the queue joins the memory exactly.
        hub = self._hub
        if start < hub.compacted:
            raise CompactedError(start, hub.compacted)
        self._start = start
        hub.register(self)
        recent = hub.recent_after(start)
        if recent is None:
            self._replay_from, self._replay_to = start, hub.revision
            log.debug(
                "watch replays from the backend",
                extra={"prefix": self._prefix, "after": start, "to": hub.revision},
            )
        else:
            self._pending.extend(e for e in recent if e.key.startswith(self._prefix))

    @property
    def prefix(self) -> str:
        return self._prefix

    def progress(self) -> int:
        """The revision up to which every event under the prefix has been returned.

        With nothing queued that is the hub's revision, even when the last
        events were for other prefixes: a cache fed by this watch is then as
        fresh as the store. 0 until the watch is established.
        """
        if not self._established or self._error is not None:
            return 0
        if self._replayed:
            return self._replayed[0].revision - 1
        if self._replay_from < self._replay_to:
            return self._replay_from
        if self._pending:
            return self._pending[0].revision - 1
        return max(self._hub.revision, self._start)

    def offer(self, events: list[Event]) -> None:
        """Queue ``events``, all under this watch's prefix; called by the hub."""
        start = self._start
        if events[0].revision <= start:
            # Only a watch that started ahead of the hub sees this.
            events = [e for e in events if e.revision > start]
            if not events:
                return
        self._pending.extend(events)
        if len(self._pending) > self._hub.max_pending:
            self.fail(WatchOverflowError(self._prefix, self._pending[0].revision))
            return
        self._wake()

    def fail(self, error: StoreError) -> None:
        if self._error is None:
            log.warning("watch dropped", extra={"prefix": self._prefix, "error": str(error)})
            self._error = error
        self._pending.clear()
        self._replayed.clear()
        self._replay_from = self._replay_to
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
            await self._establish()
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
            await self._establish()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
