"""Reading an object through its type model: the fields it sets, and parts of it.

Server-side apply (issue #5) walks objects the way structured-merge-diff's
``typed`` package does. This module holds the walks over one object and what
every walk shares (errors, path elements, per-node plans):

* :func:`field_set` is ``ToFieldSet``: the fields a manager owns once it has
  applied the object;
* :func:`remove` and :func:`extract` are ``RemoveItems`` and ``ExtractItems``:
  the object without, or with only, the fields of a set (apply prunes what a
  manager stopped applying with the first);
* :func:`ensure_named_fields_are_members` is the schema-aware set operation
  pruning needs.

:mod:`~kubelite.api.ssa.merge` holds the walks over two objects (``Merge``,
``Compare``).

Which paths :func:`field_set` records is the subtle part: every leaf (a
scalar, an atomic struct, map or list, a set item), every map-list item, and
every key of a map or field the schema does not declare. A declared field
holding a granular struct, map or list is only a prefix, never a member, even
when empty; ``Compare`` (an ``Update``) differs there, recording a granular
value one side lacks altogether. Worked example, a Deployment's labels::

    applied config has labels              labels absent before an update
    field_set(config)                      compare(before, after).added
    {"f:metadata": {"f:labels":            {"f:metadata": {"f:labels":
        {"f:app": {}}}}                        {".": {}, "f:app": {}}}}

The first is what ``kubectl apply --server-side`` stores, the second what an
``Update`` (``kubectl create``, a controller's PUT) stores. A container item
``k:{"name":"nginx"}`` carries ``"."`` in both: an item is always a member.

Invalid input raises :class:`TypedError` at the first problem found, worded as
structured-merge-diff words it (``.spec.template.spec.containers: duplicate
entries for key [name="nginx"]``); structured-merge-diff validates the whole
object first and lists every problem. The walks check the shape of every
container they enter, and :func:`field_set` and ``merge`` the kind of every
scalar they take (``compare``, which reads stored objects, does not); none
looks inside atomic values. Values are decoded JSON, never modified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType, NoneType
from typing import Any, Final, TypeAlias, cast

import orjson

from kubelite.api.patch import JSONValue
from kubelite.api.ssa.errors import FieldPathError
from kubelite.api.ssa.fieldpath import (
    EMPTY,
    FieldSet,
    Path,
    PathElement,
)
from kubelite.api.ssa.types import (
    UNTYPED,
    ItemKeyError,
    ListType,
    Map,
    Node,
    Scalar,
    Struct,
    Untyped,
    item_key,
)

__all__ = ["TypedError", "ensure_named_fields_are_members", "extract", "field_set", "remove"]


class TypedError(ValueError):
    """A value that does not fit its type model: a wrong shape, a field the
    schema does not declare, a list item without its key, a duplicate key.

    ``path`` is where (empty at the root), ``problem`` what; ``str()`` joins
    them as Kubernetes does. A fault of the request: retrying does not help.
    """

    def __init__(self, problem: str, path: Sequence[PathElement] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = Path(path)

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}" if self.path else self.problem


class _Absent:
    """A field or item one side does not have (``null`` is a value)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()
Value: TypeAlias = Any
"""A decoded JSON value, or :data:`ABSENT`; checked as the walks go."""

# -- plans -----------------------------------------------------------------------
# A walk dispatches on a small code per node, read from a plan built once per
# node: for a struct or map, each declared field's element, node and code, and
# the same for every other key; for a list, its items'. Codes up to ATOMIC_LIST
# are leaves.

SCALAR, ATOMIC_MAP, ATOMIC_LIST, MAP, LIST, UNTYPED_VALUE = range(6)

Entry: TypeAlias = tuple[PathElement | None, Node, int, frozenset[type] | None]
"""(element, node, code, the types a scalar may have or None for any); the
element is None for keys the schema does not name."""
Plan: TypeAlias = tuple[Node, Mapping[str, Entry], Entry | None]
"""(node, entries of declared fields, entry of any other key or list item)."""

_SCALAR_TYPES: Final[Mapping[str, frozenset[type] | None]] = {
    "string": frozenset((str, NoneType)),
    "numeric": frozenset((int, float, NoneType)),
    "boolean": frozenset((bool, NoneType)),
    "untyped": None,  # IntOrString, Quantity, RawExtension: kept whole
}
_NO_ENTRIES: Final[Mapping[str, Entry]] = MappingProxyType({})
_CACHE_LIMIT: Final = 1 << 14
# By id(node), each plan holding its node so that the id stays its own.
_PLANS: dict[int, Plan] = {}
# Path elements by field name, by item key and by set item; clients choose the
# names, so each cache is cleared when full.
_FIELDS: dict[str, PathElement] = {}
_KEYS: dict[tuple[Any, ...], PathElement] = {}
_VALUES: dict[tuple[type, Any], PathElement] = {}


def code_of(node: Node) -> int:
    if isinstance(node, Scalar):
        return SCALAR
    if isinstance(node, ListType):
        return ATOMIC_LIST if node.kind == "atomic" else LIST
    if isinstance(node, Untyped):
        return UNTYPED_VALUE
    return ATOMIC_MAP if node.atomic else MAP


def _entry(element: PathElement | None, node: Node) -> Entry:
    code = code_of(node)
    return element, node, code, _SCALAR_TYPES[node.kind] if isinstance(node, Scalar) else None


def entry_of(node: Node) -> Entry:
    """The entry of a root node."""
    return _entry(None, node)


def plan_of(node: Node) -> Plan:
    """The plan of a struct, map, untyped value or list node."""
    plan = _PLANS.get(id(node))
    if plan is not None and plan[0] is node:
        return plan
    if isinstance(node, Struct):
        fields = {
            name: _entry(PathElement.field(name), child) for name, child in node.fields.items()
        }
        extra = node.extra
        plan = node, fields, None if extra is None else _entry(None, extra)
    elif isinstance(node, Map):
        plan = node, _NO_ENTRIES, _entry(None, node.values)
    elif isinstance(node, ListType):
        plan = node, _NO_ENTRIES, _entry(None, node.items)
    else:
        plan = node, _NO_ENTRIES, _entry(None, UNTYPED)
    if len(_PLANS) >= _CACHE_LIMIT:
        _PLANS.clear()
    _PLANS[id(node)] = plan
    return plan


def field_element(name: str) -> PathElement:
    """``f:name``, cached."""
    element = _FIELDS.get(name)
    if element is None:
        if len(_FIELDS) >= _CACHE_LIMIT:
            _FIELDS.clear()
        element = _FIELDS[name] = PathElement.field(name)
    return element


def item_element(node: ListType, item: Value, index: int) -> PathElement:
    """The element naming ``item``, the ``index``-th of the set or map-list
    ``node`` (``v:...``, ``k:{...}``); raises :class:`TypedError`, for the
    list's path, as structured-merge-diff words it."""
    if node.kind == "map" and isinstance(item, dict):
        # The cache key holds each key value's type: True == 1 for a dict, yet
        # k:{"a":true} is not k:{"a":1}. The item node holds the defaults.
        names = node.keys
        cache: tuple[Any, ...] = (node.items, names)
        for name in names:
            value = item.get(name, ABSENT)
            cache += (value, type(value))
        try:
            return _KEYS[cache]
        except (KeyError, TypeError):  # not yet, or a key value that is a container
            pass
        try:
            element = PathElement.key(dict(item_key(node, item)))
        except (ItemKeyError, FieldPathError) as err:
            raise TypedError(f"element {index}: {err}") from err
        if len(_KEYS) >= _CACHE_LIMIT:
            _KEYS.clear()
        _KEYS[cache] = element
        return element
    if node.kind == "map":
        problem = "with keys may not have " + (
            "a null element" if item is None else "non-map elements"
        )
    elif isinstance(item, dict):
        problem = "without keys has an element that's a map type"
    elif isinstance(item, list):
        raise TypedError(f"element {index}: not supported: associative list with lists as elements")
    elif item is None:
        problem = "without keys has an element that's an explicit null"
    else:
        found = _VALUES.get((type(item), item))
        if found is None:
            try:
                found = PathElement.value(item)
            except FieldPathError as err:
                raise TypedError(f"element {index}: {err}") from err
            if len(_VALUES) >= _CACHE_LIMIT:
                _VALUES.clear()
            _VALUES[type(item), item] = found
        return found
    raise TypedError(f"element {index}: associative list {problem}")


# -- checks --------------------------------------------------------------------


def kind_of(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "map"


def shape_error(expected: str, value: Value) -> TypedError:
    return TypedError(f"expected {expected}, got {kind_of(value)}")


def scalar_error(node: Node, value: Value) -> TypedError:
    kind = node.kind if isinstance(node, Scalar) else "scalar"
    return shape_error("numeric (int or float)" if kind == "numeric" else kind, value)


def container(value: Value, cls: type, name: str) -> Any:
    """The value as a ``cls`` container, None for null or absent; raises on
    another shape."""
    if isinstance(value, cls):
        return value
    if value is None or value is ABSENT:
        return None
    raise shape_error(name, value)


def json_equal(a: Value, b: Value) -> bool:
    """structured-merge-diff's ``value.Equals``: ``1 == 1.0``, ``true != 1``."""
    if a is b:
        return True
    ta, tb = type(a), type(b)
    if ta is not tb:
        return ta in _NUMBERS and tb in _NUMBERS and a == b
    if ta is dict:
        if len(a) != len(b):
            return False
        for name, value in a.items():
            other = b.get(name, ABSENT)
            if other is ABSENT or not json_equal(value, other):
                return False
        return True
    if ta is list:
        return len(a) == len(b) and all(map(json_equal, a, b))
    return bool(a == b)


_NUMBERS: Final = frozenset((int, float))


def identical(a: Value, b: Value) -> bool:
    """A quick check that two containers are equal: Python's ``==`` (which
    takes ``true`` for ``1``), confirmed by their JSON bytes. False may still
    mean equal (``1`` and ``1.0``, keys in another order)."""
    if a != b:
        return False
    try:
        return orjson.dumps(a) == orjson.dumps(b)
    except orjson.JSONEncodeError:
        return False


def make_set(members: Sequence[PathElement], children: dict[PathElement, FieldSet]) -> FieldSet:
    """The set with these members and subsets (none of them empty)."""
    if not members and not children:
        return EMPTY
    return FieldSet.from_level(members, children)


def prefixed(err: TypedError, element: PathElement) -> TypedError:
    """``err``, now said to be under ``element``."""
    err.path = Path((element, *err.path))
    return err


# -- ToFieldSet ----------------------------------------------------------------


def field_set(obj: JSONValue, node: Node, *, allow_duplicates: bool = False) -> FieldSet:
    """The fields ``obj`` sets, as ``ToFieldSet`` records them (see the module
    docstring): what a manager owns after applying ``obj``.

    Duplicate items in a set or map-list raise :class:`TypedError` unless
    ``allow_duplicates`` (for stored objects, which Kubernetes lets create and
    update give duplicates): then every occurrence adds its fields.
    """
    below = _below(obj, entry_of(node), allow_duplicates)
    return EMPTY if below is None else below  # the root itself is never a member


def _below(value: Value, entry: Entry, dups: bool) -> FieldSet | None:
    # The paths under a value, or None when the value is a leaf.
    _, node, code, types = entry
    if code == SCALAR:
        if types is not None and type(value) not in types:
            raise scalar_error(node, value)
        return None
    if code == ATOMIC_MAP:
        container(value, dict, "map")
        return None
    if code == ATOMIC_LIST:
        container(value, list, "list")
        return None
    if code == LIST:
        if isinstance(value, list):
            return _list_fields(value, cast(ListType, node), dups)
        if value is None:
            return EMPTY
        raise shape_error("list", value)
    if isinstance(value, dict):
        return _map_fields(value, plan_of(node), dups)
    if value is None:
        return EMPTY
    if code == UNTYPED_VALUE:
        return None  # a scalar or a list, kept whole
    raise shape_error("map", value)


def _map_fields(value: dict[str, Value], plan: Plan, dups: bool) -> FieldSet:
    _, declared, other = plan
    members: list[PathElement] = []
    children: dict[PathElement, FieldSet] = {}
    for name, child in value.items():
        entry = declared.get(name)
        if entry is None:
            if other is None:
                raise TypedError("field not declared in schema", (field_element(name),))
            # A key of a map, or a field outside the schema: owned as such.
            element = _FIELDS.get(name) or field_element(name)
            entry = other
            members.append(element)
            named = False
        else:
            element = entry[0]  # type: ignore[assignment]  # named: never None
            named = True
        types = entry[3]
        if entry[2] == SCALAR and (types is None or type(child) in types):
            if named:
                members.append(element)
            continue
        try:
            below = _below(child, entry, dups)
        except TypedError as err:
            raise prefixed(err, element) from None
        if below is None:
            if named:
                members.append(element)
        elif below is not EMPTY:
            children[element] = below
    return make_set(members, children)


def _list_fields(value: list[Value], node: ListType, dups: bool) -> FieldSet:
    members: set[PathElement] = set()
    children: dict[PathElement, FieldSet] = {}
    items = cast(Entry, plan_of(node)[2])
    for index, item in enumerate(value):
        element = item_element(node, item, index)
        if element in members and not dups:
            raise TypedError(f"duplicate entries for key {element}")
        members.add(element)
        try:
            below = _below(item, items, dups)
        except TypedError as err:
            raise prefixed(err, element) from None
        if below is not None and below is not EMPTY:
            known = children.get(element)
            children[element] = below if known is None else known.union(below)
    return make_set(tuple(members), children)


# -- RemoveItems and ExtractItems ----------------------------------------------


def remove(obj: JSONValue, fields: FieldSet, node: Node) -> JSONValue:
    """``obj`` without ``fields``, as ``RemoveItems`` makes it.

    A member path goes with everything under it (a field, a map-list item);
    paths under a field go from inside it, and a granular struct, map or list
    that loses all its contents that way stays, empty (``{}``, ``[]``), as
    structured-merge-diff does since its #306 (October 2025; before, they
    became null). Atomic values go only whole. The root is None when nothing
    is left of it.
    """
    # TODO(#5): structured-merge-diff #332 (2026) makes an emptied value null
    # again where the schema says nullable; the type model has no nullable.
    return _walk(obj, fields, entry_of(node), False)  # type: ignore[no-any-return]


def extract(obj: JSONValue, fields: FieldSet, node: Node) -> JSONValue:
    """The part of ``obj`` that ``fields`` names, as ``ExtractItems`` makes it
    (since structured-merge-diff #302, empty values come back as they are).

    A member path keeps its whole value, a map-list item only the fields named
    under it if any; a granular value of which nothing is named is null. One
    difference: for a member field with paths under it, structured-merge-diff
    extracts from its value with the set of the level above (a slip that only
    matters for granular values); this keeps what the paths under it name, as
    both do for list items.
    """
    return _walk(obj, fields, entry_of(node), True)  # type: ignore[no-any-return]


def _walk(value: Value, fields: FieldSet, entry: Entry, keep: bool) -> Value:
    # None where structured-merge-diff's walker leaves no output.
    _, node, code, _ = entry
    if code == SCALAR or (code == UNTYPED_VALUE and not isinstance(value, dict)):
        if isinstance(value, list | dict) or (code == UNTYPED_VALUE and value is None):
            return value if keep else None  # kept whole, so removed only whole
        return value
    if code in (LIST, ATOMIC_LIST):
        if not isinstance(value, list):
            return None
        if not value or code == ATOMIC_LIST:
            return value if keep else None
        return _walk_list(value, fields, cast(ListType, node), keep)
    if not isinstance(value, dict):
        return None
    if not value or code == ATOMIC_MAP:
        return value if keep else None
    return _walk_map(value, fields, plan_of(node), keep)


def _emptied(before: Value, after: Value) -> Value:
    # What stays of a value whose contents were all removed.
    if after is None and isinstance(before, dict | list):
        return type(before)()
    return after


def _walk_map(value: dict[str, Value], fields: FieldSet, plan: Plan, keep: bool) -> Value:
    out: dict[str, Value] = {}
    touched = False
    for name, child in value.items():
        element = field_element(name)
        below = fields.with_prefix(element)
        if fields.has((element,)):
            if keep:
                out[name] = child if below.is_empty() else _walk_at(child, below, name, plan, keep)
            continue
        if not below.is_empty():
            touched = True
            result = _walk_at(child, below, name, plan, keep)
            out[name] = result if keep else _emptied(child, result)
        elif not keep:
            out[name] = child
    return out if out or (touched and not keep) else None


def _walk_at(value: Value, fields: FieldSet, name: str, plan: Plan, keep: bool) -> Value:
    entry = plan[1].get(name) or plan[2]
    try:
        if entry is None:
            raise TypedError("field not declared in schema")
        return _walk(value, fields, entry, keep)
    except TypedError as err:
        raise prefixed(err, field_element(name)) from None


def _walk_list(value: list[Value], fields: FieldSet, node: ListType, keep: bool) -> Value:
    items = cast(Entry, plan_of(node)[2])
    out: list[Value] = []
    touched = False
    for index, item in enumerate(value):
        element = item_element(node, item, index)
        below = fields.with_prefix(element)
        whole = fields.has((element,))
        if below.is_empty() or (whole and not keep):
            if whole == keep:
                out.append(item)
            continue
        try:
            result = _walk(item, below, items, keep)
        except TypedError as err:
            raise prefixed(err, element) from None
        touched = True
        out.append(result if keep else _emptied(item, result))
    return out if out or (touched and not keep) else None


# -- schema-aware set operations -------------------------------------------------


def ensure_named_fields_are_members(fields: FieldSet, node: Node) -> FieldSet:
    """``fields`` plus the path of every field a struct declares that has
    paths under it, as ``EnsureNamedFieldsAreMembers``: pruning then removes
    such a field whole once nobody owns anything in it, instead of leaving
    ``{}``. Keys of maps are not added. Example, with ``.spec.config`` a
    field that keeps unknown fields: ``{.spec.config.a.b}`` gains ``.spec``
    and ``.spec.config``, not ``.spec.config.a``.
    """
    members, children = fields.level()
    if not children:
        return fields
    declared = node.fields if isinstance(node, Struct) else _NO_ENTRIES
    named: list[PathElement] = []
    grown: dict[PathElement, FieldSet] = {}
    for element, subset in children.items():
        text = element.text
        if text[0] == "f" and text[2:] in declared:
            named.append(element)
        child = _child_node(node, text)
        grown[element] = subset if child is None else ensure_named_fields_are_members(subset, child)
    return make_set((*members, *named), grown)


def _child_node(node: Node, text: str) -> Node | None:
    # The node under an element, by its FieldsV1 text (f:..., k:...).
    if text[0] == "f":
        if isinstance(node, Struct):
            return node.fields.get(text[2:]) or node.extra
        if isinstance(node, Map):
            return node.values
        return UNTYPED if isinstance(node, Untyped) else None
    if text[0] == "k" and isinstance(node, ListType):
        return node.items
    return None
