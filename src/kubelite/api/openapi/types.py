"""Decoding a built-in object: JSON types that do not fit, required fields absent.

Kubernetes decodes a built-in object into its Go struct before anything else.
A value whose JSON type the Go field cannot hold fails the decoding, and the
request with it (400), in Go's words::

    {"spec": {"containers": "c"}}
    -> json: cannot unmarshal string into Go struct field
       PodSpec.spec.containers of type []v1.Container

Go names the innermost struct holding the field and the path of JSON field
names down to it, without list indices or map keys. Once decoded, validation
refuses fields that are required but absent (422, ``spec.containers: Required
value``). Both checks here read the OpenAPI schema of the type
(:mod:`.definitions`), compiled once per definition into a small tree of
:class:`_Type` nodes, so that a write pays for one walk of its object and no
schema lookups.

What the schema says, as Go decodes it:

* ``null`` fits every field: Go leaves the field at its zero value;
* ``IntOrString`` takes a string or an int32; ``Quantity`` a string or a
  number, anything else fails its own parser with its own message;
* an integer field takes only JSON integers in range (``1.0`` fails in Go too);
* a field with no type, one that keeps unknown fields, and the few types with
  their own decoders that take any JSON (``RawExtension``, ``FieldsV1``) take
  anything.

What it cannot say: Go's named scalar types (``v1.Protocol`` is a string to the
schema, so the message says ``string``), and which struct fields are pointers.
For the second, :func:`missing_required` relies on Kubernetes' convention that
``metadata``, ``spec`` and ``template`` are struct values, which Go decodes as
empty structs when absent; so a pod without a spec misses ``spec.containers``,
as Kubernetes says, rather than ``spec``.
"""

from __future__ import annotations

import dataclasses
import enum
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kubelite.api.field import ErrorType, FieldError, FieldPath
from kubelite.api.openapi.definitions import COMPONENTS_REF, BuiltinDefinitions, Schema

__all__ = ["Decoded", "WrongType", "decode", "missing_required", "wrong_types"]

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
_VALUE_STRUCTS: Final = frozenset({"metadata", "spec", "template"})
# The error a Quantity's own decoder gives for what is not a string or number.
QUANTITY_FORMAT_ERROR: Final = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
_INT32: Final = (-(2**31), 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)
_MAX_REFS = 32


class _Kind(enum.Enum):
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
_ACCEPTS: Final[Mapping[_Kind, frozenset[type]]] = {
    _Kind.STRUCT: frozenset({dict}),
    _Kind.OBJECT: frozenset({dict}),
    _Kind.MAP: frozenset({dict}),
    _Kind.ARRAY: frozenset({list}),
    _Kind.STRING: frozenset({str}),
    _Kind.INTEGER: frozenset({int}),
    _Kind.NUMBER: frozenset({int, float}),
    _Kind.BOOLEAN: frozenset({bool}),
    _Kind.INT_OR_STRING: frozenset({int, str}),
    _Kind.QUANTITY: frozenset({int, float, str}),
}
# The same in JSON type names, for values of other Python types (subclasses).
_JSON_NAMES: Final[Mapping[_Kind, frozenset[str]]] = {
    _Kind.STRUCT: frozenset({"object"}),
    _Kind.OBJECT: frozenset({"object"}),
    _Kind.MAP: frozenset({"object"}),
    _Kind.ARRAY: frozenset({"array"}),
    _Kind.STRING: frozenset({"string"}),
    _Kind.INTEGER: frozenset({"number"}),
    _Kind.NUMBER: frozenset({"number"}),
    _Kind.BOOLEAN: frozenset({"bool"}),
    _Kind.INT_OR_STRING: frozenset({"number", "string"}),
    _Kind.QUANTITY: frozenset({"number", "string"}),
}


@dataclass(slots=True, eq=False)
class _Type:
    """One schema node compiled for the walks; shared, cyclic, read-only once built.

    ``go`` spells the type as part of another (``[]v1.Container``); ``reported``
    is what Go's error names when a value here does not fit, which differs for
    types with their own decoders (an ``IntOrString`` reports ``int32``).
    """

    kind: _Kind = _Kind.ANY
    # The Python types of decoded JSON this node takes without a closer look.
    accepts: frozenset[type] = frozenset()
    # The types of values that need nothing more here, nor below: None, and what
    # a scalar field takes (an integer still has its range to check).
    settled: frozenset[type] = frozenset()
    counts: bool = False  # an integer field, or an IntOrString: ints within ``bounds``
    go: str = ""
    reported: str = ""
    struct: str = ""  # STRUCT: the Go struct's name, ``PodSpec``
    properties: dict[str, _Type] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    # STRUCT: properties to look at when absent, required or value structs.
    absent_checks: tuple[str, ...] = ()
    element: _Type | None = None  # ARRAY items, MAP values
    bounds: tuple[int, int] = _INT64
    # Whether a required field can be found at or below this node.
    reaches_required: bool = False


@dataclass(frozen=True, slots=True)
class WrongType:
    """A value whose JSON type its field cannot hold.

    ``path`` is written as Kubernetes writes field paths
    (``spec.containers[0].ports``); ``go_field`` as Go's decoder does
    (``spec.containers.ports``), with ``struct`` the Go struct that holds it.
    """

    path: str
    go_field: str
    struct: str
    json_type: str
    go_type: str

    @property
    def message(self) -> str:
        """The decoding error, as it follows ``Pod in version "v1" cannot be ...``."""
        if self.go_type == "resource.Quantity":
            return QUANTITY_FORMAT_ERROR
        return (
            f"json: cannot unmarshal {self.json_type} into Go struct field "
            f"{self.struct}.{self.go_field} of type {self.go_type}"
        )


@dataclass(frozen=True, slots=True)
class Decoded:
    """What decoding an object found: the fields it dropped, the first value of
    the wrong type, and (when asked for) the required fields left out."""

    dropped: list[str]
    wrong: WrongType | None
    missing: list[FieldError]


def decode(
    definitions: BuiltinDefinitions, root: str, obj: dict[str, Any], *, required: bool = False
) -> Decoded:
    """Go's decoding of ``obj`` as type ``root``, in one walk.

    The fields the type does not declare are dropped from ``obj``, in place, and
    their paths returned as Kubernetes writes them (``spec.containers[0].imagee``),
    with the first value whose JSON type its field cannot hold, if any; with
    ``required``, also what :func:`missing_required` finds. Free-form parts (a
    field with no type, one that keeps unknown fields, a map of anything) keep
    what they hold. The walk stops at a wrong type: the request fails there, as
    Go's decoder does.
    """
    dropped: list[str] = []
    missing: list[FieldError] = []
    types = _types(definitions)
    top = types.for_write(root) if required else types.named(root)
    found = _decode(top, obj, [], dropped, missing if required and top.reaches_required else None)
    return Decoded(dropped, found.finish() if found is not None else None, missing)


def wrong_types(
    definitions: BuiltinDefinitions, root: str, obj: Mapping[str, Any]
) -> list[WrongType]:
    """The first value of ``obj`` that type ``root`` cannot decode, as Go finds it.

    Go's decoder stops at the first, and its message names only that one, so
    the list has one entry at most; empty when ``obj`` decodes.
    """
    found = _check(_types(definitions).named(root), obj)
    if found is None:
        return []
    return [found.finish()]


def missing_required(
    definitions: BuiltinDefinitions, root: str, obj: Mapping[str, Any]
) -> list[FieldError]:
    """Every required field of type ``root`` that ``obj`` leaves out or sets to null.

    The object's ``status`` is not looked at: Kubernetes does not check it
    against the schema's required lists (it resets or keeps it by its own
    rules), and what those lists hold there is what Go always writes
    (``ready``, ``restartCount``), not what a client must send.
    """
    found: list[FieldError] = []
    top = _types(definitions).for_write(root)
    if top.reaches_required and isinstance(obj, dict):
        _missing(top, obj, [], found)
    return found


# -- compiling ---------------------------------------------------------------------


class _Types:
    """The compiled types of one set of definitions, each compiled on first use."""

    def __init__(self, definitions: BuiltinDefinitions) -> None:
        self._definitions = definitions
        # Invariant: every node reachable from ``_named`` is in ``_all``.
        self._named: dict[str, _Type] = {}
        self._all: list[_Type] = []
        self._writable: dict[str, _Type] = {}

    def named(self, name: str) -> _Type:
        found = self._named.get(name)
        if found is None:
            found = self._compile_named(name)
            self._mark_required()
        return found

    def for_write(self, name: str) -> _Type:
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

    def _compile_named(self, name: str) -> _Type:
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
                _Kind.INT_OR_STRING,
                go,
                "int32",
                _INT32,
            )
            return node
        if name == _QUANTITY:
            node.kind = _Kind.QUANTITY
            node.go = node.reported = go
            return node
        self._fill(node, schema, struct=short)
        if node.kind is _Kind.STRUCT or node.kind is _Kind.OBJECT:
            node.go = node.reported = go
        elif node.kind is not _Kind.ANY:
            # A named scalar (``v1.Time``): Go's error names what it decodes into.
            node.go = go
        return node

    def _new(self) -> _Type:
        node = _Type()
        self._all.append(node)
        return node

    def _compile(self, schema: Schema) -> _Type:
        ref = _reference(schema)
        if ref is not None:
            return self._compile_named(ref)
        node = self._new()
        self._fill(node, schema, struct="")
        return node

    def _fill(self, node: _Type, schema: Schema, *, struct: str) -> None:
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return
        if schema.get("x-kubernetes-int-or-string") or schema.get("format") == "int-or-string":
            node.kind, node.go, node.reported, node.bounds = (
                _Kind.INT_OR_STRING,
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
            element = self._compile(items) if isinstance(items, dict) else _Type()
            node.kind, node.element = _Kind.ARRAY, element
            node.go = node.reported = f"[]{element.go or 'interface {}'}"
        elif kind == "string":
            node.kind = _Kind.STRING
            node.go = node.reported = "[]uint8" if schema.get("format") == "byte" else "string"
        elif kind == "integer":
            node.kind = _Kind.INTEGER
            node.go = node.reported = "int32" if schema.get("format") == "int32" else "int64"
            node.bounds = _INT32 if schema.get("format") == "int32" else _INT64
        elif kind == "number":
            node.kind, node.go, node.reported = _Kind.NUMBER, "float64", "float64"
        elif kind == "boolean":
            node.kind, node.go, node.reported = _Kind.BOOLEAN, "bool", "bool"

    def _fill_object(self, node: _Type, schema: Schema, *, struct: str) -> None:
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        if isinstance(properties, dict):
            node.kind, node.struct = _Kind.STRUCT, struct
            node.properties = {
                name: self._compile(prop)
                for name, prop in properties.items()
                if isinstance(prop, dict)
            }
            required = schema.get("required")
            if isinstance(required, list):
                node.required = tuple(str(name) for name in required)
            values = [name for name in node.properties if name in _VALUE_STRUCTS]
            node.absent_checks = tuple(dict.fromkeys([*node.required, *values]))
        elif isinstance(additional, dict):
            element = self._compile(additional)
            node.kind, node.element = _Kind.MAP, element
            node.go = node.reported = f"map[string]{element.go or 'interface {}'}"
        else:
            node.kind = _Kind.OBJECT
            node.go = node.reported = "map[string]interface {}"

    def _mark_required(self) -> None:
        """Finish the nodes: ``accepts``, and ``reaches_required`` as a fixed point
        (for the cycles)."""
        for node in self._all:
            node.accepts = _ACCEPTS.get(node.kind, frozenset())
            node.settled = _settled(node)
            node.counts = node.kind in (_Kind.INTEGER, _Kind.INT_OR_STRING)
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
_CONTAINERS: Final = frozenset({_Kind.STRUCT, _Kind.ARRAY, _Kind.MAP})


def _settled(node: _Type) -> frozenset[type]:
    if node.kind is _Kind.ANY:
        return _JSON_TYPES
    if node.kind in _CONTAINERS:
        return _NONE
    if node.kind in (_Kind.INTEGER, _Kind.INT_OR_STRING):
        return (node.accepts - {int}) | _NONE
    return node.accepts | _NONE


def _children(node: _Type) -> Iterable[_Type]:
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


_compiled: weakref.WeakKeyDictionary[BuiltinDefinitions, _Types] = weakref.WeakKeyDictionary()


def _types(definitions: BuiltinDefinitions) -> _Types:
    found = _compiled.get(definitions)
    if found is None:
        found = _compiled[definitions] = _Types(definitions)
    return found


# -- wrong types -------------------------------------------------------------------


class _Found:
    """A value that does not fit; the path is gathered as the walk unwinds."""

    __slots__ = ("go_type", "json_type", "segments", "struct")

    def __init__(self, json_type: str, go_type: str) -> None:
        self.json_type = json_type
        self.go_type = go_type
        self.struct = ""
        # Innermost first: (is a field name, text).
        self.segments: list[tuple[bool, str]] = []

    def finish(self) -> WrongType:
        segments = tuple(reversed(self.segments))
        go_field = ".".join(text for is_name, text in segments if is_name)
        return WrongType(
            str(FieldPath(segments)), go_field, self.struct, self.json_type, self.go_type
        )


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "array"


def _check(node: _Type, value: Any) -> _Found | None:
    kind = node.kind
    if kind is _Kind.ANY:
        return None
    if type(value) not in node.accepts:
        if value is None:
            return None
        json_type = _json_type(value)
        if json_type not in _JSON_NAMES[kind]:
            return _Found(json_type, node.reported)
        if isinstance(value, float) and kind in (_Kind.INTEGER, _Kind.INT_OR_STRING):
            # Go's words for a number an integer cannot hold: the number itself.
            return _Found(f"number {value!r}", node.reported)
    if kind is _Kind.STRUCT:
        properties = node.properties
        for key, item in value.items():
            child = properties.get(key)
            if child is None:
                continue
            found = _check(child, item)
            if found is not None:
                found.segments.append((True, key))
                if not found.struct:
                    found.struct = node.struct
                return found
    elif kind is _Kind.ARRAY:
        element = node.element
        if element is not None and element.kind is not _Kind.ANY:
            for index, item in enumerate(value):
                found = _check(element, item)
                if found is not None:
                    found.segments.append((False, str(index)))
                    return found
    elif kind is _Kind.MAP:
        element = node.element
        if element is not None and element.kind is not _Kind.ANY:
            for key, item in value.items():
                found = _check(element, item)
                if found is not None:
                    found.segments.append((False, key))
                    return found
    elif (
        (kind is _Kind.INTEGER or kind is _Kind.INT_OR_STRING)
        and type(value) is int
        and not node.bounds[0] <= value <= node.bounds[1]
    ):
        return _Found(f"number {value}", node.reported)
    return None


def _decode(
    node: _Type,
    value: Any,
    trail: list[str],
    dropped: list[str],
    missing: list[FieldError] | None,
) -> _Found | None:
    """:func:`_check`, dropping undeclared fields on the way and, given a
    ``missing`` list, gathering what :func:`_missing` finds; ``trail`` is the
    path down to ``value``, in Kubernetes' spelling, one segment per level."""
    kind = node.kind
    if kind is not _Kind.STRUCT and kind is not _Kind.ARRAY and kind is not _Kind.MAP:
        return _check(node, value)  # nothing below to drop
    if type(value) not in node.accepts:
        if value is None:
            return None
        json_type = _json_type(value)
        if json_type not in _JSON_NAMES[kind]:
            return _Found(json_type, node.reported)
    if kind is _Kind.STRUCT:
        properties = node.properties
        if missing is not None and node.absent_checks:
            _absent(node, value, trail, missing)
        unknown: list[str] = []
        for key, item in value.items():
            child = properties.get(key)
            if child is None:
                unknown.append(key)
                dropped.append(f"{''.join(trail)}.{key}" if trail else key)
                continue
            if type(item) in child.settled:
                continue  # most fields: a scalar of the right type
            if type(item) is int and child.bounds[0] <= item <= child.bounds[1] and child.counts:
                continue
            trail.append(f".{key}" if trail else key)
            below = missing if missing is not None and child.reaches_required else None
            found = _decode(child, item, trail, dropped, below)
            trail.pop()
            if found is not None:
                found.segments.append((True, key))
                if not found.struct:
                    found.struct = node.struct
                return found
        if unknown and type(value) is dict:
            for key in unknown:
                del value[key]
    elif kind is _Kind.ARRAY or kind is _Kind.MAP:
        element = node.element
        if element is None or element.kind is _Kind.ANY:
            return None
        settled = element.settled
        below = missing if missing is not None and element.reaches_required else None
        pairs = enumerate(value) if kind is _Kind.ARRAY else value.items()
        for index, item in pairs:
            if type(item) in settled:
                continue
            trail.append(f"[{index}]")
            found = _decode(element, item, trail, dropped, below)
            trail.pop()
            if found is not None:
                found.segments.append((False, str(index)))
                return found
    return None


# -- required fields ---------------------------------------------------------------

_EMPTY: Final[Mapping[str, Any]] = {}


def _absent(node: _Type, value: Any, trail: list[str], found: list[FieldError]) -> None:
    """The required fields of the struct ``value`` that are absent or null."""
    properties = node.properties
    for name in node.absent_checks:
        if value.get(name) is not None:
            continue
        absent = properties.get(name)
        step = f".{name}" if trail else name
        if absent is not None and absent.kind is _Kind.STRUCT and name in _VALUE_STRUCTS:
            if absent.reaches_required:
                trail.append(step)
                _missing(absent, _EMPTY, trail, found)
                trail.pop()
        elif name in node.required:
            found.append(FieldError(ErrorType.REQUIRED, "".join(trail) + step))


def _missing(node: _Type, value: Any, trail: list[str], found: list[FieldError]) -> None:
    """Append what ``value`` misses to ``found``; ``trail`` is the path down to it."""
    kind = node.kind
    if kind is _Kind.STRUCT:
        if not isinstance(value, dict):
            return
        _absent(node, value, trail, found)
        properties = node.properties
        for key, item in value.items():
            child = properties.get(key)
            if child is not None and child.reaches_required and item is not None:
                trail.append(f".{key}" if trail else key)
                _missing(child, item, trail, found)
                trail.pop()
    elif kind is _Kind.ARRAY or kind is _Kind.MAP:
        element = node.element
        if element is None:
            return
        if kind is _Kind.ARRAY and isinstance(value, list):
            pairs: Iterable[tuple[Any, Any]] = enumerate(value)
        elif kind is _Kind.MAP and isinstance(value, dict):
            pairs = value.items()
        else:
            return
        for index, item in pairs:
            if item is not None:
                trail.append(f"[{index}]")
                _missing(element, item, trail, found)
                trail.pop()
