"""``EtcdWatch``: one etcd watch stream that survives the stream breaking.

Each watch owns one bidirectional gRPC stream carrying one etcd watcher on the
range ``[prefix, prefix_end)`` with ``prev_kv``. It is pull-based: ``__anext__``
reads the next response itself, so a slow consumer holds etcd back through
gRPC's flow control rather than a queue growing in between.

The one number that makes resumption exact is ``_last``: every event with a
revision up to it has been taken off the stream (delivered, or waiting in
``_pending``), and none above it has. A stream is always opened at ``_last``
itself, not ``_last + 1``, and events at ``_last`` are dropped: etcd then
reports the watch compacted exactly when a read at ``_last`` would be, which is
the store's rule (a watch from R needs the state at R, if only to fill in
``prev`` of the event at R + 1). A worked example, prefix ``/p/``, from 10::

    open at 10          _last = 10; an event at 10 would be dropped
    read PUT /p/a @12   _last = 12, pending [12]
    deliver 12
    etcd is killed      read raises UNAVAILABLE; back off, retry
    etcd is back        open at 12; etcd replays 12 (dropped), 13, 14
    compacted to 20 while we were away
                        etcd answers compact_revision=20: CompactedError

``start_revision=0`` (from now) is turned into a concrete revision before the
stream opens, by reading the current revision first, so that a break before the
first event still resumes at the right place. Progress notifications, when
enabled, move ``_last`` forward on a quiet prefix: etcd sends them only to a
watcher that has caught up, with the revision everything up to which was sent.

etcd sends all the events of one revision in one response (we never ask for
fragments), so resuming after a whole response never splits a revision.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import grpc.aio  # type: ignore[import-untyped]
from etcd3aio._protobuf import WatchCreateRequest, WatchRequest

from kubelite.store.errors import CompactedError, StoreUnavailableError
from kubelite.store.etcd import codec
from kubelite.store.etcd.connection import EtcdOptions
from kubelite.store.etcd.errors import is_resumable
from kubelite.store.interface import Event

log = logging.getLogger(__name__)


class _StreamBroken(Exception):
    """The stream ended in a way that resuming can fix."""


class EtcdWatch:
    """A watch on ``prefix`` delivering every event after ``revision``."""

    def __init__(
        self,
        *,
        stub: Any,
        prefix: str,
        revision: int,
        options: EtcdOptions,
        current_revision: Callable[[], Awaitable[int]],
        on_close: Callable[[EtcdWatch], None],
    ) -> None:
        if revision < 0:
            raise ValueError(f"watch revision must not be negative, got {revision}")
        self._stub = stub
        self._prefix = prefix
        self._range = codec.prefix_range(prefix)
        self._start = revision
        self._options = options
        self._current_revision = current_revision
        self._on_close = on_close
        # Invariant: every event with revision <= _last has been read off a
        # stream and none above it. Meaningful once _started.
        self._last = 0
        self._started = False
        self._pending: collections.deque[Event] = collections.deque()
        self._call: Any = None
        self._closed = False
        self._store_closed = False

    # The async iterator and context manager protocols.

    def __aiter__(self) -> Self:
        return self

    async def __aenter__(self) -> Self:
        await self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def __anext__(self) -> Event:
        if not self._started:
            await self._begin()
        while not self._pending:
            self._check_closed()
            try:
                response = await self._call.read()
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # our caller is being cancelled, not the stream
                # The call was cancelled under the read: by aclose() from
                # another task, or by a cancelled read before this one.
                self._check_closed()
                await self._resume(_StreamBroken("stream cancelled"))
                continue
            except grpc.aio.AioRpcError as err:
                self._check_closed()
                if not is_resumable(err):
                    raise StoreUnavailableError(
                        f"watch on {self._prefix!r} failed: {err.code().name}"
                    ) from err
                await self._resume(err)
                continue
            if response is grpc.aio.EOF:
                self._check_closed()
                await self._resume(_StreamBroken("stream ended"))
                continue
            try:
                absorbed = self._absorb(response)
            except CompactedError:
                self._shutdown(store_closed=False)
                raise
            if not absorbed:
                await self._resume(_StreamBroken(response.cancel_reason or "canceled"))
        return self._pending.popleft()

    async def aclose(self) -> None:
        self._shutdown(store_closed=False)

    # Used by the store.

    def shutdown_by_store(self) -> None:
        """The store is closing: a waiting or later ``__anext__`` fails."""
        self._shutdown(store_closed=True)

    # Internals.

    def _shutdown(self, *, store_closed: bool) -> None:
        if self._closed:
            return
        self._closed = True
        self._store_closed = store_closed
        if self._call is not None:
            self._call.cancel()
            self._call = None
        self._on_close(self)

    def _check_closed(self) -> None:
        if self._store_closed:
            raise StoreUnavailableError(f"watch on {self._prefix!r}: the store is closed")
        if self._closed:
            raise StopAsyncIteration

    async def _begin(self) -> None:
        self._check_closed()
        if self._started:
            return
        self._last = self._start or await self._current_revision()
        deadline = asyncio.get_running_loop().time() + self._options.request_timeout
        await self._open_with_retry(self._last, deadline)
        self._started = True
        log.debug("watch started", extra={"prefix": self._prefix, "revision": self._last})

    async def _resume(self, cause: BaseException) -> None:
        """Reopen the stream at ``_last`` after ``cause`` broke it."""
        log.warning(
            "watch stream broken, resuming",
            extra={"prefix": self._prefix, "revision": self._last, "cause": repr(cause)},
        )
        if self._call is not None:
            self._call.cancel()
            self._call = None
        deadline = asyncio.get_running_loop().time() + self._options.watch_resume_timeout
        await self._open_with_retry(self._last, deadline)
        log.info("watch resumed", extra={"prefix": self._prefix, "revision": self._last})

    async def _open_with_retry(self, start: int, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        delay = self._options.reconnect_backoff
        while True:
            self._check_closed()
            try:
                self._call = await self._open(start, deadline)
                return
            except (_StreamBroken, grpc.aio.AioRpcError, TimeoutError) as err:
                if isinstance(err, grpc.aio.AioRpcError) and not is_resumable(err):
                    raise StoreUnavailableError(
                        f"watch on {self._prefix!r} failed: {err.code().name}"
                    ) from err
                if loop.time() + delay > deadline:
                    raise StoreUnavailableError(
                        f"watch on {self._prefix!r} could not reach etcd to resume "
                        f"at revision {start}"
                    ) from err
                log.warning(
                    "watch open failed, retrying",
                    extra={"prefix": self._prefix, "delay": delay, "cause": repr(err)},
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._options.reconnect_backoff_max)

    async def _open(self, start: int, deadline: float) -> Any:
        """A new stream with a watcher created at ``start``, by ``deadline``."""
        key, range_end = self._range
        create = WatchCreateRequest(
            key=key,
            range_end=range_end,
            start_revision=start,
            prev_kv=True,
            progress_notify=self._options.watch_progress_notify,
        )
        call = self._stub.Watch()
        try:
            async with asyncio.timeout_at(deadline):
                await call.write(WatchRequest(create_request=create))
                while True:
                    response = await call.read()
                    if response is grpc.aio.EOF:
                        raise _StreamBroken("stream ended before the watch was created")
                    if response.created and not response.canceled:
                        return call
                    if not self._absorb(response):
                        raise _StreamBroken(response.cancel_reason or "create canceled")
        except BaseException:
            call.cancel()
            raise

    def _absorb(self, response: Any) -> bool:
        """Take one response's events into ``_pending``; False if it canceled."""
        if response.compact_revision:
            raise CompactedError(self._last, int(response.compact_revision))
        if response.canceled:
            return False
        if not response.events:
            if not response.created and self._options.watch_progress_notify:
                self._last = max(self._last, int(response.header.revision))
            return True
        for raw in response.events:
            event = codec.event(raw)
            # A stream opens at _last, so its first revision may be one
            # already taken; dropping by revision is also what makes a
            # replay after a resume unable to repeat anything.
            if event.revision > self._last:
                self._pending.append(event)
                self._last = event.revision
        return True


async def compacted_revision(stub: Any, deadline: float) -> int:
    """The revision etcd has compacted up to, or 0 if it cannot tell.

    etcd's read errors do not say; a watcher opened at revision 1 is answered
    with it straight away. Only called after a read failed as compacted, so
    there is a compaction to report. ``deadline`` is in the event loop's clock.
    """
    call = stub.Watch()
    try:
        async with asyncio.timeout_at(deadline):
            create = WatchCreateRequest(key=b"\x00", start_revision=1)
            await call.write(WatchRequest(create_request=create))
            while True:
                response = await call.read()
                if response is grpc.aio.EOF:
                    return 0
                if response.compact_revision:
                    return int(response.compact_revision)
    except (grpc.aio.AioRpcError, TimeoutError):
        return 0
    finally:
        call.cancel()
