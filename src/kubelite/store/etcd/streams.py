"""Opening etcd watch streams: counted, created, retried with back-off.

A store opens watch streams for three things: its one long-lived feed
(``watch``), short replays of history older than the feed's memory and the
probe that asks etcd how far it has compacted (``history``). All of them go
through ``WatchStreams``, which counts them, so that "one stream however many
watches" can be checked from outside.

A stream carries exactly one etcd watcher here, created by ``create_watcher``
with a revision to start at. etcd answers ``created`` first; events,
compaction and cancellation come after, and are the caller's to read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc.aio  # type: ignore[import-untyped]
from etcd3aio._protobuf import WatchCreateRequest, WatchRequest, WatchStub

from kubelite.store.errors import StoreUnavailableError
from kubelite.store.etcd.connection import EtcdOptions
from kubelite.store.etcd.errors import is_resumable

log = logging.getLogger(__name__)

T = TypeVar("T")

# The whole key space, as etcd spells it: every key from "\x00" on.
EVERY_KEY = (b"\x00", b"\x00")


class StreamBroken(Exception):
    """A stream ended in a way that opening another can fix."""


class WatchStreams:
    """Opens the gRPC watch streams of one store and counts them."""

    def __init__(self, channel: Any) -> None:
        self._stub = WatchStub(channel)
        # Every stream opened so far, whatever it was for; only ever grows.
        self.opened = 0

    def open(self) -> Any:
        """A new bidirectional watch stream; the caller cancels it when done."""
        self.opened += 1
        return self._stub.Watch()


async def create_watcher(
    streams: WatchStreams,
    *,
    key_range: tuple[bytes, bytes],
    start: int,
    prev_kv: bool,
    deadline: float,
) -> Any:
    """A stream with one watcher on ``key_range`` from ``start``, by ``deadline``.

    Raises ``StreamBroken`` when the stream ends or the watcher is refused
    before it is created, gRPC's error or ``TimeoutError`` otherwise; the
    stream is cancelled on any failure.
    """
    key, range_end = key_range
    create = WatchCreateRequest(key=key, range_end=range_end, start_revision=start, prev_kv=prev_kv)
    call = streams.open()
    try:
        async with asyncio.timeout_at(deadline):
            await call.write(WatchRequest(create_request=create))
            response = await call.read()
    except BaseException:
        call.cancel()
        raise
    if response is grpc.aio.EOF:
        call.cancel()
        raise StreamBroken("stream ended before the watcher was created")
    if not response.created or response.canceled:
        call.cancel()
        raise StreamBroken(response.cancel_reason or "watcher not created")
    return call


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    what: str,
    deadline: float,
    options: EtcdOptions,
) -> T:
    """``attempt()``, again after each resumable failure until ``deadline``.

    Waits with exponential back-off between attempts. Gives up with
    ``StoreUnavailableError`` at the deadline, or at once on a failure that
    another attempt would meet again.
    """
    loop = asyncio.get_running_loop()
    delay = options.reconnect_backoff
    while True:
        try:
            return await attempt()
        except (StreamBroken, grpc.aio.AioRpcError, TimeoutError) as err:
            if isinstance(err, grpc.aio.AioRpcError) and not is_resumable(err):
                raise StoreUnavailableError(f"{what} failed: {err.code().name}") from err
            if loop.time() + delay > deadline:
                raise StoreUnavailableError(f"{what}: etcd did not answer in time") from err
            log.warning(
                "watch open failed, retrying",
                extra={"what": what, "delay": delay, "cause": repr(err)},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, options.reconnect_backoff_max)
