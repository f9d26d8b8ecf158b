"""The ``/openapi/v3`` documents: one per served group-version, and the root.

What clients fetch, and what each is for::

    GET /openapi/v3
      {"paths": {"api/v1":       {"serverRelativeURL": "/openapi/v3/api/v1?hash=6F1E..."},
                 "apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=0C2B..."}}}
    GET /openapi/v3/api/v1?hash=6F1E...
      {"openapi": "3.0.0", "info": ..., "paths": {...}, "components": {"schemas": {...}}}

``kubectl`` reads a group-version document before every ``create``/``apply``
(the ``fieldValidation`` pre-flight, see :mod:`kubelite.api.openapi.paths`) and
for ``explain``, and caches it on disk by its URL. The hash is therefore the
SHA-512 of the document's bytes: it changes exactly when the document does.

The documents follow the served types, :class:`ResourceTypes`, so a type added
later (a custom resource) is published as soon as :meth:`OpenAPIDocuments.invalidate`
is called. A type with a built-in definition gets that; any other gets the schema
the caller's lookup supplies (a CRD's ``openAPIV3Schema``), completed with
``apiVersion``, ``kind``, ``metadata`` and its group-version-kind, or, when the
lookup has none, an object that keeps unknown fields. Such a schema must be
self-contained: a ``$ref`` in it fails loudly.

Costs: a document is big (``api/v1``, 203 schemas, is 460 KB), so each
is built once, serialised once and kept as bytes. After :meth:`invalidate`, only
the documents whose types changed are rebuilt, when next asked for. Not
thread-safe: the API server calls it from its event loop.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from kubelite.api.openapi.definitions import (
    COMPONENTS_REF,
    BuiltinDefinitions,
    Schema,
    builtin_definitions,
)
from kubelite.api.openapi.paths import (
    DELETE_OPTIONS,
    PARAMETERS,
    PATCH,
    STATUS,
    WATCH_EVENT,
    KindSchemas,
    resource_paths,
)
from kubelite.api.resources import ResourceType, ResourceTypes

__all__ = ["OpenAPIDocuments", "SchemaLookup", "ServedDocument", "document_path"]

log = logging.getLogger(__name__)

SchemaLookup = Callable[[ResourceType], Mapping[str, Any] | None]
"""Gives the OpenAPI v3 schema of a type that has no built-in definition."""

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
_SHARED = (STATUS, DELETE_OPTIONS, WATCH_EVENT, PATCH)
"""Definitions every document's operations refer to."""

_API_VERSION = "APIVersion defines the versioned schema of this representation of an object."
_KIND = "Kind is a string value representing the REST resource this object represents."


class ServedDocument(NamedTuple):
    """A serialised document and the hash its URL carries."""

    body: bytes
    hash: str


def document_path(group: str, version: str) -> str:
    """The path of a group-version's document under ``/openapi/v3/``."""
    return f"api/{version}" if not group else f"apis/{group}/{version}"


@dataclass(frozen=True, slots=True)
class _Entry:
    """One group-version's types, and its document once built."""

    group: str
    version: str
    resources: tuple[ResourceType, ...]
    custom: tuple[str | None, ...]
    """The JSON text of each type's supplied schema (None: built-in or none)."""

    def fingerprint(self) -> tuple[object, ...]:
        return (self.resources, self.custom)


def _component_name(group: str, version: str, kind: str) -> str:
    """Kubernetes' name for a custom kind's schema: ``com.example.v1.Redis``."""
    return ".".join([*reversed(group.split(".")), version, kind])


def _ref(name: str) -> Schema:
    return {"$ref": COMPONENTS_REF + name}


def _gvk(group: str, version: str, kind: str) -> list[Schema]:
    return [{"group": group, "kind": kind, "version": version}]


def _custom_kind(resource: ResourceType, supplied: Mapping[str, Any] | None) -> Schema:
    """A custom kind's schema: the supplied one with the fields every object has."""
    base: Schema = dict(supplied) if supplied else {"type": "object"}
    if not supplied:
        base["x-kubernetes-preserve-unknown-fields"] = True
    common = ("apiVersion", "kind", "metadata")
    own = {k: v for k, v in (base.get("properties") or {}).items() if k not in common}
    properties: Schema = {
        "apiVersion": {"description": _API_VERSION, "type": "string"},
        "kind": {"description": _KIND, "type": "string"},
        "metadata": {"allOf": [_ref(OBJECT_META)], "description": "Standard object's metadata."},
        **own,
    }
    return {
        **base,
        "type": "object",
        "properties": properties,
        "x-kubernetes-group-version-kind": _gvk(resource.group, resource.version, resource.kind),
    }


def _list_kind(resource: ResourceType, item: str) -> Schema:
    return {
        "description": f"{resource.list_kind} is a list of {resource.kind}",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": _API_VERSION, "type": "string"},
            "items": {"type": "array", "items": _ref(item)},
            "kind": {"description": _KIND, "type": "string"},
            "metadata": {"allOf": [_ref(LIST_META)], "description": "Standard list metadata."},
        },
        "x-kubernetes-group-version-kind": _gvk(
            resource.group, resource.version, resource.list_kind
        ),
    }


class OpenAPIDocuments:
    """The ``/openapi/v3`` documents of a set of served types, built on demand.

    ``types`` is read, never changed; call :meth:`invalidate` after changing it.
    ``custom_schema`` is asked only for types without a built-in definition.
    """

    def __init__(
        self,
        types: ResourceTypes,
        *,
        custom_schema: SchemaLookup | None = None,
        definitions: BuiltinDefinitions | None = None,
    ) -> None:
        self._types = types
        self._custom_schema = custom_schema
        self._definitions = definitions
        # Invariants: when not None, ``_entries`` has one entry per served
        # group-version, by document path, and ``_built`` only documents of
        # those entries, each built from the entry whose fingerprint it keeps.
        self._entries: dict[str, _Entry] | None = None
        self._built: dict[str, tuple[tuple[object, ...], ServedDocument]] = {}
        self._root: bytes | None = None

    @property
    def definitions(self) -> BuiltinDefinitions:
        if self._definitions is None:
            self._definitions = builtin_definitions()
        return self._definitions

    def invalidate(self) -> None:
        """Note that the types or their schemas changed; rebuilds follow lazily."""
        self._entries = None
        self._root = None

    def paths(self) -> list[str]:
        """The document paths served, core first, as the root lists them."""
        return list(self._current())

    def root(self) -> bytes:
        """The serialised ``/openapi/v3`` document (builds every document)."""
        if self._root is None:
            entries = self._current()
            paths: Schema = {}
            for path in entries:
                served = self._document(path, entries[path])
                paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={served.hash}"}
            self._root = json.dumps({"paths": paths}, separators=(",", ":")).encode()
        return self._root

    def document(self, path: str) -> ServedDocument | None:
        """The document at ``/openapi/v3/{path}``, or None if nothing is served there."""
        entry = self._current().get(path)
        return None if entry is None else self._document(path, entry)

    # -- building -------------------------------------------------------------

    def _current(self) -> dict[str, _Entry]:
        if self._entries is None:
            entries: dict[str, _Entry] = {}
            for group, version in self._types.group_versions():
                resources = tuple(
                    sorted(self._types.in_group_version(group, version), key=lambda r: r.plural)
                )
                custom = tuple(self._supplied_text(r) for r in resources)
                entries[document_path(group, version)] = _Entry(group, version, resources, custom)
            self._built = {
                path: built
                for path, built in self._built.items()
                if path in entries and built[0] == entries[path].fingerprint()
            }
            self._entries = entries
        return self._entries

    def _supplied_text(self, resource: ResourceType) -> str | None:
        if self._custom_schema is None or self._is_builtin(resource):
            return None
        supplied = self._custom_schema(resource)
        if supplied is None:
            return None
        text = json.dumps(supplied, sort_keys=True)
        if '"$ref"' in text:
            raise ValueError(
                f"schema of {resource.plural}.{resource.group} has a $ref; "
                "custom schemas must be self-contained"
            )
        return text

    def _is_builtin(self, resource: ResourceType) -> bool:
        found = self.definitions.by_kind(resource.group, resource.version, resource.kind)
        return found is not None

    def _document(self, path: str, entry: _Entry) -> ServedDocument:
        built = self._built.get(path)
        if built is not None:
            return built[1]
        started = time.perf_counter()
        body = json.dumps(self._build(entry), separators=(",", ":")).encode()
        served = ServedDocument(body, hashlib.sha512(body).hexdigest().upper())
        self._built[path] = (entry.fingerprint(), served)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        log.debug(
            "openapi document built",
            extra={"path": path, "bytes": len(body), "ms": elapsed_ms},
        )
        return served

    def _build(self, entry: _Entry) -> Schema:
        defs = self.definitions
        roots: set[str] = set(_SHARED)
        custom_components: Schema = {}
        paths: Schema = {}
        for resource, text in zip(entry.resources, entry.custom, strict=True):
            kind = defs.by_kind(resource.group, resource.version, resource.kind)
            strategic = kind is not None
            if kind is None:
                kind = _component_name(resource.group, resource.version, resource.kind)
                supplied = None if text is None else json.loads(text)
                custom_components[kind] = _custom_kind(resource, supplied)
                roots.add(OBJECT_META)
            list_kind = defs.by_kind(resource.group, resource.version, resource.list_kind)
            if list_kind is None:
                list_kind = _component_name(resource.group, resource.version, resource.list_kind)
                custom_components[list_kind] = _list_kind(resource, kind)
                roots.add(LIST_META)
            subresource_kinds: dict[str, str] = {}
            for sub in resource.subresources:
                if not sub.kind:
                    continue
                other = defs.by_kind(sub.group, sub.version, sub.kind)
                if other is None:
                    raise ValueError(
                        f"subresource {sub.name} of {resource.plural} speaks "
                        f"{sub.group}/{sub.version} {sub.kind}, which has no schema"
                    )
                subresource_kinds[sub.name] = other
                roots.add(other)
            roots.add(kind)
            roots.add(list_kind)
            schemas = KindSchemas(kind, list_kind, strategic, subresource_kinds)
            paths.update(resource_paths(resource, schemas))

        components = {name: defs.schema(name) for name in defs.closure(roots)}
        components.update(custom_components)
        return {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": defs.version},
            "paths": dict(sorted(paths.items())),
            "components": {
                "schemas": dict(sorted(components.items())),
                "parameters": PARAMETERS,
            },
        }
