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
nodes (:mod:`.compiled`), so that a write pays for one walk of its object
and no schema lookups.

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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubelite.api.field import ErrorType, FieldError, FieldPath
from kubelite.api.openapi.compiled import JSON_NAMES, VALUE_STRUCTS, Kind, Node, compiled
from kubelite.api.openapi.definitions import BuiltinDefinitions

__all__ = ["Decoded", "WrongType", "decode", "missing_required", "wrong_types"]

# The error a Quantity's own decoder gives for what is not a string or number.
QUANTITY_FORMAT_ERROR: Final = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


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
    types = compiled(definitions)
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
    found = _check(compiled(definitions).named(root), obj)
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
    top = compiled(definitions).for_write(root)
    if top.reaches_required and isinstance(obj, dict):
        _missing(top, obj, [], found)
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


def _check(node: Node, value: Any) -> _Found | None:
    kind = node.kind
    if kind is Kind.ANY:
        return None
    if type(value) not in node.accepts:
        if value is None:
            return None
        json_type = _json_type(value)
        if json_type not in JSON_NAMES[kind]:
            return _Found(json_type, node.reported)
        if isinstance(value, float) and kind in (Kind.INTEGER, Kind.INT_OR_STRING):
            # Go's words for a number an integer cannot hold: the number itself.
            return _Found(f"number {value!r}", node.reported)
    if kind is Kind.STRUCT:
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
    elif kind is Kind.ARRAY:
        element = node.element
        if element is not None and element.kind is not Kind.ANY:
            for index, item in enumerate(value):
                found = _check(element, item)
                if found is not None:
                    found.segments.append((False, str(index)))
                    return found
    elif kind is Kind.MAP:
        element = node.element
        if element is not None and element.kind is not Kind.ANY:
            for key, item in value.items():
                found = _check(element, item)
                if found is not None:
                    found.segments.append((False, key))
                    return found
    elif (
        (kind is Kind.INTEGER or kind is Kind.INT_OR_STRING)
        and type(value) is int
        and not node.bounds[0] <= value <= node.bounds[1]
    ):
        return _Found(f"number {value}", node.reported)
    return None


def _decode(
    node: Node,
    value: Any,
    trail: list[str],
    dropped: list[str],
    missing: list[FieldError] | None,
) -> _Found | None:
    """:func:`_check`, dropping undeclared fields on the way and, given a
    ``missing`` list, gathering what :func:`_missing` finds; ``trail`` is the
    path down to ``value``, in Kubernetes' spelling, one segment per level."""
    kind = node.kind
    if kind is not Kind.STRUCT and kind is not Kind.ARRAY and kind is not Kind.MAP:
        return _check(node, value)  # nothing below to drop
    if type(value) not in node.accepts:
        if value is None:
            return None
        json_type = _json_type(value)
        if json_type not in JSON_NAMES[kind]:
            return _Found(json_type, node.reported)
    if kind is Kind.STRUCT:
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
    elif kind is Kind.ARRAY or kind is Kind.MAP:
        element = node.element
        if element is None or element.kind is Kind.ANY:
            return None
        settled = element.settled
        below = missing if missing is not None and element.reaches_required else None
        pairs = enumerate(value) if kind is Kind.ARRAY else value.items()
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


def _absent(node: Node, value: Any, trail: list[str], found: list[FieldError]) -> None:
    """The required fields of the struct ``value`` that are absent or null."""
    properties = node.properties
    for name in node.absent_checks:
        if value.get(name) is not None:
            continue
        absent = properties.get(name)
        step = f".{name}" if trail else name
        if absent is not None and absent.kind is Kind.STRUCT and name in VALUE_STRUCTS:
            if absent.reaches_required:
                trail.append(step)
                _missing(absent, _EMPTY, trail, found)
                trail.pop()
        elif name in node.required:
            found.append(FieldError(ErrorType.REQUIRED, "".join(trail) + step))


def _missing(node: Node, value: Any, trail: list[str], found: list[FieldError]) -> None:
    """Append what ``value`` misses to ``found``; ``trail`` is the path down to it."""
    kind = node.kind
    if kind is Kind.STRUCT:
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
    elif kind is Kind.ARRAY or kind is Kind.MAP:
        element = node.element
        if element is None:
            return
        if kind is Kind.ARRAY and isinstance(value, list):
            pairs: Iterable[tuple[Any, Any]] = enumerate(value)
        elif kind is Kind.MAP and isinstance(value, dict):
            pairs = value.items()
        else:
            return
        for index, item in pairs:
            if item is not None:
                trail.append(f"[{index}]")
                _missing(element, item, trail, found)
                trail.pop()
