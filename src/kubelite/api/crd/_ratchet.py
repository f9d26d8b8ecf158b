"""Validation ratcheting: the schema errors an update may keep.

Since Kubernetes 1.33 (``CRDValidationRatcheting``, on by default) an update
may leave a custom object invalid where it did not touch it, so that objects
written before their CRD tightened its schema can still be updated. A schema
error is dropped when the value it was found on is unchanged from the value
*correlated* with it in the old object. Correlation follows the schema:

* an object's property or map value has the old value of the same key, if
  the old object has that key and the schema describes the field;
* an item of an ``x-kubernetes-list-type: map`` list has the first old item
  with the same ``x-kubernetes-list-map-keys`` values;
* an item of any other list (atomic, set, or untyped) has no old value, nor
  does anything below it.

"Unchanged" is Go's ``reflect.DeepEqual`` on the decoded JSON (``1`` and
``1.0`` differ), except that a list-map's items are compared with the old
items of the same keys, so reordering them changes nothing; an object holding
a field its schema does not describe never counts as unchanged (Kubernetes
cannot correlate such a field). So the root's own errors (say a missing
required ``spec``) are never ratcheted: ``metadata`` always holds fields that
no CRD schema describes. For example, with ``spec.ports`` a list-map keyed by
``name`` and newly limited to ``port: {maximum: 100}``::

    old  spec.ports = [{name: a, port: 443}, {name: b, port: 80}]
    new  spec.ports = [{name: c, port: 90}, {name: a, port: 443}]

``spec.ports[1].port`` (443) correlates with item ``a`` and is unchanged, so
its error goes; had ``port: 443`` been added under a new name, it would stay.

**Where an error belongs.** As in kube-openapi, each node's checks and all
checks below it are one result, dropped together when the node is unchanged:
a ``required`` or ``maxProperties`` error when its whole object is unchanged,
``maxItems`` when the whole list is, an item's error of an atomic list when
the whole list is. ``allOf``, ``anyOf``, ``oneOf`` and ``not`` branches are
checked without old values: their errors go only when the node holding the
junctor is unchanged.

**The other passes.** The list-type errors (duplicates in a set or map list)
are all kept if the old object had none, else all dropped, as the API server
does; the embedded-resource checks are never ratcheted. CEL rules live in
``cel`` and are not ratcheted here.

**Cost.** A create, or an update without errors, is the plain walk alone.
Only when it finds errors does ``RatchetCheck`` walk again, looking up the
old value of a node (from the root, along its path) only when leaving a node
with new errors, and comparing only that node's values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubelite.api.crd._compiled import MISSING, Node, Segment, kind_of
from kubelite.api.crd._validator import Check
from kubelite.api.field import FieldError, FieldPath

__all__ = ["ratcheted"]


def ratcheted(
    root: Node, base: FieldPath, obj: object, old: object, first: Check
) -> list[FieldError]:
    """The errors of ``first``, a plain walk of ``obj`` that found some, less
    those ratcheting lets through because ``old`` had them already."""
    errors = first.errors
    if errors:
        # Walked again, now leaving each node with the old value at hand.
        walk = RatchetCheck(root, base, obj, old)
        walk.check(root, obj)
        errors = walk.errors
    lists = first.lists
    if lists:
        before = Check(root, base)
        before.check(root, old)
        if before.lists:
            lists = []
    return errors + first.embedded + lists


def equal(new: object, old: object) -> bool:
    """Go's ``reflect.DeepEqual`` on decoded JSON: kinds must match too."""
    kind = kind_of(new)
    if kind != kind_of(old):
        return False
    if isinstance(new, Mapping) and isinstance(old, Mapping):
        return len(new) == len(old) and all(
            key in old and equal(value, old[key]) for key, value in new.items()
        )
    if kind == "array" and isinstance(new, Sequence) and isinstance(old, Sequence):
        return len(new) == len(old) and all(map(equal, new, old))
    return new == old


def _scalar(value: object, several: bool) -> object:
    """A list-map key value, tagged with its kind; ``None`` if not a scalar.
    Of several keys Go prints floats with ``%f``, so they match as printed."""
    kind = kind_of(value)
    if kind == "number" and several:
        return (kind, f"{value:f}")
    return (kind, value) if kind in ("boolean", "integer", "number", "string") else None


def _map_key(names: tuple[str, ...], item: object) -> object:
    if not names or not isinstance(item, Mapping):
        return None
    if len(names) == 1:
        return _scalar(item.get(names[0], MISSING), several=False)
    parts: list[object] = []
    for name in names:
        part = _scalar(item.get(name, MISSING), several=True)
        if part is None:
            return None
        parts.append(part)
    return tuple(parts)


class RatchetCheck(Check):
    """The validation walk of an update: leaving a node whose checks added
    errors, drops them if the node's value is unchanged from its old value.

    ``changed`` is the path of the last node found changed: every node on it
    changed too, so they need no comparison. ``opaque`` counts the junctor
    branches being walked, where nothing is ratcheted.
    """

    __slots__ = ("changed", "keyed", "new", "old", "opaque")

    def __init__(self, root: Node, base: FieldPath, new: object, old: object) -> None:
        super().__init__(root, base)
        self.new = new
        self.old = old
        self.opaque = 0
        self.changed: tuple[Segment, ...] | None = None
        # The first old item of each key, per old list-map (by id and keys).
        self.keyed: dict[tuple[int, tuple[str, ...]], dict[object, object]] = {}

    def check(self, node: Node, value: Any) -> None:
        errors = self.errors
        mark = len(errors)
        Check.check(self, node, value)
        if len(errors) > mark and not self.opaque and self._unchanged(node, value):
            del errors[mark:]

    def _junctors(self, node: Node, value: object) -> None:
        # kube-openapi checks the branches without the old value.
        self.opaque += 1
        try:
            Check._junctors(self, node, value)
        finally:
            self.opaque -= 1

    def _unchanged(self, node: Node, value: object) -> bool:
        at = tuple(self.stack)
        changed = self.changed
        if changed is not None and changed[: len(at)] == at:
            return False  # a correlated value below it changed
        old = self._old_at(at)
        if old is MISSING:
            return False
        if self.same(node, value, old):
            return True
        self.changed = at
        return False

    def _old_at(self, at: tuple[Segment, ...]) -> object:
        """The old value correlated with the value at ``at``, or ``MISSING``."""
        node, new, old = self.root, self.new, self.old
        for is_name, text in at:
            if is_name is False:
                items = node.items
                if items is None or kind_of(new) != "array" or not isinstance(new, Sequence):
                    return MISSING
                new = new[int(text)]
                old = self._match(node, old, new)
                if old is MISSING:
                    return MISSING
                node = items
            else:
                if not isinstance(new, Mapping) or not isinstance(old, Mapping):
                    return MISSING
                sub = node.props.get(text)
                if sub is None:
                    sub = node.add
                if sub is None or text not in new or text not in old:
                    return MISSING
                node, new, old = sub, new[text], old[text]
        return old

    def _match(self, node: Node, old: object, item: object) -> object:
        """The old item of a list-map with ``item``'s keys, or ``MISSING``
        (always for the items of other lists)."""
        names = node.map_keys
        if node.list_type != "map" or "array" not in node.types:
            return MISSING
        if kind_of(old) != "array" or not isinstance(old, Sequence):
            return MISSING
        key = _map_key(names, item)
        if key is None:
            return MISSING
        found = self.keyed.get((id(old), names))
        if found is None:
            found = {}
            for entry in old:
                entry_key = _map_key(names, entry)
                if entry_key is not None:
                    found.setdefault(entry_key, entry)
            self.keyed[(id(old), names)] = found
        return found.get(key, MISSING)

    def same(self, node: Node, new: object, old: object) -> bool:
        """Whether ``new`` is unchanged from ``old``, correlating as above."""
        if new is None or old is None:
            return new is None and old is None
        kind = kind_of(new)
        if kind != kind_of(old):
            return False
        if isinstance(new, Mapping) and isinstance(old, Mapping):
            if len(new) != len(old):
                return False
            props, add = node.props, node.add
            for key, value in new.items():
                sub = props.get(key)
                if sub is None:
                    sub = add
                if sub is None or key not in old or not self.same(sub, value, old[key]):
                    return False
            return True
        if kind == "array" and node.list_type == "map" and isinstance(new, Sequence):
            if not isinstance(old, Sequence) or len(new) != len(old):
                return False
            items = node.items
            for item in new:
                match = self._match(node, old, item)
                if match is MISSING or items is None or not self.same(items, item, match):
                    return False
            return True
        return equal(new, old)
