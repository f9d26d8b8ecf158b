"""Old values correlated with new ones, for ratcheting the CEL rules of an update.

On an update Kubernetes forgives a failing rule that does not use ``oldSelf``
when the value it ran on is unchanged (``CRDValidationRatcheting``, on by
default since 1.30, GA in 1.33): the failure becomes a warning. "Unchanged"
is decided on a tree of correlated values, each a new value, the old value it
replaces and its schema (``CorrelatedObject`` in Kubernetes' ``cel/common``):

- an object's field correlates with the old object's field of that name, if
  both objects have it and the schema declares it (a property, or
  ``additionalProperties``);
- a list item correlates by its keys in a ``x-kubernetes-list-type: map``
  list, by its index in a list of no list type, and not at all in a ``set`` or
  ``atomic`` list;
- a value is unchanged when it deep-equals its old value, comparing each child
  through its correlation, so a map list whose items moved is unchanged, and an
  object with a field its schema does not declare never is; a list whose items
  do not correlate compares whole. Values of two JSON types never equal (``1``
  is not ``1.0``, nor ``true`` ``1``).

A node with no correlated old value is judged by its nearest correlated
ancestor. For example, in ``spec.tags`` a ``set`` list, the item ``tags[2]``
has no old value; a failing rule on it is forgiven only if ``spec.tags`` as a
whole is unchanged.

The same keyed lookup (``map_list``) finds the old item that ``oldSelf`` names
in a map list: the first old item with the same values of the list's keys,
none for an item lacking a key or holding a non-scalar one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "UNRATCHETED",
    "Correlated",
    "Ratchet",
    "field_ratchet",
    "forgives",
    "item_ratchet",
    "list_key",
    "map_list",
]

ListKey = tuple[tuple[type, object], ...]

_SCALARS = (bool, int, float, str)


def list_key(item: object, keys: tuple[str, ...]) -> ListKey | None:
    """The values of ``item``'s list-map keys, typed so ``1`` is not ``1.0``;
    None when one is missing or not a scalar."""
    if type(item) is not dict:
        return None
    values = []
    for key in keys:
        value = item.get(key)
        if type(value) not in _SCALARS:
            return None
        values.append((type(value), value))
    return tuple(values)


def map_list(items: list[Any], keys: tuple[str, ...]) -> dict[ListKey, Any]:
    """The items of a list-type map by their keys, the first of equal keys."""
    found: dict[ListKey, Any] = {}
    for item in items:
        if (key := list_key(item, keys)) is not None:
            found.setdefault(key, item)
    return found


def _keys(schema: Mapping[str, Any]) -> tuple[str, ...] | None:
    keys = schema.get("x-kubernetes-list-map-keys")
    if schema.get("x-kubernetes-list-type") != "map" or not isinstance(keys, list) or not keys:
        return None
    return tuple(map(str, keys))


def _field_schema(schema: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and isinstance(sub := properties.get(name), Mapping):
        return sub
    values = schema.get("additionalProperties")
    return values if isinstance(values, Mapping) else None


class Correlated:
    """A new value, the old value it replaces, and their schema."""

    __slots__ = ("_by_key", "_equal", "old", "schema", "value")

    def __init__(self, value: object, old: object, schema: Mapping[str, Any]) -> None:
        self.value = value
        self.old = old
        self.schema = schema
        self._equal: bool | None = None  # computed on the first question
        self._by_key: dict[ListKey, Any] | None = None  # a map list's old items

    def key(self, name: str) -> Correlated | None:
        """The field ``name``, if both values have it and the schema has it."""
        value, old = self.value, self.old
        if type(value) is not dict or type(old) is not dict:
            return None
        if name not in value or name not in old:
            return None
        sub = _field_schema(self.schema, name)
        return None if sub is None else Correlated(value[name], old[name], sub)

    def index(self, index: int) -> Correlated | None:
        """The item at ``index``, if the list type lets it have an old item."""
        value, old, items = self.value, self.old, self.schema.get("items")
        if type(value) is not list or type(old) is not list or index >= len(value):
            return None
        if not isinstance(items, Mapping):
            return None
        old_item = self._old_item(value[index], index, old)
        return None if old_item is None else Correlated(value[index], old_item, items)

    def _old_item(self, item: object, index: int, old: list[Any]) -> object:
        list_type = self.schema.get("x-kubernetes-list-type")
        if list_type == "map":
            keys = _keys(self.schema)
            key = list_key(item, keys) if keys else None
            if key is None:
                return None
            if self._by_key is None:
                self._by_key = map_list(old, keys) if keys else {}
            return self._by_key.get(key)
        if list_type in ("set", "atomic"):
            return None
        return old[index] if index < len(old) else None

    def equal(self) -> bool:
        """Whether the value deep-equals its old value, child by correlated child."""
        if self._equal is None:
            self._equal = self._compare()
        return self._equal

    def _compare(self) -> bool:
        value, old = self.value, self.old
        if value is None or old is None:
            return value is None and old is None
        if type(value) is list and type(old) is list:
            if len(value) != len(old):
                return False
            for index in range(len(value)):
                child = self.index(index)
                if child is None:
                    # An uncorrelatable list compares whole; an item of a map
                    # list with no old item means the lists differ.
                    keyed = self.schema.get("x-kubernetes-list-type") == "map"
                    return False if keyed else _deep_equal(value, old)
                if not child.equal():
                    return False
            return True
        if type(value) is dict and type(old) is dict:
            if len(value) != len(old):
                return False
            for name in value:
                child = self.key(name)
                if child is None or not child.equal():
                    return False
            return True
        return _deep_equal(value, old)


def _deep_equal(a: object, b: object) -> bool:
    """Go's ``reflect.DeepEqual`` on decoded JSON: equal values of one type."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and _deep_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_deep_equal, a, b))
    return a == b


# -- where a walk stands ------------------------------------------------------------

# The correlation of the node a walk is at, and the nearest ancestor's that has
# one. Both None on a create, where nothing is forgiven, and below the root's
# apiVersion and kind, which Kubernetes never ratchets (old and new objects are
# converted to one version, so their difference does not show).
Ratchet = tuple[Correlated | None, Correlated | None]
UNRATCHETED: Final[Ratchet] = (None, None)


def forgives(ratchet: Ratchet) -> bool:
    """Whether a failing rule (not a transition rule) at the node is forgiven:
    its value, or else its nearest correlated ancestor's, is unchanged."""
    current, parent = ratchet
    judge = current if current is not None else parent
    return judge is not None and judge.equal()


def field_ratchet(ratchet: Ratchet, name: str) -> Ratchet:
    current, parent = ratchet
    if current is None:
        return ratchet
    if parent is None and name in ("apiVersion", "kind"):
        return UNRATCHETED
    return current.key(name), current


def item_ratchet(ratchet: Ratchet, index: int) -> Ratchet:
    current = ratchet[0]
    return ratchet if current is None else (current.index(index), current)
