"""The OpenAPI schemas of the built-in types, compiled for the decoding walks.

Each definition becomes a small tree of :class:`Node` objects, compiled on
first use and shared from then on (a type may contain itself, so the tree has
cycles). A node knows what Go would decode at that place: its :class:`Kind`,
the Python types of decoded JSON it takes without a closer look, the Go names
an error would print, its properties or element, the required fields below
it. :mod:`.types` walks objects along these trees.
"""

from __future__ import annotations

import dataclasses
import enum
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from kubelite.api.openapi.definitions import COMPONENTS_REF, BuiltinDefinitions, Schema

__all__ = ["JSON_NAMES", "VALUE_STRUCTS", "Kind", "Node", "compiled"]

_INT_OR_STRING: Final = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY: Final = "io.k8s.apimachinery.pkg.api.resource.Quantity"
# Types whose Go decoder keeps whatever JSON it is given.
_ANY_JSON: Final = frozenset(
    {
        "io.k8s.apimachinery.pkg.runtime.RawExtension",
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    }
)
# Fields that are struct values in every built-in Go type: absent, they decode
# to an empty struct, whose own required fields are then missing.
VALUE_STRUCTS: Final = frozenset({"metadata", "spec", "template"})
_INT32: Final = (-(2**31), 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)
_MAX_REFS = 32


class Kind(enum.Enum):
    ANY = enum.auto()
    STRUCT = enum.auto()  # declared properties: a Go struct
    OBJECT = enum.auto()  # a JSON object with nothing declared inside
    MAP = enum.auto()
    ARRAY = enum.auto()
    STRING = enum.auto()
    INTEGER = enum.auto()
    NUMBER = enum.auto()
    BOOLEAN = enum.auto()
    INT_OR_STRING = enum.auto()
    QUANTITY = enum.auto()


# The Python types of decoded JSON that each kind takes without a closer look
# (``None`` takes the slower path, where it fits everything).
_ACCEPTS: Final[Mapping[Kind, frozenset[type]]] = {
    Kind.STRUCT: frozenset({dict}),
    Kind.OBJECT: frozenset({dict}),
    Kind.MAP: frozenset({dict}),
    Kind.ARRAY: frozenset({list}),
    Kind.STRING: frozenset({str}),
    Kind.INTEGER: frozenset({int}),
    Kind.NUMBER: frozenset({int, float}),
    Kind.BOOLEAN: frozenset({bool}),
    Kind.INT_OR_STRING: frozenset({int, str}),
    Kind.QUANTITY: frozenset({int, float, str}),
}
# The same in JSON type names, for values of other Python types (subclasses).
JSON_NAMES: Final[Mapping[Kind, frozenset[str]]] = {
    Kind.STRUCT: frozenset({"object"}),
    Kind.OBJECT: frozenset({"object"}),
    Kind.MAP: frozenset({"object"}),
    Kind.ARRAY: frozenset({"array"}),
    Kind.STRING: frozenset({"string"}),
    Kind.INTEGER: frozenset({"number"}),
    Kind.NUMBER: frozenset({"number"}),
    Kind.BOOLEAN: frozenset({"bool"}),
    Kind.INT_OR_STRING: frozenset({"number", "string"}),
    Kind.QUANTITY: frozenset({"number", "string"}),
}


@dataclass(slots=True, eq=False)
class Node:
    """One schema node compiled for the walks; shared, cyclic, read-only once built.

    ``go`` spells the type as part of another (``[]v1.Container``); ``reported``
    is what Go's error names when a value here does not fit, which differs for
    types with their own decoders (an ``IntOrString`` reports ``int32``).
    """

    kind: Kind = Kind.ANY
    # The Python types of decoded JSON this node takes without a closer look.
    accepts: frozenset[type] = frozenset()
    # The types of values that need nothing more here, nor below: None, and what
    # a scalar field takes (an integer still has its range to check).
    settled: frozenset[type] = frozenset()
    counts: bool = False  # an integer field, or an IntOrString: ints within ``bounds``
    go: str = ""
    reported: str = ""
    struct: str = ""  # STRUCT: the Go struct's name, ``PodSpec``
    properties: dict[str, Node] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    # STRUCT: properties to look at when absent, required or value structs.
    absent_checks: tuple[str, ...] = ()
    element: Node | None = None  # ARRAY items, MAP values
    bounds: tuple[int, int] = _INT64
    # Whether a required field can be found at or below this node.
    reaches_required: bool = False


# -- compiling ---------------------------------------------------------------------


class Compiled:
    """The compiled types of one set of definitions, each compiled on first use."""

    def __init__(self, definitions: BuiltinDefinitions) -> None:
        self._definitions = definitions
        # Invariant: every node reachable from ``_named`` is in ``_all``.
        self._named: dict[str, Node] = {}
        self._all: list[Node] = []
        self._writable: dict[str, Node] = {}

    def named(self, name: str) -> Node:
        found = self._named.get(name)
        if found is None:
            found = self._compile_named(name)
            self._mark_required()
        return found

    def for_write(self, name: str) -> Node:
        """``name`` as a written object is checked for required fields: its
        ``status`` is not (see :func:`missing_required`)."""
        found = self._writable.get(name)
        if found is None:
            top = self.named(name)
            status = top.properties.get("status")
            if status is not None and status.reaches_required:
                quiet = dataclasses.replace(status, reaches_required=False)
                properties = {**top.properties, "status": quiet}
                reaches = any(child.reaches_required for child in properties.values()) or bool(
                    top.required
                )
                top = dataclasses.replace(top, properties=properties, reaches_required=reaches)
            found = self._writable[name] = top
        return found

    def _compile_named(self, name: str) -> Node:
        found = self._named.get(name)
        if found is not None:
            return found
        schema = self._definitions.schema(name)
        alias = _reference(schema)
        if alias is not None:
            found = self._named[name] = self._compile_named(alias)
            return found
        # Registered before its properties are compiled: a type may contain itself.
        node = self._new()
        self._named[name] = node
        package, _, short = name.rpartition(".")
        go = f"{package.rpartition('.')[2]}.{short}"
        if name in _ANY_JSON:
            node.go = node.reported = go
            return node
        if name == _INT_OR_STRING:
            node.kind, node.go, node.reported, node.bounds = (
                Kind.INT_OR_STRING,
                go,
                "int32",
                _INT32,
            )
            return node
        if name == _QUANTITY:
            node.kind = Kind.QUANTITY
            node.go = node.reported = go
            return node
        self._fill(node, schema, struct=short)
        if node.kind is Kind.STRUCT or node.kind is Kind.OBJECT:
            node.go = node.reported = go
        elif node.kind is not Kind.ANY:
            # A named scalar (``v1.Time``): Go's error names what it decodes into.
            node.go = go
        return node

    def _new(self) -> Node:
        node = Node()
        self._all.append(node)
        return node

    def _compile(self, schema: Schema) -> Node:
        ref = _reference(schema)
        if ref is not None:
            return self._compile_named(ref)
        node = self._new()
        self._fill(node, schema, struct="")
        return node

    def _fill(self, node: Node, schema: Schema, *, struct: str) -> None:
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return
        if schema.get("x-kubernetes-int-or-string") or schema.get("format") == "int-or-string":
            node.kind, node.go, node.reported, node.bounds = (
                Kind.INT_OR_STRING,
                "intstr.IntOrString",
                "int32",
                _INT32,
            )
            return
        kind = schema.get("type")
        if kind == "object":
            self._fill_object(node, schema, struct=struct)
        elif kind == "array":
            items = schema.get("items")
            element = self._compile(items) if isinstance(items, dict) else Node()
            node.kind, node.element = Kind.ARRAY, element
            node.go = node.reported = f"[]{element.go or 'interface {}'}"
        elif kind == "string":
            node.kind = Kind.STRING
            node.go = node.reported = "[]uint8" if schema.get("format") == "byte" else "string"
        elif kind == "integer":
            node.kind = Kind.INTEGER
            node.go = node.reported = "int32" if schema.get("format") == "int32" else "int64"
            node.bounds = _INT32 if schema.get("format") == "int32" else _INT64
        elif kind == "number":
            node.kind, node.go, node.reported = Kind.NUMBER, "float64", "float64"
        elif kind == "boolean":
            node.kind, node.go, node.reported = Kind.BOOLEAN, "bool", "bool"

    def _fill_object(self, node: Node, schema: Schema, *, struct: str) -> None:
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        if isinstance(properties, dict):
            node.kind, node.struct = Kind.STRUCT, struct
            node.properties = {
                name: self._compile(prop)
                for name, prop in properties.items()
                if isinstance(prop, dict)
            }
            required = schema.get("required")
            if isinstance(required, list):
                node.required = tuple(str(name) for name in required)
            values = [name for name in node.properties if name in VALUE_STRUCTS]
            node.absent_checks = tuple(dict.fromkeys([*node.required, *values]))
        elif isinstance(additional, dict):
            element = self._compile(additional)
            node.kind, node.element = Kind.MAP, element
            node.go = node.reported = f"map[string]{element.go or 'interface {}'}"
        else:
            node.kind = Kind.OBJECT
            node.go = node.reported = "map[string]interface {}"

    def _mark_required(self) -> None:
        """Finish the nodes: ``accepts``, and ``reaches_required`` as a fixed point
        (for the cycles)."""
        for node in self._all:
            node.accepts = _ACCEPTS.get(node.kind, frozenset())
            node.settled = _settled(node)
            node.counts = node.kind in (Kind.INTEGER, Kind.INT_OR_STRING)
            node.reaches_required = bool(node.required)
        changed = True
        while changed:
            changed = False
            for node in self._all:
                if node.reaches_required:
                    continue
                if any(child.reaches_required for child in _children(node)):
                    node.reaches_required = changed = True


_NONE: Final[frozenset[type]] = frozenset({type(None)})
_JSON_TYPES: Final[frozenset[type]] = frozenset({dict, list, str, int, float, bool}) | _NONE
_CONTAINERS: Final = frozenset({Kind.STRUCT, Kind.ARRAY, Kind.MAP})


def _settled(node: Node) -> frozenset[type]:
    if node.kind is Kind.ANY:
        return _JSON_TYPES
    if node.kind in _CONTAINERS:
        return _NONE
    if node.kind in (Kind.INTEGER, Kind.INT_OR_STRING):
        return (node.accepts - {int}) | _NONE
    return node.accepts | _NONE


def _children(node: Node) -> Iterable[Node]:
    if node.element is not None:
        yield node.element
    yield from node.properties.values()


def _reference(schema: Schema) -> str | None:
    ref = schema.get("$ref")
    if ref is None:
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            ref = all_of[0].get("$ref")
    if isinstance(ref, str) and ref.startswith(COMPONENTS_REF):
        return ref.removeprefix(COMPONENTS_REF)
    return None


_compiled: weakref.WeakKeyDictionary[BuiltinDefinitions, Compiled] = weakref.WeakKeyDictionary()


def compiled(definitions: BuiltinDefinitions) -> Compiled:
    found = _compiled.get(definitions)
    if found is None:
        found = _compiled[definitions] = Compiled(definitions)
    return found
