"""The REST storage of one resource type: the verbs, over the store.

A ``Registry`` turns create, get, list, update, patch, delete and watch into
store operations, and owns what the server sets on objects: ``uid``,
``creationTimestamp``, ``generation``, the name drawn from ``generateName``,
the namespace from the URL. It speaks only in objects (dicts) and raises only
``ApiError``: the HTTP layer above it encodes both.

Writes are optimistic, as in Kubernetes: an update carrying a
``resourceVersion`` must match the stored one (409 Conflict otherwise); one
without it, and every patch, reads the current object, computes the new one and
writes it conditioned on the revision it read, retrying when another writer got
there first.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import UTC, datetime

import orjson

from kubelite.api import errors
from kubelite.api.errors import ErrorList, GroupKind, GroupResource
from kubelite.api.field import FieldError
from kubelite.api.resources import ResourceType
from kubelite.api.selectors import FieldSelector
from kubelite.api.tables import TablePrinter, table_for
from kubelite.api.validation import generate_name
from kubelite.apiserver import deletion, objects, selection, services, updates, watches
from kubelite.apiserver.cache import (
    WatchCache,
)
from kubelite.apiserver.custom import CustomKind, Validate
from kubelite.apiserver.deletion import DeleteOptions
from kubelite.apiserver.fieldmanager import STATUS, FieldManager
from kubelite.apiserver.objects import JSONObject
from kubelite.apiserver.selection import ListOptions
from kubelite.store import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Store,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Items = list[JSONObject]

# How many times a read-modify-write retries when another writer got there first.
_UPDATE_ATTEMPTS = 16
# Names a generateName create tries before giving up with 409.
_GENERATE_ATTEMPTS = 8
_NO_OPTIONS = DeleteOptions()
# Store pages read while filtering a list by selectors.
_SCAN_PAGE = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Registry:
    """Create, read, update, delete and watch the objects of one resource type."""

    def __init__(
        self,
        store: Store,
        resource: ResourceType,
        *,
        clock: Clock = _utcnow,
        cache: WatchCache | None = None,
        custom: CustomKind | None = None,
    ) -> None:
        self.store = store
        self.resource = resource
        self.clock = clock
        self.cache = cache
        # What a CRD adds to a custom type; replaced whole when the CRD changes.
        self.custom = custom
        # Checks of this type's own, beyond metadata: a CRD's definition rules.
        self.validator: Validate | None = None
        # The namespaces' cache, to check the namespace of a create without a read.
        self.namespaces: WatchCache | None = None
        self._is_service = resource.plural == "services" and not resource.group
        # How long a watch may stay quiet before it gets a bookmark (if it wants them).
        self.bookmark_interval = 60.0
        self.group_resource = GroupResource(resource.plural, resource.group)
        self.group_kind = GroupKind(resource.kind, resource.group)
        self.fields = FieldManager(resource, clock)

    @property
    def supported_fields(self) -> tuple[str, ...]:
        """The fields a field selector may name on this type."""
        own = (
            self.custom.selectable_fields
            if self.custom is not None
            else selection.FIELDS.get((self.resource.group, self.resource.plural), ())
        )
        return ("metadata.name", "metadata.namespace", *own)

    @property
    def printer(self) -> TablePrinter:
        """How this type prints as a Table."""
        if self.custom is not None:
            return self.custom.printer
        return table_for(self.resource.group, self.resource.plural)

    # Reading.

    async def get(self, namespace: str, name: str) -> JSONObject:
        """The object, as fresh as the store's latest revision (from the cache
        when it has caught up; do not modify it)."""
        key = objects.object_key(self.resource, namespace, name)
        cache = await self._fresh_cache()
        if cache is not None:
            found = cache.get(key)
            if found is None:
                raise errors.not_found(self.group_resource, name)
            return found
        return objects.decode(await self._read(key, name))

    async def get_encoded(self, namespace: str, name: str) -> bytes:
        """The object as JSON, encoded once per change when the cache serves it."""
        key = objects.object_key(self.resource, namespace, name)
        cache = await self._fresh_cache()
        if cache is not None:
            encoded = cache.encoded(key)
            if encoded is None:
                raise errors.not_found(self.group_resource, name)
            return encoded
        return orjson.dumps(objects.decode(await self._read(key, name)))

    async def _fresh_cache(self) -> WatchCache | None:
        """The cache, once it is as fresh as the store; None if it cannot serve."""
        cache = self.cache
        if cache is None or not cache.ready:
            return None
        if not await cache.wait_for(await self.store.current_revision()):
            return None
        return cache

    async def _read(self, key: str, name: str) -> KeyValue:
        """The stored object at ``key``; NotFound, named ``name``, if there is none."""
        try:
            return await self.store.get(key)
        except KeyNotFoundError:
            raise errors.not_found(self.group_resource, name) from None

    async def list(self, namespace: str, options: ListOptions) -> JSONObject:
        """A ``<Kind>List`` of the objects that match, one page if ``limit`` is set.

        Served from the watch cache when it can answer as freshly as the store
        would: a first page at the latest revision (or at "0", any recent one,
        or not older than a given one); continued pages and exact revisions
        read the store at their revision.
        """
        self._check_fields(options.field_selector)
        prefix = objects.collection_prefix(self.resource, namespace)
        if self.cache is not None and self.cache.ready:
            listed = await self._list_cached(self.cache, prefix, options)
            if listed is not None:
                return listed
        revision, start = self._list_start(options)
        items: list[JSONObject] = []
        more = False
        while True:
            try:
                page = await self.store.list(
                    prefix, revision=revision, limit=_SCAN_PAGE, start=start
                )
            except CompactedError as err:
                if options.continue_token and start is not None:
                    token = selection.encode_continue(selection.LATEST, start)
                    raise errors.expired_continue(token) from err
                raise errors.expired(errors.EXPIRED_LIST_MESSAGE) from err
            except FutureRevisionError as err:
                raise errors.timeout(
                    f"Too large resource version: {err.revision}, current: {err.current}",
                    retry_after_seconds=1,
                ) from err
            revision = page.revision
            for kv in page.items:
                obj = objects.decode(kv)
                if self.matches(obj, options):
                    if options.limit and len(items) == options.limit:
                        more, start = True, kv.key
                        break
                    items.append(obj)
            else:
                if page.continue_key is None:
                    break
                start = page.continue_key
                continue
            break
        return self._list_of(
            [self.with_type(obj) for obj in items], revision, start if more else None
        )

    async def _list_cached(
        self, cache: WatchCache, prefix: str, options: ListOptions
    ) -> JSONObject | None:
        """The list from the cache; None when the store must answer instead."""
        if options.continue_token or options.resource_version_match == "Exact":
            return None
        wanted = options.resource_version
        if wanted == "0":
            revision = cache.fresh_revision()
        else:
            target = (
                selection.parse_revision(wanted) if wanted else await self.store.current_revision()
            )
            revision = await cache.wait_for(target)
            if not revision and wanted:
                current = cache.fresh_revision()
                raise errors.timeout(
                    f"Too large resource version: {target}, current: {current}",
                    retry_after_seconds=1,
                )
            if not revision:
                return None  # the cache is stuck: the store answers
        items: Items = []
        next_key = None
        limit = options.limit if wanted != "0" else 0  # as Kubernetes: "0" ignores limit
        for key, obj in cache.items(prefix):
            if self.matches(obj, options):
                if limit and len(items) == limit:
                    next_key = key
                    break
                items.append(obj)
        return self._list_of(items, revision, next_key)

    def _list_of(self, items: Items, revision: int, next_key: str | None) -> JSONObject:
        metadata: JSONObject = {"resourceVersion": str(revision)}
        if next_key is not None:
            metadata["continue"] = selection.encode_continue(revision, next_key)
        return {
            "kind": self.resource.list_kind,
            "apiVersion": self.resource.group_version,
            "metadata": metadata,
            "items": items,
        }

    def _list_start(self, options: ListOptions) -> tuple[int, str | None]:
        if options.continue_token:
            return selection.decode_continue(options.continue_token)
        if options.resource_version_match == "Exact" and options.resource_version:
            return selection.parse_revision(options.resource_version), None
        return 0, None

    def _check_fields(self, selector: FieldSelector) -> None:
        unsupported = selector.unsupported(self.supported_fields)
        if unsupported:
            raise errors.bad_request(f"field label not supported: {unsupported[0]}")

    def matches(self, obj: JSONObject, options: ListOptions) -> bool:
        return selection.matches(obj, options, self.supported_fields)

    # Writing.

    async def create(
        self, namespace: str, body: JSONObject, *, dry_run: bool, manager: str | None
    ) -> JSONObject:
        """Store a new object; ``manager`` is recorded as its creator in
        ``managedFields`` (None: the caller recorded it, as an apply does)."""
        self.check_type(body)
        meta = objects.metadata(body)
        self._check_namespace(meta, namespace)
        if self.resource.namespaced:
            await self._namespace_accepts(namespace, str(meta.get("name") or ""))
        obj = updates.created(self.resource, body, namespace, self.clock(), custom=self.custom)
        if manager is not None:
            obj = self.fields.updated(None, obj, manager, custom=self.custom)
        meta = obj["metadata"]
        problems = await self._allocate(obj)
        generated = not meta.get("name") and bool(meta.get("generateName"))
        attempts = _GENERATE_ATTEMPTS if generated else 1
        for _ in range(attempts):
            if generated:
                meta["name"] = generate_name(str(meta["generateName"]))
            self._validate(obj, problems)
            if dry_run:
                return obj
            key = objects.object_key(self.resource, namespace, meta["name"])
            try:
                kv = await self.store.create(key, self._encode(key, obj))
            except KeyExistsError:
                continue
            log.debug("object created", extra={"key": key, "revision": kv.mod_revision})
            return self._written(key, obj, kv.mod_revision)
        if generated:
            raise errors.generate_name_conflict(
                self.group_resource, str(meta["name"]), retry_after_seconds=1
            )
        raise errors.already_exists(self.group_resource, str(meta["name"]))

    async def update(
        self,
        namespace: str,
        name: str,
        body: JSONObject,
        *,
        dry_run: bool,
        manager: str,
        status: bool = False,
    ) -> JSONObject:
        """Replace the object (its status, with ``status``); conditioned on
        ``metadata.resourceVersion`` if given."""
        self.check_type(body)
        meta = objects.metadata(body)
        updates.check_name(meta.get("name"), name)
        self._check_namespace(meta, namespace)
        wanted = str(meta.get("resourceVersion") or "")

        def replace(current: JSONObject) -> JSONObject:
            updates.check_version(self.group_resource, name, wanted, current)
            return body

        return await self.read_modify_write(
            namespace, name, replace, dry_run=dry_run, manager=manager, status=status
        )

    async def read_modify_write(
        self,
        namespace: str,
        name: str,
        change: Callable[[JSONObject], JSONObject],
        *,
        dry_run: bool,
        manager: str | None,
        status: bool = False,
        subresource: str = "",
    ) -> JSONObject:
        """Write ``change(current)``, retrying if the object moved meanwhile.

        With ``status`` (the ``/status`` subresource) only the status of the
        changed object is kept; without it, everything but the status.
        ``manager`` is recorded in ``managedFields`` as the writer, through
        ``subresource`` (``status`` with ``status``); None when ``change``
        recorded it (an apply).
        """
        if status:
            subresource = STATUS
        key = objects.object_key(self.resource, namespace, name)
        # The first try starts from the cache's copy, as Kubernetes' storage
        # does: if the cache was behind, the write conditioned on its revision
        # fails, and so may the change; either way the store decides the next.
        cache = self.cache if self.cache is not None and self.cache.ready else None
        for attempt in range(_UPDATE_ATTEMPTS):
            cached = cache.copy_of(key) if cache is not None and attempt == 0 else None
            if cached is not None:
                current, revision = cached
            else:
                kv = await self._read(key, name)
                current, revision = objects.decode(kv), kv.mod_revision
            try:
                updated = self._changed(current, change, namespace, name, status, manager)
            except errors.ApiError:
                if cached is not None:
                    continue
                raise
            if manager is not None:
                updated = self.fields.updated(
                    current, updated, manager, custom=self.custom, subresource=subresource
                )
            if cached is not None and (dry_run or updates.unchanged(current, updated)):
                continue  # an answer without a write must come from the store's state
            if dry_run:
                return objects.with_revision(updated, revision)
            if updates.unchanged(current, updated):
                # As Kubernetes, an update that changes nothing writes nothing.
                return self.with_type(current)
            try:
                if deletion.should_delete(self.resource, updated):
                    event = await self.store.delete(key, revision=revision)
                    return objects.with_revision(updated, event.revision)
                stored = await self.store.update(key, self._encode(key, updated), revision=revision)
            except ConflictError:
                continue
            except KeyNotFoundError:
                raise errors.not_found(self.group_resource, name) from None
            return self._written(key, updated, stored.mod_revision)
        raise errors.stale_conflict(self.group_resource, name)

    def _changed(
        self,
        current: JSONObject,
        change: Callable[[JSONObject], JSONObject],
        namespace: str,
        name: str,
        status: bool,
        manager: str | None,
    ) -> JSONObject:
        """``change(current)`` as the endpoint stores it, validated."""
        changed = change(current)
        if status:
            updated = updates.status_update(
                self.resource, current, changed, applied=manager is None
            )
            self._validate(updated, old=current)
            return updated
        updated = updates.update(self.resource, current, changed, namespace, name)
        self._validate(updated, deletion.check_new_finalizers(current, updated), old=current)
        return updated

    async def delete(
        self,
        namespace: str,
        name: str,
        options: DeleteOptions = _NO_OPTIONS,
        *,
        dry_run: bool,
    ) -> JSONObject:
        """Delete the object now, or mark it for deletion (see ``deletion``)."""
        obj, _ = await self.delete_object(namespace, name, options, dry_run=dry_run)
        return obj

    async def delete_object(
        self,
        namespace: str,
        name: str,
        options: DeleteOptions = _NO_OPTIONS,
        *,
        dry_run: bool,
    ) -> tuple[JSONObject, bool]:
        """The object deleted or marked, and whether it is gone."""
        key = objects.object_key(self.resource, namespace, name)
        for _ in range(_UPDATE_ATTEMPTS):
            kv = await self._read(key, name)
            current = objects.decode(kv)
            deletion.check_preconditions(
                self.group_resource, current, options.preconditions or {}, name
            )
            marked = deletion.mark_for_deletion(self.resource, current, options, self.clock())
            if dry_run:
                return marked or current, marked is None
            try:
                if marked is None:
                    event = await self.store.delete(key, revision=kv.mod_revision)
                    log.debug("object deleted", extra={"key": key, "revision": event.revision})
                    return objects.with_revision(current, event.revision), True
                if marked == current:
                    return current, False
                stored = await self.store.update(
                    key, objects.encode(marked), revision=kv.mod_revision
                )
            except ConflictError:
                continue
            except KeyNotFoundError:
                raise errors.not_found(self.group_resource, name) from None
            return objects.with_revision(marked, stored.mod_revision), False
        raise errors.stale_conflict(self.group_resource, name)

    async def delete_collection(
        self,
        namespace: str,
        selection: ListOptions,
        options: DeleteOptions = _NO_OPTIONS,
        *,
        dry_run: bool,
    ) -> JSONObject:
        """Delete every object that matches, one by one, as Kubernetes does; the
        ``<Kind>List`` of what was deleted (or marked for deletion)."""
        if "deletecollection" not in self.resource.verbs:
            raise errors.method_not_supported(self.group_resource, "deletecollection")
        listed = await self.list(namespace, selection)
        deleted = []
        for obj in listed["items"]:
            meta = objects.metadata(obj)
            try:
                deleted.append(
                    await self.delete(
                        str(meta.get("namespace") or ""),
                        str(meta["name"]),
                        options,
                        dry_run=dry_run,
                    )
                )
            except errors.NotFoundError:
                continue  # deleted meanwhile by someone else
        return {**listed, "items": deleted}

    # Watching.

    def watch(
        self, namespace: str, options: ListOptions, *, initial_events: bool | None = None
    ) -> AsyncGenerator[watches.Batch, None]:
        """Watch events, in batches: ADDED, MODIFIED, DELETED, BOOKMARK.

        Without a ``resourceVersion`` (or with "0") the current objects come first
        as ADDED events, as Kubernetes sends them; ``initial_events`` forces that
        on or off and, when on, ends the initial events with the
        ``k8s.io/initial-events-end`` bookmark. With ``allow_bookmarks``, a quiet
        watch gets a BOOKMARK every ``bookmark_interval`` seconds. Each batch holds
        what was waiting when the watcher woke, so that a busy watch writes many
        events at once.

        The request is checked here, before any event: a bad one raises at once.
        Errors found later (a revision compacted away) end the stream instead.
        """
        self._check_fields(options.field_selector)
        send_initial = (
            initial_events if initial_events is not None else options.resource_version in ("", "0")
        )
        revision = 0 if send_initial else selection.parse_revision(options.resource_version)
        return watches.events(self, namespace, options, initial_events, send_initial, revision)

    # Helpers.

    def _encode(self, key: str, obj: JSONObject) -> bytes:
        """``obj``'s stored form; the cache is told, so that it need not decode it.
        A custom object is stored labelled with its CRD's storage version."""
        custom = self.custom
        if custom is not None and custom.storage_version != self.resource.version:
            group = self.resource.group
            obj = {**obj, "apiVersion": f"{group}/{custom.storage_version}"}
        value = objects.encode(obj)
        if self.cache is not None:
            self.cache.expect(key, value, self.with_type(obj))
        return value

    def _written(self, key: str, obj: JSONObject, revision: int) -> JSONObject:
        """``obj`` as stored at ``revision``."""
        return self.with_type(objects.with_revision(obj, revision))

    def check_type(self, body: JSONObject) -> None:
        """400 for a body of another kind or version than the endpoint's."""
        updates.check_type(self.resource, body)

    def with_type(self, obj: JSONObject) -> JSONObject:
        """``obj`` with this type's kind and apiVersion set (in place)."""
        obj["kind"] = self.resource.kind
        obj["apiVersion"] = self.resource.group_version
        return obj

    def _check_namespace(self, meta: JSONObject, namespace: str) -> None:
        given = meta.get("namespace")
        if self.resource.namespaced and given and given != namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent "
                "on the request"
            )

    async def _allocate(self, obj: JSONObject) -> Sequence[FieldError]:
        """A new Service's cluster IP and node ports (nothing for other types)."""
        if not self._is_service:
            return []
        if self.cache is not None and self.cache.ready:
            existing = [o for _, o in self.cache.items(self.cache.prefix)]
        else:
            existing = (await self.list("", ListOptions()))["items"]
        ips, ports = services.taken(existing)
        return services.allocate(obj, ips, ports)

    async def _namespace_accepts(self, namespace: str, name: str) -> None:
        """NotFound if ``namespace`` does not exist; Forbidden if it is terminating."""
        key = f"/registry/core/namespaces/{namespace}"
        cached = self.namespaces
        found: JSONObject | None
        if cached is not None and await cached.wait_for(await self.store.current_revision()):
            found = cached.get(key)
        else:
            try:
                found = objects.decode(await self.store.get(key))
            except KeyNotFoundError:
                found = None
        if found is None:
            raise errors.not_found(GroupResource("namespaces"), namespace)
        if deletion.terminating_namespace(found):
            raise errors.forbidden(
                self.group_resource,
                name,
                f"unable to create new content in namespace {namespace} because it is "
                "being terminated",
            )

    def _validate(
        self, obj: JSONObject, found: Sequence[FieldError] = (), *, old: JSONObject | None = None
    ) -> None:
        """422 Invalid for every problem: the metadata's, ``found``, and those of
        the type's own rules (``old`` is the stored object on an update)."""
        problems = ErrorList(updates.metadata_problems(self.resource, obj))
        problems.extend(found)
        if self.custom is not None:
            problems.extend(self.custom.validate(obj, old))
        if self.validator is not None:
            problems.extend(self.validator(obj, old))
        problems.raise_invalid(self.group_kind, str(objects.metadata(obj).get("name") or ""))
