"""The compiled form of a CRD schema, and the two walks that change objects.

``Node`` is one schema node reduced to what the walks need: the Python types
a value may have, each bound, the compiled pattern and format check, whether
anything below has a default. ``Node.simple`` marks a node that checks only
the type, so that a walk can pass a matching value without a call.

``Pruner`` drops undeclared fields as Kubernetes' pruning does, keeping
``apiVersion``, ``kind`` and ``metadata`` of the root and of embedded
resources, and everything under ``x-kubernetes-preserve-unknown-fields``
except inside declared fields; it also drops non-nullable ``null`` values
that no default replaces. ``default_values`` is Kubernetes' structural
defaulting. Both change the object in place.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubelite.api.crd.formats import checker
from kubelite.api.field import FieldPath, GoLiteral, go_quote, go_value

# A step in a path: (True, property), (False, index) or (None, map key).
# Map keys print as ".key" in the validator's messages, "[key]" elsewhere.
Segment = tuple[bool | None, str]

META: Final = frozenset({"apiVersion", "kind", "metadata"})
MISSING: Final = object()
# The JSON type of each Python type decoded JSON has.
KINDS: Final[dict[type, str]] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
}
_PY_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}


def kind_of(value: object) -> str:
    """The JSON type of ``value``, also for subclasses of the decoded types;
    ``unknown`` for what JSON cannot hold, which no rule but the type checks."""
    kind = KINDS.get(type(value))
    if kind is not None:
        return kind
    for py_type, name in KINDS.items():
        if isinstance(value, py_type):
            return name
    if isinstance(value, Mapping):
        return "object"
    return "array" if isinstance(value, Sequence) else "unknown"


def json_integer(value: float) -> bool:
    return math.isfinite(value) and value.is_integer() and abs(value) < 2**53


def _number(raw: object) -> float | None:
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


def _count(raw: object) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def canon(value: object, strict: bool) -> object:
    """A hashable stand-in for a JSON value; ``strict`` keeps 1 and 1.0 apart,
    as Go compares scalars, else they match, as their JSON text does."""
    if isinstance(value, dict):
        return ("o", tuple(sorted((k, canon(v, strict)) for k, v in value.items())))
    if isinstance(value, list):
        return ("a", tuple(canon(item, strict) for item in value))
    if isinstance(value, float) and not strict and value.is_integer():
        return (int, int(value))
    return (type(value), value)


def go_sharp(value: object) -> str:
    """Decoded JSON as Go's ``%#v`` prints an ``interface{}`` holding it."""
    if value is None:
        return "interface {}(nil)"
    if isinstance(value, dict):
        pairs = ", ".join(f"{go_quote(k)}:{go_sharp(value[k])}" for k in sorted(value))
        return "map[string]interface {}{" + pairs + "}"
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(map(go_sharp, value)) + "}"
    return go_value(value)


def bad_value(value: object) -> object:
    """A bad value for a field error: scalars as they are, containers as Go
    prints a ``map[string]interface{}`` or ``[]interface{}``."""
    return GoLiteral(go_sharp(value)) if isinstance(value, (dict, list)) else value


def go_json(value: object) -> str:
    """A non-string enum value as Go's ``json.Marshal`` writes it."""
    if isinstance(value, float) and math.isfinite(value):
        return go_value(value)
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


class Node:
    """One schema node, compiled. Fields left ``None`` are not in the schema.

    ``simple`` means the node checks nothing but the type: a value whose
    Python type is in ``fast`` is valid and has nothing below to visit.
    """

    __slots__ = (
        "add",
        "add_false",
        "add_present",
        "all_of",
        "any_of",
        "default",
        "default_props",
        "embedded",
        "enum",
        "enum_labels",
        "enum_numbers",
        "excl_max",
        "excl_min",
        "fast",
        "fmt",
        "fmt_check",
        "has_default",
        "has_defaults",
        "int_or_string",
        "int_type",
        "items",
        "junctors",
        "list_type",
        "map_keys",
        "max_items",
        "max_length",
        "max_props",
        "maximum",
        "min_items",
        "min_length",
        "min_props",
        "minimum",
        "multiple_of",
        "not_",
        "nullable",
        "number_checks",
        "one_of",
        "pattern",
        "pattern_error",
        "pattern_text",
        "preserve",
        "props",
        "required",
        "simple",
        "type_checked",
        "type_label",
        "type_ok",
        "types",
        "unique",
    )

    def __init__(self, raw: Mapping[str, Any], nested: bool) -> None:
        ext = not nested  # Kubernetes' extensions are forbidden in value validations
        self.int_or_string = ext and raw.get("x-kubernetes-int-or-string") is True
        declared = raw.get("type")
        types = (declared,) if isinstance(declared, str) and declared else ()
        self.types: tuple[str, ...] = ("integer", "string") if self.int_or_string else types
        self.type_label = ",".join(self.types)
        self.int_type = "integer" in self.types
        ok = set(self.types)
        if "number" in ok:
            ok.add("integer")
        self.type_ok = frozenset(ok)
        self.nullable = raw.get("nullable") is True

        fmt = raw.get("format")
        self.fmt_check = checker(fmt) if isinstance(fmt, str) else None
        self.fmt: str = fmt if isinstance(fmt, str) and self.fmt_check is not None else ""

        enum = raw.get("enum")
        enum_values = enum if isinstance(enum, list) else []
        self.enum = frozenset(canon(v, True) for v in enum_values) if enum_values else None
        self.enum_numbers = tuple(v for v in enum_values if _number(v) is not None)
        self.enum_labels = [v if isinstance(v, str) else go_json(v) for v in enum_values]

        self.multiple_of = _number(raw.get("multipleOf"))
        self.minimum = _number(raw.get("minimum"))
        self.maximum = _number(raw.get("maximum"))
        self.excl_min = raw.get("exclusiveMinimum") is True
        self.excl_max = raw.get("exclusiveMaximum") is True
        self.min_length = _count(raw.get("minLength"))
        self.max_length = _count(raw.get("maxLength"))
        self.pattern_text = pattern = raw.get("pattern")
        self.pattern: re.Pattern[str] | None = None
        self.pattern_error = ""
        if isinstance(pattern, str) and pattern:
            # TODO(#4): Kubernetes runs patterns with Go's RE2, where "$" matches
            # only at the very end and backreferences do not compile.
            try:
                self.pattern = re.compile(pattern, re.ASCII)
            except re.error as err:
                self.pattern_error = str(err)
        self.min_items = _count(raw.get("minItems"))
        self.max_items = _count(raw.get("maxItems"))
        self.unique = raw.get("uniqueItems") is True
        self.min_props = _count(raw.get("minProperties"))
        self.max_props = _count(raw.get("maxProperties"))
        required = raw.get("required")
        self.required = tuple(k for k in required if isinstance(k, str)) if required else ()

        props = raw.get("properties")
        self.props: dict[str, Node] = {}
        if isinstance(props, Mapping):
            self.props = {k: Node(v, nested) for k, v in props.items() if isinstance(v, Mapping)}
        add = raw.get("additionalProperties")
        self.add_present = add is not None
        self.add_false = add is False
        self.add = Node(add, nested) if isinstance(add, Mapping) else None
        items = raw.get("items")
        self.items = Node(items, nested) if isinstance(items, Mapping) else None

        def junctor(name: str) -> tuple[Node, ...]:
            found = raw.get(name)
            if not isinstance(found, list):
                return ()
            return tuple(Node(sub, True) for sub in found if isinstance(sub, Mapping))

        self.all_of, self.any_of, self.one_of = junctor("allOf"), junctor("anyOf"), junctor("oneOf")
        not_ = raw.get("not")
        self.not_ = Node(not_, True) if isinstance(not_, Mapping) else None

        self.junctors = bool(self.all_of or self.any_of or self.one_of or self.not_)
        bounds = (self.multiple_of, self.minimum, self.maximum)
        self.number_checks = any(bound is not None for bound in bounds)
        self.type_checked = bool(self.types or self.fmt)

        self.preserve = ext and raw.get("x-kubernetes-preserve-unknown-fields") is True
        self.embedded = ext and raw.get("x-kubernetes-embedded-resource") is True
        list_type = raw.get("x-kubernetes-list-type")
        self.list_type = list_type if ext and list_type in ("set", "map") else None
        keys = raw.get("x-kubernetes-list-map-keys")
        self.map_keys = tuple(k for k in keys if isinstance(k, str)) if ext and keys else ()

        self.default = raw.get("default")
        self.has_default = self.default is not None  # a null default is none, as in Go
        self.default_props = tuple((k, n) for k, n in self.props.items() if n.has_default)
        below = (*self.props.values(), self.add, self.items)
        self.has_defaults: bool = bool(self.default_props) or any(
            n is not None and (n.has_defaults or n.has_default) for n in below
        )
        self.simple = bool(self.types) and not (
            self.fmt
            or self.enum is not None
            or self.all_of
            or self.any_of
            or self.one_of
            or self.not_
            or self.props
            or self.add_present
            or self.items
            or self.required
            or self.list_type
            or self.embedded
            or self.pattern_text
            or self.unique
            or any(
                bound is not None
                for bound in (
                    self.multiple_of,
                    self.minimum,
                    self.maximum,
                    self.min_length,
                    self.max_length,
                    self.min_items,
                    self.max_items,
                    self.min_props,
                    self.max_props,
                )
            )
        )
        fast = {py for name in self.types for py in _PY_TYPES.get(name, ())}
        if self.nullable:
            fast.add(type(None))
        self.fast = frozenset(fast)


class Pruner:
    """One pruning walk; ``dropped`` collects the paths of pruned fields."""

    __slots__ = ("dropped", "stack")

    def __init__(self) -> None:
        self.stack: list[Segment] = []
        self.dropped: list[str] = []

    def _drop(self, obj: dict[str, Any], key: str) -> None:
        steps = (*((is_name is not False, text) for is_name, text in self.stack), (True, key))
        self.dropped.append(str(FieldPath(steps)))
        del obj[key]

    def value(self, node: Node | None, value: object) -> None:
        if node is not None and node.preserve:
            self.keep(node, value, node.embedded)
        elif isinstance(value, dict):
            self.fields(node, value, node is not None and node.embedded)
        elif isinstance(value, list):
            self.items(node.items if node is not None else None, value, keep=False)

    def fields(self, node: Node | None, obj: dict[str, Any], meta: bool) -> None:
        """Drop what ``node`` does not declare; ``meta`` leaves apiVersion,
        kind and metadata alone (the root, an embedded resource)."""
        if node is None:
            for key in list(obj):
                self._drop(obj, key)
            return
        self._walk(node, obj, meta, keep=False)

    def keep(self, node: Node | None, value: object, meta: bool) -> None:
        """Under ``x-kubernetes-preserve-unknown-fields``: keep unknown
        fields, but prune inside the declared ones."""
        if node is None:
            return
        if isinstance(value, dict):
            self._walk(node, value, meta, keep=True)
        elif isinstance(value, list):
            self.items(node.items, value, keep=True)

    def items(self, node: Node | None, seq: list[Any], keep: bool) -> None:
        stack = self.stack
        for index, item in enumerate(seq):
            if isinstance(item, (dict, list)):
                stack.append((False, str(index)))
                if keep:
                    self.keep(node, item, node is not None and node.embedded)
                else:
                    self.value(node, item)
                stack.pop()

    def _walk(self, node: Node, obj: dict[str, Any], meta: bool, keep: bool) -> None:
        props, add, stack = node.props, node.add, self.stack
        for key, child in list(obj.items()):
            sub = props.get(key)
            segment: Segment = (True, key)
            if sub is None:
                if not node.add_present:
                    if not keep and not (meta and key in META):
                        self._drop(obj, key)
                    continue
                sub, segment = add, (None, key)
            if meta and key in META:
                # TODO(#4): Kubernetes also drops unknown fields inside the
                # metadata of an embedded resource; they are kept here.
                continue
            if child is None:
                # A null that would fail validation and that no default
                # replaces is dropped, unreported, as Kubernetes does.
                if sub is not None and not sub.nullable and not sub.has_default:
                    del obj[key]
            elif isinstance(child, (dict, list)):
                stack.append(segment)
                self.value(sub, child)
                stack.pop()


def default_values(node: Node, value: object) -> None:
    if isinstance(value, dict):
        for key, prop in node.default_props:
            current = value.get(key, MISSING)
            if current is MISSING or (current is None and not prop.nullable):
                value[key] = copy_json(prop.default)
        props, add = node.props, node.add
        for key, child in value.items():
            sub = props.get(key)
            if sub is None:
                if add is None:
                    continue
                sub = add
                if child is None and not sub.nullable and sub.has_default:
                    value[key] = child = copy_json(sub.default)
            if sub.has_defaults and isinstance(child, (dict, list)):
                default_values(sub, child)
    elif isinstance(value, list) and node.items is not None:
        items = node.items
        for index, item in enumerate(value):
            if item is None and not items.nullable and items.has_default:
                value[index] = item = copy_json(items.default)
            if items.has_defaults and isinstance(item, (dict, list)):
                default_values(items, item)
