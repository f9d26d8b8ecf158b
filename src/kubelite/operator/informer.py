"""Informers: one list-then-watch per kind and scope, and the cache it keeps.

An :class:`Informer` lists its objects, then watches from the list's revision,
keeping a cache of them and telling its handlers of every change. Whatever the
watch does, the cache catches up:

    the watch ends (its timeout, a server restart)  -> watch again from the
                                                      last revision seen
    the server answers 410 Gone                      -> list again; the handlers
                                                      hear what changed meanwhile
    nothing arrives for ``stall_seconds``            -> the watch is dropped and
      (not even a bookmark)                            started again
    the server cannot be reached                     -> try again, backing off

Bookmarks move the revision on without an object, so that a restarted watch
does not start from too far back. Indexes (by owner, by label, or any function
of an object) are kept with the cache. :class:`Informers` shares one informer
per (kind, namespace, selectors) among every controller of a process.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from kubelite.api.errors import ApiError, GoneError
from kubelite.client import Client, WatchEvent

__all__ = ["ADDED", "DELETED", "MODIFIED", "Handler", "Informer", "Informers", "Key", "key_of"]

log = logging.getLogger(__name__)

ADDED: Final = "ADDED"
MODIFIED: Final = "MODIFIED"
DELETED: Final = "DELETED"

Key = tuple[str, str]
"""(namespace, name); the namespace is "" for cluster-scoped objects."""
Handler = Callable[[str, dict[str, Any], dict[str, Any] | None], None]
"""Called with the event type, the object, and the cached object it replaced."""
Indexer = Callable[[dict[str, Any]], Iterable[str]]

_MAX_BACKOFF: Final = 30.0


class StalledError(Exception):
    """The watch sent nothing, not even a bookmark, for too long."""


def key_of(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def owner_uids(obj: dict[str, Any]) -> Iterable[str]:
    """An indexer: the uids of the object's owners."""
    for owner in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(owner, dict) and owner.get("uid"):
            yield str(owner["uid"])


class Informer:
    """The cache of one kind in one scope, kept by a list-then-watch."""

    def __init__(
        self,
        client: Client,
        api_version: str,
        kind: str,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        metadata_only: bool = False,
        watch_seconds: int = 300,
        stall_seconds: float = 90.0,
        retry_seconds: float = 0.2,
    ) -> None:
        self.client = client
        # Objects as their metadata alone: the cache of a kind whose owners,
        # labels or names are all a controller reads costs a fraction.
        self.metadata_only = metadata_only
        self.api_version, self.kind = api_version, kind
        self.namespace = namespace
        self.label_selector, self.field_selector = label_selector, field_selector
        self.watch_seconds = watch_seconds
        self.stall_seconds = stall_seconds
        self.retry_seconds = retry_seconds
        self.resource_version = ""
        self.synced = asyncio.Event()
        # Counters, for metrics and tests: lists after the first, watches restarted.
        self.relists = 0
        self.restarts = 0
        self._cache: dict[Key, dict[str, Any]] = {}
        self._handlers: list[Handler] = []
        self._indexers: dict[str, Indexer] = {}
        self._indexes: dict[str, dict[str, set[Key]]] = {}

    # -- reading the cache -------------------------------------------------------

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached object (do not change it), or None."""
        return self._cache.get((namespace, name))

    def objects(self) -> list[dict[str, Any]]:
        """Every cached object (do not change them)."""
        return [*self._cache.values()]

    def by_index(self, index: str, value: str) -> list[dict[str, Any]]:
        """The cached objects whose ``index`` function gave ``value``."""
        keys = self._indexes[index].get(value, ())
        return [self._cache[key] for key in sorted(keys)]

    def add_handler(self, handler: Handler) -> None:
        """Tell ``handler`` of every change; what is cached already comes as ADDED."""
        self._handlers.append(handler)
        for obj in [*self._cache.values()]:
            handler(ADDED, obj, None)

    def add_index(self, name: str, indexer: Indexer) -> None:
        self._indexers[name] = indexer
        index: dict[str, set[Key]] = {}
        for key, obj in self._cache.items():
            for value in indexer(obj):
                index.setdefault(value, set()).add(key)
        self._indexes[name] = index

    # -- keeping it --------------------------------------------------------------

    async def run(self) -> None:
        """List and watch until cancelled."""
        failures = 0
        while True:
            try:
                if not self.resource_version:
                    await self._relist()
                await self._watch()
                failures = 0
            except GoneError:
                log.info("watch expired, listing again", extra={"kind": self.kind})
                self.resource_version = ""
                self.relists += 1
            except (aiohttp.ClientError, OSError, TimeoutError, StalledError, ApiError) as err:
                failures += 1
                self.restarts += 1
                delay = min(self.retry_seconds * 2 ** (failures - 1), _MAX_BACKOFF)
                log.info(
                    "watch restarting",
                    extra={"kind": self.kind, "error": repr(err), "delay": delay},
                )
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))

    async def _relist(self) -> None:
        listed = await self.client.list(
            self.api_version,
            self.kind,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            metadata_only=self.metadata_only,
        )
        fresh = {key_of(obj): obj for obj in listed.get("items") or []}
        for key, gone in [*self._cache.items()]:
            if key not in fresh:
                self._store(DELETED, gone)
        for key, obj in fresh.items():
            cached = self._cache.get(key)
            if cached is None:
                self._store(ADDED, obj)
            elif _version(cached) != _version(obj):
                self._store(MODIFIED, obj)
        self.resource_version = str((listed.get("metadata") or {}).get("resourceVersion") or "")
        self.synced.set()

    async def _watch(self) -> None:
        # A server that stops sending mid-watch is noticed by the stall timer.
        timeout = self.watch_seconds + random.randint(0, self.watch_seconds // 5 or 1)
        events = self.client.watch(
            self.api_version,
            self.kind,
            namespace=self.namespace,
            resource_version=self.resource_version,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            timeout_seconds=timeout,
            metadata_only=self.metadata_only,
        )
        async for event in _stalling(events, self.stall_seconds):
            version = _version(event.object)
            if event.type == "BOOKMARK":
                self.resource_version = version or self.resource_version
                continue
            if event.type in (ADDED, MODIFIED, DELETED):
                self._store(event.type, event.object)
                self.resource_version = version or self.resource_version

    def _store(self, kind: str, obj: dict[str, Any]) -> None:
        key = key_of(obj)
        old = self._cache.get(key)
        if old is not None:
            self._unindex(key, old)
        if kind == DELETED:
            self._cache.pop(key, None)
        else:
            self._cache[key] = obj
            for name, indexer in self._indexers.items():
                for value in indexer(obj):
                    self._indexes[name].setdefault(value, set()).add(key)
        for handler in self._handlers:
            try:
                handler(kind, obj, old)
            except Exception:
                log.exception("informer handler failed", extra={"kind": self.kind})

    def _unindex(self, key: Key, obj: dict[str, Any]) -> None:
        for name, indexer in self._indexers.items():
            index = self._indexes[name]
            for value in indexer(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]


async def _stalling(events: AsyncIterator[WatchEvent], seconds: float) -> AsyncIterator[WatchEvent]:
    """``events``, or :class:`StalledError` when none comes for ``seconds``."""
    iterator = aiter(events)
    try:
        while True:
            try:
                event = await asyncio.wait_for(anext(iterator), seconds)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise StalledError(f"no event or bookmark for {seconds:g} s") from None
            yield event
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


def _version(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


@dataclass(frozen=True, slots=True)
class _Scope:
    api_version: str
    kind: str
    namespace: str
    label_selector: str
    field_selector: str
    metadata_only: bool


class Informers:
    """One informer per kind and scope, shared by every controller of a process."""

    def __init__(self, client: Client, **options: Any) -> None:
        self.client = client
        self.options = options
        self._informers: dict[_Scope, Informer] = {}
        self._tasks: dict[_Scope, asyncio.Task[None]] = {}

    def get(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str = "",
        label_selector: str = "",
        field_selector: str = "",
        metadata_only: bool = False,
    ) -> Informer:
        """The informer of this scope, started on first use."""
        scope = _Scope(api_version, kind, namespace, label_selector, field_selector, metadata_only)
        informer = self._informers.get(scope)
        if informer is None:
            informer = Informer(
                self.client,
                api_version,
                kind,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                metadata_only=metadata_only,
                **self.options,
            )
            self._informers[scope] = informer
            self._tasks[scope] = asyncio.get_running_loop().create_task(
                informer.run(), name=f"informer {kind}"
            )
        return informer

    async def wait_synced(self) -> None:
        """Until every informer has listed once."""
        await asyncio.gather(*(i.synced.wait() for i in self._informers.values()))

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        self._informers.clear()
