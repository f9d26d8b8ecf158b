"""Building the type model from OpenAPI schemas, as Kubernetes builds it.

Kubernetes converts its OpenAPI v3 schemas with kube-openapi's ``schemaconv``
(``ToSchemaFromOpenAPI``) and hands the result to structured-merge-diff; a
custom kind's schema first goes through apiextensions' OpenAPI builder, which
adds ``apiVersion``, ``kind`` and ``metadata``. The rules followed here:

* **references** (``$ref``, or ``allOf`` holding one ``$ref`` with extensions
  beside it) resolve to the named definition's node, built once per name. An
  ``x-kubernetes-map-type`` beside the reference overrides the atomicity of
  the struct or map it names;
* **objects**: ``properties`` make a :class:`Struct`, no properties a
  :class:`Map` of ``additionalProperties`` (of untyped values when there is
  none: a free-form object). ``x-kubernetes-map-type`` is ``granular`` (the
  default) or ``atomic``, for structs and maps alike. Fields the schema does
  not name are untyped under ``x-kubernetes-preserve-unknown-fields``, which
  holds for the whole subtree below it (but not inside referenced
  definitions), and not allowed otherwise;
* **lists**: ``x-kubernetes-list-type`` ``atomic``, ``set``, or ``map`` with
  ``x-kubernetes-list-map-keys``. Without it, ``x-kubernetes-patch-strategy``
  ``merge`` (or ``merge,retainKeys``) makes a map-list keyed by
  ``x-kubernetes-patch-merge-key``, or a set when there is no merge key;
  ``retainKeys`` and no annotation at all make the list atomic;
* **scalars**: integers and numbers are numeric, strings with no format (or
  ``byte``) strings; other formats (``date-time``) are untyped leaves, as are
  ``Quantity``, ``IntOrString`` and ``RawExtension`` (by name) and anything
  with ``x-kubernetes-int-or-string``. A node with no type is untyped;
* **embedded resources** (``x-kubernetes-embedded-resource``), and the root of
  a custom kind, get ``apiVersion`` and ``kind`` (strings) and ``metadata``
  (the built-in ``ObjectMeta``), replacing any the schema declares.

Worked example, a cycle in the CustomResourceDefinition kind::

    named("...v1.JSONSchemaProps")
      1. Struct S created with an empty field dict, remembered under the name
      2. field "properties": {additionalProperties: {$ref JSONSchemaProps}}
           -> Map(values=named("...v1.JSONSchemaProps")) -> S (remembered)
      3. field dict filled; S.field("properties").values is S

Only a struct can close a cycle this way; a cycle through any other kind of
definition raises :class:`SchemaError` (the built-in kinds have none).
``x-kubernetes-unions`` are not modelled: Kubernetes' apply does not act on
them. Not thread-safe: a converter is meant for one event loop.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from kubelite.api.openapi.definitions import COMPONENTS_REF, BuiltinDefinitions
from kubelite.api.ssa.types import (
    UNTYPED,
    ListKind,
    ListType,
    Map,
    Node,
    Scalar,
    SchemaError,
    Struct,
)

__all__ = ["OBJECT_META", "Converter", "builtin_converter", "custom_root"]

OBJECT_META: Final = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

_STRING: Final = Scalar("string")
_NUMERIC: Final = Scalar("numeric")
_BOOLEAN: Final = Scalar("boolean")
_LEAF: Final = Scalar("untyped")

_LEAVES: Final[Mapping[str, Node]] = {
    # schemaconv keeps these two whole by name: their schemas say nothing useful.
    "io.k8s.apimachinery.pkg.api.resource.Quantity": _LEAF,
    "io.k8s.apimachinery.pkg.runtime.RawExtension": _LEAF,
    # Served as {type: string, format: int-or-string}; the data only has a oneOf.
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _LEAF,
}

# TODO(#5): the kubernetes-validate data drops the ``default`` of every field,
# which Kubernetes' OpenAPI keeps; these are the defaults of map-list key
# fields (``+default`` markers), the only ones the merge reads. Take them from
# the data once it carries them.
_KEY_DEFAULTS: Final[Mapping[str, Mapping[str, Any]]] = {
    "io.k8s.api.core.v1.ContainerPort": {"protocol": "TCP"},
    "io.k8s.api.core.v1.ServicePort": {"protocol": "TCP"},
    "io.k8s.api.core.v1.LocalObjectReference": {"name": ""},
}

_MERGE_STRATEGIES: Final = frozenset({"merge", "merge,retainKeys"})


class Converter:
    """OpenAPI schema nodes to model nodes, references resolved in ``definitions``.

    Named definitions are converted once each and shared; inline schemas (a
    custom kind's) are converted on every call.
    """

    __slots__ = ("_building", "_definitions", "_named", "_overridden")

    def __init__(self, definitions: BuiltinDefinitions) -> None:
        self._definitions = definitions
        # Invariant: a name is in ``_named`` once its node exists; a struct's
        # fields may still be filling (see the worked example).
        self._named: dict[str, Node] = {}
        # Names whose node does not exist yet; meeting one again is a cycle.
        self._building: set[str] = set()
        self._overridden: dict[tuple[str, bool], Node] = {}

    def named(self, name: str) -> Node:
        """The node of the definition ``name``; :class:`SchemaError` if unknown."""
        node = self._named.get(name)
        if node is None:
            node = _LEAVES.get(name)
        if node is not None:
            return node
        if name in self._building:
            raise SchemaError(f"definition {name} refers to itself and is not an object")
        try:
            schema = self._definitions.schema(name)
        except KeyError:
            raise SchemaError(f"no definition named {name!r}") from None
        self._building.add(name)
        try:
            node = self._convert(schema, preserve=False, name=name)
        except BaseException:
            # Nodes built meanwhile may hold a struct whose fields never
            # filled: forget them all (this only follows a broken schema).
            self._named.clear()
            self._overridden.clear()
            raise
        finally:
            self._building.discard(name)
        self._named[name] = node
        return node

    def convert(self, schema: Mapping[str, Any], *, preserve: bool = False) -> Node:
        """The node of an inline schema; ``preserve`` when an ancestor has
        ``x-kubernetes-preserve-unknown-fields: true``."""
        return self._convert(schema, preserve=preserve, name=None)

    def _convert(self, schema: Mapping[str, Any], *, preserve: bool, name: str | None) -> Node:
        ref = _reference(schema)
        if ref is not None:
            return self._referenced(ref, _map_type(schema))
        if schema.get("x-kubernetes-int-or-string") is True:
            return _LEAF
        preserve = preserve or schema.get("x-kubernetes-preserve-unknown-fields") is True
        kind = schema.get("type")
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, preserve, name)
        if kind == "array":
            return self._list(schema, preserve)
        if kind is None:
            return UNTYPED
        return _scalar(kind, schema.get("format"))

    def _referenced(self, name: str, atomic: bool | None) -> Node:
        node = self.named(name)
        if atomic is None or not isinstance(node, Struct | Map) or node.atomic == atomic:
            return node
        found = self._overridden.get((name, atomic))
        if found is None:
            # A copy sharing the (maybe still filling) fields of the original.
            found = self._overridden[(name, atomic)] = dataclasses.replace(node, atomic=atomic)
        return found

    def _object(self, schema: Mapping[str, Any], preserve: bool, name: str | None) -> Node:
        properties = schema.get("properties") or {}
        if not isinstance(properties, Mapping):
            raise SchemaError(f"properties of {name or 'an inline schema'} is not an object")
        embedded = schema.get("x-kubernetes-embedded-resource") is True
        # The fields an embedded resource gets count as declared ones.
        extra = self._extra(schema, preserve, declared=bool(properties) or embedded)
        atomic = _map_type(schema) is True
        if not properties and not embedded and extra is not None:
            return Map(extra, atomic=atomic)

        fields: dict[str, Node] = {}
        defaults: dict[str, Any] = dict(_KEY_DEFAULTS.get(name or "", {}))
        struct = Struct(
            MappingProxyType(fields),
            atomic=atomic,
            extra=extra,
            defaults=MappingProxyType(defaults),
        )
        if name is not None:
            # Before the fields, so that a field referring back finds it.
            self._named[name] = struct
        for field_name, prop in properties.items():
            if not isinstance(prop, Mapping):
                raise SchemaError(f"property {field_name!r} is not a schema")
            fields[field_name] = self._convert(prop, preserve=preserve, name=None)
            if "default" in prop:
                defaults[field_name] = prop["default"]
        if embedded:
            fields.update(apiVersion=_STRING, kind=_STRING, metadata=self.named(OBJECT_META))
        return struct

    def _extra(self, schema: Mapping[str, Any], preserve: bool, *, declared: bool) -> Node | None:
        """The node of fields ``properties`` does not name; None if not allowed."""
        additional = schema.get("additionalProperties")
        if additional is None:
            # A free-form object when nothing is declared (OpenAPI's reading).
            return UNTYPED if preserve or not declared else None
        if isinstance(additional, bool):
            return UNTYPED if additional else None
        if isinstance(additional, Mapping):
            return self._convert(additional, preserve=preserve, name=None)
        raise SchemaError(f"additionalProperties is neither a schema nor a bool: {additional!r}")

    def _list(self, schema: Mapping[str, Any], preserve: bool) -> ListType:
        items = schema.get("items")
        node = (
            self._convert(items, preserve=preserve, name=None)
            if isinstance(items, Mapping)
            else UNTYPED
        )
        kind, keys = _list_kind(schema)
        return ListType(node, kind, keys)


def _reference(schema: Mapping[str, Any]) -> str | None:
    ref = schema.get("$ref")
    if ref is None:
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], Mapping):
            ref = all_of[0].get("$ref")
    if isinstance(ref, str) and ref.startswith(COMPONENTS_REF):
        return ref.removeprefix(COMPONENTS_REF)
    if ref is not None:
        raise SchemaError(f"unsupported reference {ref!r}")
    return None


def _map_type(schema: Mapping[str, Any]) -> bool | None:
    """``x-kubernetes-map-type`` as atomic (True), granular (False) or unset."""
    value: object = schema.get("x-kubernetes-map-type")
    if value is None:
        return None
    if value == "atomic" or value == "granular":
        return value == "atomic"
    raise SchemaError(f"unknown x-kubernetes-map-type {value!r}")


def _list_kind(schema: Mapping[str, Any]) -> tuple[ListKind, tuple[str, ...]]:
    list_type = schema.get("x-kubernetes-list-type")
    if list_type is not None:
        if list_type == "atomic" or list_type == "set":
            return list_type, ()
        if list_type != "map":
            raise SchemaError(f"unknown x-kubernetes-list-type {list_type!r}")
        keys = schema.get("x-kubernetes-list-map-keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise SchemaError(f"a map-list needs x-kubernetes-list-map-keys, not {keys!r}")
        return "map", tuple(keys)

    strategy = schema.get("x-kubernetes-patch-strategy")
    if strategy is None or strategy == "retainKeys":
        return "atomic", ()
    if strategy not in _MERGE_STRATEGIES:
        raise SchemaError(f"unknown x-kubernetes-patch-strategy {strategy!r} on a list")
    merge_key = schema.get("x-kubernetes-patch-merge-key")
    if merge_key is None:
        return "set", ()
    if not isinstance(merge_key, str):
        raise SchemaError(f"x-kubernetes-patch-merge-key is not a string: {merge_key!r}")
    return "map", (merge_key,)


def _scalar(kind: object, fmt: object) -> Scalar:
    if kind in ("integer", "number"):
        return _NUMERIC
    if kind == "boolean":
        return _BOOLEAN
    if kind == "string":
        return _STRING if fmt in (None, "", "byte") else _LEAF
    raise SchemaError(f"unknown type {kind!r}")


@functools.cache
def builtin_converter(definitions: BuiltinDefinitions) -> Converter:
    """The one converter of ``definitions``, so each definition is built once."""
    return Converter(definitions)


def custom_root(schema: Mapping[str, Any], converter: Converter) -> Node:
    """The model of a custom kind's root ``schema``.

    apiextensions treats the root as it treats an embedded resource: it sets
    ``apiVersion``, ``kind`` and ``metadata``, so that is how it is converted.
    """
    root = {**schema, "type": "object", "x-kubernetes-embedded-resource": True}
    return converter.convert(root)
