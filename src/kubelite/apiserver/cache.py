"""The watch cache: one resource type's objects and recent events, in memory.

Kubernetes' API server does not send every watcher to etcd: per resource type
it keeps one watch on the store, the current objects, and a window of recent
events, and serves watches and consistent lists from there. kubelite does the
same, for the same reasons: a store event is decoded once however many clients
watch, each watch event is encoded to JSON once however many clients receive
it, and a list reads decoded objects instead of the store::

    store watch (one per type) ──> WatchCache ──> objects by key (sorted)
                                              ──> last N events (for resumes)
                                              ──> watchers, each with a queue

A list is served from the cache once it has caught up with the store's latest
revision, so that it is as fresh as a read from the store ("consistent"). A
watch that resumes from a revision the window still holds replays from it; one
further back is the caller's to serve from the store.

Objects in the cache are shared by every reader and must not be modified.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field

import orjson
from sortedcontainers import SortedDict

from kubelite.api.resources import ResourceType
from kubelite.apiserver import objects
from kubelite.apiserver.objects import JSONObject
from kubelite.store import (
    CompactedError,
    Event,
    EventType,
    KeyValue,
    Store,
    StoreError,
    Watch,
    keys,
)

log = logging.getLogger(__name__)

# Events kept for watches that resume a little in the past.
DEFAULT_WINDOW = 10_000
# A watcher further behind than this is closed; its client watches again.
DEFAULT_MAX_PENDING = 100_000
_LIST_PAGE = 1000
_MAX_EXPECTED = 10_000


@dataclass(slots=True)
class WatchEvent:
    """One event as clients receive it; its JSON line is encoded once, on demand."""

    type: str
    object: JSONObject
    _line: bytes | None = None

    def line(self) -> bytes:
        """``{"type": ..., "object": ...}`` and a newline, as a watch stream carries it."""
        if self._line is None:
            self._line = orjson.dumps({"type": self.type, "object": self.object}) + b"\n"
        return self._line


@dataclass(slots=True)
class CachedEvent:
    """A store event, decoded: the object after it and the object before it."""

    revision: int
    key: str
    new: JSONObject | None
    old: JSONObject | None
    _views: dict[str, WatchEvent] = field(default_factory=dict)

    def as_type(self, kind: str) -> WatchEvent:
        """This event as an ADDED, MODIFIED or DELETED watch event, shared by all."""
        view = self._views.get(kind)
        if view is None:
            if kind == "DELETED":
                if self.old is None:
                    raise ValueError("an event with no previous object cannot be DELETED")
                obj = objects.with_revision(self.old, self.revision)
            elif self.new is not None:
                obj = self.new
            else:
                raise ValueError(f"a deletion cannot be {kind}")
            view = self._views[kind] = WatchEvent(kind, obj)
        return view


class CacheWatcher:
    """The events after one revision under one prefix, oldest first.

    Ends (``StopAsyncIteration``) when the cache stops or restarts, or when the
    watcher falls too far behind: its client then watches again.
    """

    def __init__(self, cache: WatchCache, prefix: str, max_pending: int) -> None:
        self._cache = cache
        self.prefix = prefix
        self._queue: deque[CachedEvent] = deque()
        self._wakeup = asyncio.Event()
        self._max_pending = max_pending
        self.closed = False

    def offer(self, event: CachedEvent) -> None:
        if self.closed or not event.key.startswith(self.prefix):
            return
        if len(self._queue) >= self._max_pending:
            log.warning(
                "watcher dropped, too far behind",
                extra={"resource": self._cache.resource.plural, "pending": len(self._queue)},
            )
            self.close()
            return
        self._queue.append(event)
        self._wakeup.set()

    def close(self) -> None:
        self.closed = True
        self._queue.clear()
        self._wakeup.set()
        self._cache.unsubscribe(self)

    async def batch(self, wait: float) -> list[CachedEvent] | None:
        """Every event queued, waiting up to ``wait`` seconds for one ([] if none
        came); None once the watcher is closed."""
        if not self._queue:
            if self.closed:
                return None
            self._wakeup.clear()
            try:
                async with asyncio.timeout(wait):
                    while not self._queue and not self.closed:
                        await self._wakeup.wait()
                        self._wakeup.clear()
            except TimeoutError:
                return []
            if not self._queue:
                return None
        events = list(self._queue)
        self._queue.clear()
        return events

    async def aclose(self) -> None:
        self.close()


class StoreFeed:
    """A watch on the store with ``CacheWatcher``'s ``batch``, for the watches the
    cache cannot serve (further back than its window): one event at a time."""

    def __init__(self, events: AsyncGenerator[CachedEvent, None]) -> None:
        self._events = events
        self._next: asyncio.Future[CachedEvent] | None = None

    async def batch(self, wait: float) -> list[CachedEvent] | None:
        if self._next is None:
            self._next = asyncio.ensure_future(anext(self._events))
        done, _ = await asyncio.wait({self._next}, timeout=wait)
        if not done:
            return []
        finished, self._next = self._next, None
        try:
            return [finished.result()]
        except StopAsyncIteration:
            return None

    async def aclose(self) -> None:
        if self._next is not None:
            self._next.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await self._next
        await self._events.aclose()


class WatchCache:
    """The objects of one resource type, kept current by one watch on the store."""

    def __init__(
        self,
        store: Store,
        resource: ResourceType,
        *,
        window: int = DEFAULT_WINDOW,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self.store = store
        self.resource = resource
        self.prefix = objects.collection_prefix(resource)
        self.revision = 0
        self._objects: SortedDict = SortedDict()
        self._events: deque[CachedEvent] = deque(maxlen=window)
        # The revision after which the window holds every event.
        self._window_start = 0
        self._max_pending = max_pending
        self._watchers: set[CacheWatcher] = set()
        self._watch: Watch | None = None
        # Objects the registry is writing, by key, with their encoding: their
        # event then needs no decoding.
        self._expected: dict[str, tuple[bytes, JSONObject]] = {}
        # The JSON of objects read one by one (GET), until they change.
        self._encoded: dict[str, bytes] = {}
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # Life cycle.

    async def start(self) -> None:
        """Load the objects and follow the store; returns once the cache serves."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"watch-cache-{self.prefix}")
        ready = asyncio.ensure_future(self._ready.wait())
        done, _ = await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            self._task.result()  # the loader failed: raise its error

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.close_watchers()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def _run(self) -> None:
        while True:
            try:
                await self._load()
                await self._follow()
            except (CompactedError, StoreError) as err:
                # Fell behind what the store keeps, or lost it: start over.
                log.warning(
                    "watch cache reloading",
                    extra={"resource": self.resource.plural, "error": repr(err)},
                )
                self._ready.clear()
                self.close_watchers()
                await asyncio.sleep(0.1)

    async def _load(self) -> None:
        loaded: SortedDict = SortedDict()
        revision, start = 0, None
        while True:
            page = await self.store.list(
                self.prefix, revision=revision, limit=_LIST_PAGE, start=start
            )
            revision = page.revision
            for kv in page.items:
                loaded[kv.key] = self._decode(kv)
            start = page.continue_key
            if start is None:
                break
        self._objects = loaded
        self._encoded.clear()
        self._expected.clear()
        self._events.clear()
        self._window_start = self.revision = revision
        self._ready.set()
        log.debug(
            "watch cache loaded",
            extra={"resource": self.resource.plural, "count": len(loaded), "revision": revision},
        )

    async def _follow(self) -> None:
        async with self.store.watch(self.prefix, revision=self.revision) as watch:
            self._watch = watch
            try:
                async for event in watch:
                    self._apply(event)
            finally:
                self._watch = None

    def _apply(self, event: Event) -> None:
        old = self._objects.get(event.key)
        if event.type is EventType.DELETE or event.kv is None:
            self._objects.pop(event.key, None)
            new = None
        else:
            new = self._expected_object(event.key, event.kv) or self._decode(event.kv)
            self._objects[event.key] = new
        self._encoded.pop(event.key, None)
        cached = CachedEvent(event.revision, event.key, new, old)
        if len(self._events) == self._events.maxlen:
            self._window_start = self._events[0].revision
        self._events.append(cached)
        self.revision = event.revision
        for watcher in list(self._watchers):
            watcher.offer(cached)

    def _expected_object(self, key: str, kv: KeyValue) -> JSONObject | None:
        expected = self._expected.pop(key, None)
        if expected is None or expected[0] != kv.value:
            return None
        obj = objects.with_revision(expected[1], kv.mod_revision)
        obj["kind"] = self.resource.kind
        obj["apiVersion"] = self.resource.group_version
        return obj

    def _decode(self, kv: KeyValue) -> JSONObject:
        obj = objects.decode(kv)
        obj["kind"] = self.resource.kind
        obj["apiVersion"] = self.resource.group_version
        return obj

    def close_watchers(self) -> None:
        """End every watch this cache serves (their clients watch again)."""
        for watcher in list(self._watchers):
            watcher.close()

    # Reading.

    def fresh_revision(self) -> int:
        """The revision the cache is current at: past its last event when the
        store has written only elsewhere since."""
        watch = self._watch
        if watch is None:
            return self.revision
        return max(self.revision, watch.progress())

    async def wait_for(self, revision: int, patience: float = 3.0) -> int:
        """Wait until the cache is current at ``revision`` or later; the revision
        it is current at, or 0 if it did not get there within ``patience`` seconds."""
        if self.ready:
            current = self.fresh_revision()
            if current >= revision:
                return current  # the common case, without a timer
        delay = 0.0005
        try:
            async with asyncio.timeout(patience):
                while True:
                    if self.ready:
                        current = self.fresh_revision()
                        if current >= revision:
                            return current
                    # The store's feed trails it (etcd) or events are queued: soon.
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 0.01)
        except TimeoutError:
            return 0

    def items(self, prefix: str, start: str | None = None) -> Iterator[tuple[str, JSONObject]]:
        """``(key, object)`` under ``prefix`` in key order, from ``start`` on."""
        low, high = keys.key_range(prefix, start)
        for key in self._objects.irange(low, high, inclusive=(True, False)):
            yield key, self._objects[key]

    def expect(self, key: str, value: bytes, obj: JSONObject) -> None:
        """``obj``, encoded as ``value``, is about to be written at ``key``: when an
        event brings exactly these bytes, take ``obj`` rather than decoding them.
        ``obj`` must not change afterwards."""
        if len(self._expected) >= _MAX_EXPECTED:
            self._expected.clear()  # writes that failed and left their guess behind
        self._expected[key] = (value, obj)

    def encoded(self, key: str) -> bytes | None:
        """The object at ``key`` as JSON, encoded once until it changes."""
        found = self._encoded.get(key)
        if found is None:
            obj = self._objects.get(key)
            if obj is None:
                return None
            found = self._encoded[key] = orjson.dumps(obj)
        return found

    def get(self, key: str) -> JSONObject | None:
        obj: JSONObject | None = self._objects.get(key)
        return obj

    def copy_of(self, key: str) -> tuple[JSONObject, int] | None:
        """A private copy of the object at ``key`` and its revision, as the cache
        holds it now (it may be behind the store), or None."""
        encoded = self.encoded(key)
        if encoded is None:
            return None
        obj: JSONObject = orjson.loads(encoded)
        return obj, int(objects.metadata(obj).get("resourceVersion") or 0)

    def subscribe(self, prefix: str, revision: int) -> CacheWatcher | None:
        """A watcher of the events under ``prefix`` after ``revision``; None if the
        window no longer holds them all (the caller watches the store instead)."""
        if not self.ready or revision < self._window_start or revision > self.fresh_revision():
            return None
        watcher = CacheWatcher(self, prefix, self._max_pending)
        for event in self._events:
            if event.revision > revision:
                watcher.offer(event)
        self._watchers.add(watcher)
        return watcher

    def unsubscribe(self, watcher: CacheWatcher) -> None:
        self._watchers.discard(watcher)

    @property
    def watcher_count(self) -> int:
        return len(self._watchers)
