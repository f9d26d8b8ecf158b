"""``EtcdStore``: the ``Store`` protocol on an etcd v3 cluster.

Each method is one etcd request, shaped the way the Kubernetes API server
shapes it, so that a cluster can be shared with, or moved to, a real one:

    create   Txn(create_revision(key) == 0 -> Put, else -> Range)
    update   Txn(mod_revision(key) == revision -> Put, else -> Range)
             (revision None: create_revision(key) > 0, i.e. the key exists)
    delete   Txn(same condition as update -> DeleteRange(prev_kv), else -> Range)
    get/list Range at a revision, with limit; count is a count-only Range

The failure branch reads the key in the same transaction, so a conflict
reports the value that beat us without a second round trip. A write with a
``ttl`` first grants a lease of that many seconds (rounded up; etcd raises
anything under its minimum, 2 s with default election settings) and attaches
it; one lease per write, which costs a request but needs no bookkeeping, and a
lease left unused because its transaction failed simply expires.

Revisions are etcd's own. A new etcd cluster is at revision 1 before any
write, so its first write is revision 2, not 1.

Watches are ``HubWatch``es on one ``WatchHub`` per store, fed by one etcd
watch stream over the whole key space (``watch.WatchFeed``, which says why);
a watch that starts before the hub's memory replays etcd's history through a
short-lived stream of its own (``history.replay``). ``compact`` keeps the
hub's compacted revision current; a compaction by another client is learnt
when a replay or the feed's resumption meets it, so a watch served from the
hub's memory may start below it, as with the Kubernetes API server's watch
cache.

Reads are retried on "unavailable" (``EtcdOptions.read_attempts``); writes are
sent once, because a write whose answer was lost may have been applied and
repeating a create would turn success into ``KeyExistsError``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Self, TypeVar

from etcd3aio.kv import KVService
from etcd3aio.lease import LeaseService

from kubelite.store.errors import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    StoreError,
    StoreUnavailableError,
)
from kubelite.store.etcd import codec
from kubelite.store.etcd.connection import EtcdOptions, open_channel, resolve_target
from kubelite.store.etcd.errors import ETCD_ERRORS, Failure, classify, rejected
from kubelite.store.etcd.history import compacted_revision, replay
from kubelite.store.etcd.streams import WatchStreams
from kubelite.store.etcd.watch import WatchFeed
from kubelite.store.hub import HubWatch, WatchHub
from kubelite.store.interface import Event, EventType, KeyValue, Page

log = logging.getLogger(__name__)

T = TypeVar("T")
# Spelt out here: inside the class, ``list`` is the method.
_Events = list[Event]


class EtcdStore:
    """A ``Store`` backed by etcd; create it with ``await EtcdStore.open(...)``."""

    def __init__(self, channel: Any, options: EtcdOptions, endpoints: Sequence[str]) -> None:
        self._channel = channel
        self._options = options
        self._endpoints = list(endpoints)
        self._kv = KVService(channel, max_attempts=options.read_attempts)
        self._leases = LeaseService(channel, max_attempts=options.read_attempts)
        self._streams = WatchStreams(channel)
        # The hub's revision means nothing until the feed starts, which
        # resets it; no watch registers before that.
        self._hub = WatchHub(
            revision=0,
            compacted=0,
            history=options.watch_history,
            max_pending=options.watch_max_pending,
        )
        self._feed = WatchFeed(
            streams=self._streams,
            hub=self._hub,
            options=options,
            current_revision=self.current_revision,
        )
        self._hub.upstream = self._feed
        self._closed = False

    @classmethod
    async def open(cls, endpoints: Sequence[str], *, options: EtcdOptions | None = None) -> Self:
        """Connect to ``endpoints`` and check that etcd answers.

        Raises ``StoreUnavailableError`` when none of them does, ``ValueError``
        for an endpoint this backend cannot use.
        """
        options = options or EtcdOptions()
        channel = open_channel(await resolve_target(endpoints), options)
        store = cls(channel, options, endpoints)
        try:
            revision = await store.current_revision()
        except BaseException:
            await store.close()
            raise
        log.info("etcd store opened", extra={"endpoints": store._endpoints, "revision": revision})
        return store

    async def current_revision(self) -> int:
        response = await self._call(
            "current_revision", lambda: self._kv.get(b"\x00", count_only=True, **self._read)
        )
        return int(response.header.revision)

    async def create(self, key: str, value: bytes, *, ttl: float | None = None) -> KeyValue:
        lease = await self._grant(ttl)
        response = await self._txn(
            "create",
            codec.compare_exists(key, exists=False),
            codec.op_put(key, value, lease=lease),
            codec.op_get(key),
        )
        if not response.succeeded:
            raise KeyExistsError(key)
        revision = int(response.header.revision)
        log.debug("key created", extra={"key": key, "revision": revision, "lease": lease})
        return KeyValue(key=key, value=value, create_revision=revision, mod_revision=revision)

    async def update(
        self,
        key: str,
        value: bytes,
        *,
        revision: int | None,
        ttl: float | None = None,
    ) -> KeyValue:
        lease = await self._grant(ttl)
        response = await self._txn(
            "update",
            self._condition(key, revision),
            codec.op_put(key, value, lease=lease),
            codec.op_get(key),
        )
        if not response.succeeded:
            self._raise_failed(key, revision, response)
        prev = response.responses[0].response_put.prev_kv
        new_revision = int(response.header.revision)
        log.debug("key updated", extra={"key": key, "revision": new_revision, "lease": lease})
        return KeyValue(
            key=key,
            value=value,
            create_revision=int(prev.create_revision),
            mod_revision=new_revision,
        )

    async def delete(self, key: str, *, revision: int | None = None) -> Event:
        response = await self._txn(
            "delete", self._condition(key, revision), codec.op_delete(key), codec.op_get(key)
        )
        if not response.succeeded:
            self._raise_failed(key, revision, response)
        deleted = response.responses[0].response_delete_range.prev_kvs
        new_revision = int(response.header.revision)
        log.debug("key deleted", extra={"key": key, "revision": new_revision})
        return Event(
            type=EventType.DELETE,
            key=key,
            revision=new_revision,
            kv=None,
            prev=codec.key_value(deleted[0]) if deleted else None,
        )

    async def get(self, key: str, *, revision: int = 0) -> KeyValue:
        response = await self._call(
            "get",
            lambda: self._kv.get(codec.encode(key), revision=revision, **self._read),
            revision=revision,
        )
        if not response.kvs:
            raise KeyNotFoundError(key)
        return codec.key_value(response.kvs[0])

    async def list(
        self,
        prefix: str,
        *,
        revision: int = 0,
        limit: int = 0,
        start: str | None = None,
    ) -> Page:
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        first, end = codec.prefix_range(prefix)
        if start is not None:
            first = max(first, codec.encode(start))
        response = await self._call(
            "list",
            lambda: self._kv.get(
                first, range_end=end, revision=revision, limit=limit, **self._read
            ),
            revision=revision,
        )
        # etcd's header carries the current revision, not the one read at.
        read_at = revision or int(response.header.revision)
        items = [codec.key_value(kv) for kv in response.kvs]
        return Page(items=items, revision=read_at, more=bool(response.more))

    async def count(self, prefix: str) -> int:
        first, end = codec.prefix_range(prefix)
        response = await self._call(
            "count", lambda: self._kv.get(first, range_end=end, count_only=True, **self._read)
        )
        return int(response.count)

    def watch(self, prefix: str, *, revision: int = 0) -> HubWatch:
        if self._closed:
            raise StoreUnavailableError("etcd store is closed")
        if revision < 0:
            raise ValueError(f"watch revision must not be negative, got {revision}")
        return HubWatch(self._hub, prefix, revision, self._replay)

    @property
    def watch_streams_opened(self) -> int:
        """How many etcd watch streams this store has opened so far.

        One for the feed however many watches, plus one per resumption, per
        page of history replayed and per probe of the compacted revision.
        """
        return self._streams.opened

    async def compact(self, revision: int) -> None:
        try:
            # Not physical: etcd refuses reads below the revision as soon as
            # the request is applied; freeing the space can happen later.
            await self._call(
                "compact",
                lambda: self._kv.compact(revision, timeout=self._options.request_timeout),
                revision=revision,
            )
        except CompactedError as err:
            # Already compacted at or past it: nothing older is left to forget.
            self._hub.compacted = max(self._hub.compacted, err.compacted)
            return
        self._hub.compacted = max(self._hub.compacted, revision)
        log.info("etcd compacted", extra={"revision": revision})

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._hub.close()
        await self._feed.close()
        await self._channel.close()
        log.info("etcd store closed", extra={"endpoints": self._endpoints})

    # Internals.

    async def _replay(self, prefix: str, after: int, up_to: int, limit: int) -> _Events:
        if self._closed:
            raise StoreUnavailableError("etcd store is closed (replay)")
        return await replay(
            self._streams, self._options, prefix=prefix, after=after, up_to=up_to, limit=limit
        )

    @property
    def _read(self) -> dict[str, Any]:
        return {"timeout": self._options.request_timeout}

    async def _call(
        self, operation: str, call: Callable[[], Awaitable[T]], *, revision: int = 0
    ) -> T:
        """Run one request, mapping etcd's failures onto the store's errors."""
        if self._closed:
            raise StoreUnavailableError(f"etcd store is closed ({operation})")
        try:
            return await call()
        except ETCD_ERRORS as err:
            raise await self._translate(operation, err, revision) from err

    async def _translate(self, operation: str, err: BaseException, revision: int) -> StoreError:
        failure = classify(err)
        if failure is Failure.COMPACTED:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._options.request_timeout
            compacted = await compacted_revision(self._streams, deadline)
            return CompactedError(revision, compacted)
        if failure is Failure.FUTURE:
            try:
                current = await self.current_revision()
            except StoreError:
                current = 0
            return FutureRevisionError(revision, current)
        if failure is Failure.UNAVAILABLE:
            log.warning("etcd unavailable", extra={"operation": operation, "cause": repr(err)})
            return StoreUnavailableError(f"etcd unavailable during {operation}: {err}")
        return rejected(operation, err)

    async def _txn(self, operation: str, compare: Any, success: Any, failure: Any) -> Any:
        return await self._call(
            operation,
            lambda: self._kv.txn(
                [compare],
                [success],
                [failure],
                timeout=self._options.request_timeout,
                max_attempts=1,
            ),
        )

    @staticmethod
    def _condition(key: str, revision: int | None) -> Any:
        if revision is None:
            return codec.compare_exists(key, exists=True)
        return codec.compare_mod(key, revision)

    @staticmethod
    def _raise_failed(key: str, revision: int | None, response: Any) -> None:
        """Raise what a failed update or delete transaction means."""
        current = response.responses[0].response_range.kvs
        if not current or revision is None:
            raise KeyNotFoundError(key)
        raise ConflictError(key, revision, codec.key_value(current[0]))

    async def _grant(self, ttl: float | None) -> int:
        """A lease of ``ttl`` seconds (rounded up) to attach to a put; 0 for none."""
        if ttl is None:
            return 0
        if not ttl > 0 or math.isinf(ttl):
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl}")
        seconds = math.ceil(ttl)
        response = await self._call(
            "lease grant",
            lambda: self._leases.grant(seconds, timeout=self._options.request_timeout),
        )
        if int(response.TTL) != seconds:
            log.debug("lease ttl raised", extra={"asked": seconds, "granted": int(response.TTL)})
        return int(response.ID)
