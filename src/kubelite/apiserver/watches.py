"""A registry's watch streams: the initial state, then the changes, in batches.

A watch starts from the watch cache when the cache can serve it (the snapshot
and the subscription meet exactly at one revision) and from the store's own
feed otherwise (a revision older than the cache's window, or a cache not
loaded yet). Either way each client sees the events through its selectors, as
Kubernetes shows them: an object that stops matching is DELETED for that
client, one that starts matching is ADDED. Events come in batches of what was
waiting when the watcher woke, so that a busy watch writes many at once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Protocol

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver import objects
from kubelite.apiserver.cache import CachedEvent, CacheWatcher, StoreFeed, WatchCache, WatchEvent
from kubelite.apiserver.objects import JSONObject
from kubelite.apiserver.selection import ListOptions
from kubelite.store import CompactedError, EventType, Store

Batch = list[WatchEvent]
# ADDED events of a watch's initial state per batch written.
_INITIAL_BATCH = 500


class Watched(Protocol):
    """What a watch needs of the registry of its type."""

    resource: ResourceType
    store: Store
    cache: WatchCache | None
    # How long a watch may stay quiet before it gets a bookmark (if it wants them).
    bookmark_interval: float

    def matches(self, obj: JSONObject, options: ListOptions) -> bool: ...

    def with_type(self, obj: JSONObject) -> JSONObject: ...

    async def list(self, namespace: str, options: ListOptions) -> JSONObject: ...


async def events(
    registry: Watched,
    namespace: str,
    options: ListOptions,
    initial_events: bool | None,
    send_initial: bool,
    revision: int,
) -> AsyncGenerator[Batch, None]:
    """The batches of one watch; see ``Registry.watch`` for what it sends."""
    prefix = objects.collection_prefix(registry.resource, namespace)
    source: CacheWatcher | StoreFeed | None = None
    cache = registry.cache
    initial: list[JSONObject] = []
    if cache is not None and cache.ready:
        if send_initial:
            # Fresh unless "0" asks for any recent state.
            any_state = options.resource_version == "0"
            target = 0 if any_state else await registry.store.current_revision()
            revision = await cache.wait_for(target)
        if revision:
            # No await from here until subscribed: the snapshot and the
            # events after it meet exactly at ``revision``.
            snapshot = list(cache.items(prefix)) if send_initial else []
            source = cache.subscribe(prefix, revision)
            if source is not None:
                initial = [obj for _, obj in snapshot if registry.matches(obj, options)]
    if source is None:
        if send_initial:
            listed = await registry.list(
                namespace, ListOptions(options.label_selector, options.field_selector)
            )
            revision = int(listed["metadata"]["resourceVersion"])
            initial = listed["items"]
        source = StoreFeed(_store_events(registry, prefix, revision))
    resource = registry.resource
    try:
        for start in range(0, len(initial), _INITIAL_BATCH):
            yield [WatchEvent("ADDED", obj) for obj in initial[start : start + _INITIAL_BATCH]]
        if initial_events:
            yield [WatchEvent("BOOKMARK", bookmark(resource, revision, initial_events_end=True))]
        while True:
            batch = await source.batch(registry.bookmark_interval)
            if batch is None:
                return
            if not batch:
                if options.allow_bookmarks:
                    latest = cache.fresh_revision() if cache is not None else 0
                    yield [WatchEvent("BOOKMARK", bookmark(resource, latest))]
                continue
            converted = [
                found
                for found in (_convert(registry, event, options) for event in batch)
                if found is not None
            ]
            if converted:
                yield converted
    finally:
        await source.aclose()


def bookmark(
    resource: ResourceType, revision: int, *, initial_events_end: bool = False
) -> JSONObject:
    """A BOOKMARK's object: the type, and the revision the watch has reached."""
    metadata: JSONObject = {"resourceVersion": str(revision)}
    if initial_events_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": resource.kind, "apiVersion": resource.group_version, "metadata": metadata}


async def _store_events(
    registry: Watched, prefix: str, revision: int
) -> AsyncGenerator[CachedEvent, None]:
    """Events from the store itself, for watches the cache cannot serve."""
    watch = registry.store.watch(prefix, revision=revision)
    with_type = registry.with_type
    try:
        async with watch:
            async for event in watch:
                new = with_type(objects.decode(event.kv)) if event.kv else None
                if event.type is EventType.DELETE:
                    new = None
                old = with_type(objects.decode(event.prev)) if event.prev else None
                yield CachedEvent(event.revision, event.key, new, old)
    except CompactedError as err:
        raise errors.too_old_resource_version(revision, err.compacted) from err


def _convert(registry: Watched, event: CachedEvent, options: ListOptions) -> WatchEvent | None:
    """The watch event a store event is for a client with ``options``."""
    new, old = event.new, event.old
    new_matches = new is not None and registry.matches(new, options)
    old_matches = old is not None and registry.matches(old, options)
    if new is None:
        return event.as_type("DELETED") if old_matches else None
    if new_matches:
        return event.as_type("MODIFIED" if old_matches else "ADDED")
    if old_matches:
        return event.as_type("DELETED")
    return None
