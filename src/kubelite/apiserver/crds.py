"""Serving the kinds CustomResourceDefinitions define, as they come and go.

``CrdServing`` follows the CRDs in the watch cache, as Kubernetes' naming,
establishing and finalizing controllers do inside its API server:

1. a new or changed CRD gets its accepted names and its ``NamesAccepted``
   condition: a plural, singular, kind, list kind or short name that another
   type of the group already uses is a conflict, named in the condition;
2. once its names are accepted, each served version becomes a served type: a
   ``ResourceType`` in the table, a watch cache and a registry with the CRD's
   schema (``CustomKind``), and discovery and OpenAPI rebuilt; only then is the
   CRD ``Established``, so that a client waiting for the condition finds the
   endpoints there;
3. a deleted CRD (held by the ``customresourcecleanup`` finalizer) first has
   every object of its kind deleted, then loses the finalizer, and its types go
   once the CRD itself is gone.

Every step is idempotent and driven by the CRD's current state, so a restart
(or a second API server on the same etcd) arrives at the same place.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubelite.api import errors
from kubelite.api.crd import definition
from kubelite.api.crd.cel import compile_errors, compile_rules
from kubelite.api.crd.schema import check_structural, compile_schema
from kubelite.api.field import FieldError, FieldPath
from kubelite.api.resources import ResourceType, ResourceTypes
from kubelite.api.tables.custom import crd_printer
from kubelite.apiserver import objects
from kubelite.apiserver.cache import WatchCache
from kubelite.apiserver.custom import CustomKind, ScalePaths
from kubelite.apiserver.deletion import DeleteOptions
from kubelite.apiserver.fieldmanager import SERVER_MANAGER
from kubelite.apiserver.objects import JSONObject
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.selection import ListOptions
from kubelite.store import Store

log = logging.getLogger(__name__)

CRDS = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
# How long the objects of a deleted CRD may take to go before it is tried again.
_CLEANUP_RETRY = 1.0
# How long the CRD watch waits for events before looking again (nothing to do then).
_QUIET = 60.0


@dataclass(slots=True)
class _Served:
    """One served version of a CRD: its type, its cache, its registry."""

    resource: ResourceType
    cache: WatchCache
    registry: Registry


class CrdServing:
    """Keeps the served custom types in step with the stored CRDs."""

    def __init__(
        self,
        store: Store,
        types: ResourceTypes,
        registries: dict[tuple[str, str, str], Registry],
        *,
        changed: Callable[[], None],
        namespaces: Callable[[], WatchCache | None],
    ) -> None:
        self._store = store
        self._types = types
        self._registries = registries
        self._changed = changed
        self._namespaces = namespaces
        # Invariant: a CRD named here has each of its served versions in
        # ``_types`` and ``_registries``, and nothing else of it is served.
        self._served: dict[str, list[_Served]] = {}
        self._task: asyncio.Task[None] | None = None
        self._cleanups: dict[str, asyncio.Task[None]] = {}
        self._starting: set[asyncio.Task[None]] = set()

    @property
    def crds(self) -> Registry:
        return self._registries[CRDS]

    async def start(self) -> None:
        """Serve what the stored CRDs define, then follow their changes."""
        cache = self.crds.cache
        if cache is None:
            raise RuntimeError("the CRD registry needs its watch cache")
        revision = cache.fresh_revision()
        for _, crd in list(cache.items(objects.collection_prefix(self.crds.resource, ""))):
            await self._reconcile(crd)
        self._task = asyncio.create_task(self._follow(cache, revision), name="crd-serving")

    async def stop(self) -> None:
        tasks = [
            t for t in (self._task, *self._cleanups.values(), *self._starting) if t is not None
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._cleanups.clear()
        for name in list(self._served):
            await self._unserve(name)

    async def _follow(self, cache: WatchCache, revision: int) -> None:
        prefix = objects.collection_prefix(self.crds.resource, "")
        while True:
            watcher = cache.subscribe(prefix, revision)
            if watcher is None:
                # Fallen out of the window: start again from what is there now.
                revision = cache.fresh_revision()
                for _, crd in list(cache.items(prefix)):
                    await self._reconcile(crd)
                continue
            try:
                while (batch := await watcher.batch(_QUIET)) is not None:
                    for event in batch:
                        revision = max(revision, event.revision)
                        if event.new is None:
                            if event.old is not None:
                                await self._unserve(_name(event.old))
                        else:
                            await self._reconcile(event.new)
            except Exception as err:  # a bug must not stop serving CRDs for good
                log.exception("crd serving failed", extra={"error": repr(err)})
                await asyncio.sleep(_CLEANUP_RETRY)
            finally:
                await watcher.aclose()

    # One CRD.

    async def _reconcile(self, crd: JSONObject) -> None:
        name = _name(crd)
        meta = objects.metadata(crd)
        if meta.get("deletionTimestamp"):
            if name not in self._cleanups or self._cleanups[name].done():
                self._cleanups[name] = asyncio.create_task(
                    self._clean_up(name), name=f"crd-cleanup-{name}"
                )
            return
        if CLEANUP_FINALIZER not in (meta.get("finalizers") or []):
            await self._write(name, _with_finalizer)
            return  # the update comes back as an event
        status = crd.get("status") or {}
        now = datetime.now(UTC)
        conditions = definition.conditions(
            crd, self._taken(name), now=now, old=status.get("conditions") or []
        )
        accepted = _condition(conditions, "NamesAccepted")
        if accepted:
            self._serve(name, crd)
        else:
            await self._unserve(name)
        established = _condition(conditions, "Established")
        wanted = {
            **status,
            "conditions": conditions,
            "acceptedNames": definition.accepted_names(crd) if accepted else _names(status),
            "storedVersions": definition.stored_versions(crd, status),
        }
        if wanted != status:
            await self._write_status(name, wanted)
        log.debug("crd reconciled", extra={"crd": name, "established": established})

    def _serve(self, name: str, crd: JSONObject) -> None:
        """Serve each served version of ``crd``, with its current schema."""
        versions = definition.custom_versions(crd)
        current = {s.resource.version: s for s in self._served.get(name, [])}
        wanted = {v.resource.version: v for v in versions}
        stale = [
            s
            for version, s in current.items()
            if version not in wanted or wanted[version].resource != s.resource
        ]
        for served in stale:
            self._drop(served)
            del current[served.resource.version]
        added = False
        for version, custom_version in wanted.items():
            kind = custom_kind(crd, custom_version)
            existing = current.get(version)
            if existing is None:
                resource = custom_version.resource
                cache = WatchCache(self._store, resource)
                registry = Registry(self._store, resource, cache=cache, custom=kind)
                registry.namespaces = self._namespaces()
                self._types.add(resource)
                self._registries[(resource.group, resource.version, resource.plural)] = registry
                current[version] = _Served(resource, cache, registry)
                # Served at once: until its cache has loaded, the registry reads the store.
                starting = asyncio.create_task(cache.start(), name=f"crd-cache-{name}")
                self._starting.add(starting)
                starting.add_done_callback(self._starting.discard)
                added = True
            else:
                existing.registry.custom = kind
        self._served[name] = list(current.values())
        # Even with the same types the schema may have changed: OpenAPI follows.
        self._changed()
        if added:
            log.info("crd served", extra={"crd": name, "versions": sorted(current)})

    async def _unserve(self, name: str) -> None:
        for served in self._served.pop(name, []):
            self._drop(served)
            await served.cache.stop()
        self._changed()

    def _drop(self, served: _Served) -> None:
        resource = served.resource
        self._registries.pop((resource.group, resource.version, resource.plural), None)
        with contextlib.suppress(KeyError):
            self._types.remove(resource.group, resource.version, resource.plural)

    async def _clean_up(self, name: str) -> None:
        """Delete every object of a deleted CRD's kind, then let the CRD go."""
        while True:
            registry = self._any_registry(name)
            remaining = 0
            if registry is not None:
                await registry.delete_collection("", ListOptions(), DeleteOptions(), dry_run=False)
                listed = await registry.list("", ListOptions(limit=1))
                remaining = len(listed["items"])
            if not remaining:
                break
            await asyncio.sleep(_CLEANUP_RETRY)
        with contextlib.suppress(errors.NotFoundError):
            await self._write(name, _without_finalizer)
        log.info("crd objects deleted", extra={"crd": name})

    def _any_registry(self, name: str) -> Registry | None:
        served = self._served.get(name)
        return served[0].registry if served else None

    def _taken(self, name: str) -> Callable[[str, str], str | None]:
        """Who else in a group already uses a name (a plural, kind, short name...)."""
        mine = {s.resource.plural for s in self._served.get(name, [])}

        def taken(group: str, word: str) -> str | None:
            for resource in self._types:
                if resource.group != group or resource.plural in mine:
                    continue
                used = {
                    resource.plural,
                    resource.singular,
                    resource.kind.lower(),
                    f"{resource.kind}List".lower(),
                    *resource.short_names,
                }
                if word.lower() in used:
                    return f"{resource.plural}.{group}" if group else resource.plural
            return None

        return taken

    # Writes to the CRD.

    async def _write(self, name: str, change: Callable[[JSONObject], JSONObject]) -> None:
        await self.crds.read_modify_write("", name, change, dry_run=False, manager=SERVER_MANAGER)

    async def _write_status(self, name: str, status: JSONObject) -> None:
        def change(current: JSONObject) -> JSONObject:
            return {**current, "status": status}

        with contextlib.suppress(errors.NotFoundError):
            await self.crds.read_modify_write(
                "", name, change, dry_run=False, manager=SERVER_MANAGER, status=True
            )


def _name(crd: JSONObject) -> str:
    return str(objects.metadata(crd).get("name") or "")


def _condition(conditions: list[dict[str, Any]], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


def _names(status: Mapping[str, Any]) -> Any:
    return status.get("acceptedNames") or {}


def _with_finalizer(crd: JSONObject) -> JSONObject:
    meta = dict(objects.metadata(crd))
    meta["finalizers"] = [*(meta.get("finalizers") or []), CLEANUP_FINALIZER]
    return {**crd, "metadata": meta}


def _without_finalizer(crd: JSONObject) -> JSONObject:
    meta = dict(objects.metadata(crd))
    meta["finalizers"] = [f for f in meta.get("finalizers") or [] if f != CLEANUP_FINALIZER]
    return {**crd, "metadata": meta}


def custom_kind(crd: JSONObject, version: definition.CustomVersion) -> CustomKind:
    """What a served version of ``crd`` adds to its registry: its schema
    compiled for pruning, defaults and validation, its rules, its Table, its
    selectable fields, its scale paths and the version objects are stored in."""
    compiled = compile_schema(version.schema) if version.schema else None
    rules = compile_rules(version.schema) if version.schema else None

    def prepare(obj: dict[str, Any]) -> list[str]:
        if compiled is None:
            return []
        dropped = compiled.prune(obj)
        compiled.apply_defaults(obj)
        return dropped

    def validate(obj: JSONObject, old: JSONObject | None) -> list[FieldError]:
        if compiled is None:
            problems: list[FieldError] = []
        elif old is None:
            problems = compiled.validate(obj)
        else:
            # An update is ratcheted against the old object as the current schema
            # reads it (Kubernetes prunes and defaults what it reads from storage).
            before = copy.deepcopy(dict(old))
            compiled.prune(before)
            compiled.apply_defaults(before)
            problems = compiled.validate(obj, old=before)
            old = before
        if rules:
            problems += rules.validate(obj, old)
        return problems

    return CustomKind(
        crd=_name(crd),
        storage_version=_storage_version(crd) or version.resource.version,
        printer=crd_printer(version.printer_columns),
        schema=version.schema or None,
        # A field selector names ``spec.colour`` where the CRD says ``.spec.colour``.
        selectable_fields=tuple(path.removeprefix(".") for path in version.selectable_fields),
        scale=_scale_paths(version.scale),
        served_versions=_served_versions(crd),
        prepare=prepare,
        validate=validate,
    )


def validate_crd(crd: JSONObject, old: JSONObject | None) -> list[FieldError]:
    """Every problem of a CRD written (``old``: the CRD it replaces), its
    schemas checked for structure and their CEL rules compiled."""
    if old is None:
        return definition.validate_definition(crd, structural=_structural)
    return definition.validate_definition_update(crd, old, structural=_structural)


def _structural(schema: Mapping[str, Any], path: FieldPath) -> list[FieldError]:
    problems = check_structural(schema, path)
    return problems or compile_errors(schema, path)


def _storage_version(crd: JSONObject) -> str:
    for entry in (crd.get("spec") or {}).get("versions") or []:
        if isinstance(entry, dict) and entry.get("storage") is True:
            return str(entry.get("name") or "")
    return ""


def _served_versions(crd: JSONObject) -> tuple[str, ...]:
    return tuple(
        str(entry.get("name") or "")
        for entry in (crd.get("spec") or {}).get("versions") or []
        if isinstance(entry, dict) and entry.get("served") is True
    )


def _scale_paths(scale: Mapping[str, Any] | None) -> ScalePaths | None:
    if scale is None:
        return None
    return ScalePaths(
        spec_replicas=str(scale.get("specReplicasPath") or ".spec.replicas"),
        status_replicas=str(scale.get("statusReplicasPath") or ".status.replicas"),
        label_selector=str(scale.get("labelSelectorPath") or ""),
    )
