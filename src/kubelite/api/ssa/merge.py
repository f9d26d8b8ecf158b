"""Walking two versions of an object together: merging them, and comparing them.

:func:`merge` is structured-merge-diff's ``Merge``, which applies a
configuration onto the live object; :func:`compare` is its ``Compare``, which
tells an ``Update`` what it added, modified and removed. Both read the objects
through the type model with :mod:`~kubelite.api.ssa.typed`, which holds the
walks over one object and the errors.

The merge keeps every field of the live object and lays the config over it:
a scalar or an atomic value is the config's; a granular struct or map merges
key by key; a set or map-list merges item by item, by value or by key. A null
or empty granular value in the config changes nothing (when both sides are
empty or null, the config's form wins).

The order of a merged list is the trickiest part. Items the config names come
in the config's order; items only the live list has keep their place among
their neighbours. The walk takes live items in turn; a live item the config
also names waits until it is the next shared one, and config items the live
list lacks come where the config puts them. Worked example, items by name::

    live [a, b, c, d]    config [d, x, b]    shared, in config order: d, b
    a    live only                     -> [a]
    b    shared, but d comes first: wait
    c    live only                     -> [a, c]
    d    vs the config's d: merged     -> [a, c, d]       next shared: b
    end of live: the config's x, b     -> [a, c, d, x, b]

A key the live list holds more than once (Kubernetes stores what create and
update send) is replaced by the config's single item if the config names it,
and kept, every occurrence, if not; duplicates in the config are an error.

Results share what they did not change with the inputs (a live subtree the
config does not touch is the same object): copy before changing in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias, cast

import orjson

from kubelite.api.patch import JSONValue
from kubelite.api.ssa.fieldpath import EMPTY, FieldSet, PathElement
from kubelite.api.ssa.typed import (
    ABSENT,
    ATOMIC_LIST,
    ATOMIC_MAP,
    LIST,
    MAP,
    SCALAR,
    UNTYPED_VALUE,
    Entry,
    Plan,
    TypedError,
    Value,
    container,
    entry_of,
    field_element,
    identical,
    item_element,
    json_equal,
    make_set,
    plan_of,
    prefixed,
    scalar_error,
    shape_error,
)
from kubelite.api.ssa.types import UNTYPED, ListType, Node

__all__ = ["Comparison", "changed_fields", "compare", "merge"]

# -- Merge ---------------------------------------------------------------------


def merge(live: JSONValue, config: JSONValue, node: Node) -> JSONValue:
    """``config`` applied onto ``live`` (see the module docstring).

    Raises :class:`~kubelite.api.ssa.typed.TypedError` for what the merge
    walks: the config's scalars, the shapes of containers both sides have,
    duplicate items in a config list, fields the schema does not declare. A
    container only the config has is taken as it is: check the config with
    :func:`~kubelite.api.ssa.typed.field_set` first, as apply does anyway.
    """
    return _merge(live, config, entry_of(node))  # type: ignore[no-any-return]


def _merge(lhs: Value, rhs: Value, entry: Entry) -> Value:
    _, node, code, types = entry
    if code == SCALAR:
        if types is not None and type(rhs) not in types:
            raise scalar_error(node, rhs)
        return rhs
    if lhs is rhs:
        return rhs
    if code in (LIST, ATOMIC_LIST):
        if not isinstance(rhs, list) and rhs is not None:
            raise shape_error("list", rhs)
        if code == ATOMIC_LIST:
            return rhs
        if not isinstance(lhs, list) and lhs is not None:
            raise shape_error("list", lhs)
    elif code == UNTYPED_VALUE and not (_map_like(lhs) and _map_like(rhs)):
        return rhs  # a scalar or a list on one side: a leaf
    else:
        if not isinstance(rhs, dict) and rhs is not None:
            raise shape_error("map", rhs)
        if code == ATOMIC_MAP:
            return rhs
        if not isinstance(lhs, dict) and lhs is not None:
            raise shape_error("map", lhs)
    if not rhs:  # null or empty over contents: nothing to merge in
        return lhs if lhs else rhs
    if not lhs:
        return rhs
    if code == LIST:
        return _merge_lists(lhs, rhs, cast(ListType, node))
    return _merge_maps(lhs, rhs, plan_of(node))


def _map_like(value: Value) -> bool:
    return value is None or isinstance(value, dict)


def _merge_maps(lhs: dict[str, Value], rhs: dict[str, Value], plan: Plan) -> dict[str, Value]:
    _, declared, other = plan
    out = dict(lhs)  # the live keys in their order, then the config's new ones
    for name, right in rhs.items():
        entry = declared.get(name) or other
        if entry is None:
            raise TypedError("field not declared in schema", (field_element(name),))
        types = entry[3]
        if entry[2] == SCALAR:
            if types is not None and type(right) not in types:
                raise prefixed(scalar_error(entry[1], right), field_element(name))
            out[name] = right
            continue
        left = lhs.get(name, ABSENT)
        if left is ABSENT or left is right:
            out[name] = right  # one-sided: taken as it is
            continue
        try:
            out[name] = _merge(left, right, entry)
        except TypedError as err:
            raise prefixed(err, field_element(name)) from None
    return out


_DUPLICATED: Final = object()
"""A live key held by several items: merged as if absent (the config wins)."""


def _merge_lists(lhs: list[Value], rhs: list[Value], node: ListType) -> list[Value]:
    right_keys: list[PathElement] = []
    right: dict[PathElement, Value] = {}
    for index, item in enumerate(rhs):
        element = item_element(node, item, index)
        if element in right:
            raise TypedError(f"duplicate entries for key {element}")
        right[element] = item
        right_keys.append(element)
    left_keys: list[PathElement] = []
    left: dict[PathElement, Value] = {}
    for index, item in enumerate(lhs):
        element = item_element(node, item, index)
        left[element] = _DUPLICATED if element in left else item
        left_keys.append(element)

    items = cast(Entry, plan_of(node)[2])
    shared = iter([element for element in right_keys if element in left])
    upcoming = next(shared, None)  # the shared key the config names next
    merged: set[PathElement] = set()
    out: list[Value] = []
    li = ri = 0
    while li < len(left_keys) or ri < len(right_keys):
        if li < len(left_keys):
            element = left_keys[li]
            if ri < len(right_keys) and element == right_keys[ri]:
                li += 1  # the same key on both sides: merge the two items
            elif element not in right:
                out.append(lhs[li])  # live only: every occurrence stays
                li += 1
                continue
            elif element in merged or (upcoming is not None and upcoming != element):
                li += 1  # merged already, or the config puts it further on
                continue
        element = right_keys[ri]
        ri += 1
        merged.add(element)
        out.append(_merge_item(left.get(element, ABSENT), right[element], items, element))
        if upcoming is not None and upcoming == element:
            upcoming = next(shared, None)
    return out


def _merge_item(lhs: Value, rhs: Value, items: Entry, element: PathElement) -> Value:
    if lhs is ABSENT or lhs is _DUPLICATED:
        return rhs
    try:
        return _merge(lhs, rhs, items)
    except TypedError as err:
        raise prefixed(err, element) from None


# -- Compare -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """What changed from an old object to a new one: fields only the new one
    has (``added``), both have with different values (``modified``), only the
    old one has (``removed``). An updater owns ``added | modified`` after.
    A path is in one set only, except around duplicate items (see
    :func:`compare`).
    """

    added: FieldSet = EMPTY
    modified: FieldSet = EMPTY
    removed: FieldSet = EMPTY

    def is_same(self) -> bool:
        """Whether nothing changed."""
        return self.added.is_empty() and self.modified.is_empty() and self.removed.is_empty()


# One value's verdict: a mask of what happened to its own path (added,
# modified, removed), then the added, modified and removed paths under it.
# Most values are unchanged, and share one constant answer.
_Delta: TypeAlias = tuple[int, FieldSet, FieldSet, FieldSet]
_ADDED, _MODIFIED, _REMOVED = 1, 2, 4
_SAME: Final[_Delta] = (0, EMPTY, EMPTY, EMPTY)
_LEAF_ADDED: Final[_Delta] = (_ADDED, EMPTY, EMPTY, EMPTY)
_LEAF_MODIFIED: Final[_Delta] = (_MODIFIED, EMPTY, EMPTY, EMPTY)
_LEAF_REMOVED: Final[_Delta] = (_REMOVED, EMPTY, EMPTY, EMPTY)


def compare(old: JSONValue, new: JSONValue, node: Node) -> Comparison:
    """How ``new`` differs from ``old``, as ``Compare`` tells it.

    Leaves compare by value (``1`` equals ``1.0``, ``true`` is not ``1``);
    a granular struct, map, list or item that one side lacks altogether is
    itself added or removed, besides what it holds (a null one is not
    lacking). Either side may hold duplicate items in a set or map-list, as
    stored objects may: a key duplicated on either side compares as one
    atomic value, and a key that becomes or stops being duplicated is both
    added and removed, besides the fields of its single occurrence.
    """
    _, added, modified, removed = _diff(old, new, entry_of(node))
    return Comparison(added, modified, removed)


def _leaf(lhs: Value, rhs: Value) -> _Delta:
    if lhs is ABSENT:
        return _LEAF_ADDED
    if rhs is ABSENT:
        return _LEAF_REMOVED
    return _SAME if json_equal(lhs, rhs) else _LEAF_MODIFIED


def _diff(lhs: Value, rhs: Value, entry: Entry) -> _Delta:
    _, node, code, _ = entry
    if lhs is rhs:
        return _SAME
    if lhs is ABSENT and code >= MAP and (code != UNTYPED_VALUE or _map_like_or_absent(rhs)):
        return _added(rhs, entry)
    if lhs is None and code in (MAP, LIST) and rhs is not ABSENT:
        # From null (a Go zero value's nil slice or map): what is under the
        # new value is added; the field itself is changed only if it is empty.
        under = _added(rhs, entry)[1]
        return _LEAF_MODIFIED if under is EMPTY and rhs is not None else (0, under, EMPTY, EMPTY)
    if code <= ATOMIC_LIST:
        return _leaf(lhs, rhs)
    if code == UNTYPED_VALUE and not (_map_like_or_absent(lhs) and _map_like_or_absent(rhs)):
        return _diff_untyped(lhs, rhs)
    cls, name = (list, "list") if code == LIST else (dict, "map")
    left, right = container(lhs, cls, name), container(rhs, cls, name)
    if not left and not right:
        return _leaf(lhs, rhs)
    if left and right and identical(left, right):
        return _SAME
    if code == LIST:
        below = _diff_lists(left or [], right or [], cast(ListType, node))
    else:
        below = _diff_maps(left or {}, right or {}, plan_of(node))
    return (_ADDED if lhs is ABSENT else _REMOVED if rhs is ABSENT else 0, *below)


def _added(value: Value, entry: Entry) -> _Delta:
    # What _diff(ABSENT, value) finds, without comparing: the value and every
    # field under it are added. Most of a create is this walk, so it is kept
    # to one pass that builds each level's set at once, and remembered by the
    # value's JSON: objects made from one template (a ReplicaSet's pods) share
    # most of their subtrees, and the sets are immutable.
    _, node, code, _ = entry
    cls, name = (list, "list") if code == LIST else (dict, "map")
    found = container(value, cls, name)
    if not found:
        return _LEAF_ADDED
    try:
        text = orjson.dumps(found)
    except (orjson.JSONEncodeError, TypeError):
        text = b""
    key = (id(node), text) if 0 < len(text) <= _ADDED_SETS_MAX_BYTES else None
    if key is not None:
        known = _ADDED_SETS.get(key)
        if known is not None and known[0] is node:
            return (_ADDED, known[1], EMPTY, EMPTY)
    if code == LIST:
        below = _added_items(found, cast(ListType, node))
    else:
        below = _added_fields(found, plan_of(node))
    if key is not None:
        if len(_ADDED_SETS) >= _ADDED_SETS_LIMIT:
            _ADDED_SETS.clear()
        _ADDED_SETS[key] = (node, below)
    return (_ADDED, below, EMPTY, EMPTY)


# The sets under added values, by (id of the node, the value's JSON); each
# holds its node, so that the id stays its own. Cleared when full.
_ADDED_SETS: dict[tuple[int, bytes], tuple[Node, FieldSet]] = {}
_ADDED_SETS_LIMIT: Final = 1024
_ADDED_SETS_MAX_BYTES: Final = 8192


def _added_fields(value: dict[str, Value], plan: Plan) -> FieldSet:
    _, declared, other = plan
    members: list[PathElement] = []
    children: dict[PathElement, FieldSet] = {}
    for name, child in value.items():
        entry = declared.get(name) or other
        if entry is None:
            raise prefixed(TypedError("field not declared in schema"), field_element(name))
        element = entry[0] or field_element(name)
        members.append(element)
        if entry[2] >= MAP:
            try:
                below = _diff(ABSENT, child, entry)[1]
            except TypedError as err:
                raise prefixed(err, field_element(name)) from None
            if below is not EMPTY:
                children[element] = below
    return make_set(members, children)


def _added_items(items: list[Value], node: ListType) -> FieldSet:
    elements = [item_element(node, item, index) for index, item in enumerate(items)]
    if len(set(elements)) != len(elements):
        return _diff_lists([], items, node)[0]  # duplicates: as compare words them
    entry = cast(Entry, plan_of(node)[2])
    children: dict[PathElement, FieldSet] = {}
    if entry[2] >= MAP:
        for element, item in zip(elements, items, strict=True):
            try:
                below = _diff(ABSENT, item, entry)[1]
            except TypedError as err:
                raise prefixed(err, element) from None
            if below is not EMPTY:
                children[element] = below
    return make_set(elements, children)


def _map_like_or_absent(value: Value) -> bool:
    return value is None or value is ABSENT or isinstance(value, dict)


def _diff_untyped(lhs: Value, rhs: Value) -> _Delta:
    # A scalar or list on one side: Kubernetes compares the two as leaves, and
    # walks a map on the other side as if its counterpart were absent.
    mask = _leaf(lhs, rhs)[0]
    plan = plan_of(UNTYPED)
    if isinstance(lhs, dict) and lhs and rhs is not ABSENT:
        return (mask, EMPTY, EMPTY, _diff_maps(lhs, {}, plan)[2])
    if isinstance(rhs, dict) and rhs and lhs is not ABSENT:
        return (mask, _diff_maps({}, rhs, plan)[0], EMPTY, EMPTY)
    return (mask, EMPTY, EMPTY, EMPTY)


class _Changes:
    """The three sets under one value, filled as its parts report changes."""

    __slots__ = ("members", "subsets")

    def __init__(self) -> None:
        self.members: tuple[list[PathElement], ...] = ([], [], [])
        self.subsets: tuple[dict[PathElement, FieldSet], ...] = ({}, {}, {})

    def add(self, element: PathElement, delta: _Delta) -> None:
        mask, *below = delta
        for i, subset in enumerate(below):
            if mask & (1 << i):
                self.members[i].append(element)
            if subset is not EMPTY:
                known = self.subsets[i].get(element)
                self.subsets[i][element] = subset if known is None else known.union(subset)

    def sets(self) -> tuple[FieldSet, FieldSet, FieldSet]:
        (a, m, r), (sa, sm, sr) = self.members, self.subsets
        return make_set(a, sa), make_set(m, sm), make_set(r, sr)


_UNCHANGED: Final = (EMPTY, EMPTY, EMPTY)


def _diff_maps(
    lhs: dict[str, Value], rhs: dict[str, Value], plan: Plan
) -> tuple[FieldSet, FieldSet, FieldSet]:
    _, declared, other = plan
    changes: _Changes | None = None
    for name, left in lhs.items():
        right = rhs.get(name, ABSENT)
        if left is right:
            continue
        entry = declared.get(name) or other
        if entry is not None and entry[2] == SCALAR:
            kind = type(left)
            if kind is type(right) and kind is not dict and kind is not list and left == right:
                continue
            delta = _leaf(left, right)
        else:
            delta = _diff_at(left, right, entry, name)
        if delta is not _SAME:
            changes = changes or _Changes()
            changes.add(entry[0] or field_element(name), delta)  # type: ignore[index]
    for name, right in rhs.items():
        if name not in lhs:
            entry = declared.get(name) or other
            changes = changes or _Changes()
            if entry is not None and entry[2] <= ATOMIC_LIST:
                changes.members[0].append(entry[0] or field_element(name))  # a leaf, added
                continue
            delta = _diff_at(ABSENT, right, entry, name)
            changes.add(entry[0] or field_element(name), delta)  # type: ignore[index]
    return _UNCHANGED if changes is None else changes.sets()


def _diff_at(lhs: Value, rhs: Value, entry: Entry | None, name: str) -> _Delta:
    try:
        if entry is None:
            raise TypedError("field not declared in schema")
        return _diff(lhs, rhs, entry)
    except TypedError as err:
        raise prefixed(err, field_element(name)) from None


def _diff_lists(
    lhs: list[Value], rhs: list[Value], node: ListType
) -> tuple[FieldSet, FieldSet, FieldSet]:
    # Every occurrence of each key, keys in order of first appearance.
    occurrences: dict[PathElement, tuple[list[Value], list[Value]]] = {}
    for side, values in enumerate((lhs, rhs)):
        for index, item in enumerate(values):
            element = item_element(node, item, index)
            found = occurrences.get(element)
            if found is None:
                found = occurrences[element] = ([], [])
            found[side].append(item)
    items = cast(Entry, plan_of(node)[2])
    changes = _Changes()
    for element, (left, right) in occurrences.items():
        try:
            if len(left) <= 1 and len(right) <= 1:
                before = left[0] if left else ABSENT
                delta = _diff(before, right[0] if right else ABSENT, items)
            elif len(left) >= 2 and len(right) >= 2:
                same = len(left) == len(right) and all(map(json_equal, left, right))
                delta = _SAME if same else _LEAF_MODIFIED
            elif len(left) >= 2:  # no longer duplicated: its one item is new
                delta = _diff(ABSENT, right[0], items) if right else _SAME
                delta = (delta[0] | _REMOVED, *delta[1:])
            else:  # newly duplicated: its one former item is gone
                delta = _diff(left[0], ABSENT, items) if left else _SAME
                delta = (delta[0] | _ADDED, *delta[1:])
        except TypedError as err:
            raise prefixed(err, element) from None
        if delta is not _SAME:
            changes.add(element, delta)
    return changes.sets()


# -- conflicts -----------------------------------------------------------------


def changed_fields(live: JSONValue, config: JSONValue, node: Node) -> FieldSet:
    """The fields applying ``config`` would add to ``live`` or change in it:
    ``added | modified`` of comparing ``live`` with the merge. Apply refuses
    (unless forced) when another manager owns one of them. They are fields,
    not only leaves: a map-list item, or a map ``live`` lacks, is one too.
    """
    comparison = compare(live, merge(live, config, node), node)
    return comparison.added.union(comparison.modified)
