"""``WatchFeed``: the one etcd watch stream of a store, feeding its watch hub.

Every ``EtcdStore.watch`` is a ``HubWatch`` on the store's ``WatchHub``
(``kubelite.store.hub``). The hub is fed by one etcd watcher over the whole
key space, with ``prev_kv``, so each event crosses the wire and is decoded
once, however many watches want it; with a stream per watch, a hundred watches
meant every event decoded a hundred times and a saturated event loop. The
whole key space rather than a stream per prefix: the API server watches every
resource anyway, and one stream keeps the hub's memory contiguous, which is
what lets a watch on any prefix start in the recent past without asking etcd.

The feed starts when the first watch is established, not when the store
opens: a store that only reads and writes (a command-line tool, a test's
writer) never pays for decoding every write. Once started it runs until the
store closes, so that its memory of recent events is there for the next watch.

The one number that makes resumption exact is ``_last``: every event with a
revision up to it has been read off a stream, and none above it has. A
stream is always opened at ``_last`` itself, not ``_last + 1``, and events at
``_last`` are dropped: etcd then reports the stream compacted exactly when a
read at ``_last`` would be, which is the store's rule (a watch from R needs
the state at R, if only to fill in ``prev`` of the event at R + 1). A worked
example::

    first watch         read the current revision, 10; open at 10
    read PUT /p/a @12   publish [12]; _last = 12
    etcd is killed      read raises UNAVAILABLE; back off, retry
    etcd is back        open at 12; etcd replays 12 (dropped), 13, 14
    compacted to 20 while we were away
                        etcd answers compact_revision=20: every registered
                        watch fails with CompactedError; the hub starts over
                        at 20 with nothing in memory; open at 20

A feed that cannot reopen within ``watch_resume_timeout`` fails every
registered watch with ``StoreUnavailableError`` and stops; the next watch to
be established starts it again. etcd sends all the events of one revision in
one response (we never ask for fragments), so resuming after a whole response
never splits a revision.

The feed pushes: it reads as fast as etcd sends and a watch that cannot keep
up is dropped by the hub (``WatchOverflowError``), rather than one slow reader
holding every other watch back through gRPC's flow control.

It also paces what it pushes. etcd sends each revision in a response of its
own, and a publish wakes every watch wanting it, one task switch each: at
1,000 writes/s and 100 watches that is 100,000 wake-ups a second, which with
the writes' own work is more than one event loop has. So publishes are spaced
by 30 µs per registered watch, at most ``watch_batch_delay_max``; what comes
in between waits and goes with the next publish, and each woken watch then
takes several events per wake-up. An event after a quiet spell goes at once;
under load an event waits at most the spacing (3 ms for 100 watches)::

    100 watches, spacing 3 ms
    t=0.0  event 51 read   last publish long ago: publish [51] now
    t=1.0  event 52 read   within 3 ms of the last: flush due at t=3.0
    t=2.0  event 53 read   waits with 52
    t=3.0  flush           publish [52, 53]: 100 wake-ups for 2 events

Limit, measured rather than fixed: the stream is read on the event loop, and
each message costs the feed two turns of the loop (gRPC's poller wakes the
loop, which then wakes the feed's task), one message at a time. A loop busy
with other work turns slowly and the feed falls behind etcd: 100 watches on
a store taking 1,000 writes/s, each write costing the loop about 0.4 ms,
read events 40 ms to 1 s late on two shared cores (``bench.store``).
Reading on a thread through gRPC's blocking API was tried and was worse:
that thread needs the interpreter lock for every message, and a busy loop
holds it for up to the switch interval (5 ms) each time.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import grpc.aio  # type: ignore[import-untyped]

from kubelite.store.errors import CompactedError, StoreError, StoreUnavailableError
from kubelite.store.etcd import codec
from kubelite.store.etcd.connection import EtcdOptions
from kubelite.store.etcd.errors import is_resumable
from kubelite.store.etcd.streams import (
    EVERY_KEY,
    StreamBroken,
    WatchStreams,
    create_watcher,
    retrying,
)
from kubelite.store.hub import WatchHub
from kubelite.store.interface import Event

log = logging.getLogger(__name__)

# Publishes to the hub are spaced by this much per registered watch (up to
# EtcdOptions.watch_batch_delay_max). Waking one watch's task costs about 5 µs
# of the loop; 30 µs of spacing per watch keeps the wake-ups under a fifth of
# it however fast events come. 100 watches: publishes at most every 3 ms.
_SPACING_PER_WATCH = 30e-6


class WatchFeed:
    """Publishes every event of an etcd cluster into one ``WatchHub``.

    It is the hub's ``Upstream``: a watch awaits ``ready`` before it
    registers, and a watch from "now" starts at ``head``.
    """

    def __init__(
        self,
        *,
        streams: WatchStreams,
        hub: WatchHub,
        options: EtcdOptions,
        current_revision: Callable[[], Awaitable[int]],
    ) -> None:
        self._streams = streams
        self._hub = hub
        self._options = options
        self._current_revision = current_revision
        # Invariant: every event with revision <= _last has been read off a
        # stream (published, or in _unpublished) and none above it.
        # Meaningful while _pump runs.
        self._last = 0
        self._call: Any = None
        # At most one of the two is set: starting, or running.
        self._starting: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._closed = False
        # Events read but not yet published: all above the hub's revision,
        # and up to _last. A flush is scheduled whenever the list is not empty.
        self._unpublished: list[Event] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        # When the last publish happened, in the event loop's clock.
        self._published_at = -math.inf

    # The hub's Upstream.

    async def ready(self) -> None:
        """Return once the feed runs, starting it if it does not."""
        if self._pump is not None:
            return
        if self._closed:
            raise StoreUnavailableError("the etcd store is closed")
        if self._starting is None:
            self._starting = asyncio.create_task(self._start(), name="kubelite-etcd-watch-start")
            self._starting.add_done_callback(_consume_failure)
        starting = self._starting
        try:
            # Shielded: one watch giving up waiting must not stop the start
            # that other watches are waiting for.
            await asyncio.shield(starting)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._closed and not (task is not None and task.cancelling()):
                raise StoreUnavailableError("the etcd store closed") from None
            raise

    async def head(self) -> int:
        return await self._current_revision()

    # Used by the store.

    async def close(self) -> None:
        """Stop reading; the store fails the watches through the hub."""
        self._closed = True
        tasks = [task for task in (self._starting, self._pump) if task is not None]
        for task in tasks:
            task.cancel()
        self._cancel_call()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._unpublished.clear()
        await asyncio.gather(*tasks, return_exceptions=True)

    # Internals.

    async def _start(self) -> None:
        try:
            revision = await self._current_revision()
            deadline = asyncio.get_running_loop().time() + self._options.request_timeout
            self._call = await self._open(revision, deadline)
        finally:
            self._starting = None
        # From here to the pump's first read nothing awaits: no event can
        # slip between the hub's revision and the stream's.
        self._last = revision
        self._hub.reset(revision, None)
        self._pump = asyncio.create_task(self._run(), name="kubelite-etcd-watch-feed")
        log.info("watch feed started", extra={"revision": revision})

    async def _open(self, start: int, deadline: float) -> Any:
        async def attempt() -> Any:
            if self._closed:
                raise StoreUnavailableError("the etcd store is closed")
            return await create_watcher(
                self._streams, key_range=EVERY_KEY, start=start, prev_kv=True, deadline=deadline
            )

        return await retrying(
            attempt,
            what=f"watch stream at revision {start}",
            deadline=deadline,
            options=self._options,
        )

    async def _run(self) -> None:
        try:
            while True:
                await self._step()
        except StoreError as err:
            # Gave up resuming: the watches are owed events nobody can give.
            log.error("watch feed stopped", extra={"revision": self._last, "error": str(err)})
            self._cancel_call()
            self._pump = None
            self._flush()
            self._hub.reset(self._last, err)

    async def _step(self) -> None:
        """Read one response and publish it, resuming the stream if it broke."""
        try:
            response = await self._call.read()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._closed or (task is not None and task.cancelling()):
                raise
            # The call was cancelled under the read, not this task.
            await self._resume(StreamBroken("stream cancelled"))
            return
        except grpc.aio.AioRpcError as err:
            if not is_resumable(err):
                raise StoreUnavailableError(f"watch stream failed: {err.code().name}") from err
            await self._resume(err)
            return
        if response is grpc.aio.EOF:
            await self._resume(StreamBroken("stream ended"))
            return
        if response.compact_revision:
            self._restart_compacted(int(response.compact_revision))
            await self._resume(StreamBroken("resume point compacted"))
            return
        if response.canceled:
            await self._resume(StreamBroken(response.cancel_reason or "canceled"))
            return
        last = self._last
        # A stream opens at _last, so its first revision may be one already
        # published; dropping by revision is also what makes a replay after
        # a resume unable to repeat anything.
        events = [codec.event(raw) for raw in response.events if raw.kv.mod_revision > last]
        if events:
            self._last = events[-1].revision
            self._offer(events)

    def _offer(self, events: list[Event]) -> None:
        """Publish ``events`` now, or with the next ones if the last was recent."""
        self._unpublished.extend(events)
        if self._flush_handle is not None:
            return
        loop = asyncio.get_running_loop()
        spacing = min(
            self._hub.watch_count * _SPACING_PER_WATCH, self._options.watch_batch_delay_max
        )
        due = self._published_at + spacing
        if loop.time() >= due:
            self._flush()
        else:
            self._flush_handle = loop.call_at(due, self._flush)

    def _flush(self) -> None:
        """Publish whatever is waiting; the hub then stands at ``_last``."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if not self._unpublished:
            return
        events, self._unpublished = self._unpublished, []
        self._published_at = asyncio.get_running_loop().time()
        self._hub.publish(events, events[-1].revision)

    def _restart_compacted(self, compacted: int) -> None:
        """The resume point is gone: fail every watch, go on from ``compacted``."""
        error = CompactedError(self._last, compacted)
        log.warning(
            "watch feed resume point compacted",
            extra={"revision": self._last, "compacted": compacted},
        )
        self._flush()
        self._hub.compacted = max(self._hub.compacted, compacted)
        self._hub.reset(compacted, error)
        self._last = compacted

    async def _resume(self, cause: BaseException) -> None:
        """Reopen the stream at ``_last`` after ``cause`` broke it."""
        log.warning(
            "watch stream broken, resuming",
            extra={"revision": self._last, "cause": repr(cause)},
        )
        self._cancel_call()
        deadline = asyncio.get_running_loop().time() + self._options.watch_resume_timeout
        self._call = await self._open(self._last, deadline)
        log.info("watch resumed", extra={"revision": self._last})

    def _cancel_call(self) -> None:
        if self._call is not None:
            self._call.cancel()
            self._call = None


def _consume_failure(task: asyncio.Task[None]) -> None:
    # The watches waiting on a start get its failure; this only keeps asyncio
    # from reporting it again when none was waiting any more.
    if not task.cancelled():
        task.exception()
