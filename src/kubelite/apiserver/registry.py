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

import base64
import binascii
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from kubelite.api import errors
from kubelite.api.errors import ErrorList, GroupKind, GroupResource
from kubelite.api.field import FieldPath
from kubelite.api.resources import ResourceType
from kubelite.api.selectors import EVERYTHING, FieldSelector, Selector
from kubelite.api.validation import NameRule, generate_name, validate_object_meta
from kubelite.apiserver import objects
from kubelite.apiserver.objects import JSONObject
from kubelite.store import (
    CompactedError,
    ConflictError,
    EventType,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Store,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# How many times a read-modify-write retries when another writer got there first.
_UPDATE_ATTEMPTS = 16
# Names a generateName create tries before giving up with 409.
_GENERATE_ATTEMPTS = 8
# Store pages read while filtering a list by selectors.
_SCAN_PAGE = 500

# The field selectors each type supports beyond metadata.name and metadata.namespace.
_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "status.phase"),
    ("", "secrets"): ("type",),
    ("", "events"): (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    ("", "namespaces"): ("status.phase",),
    ("", "nodes"): ("spec.unschedulable",),
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ListOptions:
    """What a list or watch asks for, parsed from the query."""

    label_selector: Selector = EVERYTHING
    field_selector: FieldSelector = field(default_factory=FieldSelector)
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""


class Registry:
    """Create, read, update, delete and watch the objects of one resource type."""

    def __init__(self, store: Store, resource: ResourceType, *, clock: Clock = _utcnow) -> None:
        self.store = store
        self.resource = resource
        self.clock = clock
        self.group_resource = GroupResource(resource.plural, resource.group)
        self.group_kind = GroupKind(resource.kind, resource.group)
        self.supported_fields = (
            "metadata.name",
            "metadata.namespace",
            *_FIELDS.get((resource.group, resource.plural), ()),
        )

    # Reading.

    async def get(self, namespace: str, name: str) -> JSONObject:
        key = objects.object_key(self.resource, namespace, name)
        return objects.decode(await self._read(key, name))

    async def _read(self, key: str, name: str) -> KeyValue:
        """The stored object at ``key``; NotFound, named ``name``, if there is none."""
        try:
            return await self.store.get(key)
        except KeyNotFoundError:
            raise errors.not_found(self.group_resource, name) from None

    async def list(self, namespace: str, options: ListOptions) -> JSONObject:
        """A ``<Kind>List`` of the objects that match, one page if ``limit`` is set."""
        self._check_fields(options.field_selector)
        prefix = objects.collection_prefix(self.resource, namespace)
        revision, start = self._list_start(options)
        items: list[JSONObject] = []
        more = False
        while True:
            try:
                page = await self.store.list(
                    prefix, revision=revision, limit=_SCAN_PAGE, start=start
                )
            except CompactedError as err:
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
        metadata: JSONObject = {"resourceVersion": str(revision)}
        if more and start is not None:
            metadata["continue"] = _encode_continue(revision, start)
        return {
            "kind": self.resource.list_kind,
            "apiVersion": self.resource.group_version,
            "metadata": metadata,
            "items": [self._with_type(obj) for obj in items],
        }

    def _list_start(self, options: ListOptions) -> tuple[int, str | None]:
        if options.continue_token:
            return _decode_continue(options.continue_token)
        if options.resource_version_match == "Exact" and options.resource_version:
            return _parse_revision(options.resource_version), None
        return 0, None

    def _check_fields(self, selector: FieldSelector) -> None:
        unsupported = selector.unsupported(self.supported_fields)
        if unsupported:
            raise errors.bad_request(f"field label not supported: {unsupported[0]}")

    def matches(self, obj: JSONObject, options: ListOptions) -> bool:
        metadata = objects.metadata(obj)
        labels = metadata.get("labels") or {}
        if not options.label_selector.matches(labels):
            return False
        if options.field_selector.empty:
            return True
        return options.field_selector.matches(self.fields(obj))

    def fields(self, obj: JSONObject) -> dict[str, str]:
        """The values of the fields a field selector can name, as strings."""
        metadata = objects.metadata(obj)
        values = {
            "metadata.name": str(metadata.get("name", "")),
            "metadata.namespace": str(metadata.get("namespace", "")),
        }
        for path in self.supported_fields[2:]:
            node: Any = obj
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, bool):
                values[path] = "true" if node else "false"
            elif node is not None and not isinstance(node, dict | list):
                values[path] = str(node)
            else:
                values[path] = ""
        return values

    # Writing.

    async def create(self, namespace: str, body: JSONObject, *, dry_run: bool) -> JSONObject:
        obj = self._with_type(dict(body))
        meta = {**objects.metadata(obj)}
        obj["metadata"] = meta
        self._check_namespace(meta, namespace)
        if self.resource.namespaced:
            meta["namespace"] = namespace
            await self._namespace_exists(namespace)
        else:
            meta.pop("namespace", None)
        for owned in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(owned, None)
        meta["uid"] = objects.new_uid()
        meta["creationTimestamp"] = objects.timestamp(self.clock())
        meta["generation"] = 1
        if self.resource.plural == "namespaces" and not self.resource.group:
            # TODO(#7): Terminating, and the namespace controller that empties it.
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
        generated = not meta.get("name") and bool(meta.get("generateName"))
        attempts = _GENERATE_ATTEMPTS if generated else 1
        for _ in range(attempts):
            if generated:
                meta["name"] = generate_name(str(meta["generateName"]))
            self._validate(obj)
            if dry_run:
                return obj
            key = objects.object_key(self.resource, namespace, meta["name"])
            try:
                kv = await self.store.create(key, objects.encode(obj))
            except KeyExistsError:
                continue
            log.debug("object created", extra={"key": key, "revision": kv.mod_revision})
            return objects.with_revision(obj, kv.mod_revision)
        if generated:
            raise errors.generate_name_conflict(
                self.group_resource, str(meta["name"]), retry_after_seconds=1
            )
        raise errors.already_exists(self.group_resource, str(meta["name"]))

    async def update(
        self, namespace: str, name: str, body: JSONObject, *, dry_run: bool, status: bool = False
    ) -> JSONObject:
        """Replace the object (its status, with ``status``); conditioned on
        ``metadata.resourceVersion`` if given."""
        meta = objects.metadata(body)
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on "
                f"the URL ({name})"
            )
        self._check_namespace(meta, namespace)
        wanted = str(meta.get("resourceVersion") or "")

        def replace(current: JSONObject) -> JSONObject:
            if wanted and wanted != objects.metadata(current).get("resourceVersion"):
                raise errors.stale_conflict(self.group_resource, name)
            return body

        return await self.read_modify_write(
            namespace, name, replace, dry_run=dry_run, status=status
        )

    async def read_modify_write(
        self,
        namespace: str,
        name: str,
        change: Callable[[JSONObject], JSONObject],
        *,
        dry_run: bool,
        status: bool = False,
    ) -> JSONObject:
        """Write ``change(current)``, retrying if the object moved meanwhile.

        With ``status`` (the ``/status`` subresource) only the status of the
        changed object is kept; without it, everything but the status.
        """
        key = objects.object_key(self.resource, namespace, name)
        for _ in range(_UPDATE_ATTEMPTS):
            kv = await self._read(key, name)
            current = objects.decode(kv)
            changed = change(current)
            if status:
                updated = self._prepare_status_update(current, changed)
            else:
                updated = self._prepare_update(current, changed, namespace, name)
            if dry_run:
                return updated
            try:
                stored = await self.store.update(
                    key, objects.encode(updated), revision=kv.mod_revision
                )
            except ConflictError:
                continue
            except KeyNotFoundError:
                raise errors.not_found(self.group_resource, name) from None
            return objects.with_revision(updated, stored.mod_revision)
        raise errors.stale_conflict(self.group_resource, name)

    def _prepare_update(
        self, current: JSONObject, new: JSONObject, namespace: str, name: str
    ) -> JSONObject:
        obj = self._with_type(dict(new))
        old_meta = objects.metadata(current)
        meta = {**objects.metadata(obj)}
        obj["metadata"] = meta
        meta["name"] = name
        if self.resource.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        # What the server owns is kept whatever the client sent.
        for owned in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
            if owned in old_meta:
                meta[owned] = old_meta[owned]
            else:
                meta.pop(owned, None)
        meta.pop("resourceVersion", None)
        if self.resource.subresource("status") is not None:
            # The main endpoint does not change status; /status does.
            if "status" in current:
                obj["status"] = current["status"]
            else:
                obj.pop("status", None)
        if _spec_changed(current, obj):
            meta["generation"] = int(old_meta.get("generation") or 0) + 1
        self._validate(obj)
        return obj

    def _prepare_status_update(self, current: JSONObject, new: JSONObject) -> JSONObject:
        # As in Kubernetes, a status write changes the status and nothing else.
        obj = self._with_type(dict(current))
        obj["metadata"] = {
            k: v for k, v in objects.metadata(current).items() if k != "resourceVersion"
        }
        if "status" in new:
            obj["status"] = new["status"]
        else:
            obj.pop("status", None)
        return obj

    async def delete(
        self,
        namespace: str,
        name: str,
        *,
        preconditions: JSONObject | None = None,
        dry_run: bool,
    ) -> JSONObject:
        """Delete the object now; with finalizers, mark it for deletion instead."""
        key = objects.object_key(self.resource, namespace, name)
        for _ in range(_UPDATE_ATTEMPTS):
            kv = await self._read(key, name)
            current = objects.decode(kv)
            self._check_preconditions(current, preconditions or {}, name)
            meta = objects.metadata(current)
            if dry_run:
                return current
            try:
                if meta.get("finalizers"):
                    if meta.get("deletionTimestamp"):
                        return current
                    marked = {
                        **current,
                        "metadata": {
                            **meta,
                            "deletionTimestamp": objects.timestamp(self.clock()),
                            "deletionGracePeriodSeconds": 0,
                        },
                    }
                    stored = await self.store.update(
                        key, objects.encode(marked), revision=kv.mod_revision
                    )
                    return objects.with_revision(marked, stored.mod_revision)
                event = await self.store.delete(key, revision=kv.mod_revision)
            except ConflictError:
                continue
            except KeyNotFoundError:
                raise errors.not_found(self.group_resource, name) from None
            return objects.with_revision(current, event.revision)
        raise errors.stale_conflict(self.group_resource, name)

    async def delete_collection(
        self, namespace: str, options: ListOptions, *, dry_run: bool
    ) -> JSONObject:
        """Delete every object that matches, one by one, as Kubernetes does; the
        ``<Kind>List`` of what was deleted (or marked for deletion)."""
        if "deletecollection" not in self.resource.verbs:
            raise errors.method_not_supported(self.group_resource, "deletecollection")
        listed = await self.list(namespace, options)
        deleted = []
        for obj in listed["items"]:
            meta = objects.metadata(obj)
            try:
                deleted.append(
                    await self.delete(
                        str(meta.get("namespace") or ""), str(meta["name"]), dry_run=dry_run
                    )
                )
            except errors.NotFoundError:
                continue  # deleted meanwhile by someone else
        return {**listed, "items": deleted}

    def _check_preconditions(self, current: JSONObject, wanted: JSONObject, name: str) -> None:
        meta = objects.metadata(current)
        uid = wanted.get("uid")
        if uid and uid != meta.get("uid"):
            raise errors.conflict(
                self.group_resource,
                name,
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                f"{meta.get('uid')}",
            )
        version = wanted.get("resourceVersion")
        if version and version != meta.get("resourceVersion"):
            raise errors.conflict(
                self.group_resource,
                name,
                f"Precondition failed: ResourceVersion in precondition: {version}, "
                f"ResourceVersion in object meta: {meta.get('resourceVersion')}",
            )

    # Watching.

    async def watch(
        self, namespace: str, options: ListOptions, *, initial_events: bool | None = None
    ) -> AsyncGenerator[tuple[str, JSONObject], None]:
        """``(type, object)`` events: ADDED, MODIFIED, DELETED, BOOKMARK.

        Without a ``resourceVersion`` (or with "0") the current objects come first
        as ADDED events, as Kubernetes sends them; ``initial_events`` forces that
        on or off and, when on, ends the initial events with the
        ``k8s.io/initial-events-end`` bookmark.
        """
        self._check_fields(options.field_selector)
        # TODO(#3): a watch cache per type, so that watchers do not each read the store.
        prefix = objects.collection_prefix(self.resource, namespace)
        send_initial = (
            initial_events if initial_events is not None else options.resource_version in ("", "0")
        )
        revision = 0 if send_initial else _parse_revision(options.resource_version)
        if send_initial:
            snapshot = await self.list(
                namespace, ListOptions(options.label_selector, options.field_selector)
            )
            revision = int(snapshot["metadata"]["resourceVersion"])
            for obj in snapshot["items"]:
                yield "ADDED", obj
            if initial_events:
                yield "BOOKMARK", self._bookmark(revision, initial_events_end=True)
        watch = self.store.watch(prefix, revision=revision)
        try:
            async with watch:
                async for event in watch:
                    converted = self._convert(event, options)
                    if converted is not None:
                        yield converted
        except CompactedError as err:
            raise errors.too_old_resource_version(revision, err.compacted) from err

    def _convert(self, event: Any, options: ListOptions) -> tuple[str, JSONObject] | None:
        """The watch event a store event is for a client with ``options``.

        As in Kubernetes, an object that stops matching the selectors is DELETED
        for that client, and one that starts matching is ADDED.
        """
        new = objects.decode(event.kv) if event.kv is not None else None
        old = objects.decode(event.prev) if event.prev is not None else None
        new_matches = new is not None and self.matches(new, options)
        old_matches = old is not None and self.matches(old, options)
        if event.type is EventType.DELETE:
            if old is None or not old_matches:
                return None
            return "DELETED", self._with_type(objects.with_revision(old, event.revision))
        if new is None:
            return None
        if new_matches and old_matches:
            return "MODIFIED", self._with_type(new)
        if new_matches:
            return "ADDED", self._with_type(new)
        if old_matches and old is not None:
            return "DELETED", self._with_type(objects.with_revision(old, event.revision))
        return None

    def _bookmark(self, revision: int, *, initial_events_end: bool = False) -> JSONObject:
        metadata: JSONObject = {"resourceVersion": str(revision)}
        if initial_events_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {
            "kind": self.resource.kind,
            "apiVersion": self.resource.group_version,
            "metadata": metadata,
        }

    # Helpers.

    def _with_type(self, obj: JSONObject) -> JSONObject:
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

    async def _namespace_exists(self, namespace: str) -> None:
        key = f"/registry/core/namespaces/{namespace}"
        try:
            await self.store.get(key)
        except KeyNotFoundError:
            raise errors.not_found(GroupResource("namespaces"), namespace) from None

    def _validate(self, obj: JSONObject) -> None:
        meta = objects.metadata(obj)
        rule = (
            NameRule.DNS1123_LABEL
            if self.resource.plural == "namespaces"
            else (NameRule.DNS1123_SUBDOMAIN)
        )
        problems = ErrorList(
            validate_object_meta(
                name=str(meta.get("name") or ""),
                generate_name=str(meta.get("generateName") or ""),
                namespace=str(meta.get("namespace") or ""),
                namespaced=self.resource.namespaced,
                labels=meta.get("labels") or {},
                annotations=meta.get("annotations") or {},
                generation=int(meta.get("generation") or 0),
                rule=rule,
                path=FieldPath().child("metadata"),
            )
        )
        problems.raise_invalid(self.group_kind, str(meta.get("name") or ""))


def _spec_changed(old: JSONObject, new: JSONObject) -> bool:
    """Whether ``generation`` moves: a change to anything but metadata and status."""
    ignored = {"metadata", "status", "kind", "apiVersion"}
    old_rest = {k: v for k, v in old.items() if k not in ignored}
    new_rest = {k: v for k, v in new.items() if k not in ignored}
    return old_rest != new_rest


def _parse_revision(text: str) -> int:
    try:
        revision = int(text)
    except ValueError:
        raise errors.bad_request(f'invalid resource version "{text}"') from None
    if revision < 0:
        raise errors.bad_request(f'invalid resource version "{text}"')
    return revision


def _encode_continue(revision: int, start: str) -> str:
    token = orjson.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": start})
    return base64.urlsafe_b64encode(token).decode()


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), str(data["start"])
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise errors.bad_request("continue key is not valid: incorrect encoded start") from None
