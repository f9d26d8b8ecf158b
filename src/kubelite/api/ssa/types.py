"""The type model server-side apply merges by: how each node of an object merges.

Server-side apply (issue #5) owns fields, not objects, and what counts as one
field depends on the schema: a container in ``spec.containers`` is an item of
its own, found by its ``name``; ``tolerations`` is one field however many
items it holds. This module holds that knowledge as a tree of small immutable
nodes, the counterpart of the ``schema`` package of Kubernetes'
structured-merge-diff, built from the OpenAPI schemas by
:mod:`kubelite.api.ssa._from_openapi`:

* :class:`Scalar`: a leaf (strings, numbers, booleans, and the values
  Kubernetes keeps whole: ``IntOrString``, ``Quantity``, ``Time``,
  ``RawExtension``);
* :class:`Struct`: named fields, each with its own node; ``atomic`` when
  ``x-kubernetes-map-type: atomic`` makes the whole struct one leaf
  (``LabelSelector``);
* :class:`Map`: string keys, one node for every value; granular (each key a
  field of its own) unless ``atomic`` (``nodeSelector``);
* :class:`ListType`: ``atomic`` (the default), ``set`` (items are their own
  identity) or ``map`` (items found by the values of their ``keys``);
* :class:`Untyped`: values under ``x-kubernetes-preserve-unknown-fields`` or
  without a type, merged by their shape: objects as granular maps of untyped
  values, lists and scalars as leaves.

Worked example, the ports of a Deployment's first container::

    type_for_kind("apps", "v1", "Deployment")
      .field("spec")          Struct  (DeploymentSpec)
      .field("template")      Struct  (PodTemplateSpec)
      .field("spec")          Struct  (PodSpec)
      .field("containers")    ListType(kind="map", keys=("name",))
      .items                  Struct  (Container)
      .field("ports")         ListType(kind="map", keys=("containerPort", "protocol"))

    item_key(ports, {"containerPort": 80})
        -> (("containerPort", 80), ("protocol", "TCP"))    protocol by its default

A struct is compared by identity (``eq=False``): the models of the built-in
kinds are built once per definition and may refer to themselves
(``JSONSchemaProps.properties`` holds more ``JSONSchemaProps``), so a
structural comparison would not end. The other nodes compare by value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

__all__ = [
    "UNTYPED",
    "ItemKey",
    "ItemKeyError",
    "ListType",
    "Map",
    "Node",
    "Scalar",
    "SchemaError",
    "Struct",
    "Untyped",
    "is_leaf",
    "item_key",
]

ScalarKind: TypeAlias = Literal["string", "numeric", "boolean", "untyped"]
ListKind: TypeAlias = Literal["atomic", "set", "map"]
ItemKey: TypeAlias = tuple[tuple[str, Any], ...]
"""The identity of an item of a map-list: (key field, value) pairs sorted by
field name, as structured-merge-diff orders them in a field path's ``k:{...}``."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class SchemaError(ValueError):
    """A schema the model cannot be built from: an unknown ``x-kubernetes-list-type``,
    a map-list without keys, a reference in a cycle that is not an object.

    A fault of the schema, not of a request: retrying does not help.
    """


class ItemKeyError(ValueError):
    """An item of a map-list that cannot be identified (not an object, no key
    field set, or a key field that is not a scalar): the request is invalid."""


@dataclass(frozen=True, slots=True)
class Scalar:
    """A leaf value; ``kind`` is what the schema declares (``untyped`` for
    formats such as ``date-time``, and for values kept whole)."""

    kind: ScalarKind = "untyped"

    def field(self, name: str) -> Node | None:
        return None


@dataclass(frozen=True, slots=True, eq=False)
class Struct:
    """An object with named fields.

    ``extra`` is the node of fields the schema does not name: None when they
    are not allowed, :data:`UNTYPED` under ``x-kubernetes-preserve-unknown-fields``.
    ``defaults`` holds the declared ``default`` of fields that have one; a
    map-list reads it for key fields an item leaves out (``protocol``).
    """

    # Invariant: read-only views; the converter fills the dict behind
    # ``fields`` once, right after creating the struct (to close cycles).
    fields: Mapping[str, Node]
    atomic: bool = False
    extra: Node | None = None
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if not isinstance(self.fields, MappingProxyType):
            object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        if not isinstance(self.defaults, MappingProxyType):
            object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))

    def field(self, name: str) -> Node | None:
        found = self.fields.get(name)
        return found if found is not None else self.extra

    def __repr__(self) -> str:
        names = ", ".join(self.fields)
        return f"Struct(fields=[{names}], atomic={self.atomic}, extra={self.extra!r})"


@dataclass(frozen=True, slots=True)
class Map:
    """An object used as a map: any string key, every value of type ``values``."""

    values: Node
    atomic: bool = False

    def field(self, name: str) -> Node | None:
        return self.values


@dataclass(frozen=True, slots=True)
class ListType:
    """A list: ``atomic`` (one leaf), ``set`` (each value its own identity), or
    ``map`` (items identified by ``keys``, fields of the item struct)."""

    items: Node
    kind: ListKind = "atomic"
    keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.kind == "map") != bool(self.keys):
            raise SchemaError(f"a list of kind {self.kind!r} cannot have keys {self.keys!r}")

    def field(self, name: str) -> Node | None:
        return None


@dataclass(frozen=True, slots=True)
class Untyped:
    """A value merged by its shape: a JSON object as a granular map of untyped
    values, anything else (lists included) as a leaf."""

    def field(self, name: str) -> Node | None:
        return self


UNTYPED = Untyped()
"""The one :class:`Untyped` node."""

Node: TypeAlias = Scalar | Struct | Map | ListType | Untyped
"""A node of the type model."""


def is_leaf(node: Node, value: object) -> bool:
    """Whether ``value``, found at ``node``, is owned as one field.

    Atomic structs, maps and lists are leaves, as is every scalar; so is a
    value whose shape does not fit its node (null for a struct), which the
    merge treats as a whole.
    """
    if isinstance(value, dict):
        return isinstance(node, Scalar | ListType) or (
            isinstance(node, Struct | Map) and node.atomic
        )
    if isinstance(value, list):
        return not isinstance(node, ListType) or node.kind == "atomic"
    return True


def item_key(node: ListType, item: object) -> ItemKey:
    """The identity of ``item`` in the map-list ``node``.

    A key field the item leaves out takes its declared default; one without
    a default is left out of the key, as Kubernetes (structured-merge-diff
    6.3, Kubernetes 1.34) allows for key fields added to an API later. An
    item with no key field at all cannot be identified.

    Example, a Service's ports (keys ``port`` and ``protocol``)::

        item_key(ports, {"port": 443, "name": "https"})
            -> (("port", 443), ("protocol", "TCP"))
    """
    if node.kind != "map":
        raise ItemKeyError(f"a list of kind {node.kind!r} has no item keys")
    if not isinstance(item, dict):
        raise ItemKeyError(
            f"associative list with keys {list(node.keys)} has an item that is not an "
            f"object: {item!r}"
        )
    defaults = node.items.defaults if isinstance(node.items, Struct) else _EMPTY
    pairs: list[tuple[str, Any]] = []
    for name in node.keys:
        if name in item:
            value = item[name]
        elif name in defaults:
            value = defaults[name]
        else:
            continue
        if isinstance(value, dict | list):
            raise ItemKeyError(f"key field {name!r} of a list item is not a scalar: {value!r}")
        pairs.append((name, value))
    if not pairs:
        raise ItemKeyError(
            f"associative list with keys {list(node.keys)} has an item that omits "
            "every key field (and none has a default)"
        )
    return tuple(sorted(pairs, key=lambda pair: pair[0]))
