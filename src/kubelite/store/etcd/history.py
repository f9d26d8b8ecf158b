"""Reading etcd's history: replays for watches, and the compacted revision.

etcd keeps its history in its own store and serves it only through watches:
there is no "range of events" read. Both functions here therefore open a
short-lived watch stream, read what they need, and cancel it.

``replay`` gives a ``HubWatch`` the events older than the hub's memory. It
watches the whole key space from ``after`` and filters by prefix here, and
stops at the first response that reaches ``up_to``: every revision etcd has
handed out since the cluster's first holds at least one event, so the event
at ``up_to`` (a revision the store's feed has seen) is certain to come, while
a watcher on the prefix alone could wait forever for one that never does. A
page for an old watch on a quiet prefix reads the whole key space's events to
find its own; watches are expected to start within the hub's memory, and this
is the slow path. A worked example, prefix ``/p/``, limit 2::

    replay("/p/", after=10, up_to=15, limit=2)
    open at 10                  etcd compacted past 10 -> CompactedError
    11 PUT /q/x                 other prefix, skipped
    12 PUT /p/a, 12 PUT /p/b    (one transaction, one revision)
    13 PUT /p/c                 three events: over the limit, and cutting
                                after two would split nothing, so [12, 12]
                                is the page and the next starts after 12

Like the feed, a replay is opened at ``after`` itself and drops its events,
so that it is refused as compacted exactly when a read at ``after`` is.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc.aio  # type: ignore[import-untyped]
from etcd3aio._protobuf import WatchCreateRequest, WatchRequest

from kubelite.store.errors import CompactedError
from kubelite.store.etcd import codec
from kubelite.store.etcd.connection import EtcdOptions
from kubelite.store.etcd.streams import (
    EVERY_KEY,
    StreamBroken,
    WatchStreams,
    create_watcher,
    retrying,
)
from kubelite.store.interface import Event

log = logging.getLogger(__name__)


async def replay(
    streams: WatchStreams,
    options: EtcdOptions,
    *,
    prefix: str,
    after: int,
    up_to: int,
    limit: int,
) -> list[Event]:
    """The events under ``prefix`` in ``(after, up_to]``, oldest first.

    At most ``limit`` (0: no limit), cut only between revisions, unless the
    first revision alone holds more. Raises ``CompactedError`` when etcd has
    compacted past ``after``; retries a broken stream like the feed does.
    """
    if up_to <= after:
        return []
    deadline = asyncio.get_running_loop().time() + options.watch_resume_timeout

    async def attempt() -> list[Event]:
        return await _replay_once(streams, options, prefix, after, up_to, limit)

    events = await retrying(
        attempt, what=f"replay after revision {after}", deadline=deadline, options=options
    )
    log.debug(
        "watch history replayed",
        extra={"prefix": prefix, "after": after, "up_to": up_to, "events": len(events)},
    )
    return events


async def _replay_once(
    streams: WatchStreams,
    options: EtcdOptions,
    prefix: str,
    after: int,
    up_to: int,
    limit: int,
) -> list[Event]:
    loop = asyncio.get_running_loop()
    wanted = codec.encode(prefix)
    call = await create_watcher(
        streams,
        key_range=EVERY_KEY,
        start=max(after, 1),
        prev_kv=True,
        deadline=loop.time() + options.request_timeout,
    )
    events: list[Event] = []
    try:
        while True:
            # Each response must come within the request timeout; the whole
            # replay may take longer.
            async with asyncio.timeout(options.request_timeout):
                response = await call.read()
            if response is grpc.aio.EOF:
                raise StreamBroken("replay stream ended")
            if response.compact_revision:
                raise CompactedError(after, int(response.compact_revision))
            if response.canceled:
                raise StreamBroken(response.cancel_reason or "replay canceled")
            reached = False
            for raw in response.events:
                revision = int(raw.kv.mod_revision)
                reached = reached or revision >= up_to
                if after < revision <= up_to and bytes(raw.kv.key).startswith(wanted):
                    events.append(codec.event(raw))
            if reached or (limit and len(events) >= limit):
                return _cut(events, limit)
    finally:
        call.cancel()


def _cut(events: list[Event], limit: int) -> list[Event]:
    """At most ``limit`` of ``events`` without splitting a revision, if it can."""
    if not limit or len(events) <= limit:
        return events
    end = limit
    while end > 0 and events[end].revision == events[end - 1].revision:
        end -= 1
    if end == 0:
        # One revision holds more than the limit: it cannot be split.
        first = events[0].revision
        end = next((i for i, e in enumerate(events) if e.revision != first), len(events))
    return events[:end]


async def compacted_revision(streams: WatchStreams, deadline: float) -> int:
    """The revision etcd has compacted up to, or 0 if it cannot tell.

    etcd's read errors do not say; a watcher opened at revision 1 is answered
    with it straight away. Only called after a read failed as compacted, so
    there is a compaction to report. ``deadline`` is in the event loop's clock.
    """
    call: Any = streams.open()
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
