"""Field paths and field sets, and the FieldsV1 form Kubernetes stores them in.

A manager's entry in ``metadata.managedFields`` names the fields it owns as a
``FieldSet``: a set of ``Path``s, each a tuple of ``PathElement``s. An element
is one step down an object, of four kinds, ordered as structured-merge-diff
orders them (``fieldpath/element.go``): a field name ``f:replicas``, the key of
an associative list item ``k:{"containerPort":80,"protocol":"TCP"}``, the value
of a set item ``v:"example.com/guard"``, and a position ``i:3``.

The set is a trie. Each node holds its *members*, the elements that end a path
at this level, and its *children*, one subset per element that paths continue
through; an element can be both. FieldsV1 writes the trie as nested objects,
one key per element, and marks "this element is itself in the set, and has
children too" with a ``"."`` key. Worked example, three paths::

    .metadata.labels            (the map itself: kubectl owns the whole map)
    .metadata.labels.app
    .spec.replicas

    FieldSet                           FieldsV1
    children: f:metadata ->            {"f:metadata":
      children: f:labels ->              {"f:labels":
        members: f:app                     {".":{}, "f:app":{}}},
      members: f:labels                "f:spec":{"f:replicas":{}}}
    children: f:spec ->
      members: f:replicas

``f:labels`` is both a member (the first path) and a child (the second), so
its object holds ``"."``; ``f:replicas`` is only a member, so its object is
empty; ``f:metadata`` is only a child, so it has no ``"."``. Kubernetes writes
``"."`` first and the other keys in element order (fields, then keys, then
values, then indexes); :func:`to_fields_v1` inserts keys in that order, so
``orjson.dumps`` of its result is the bytes structured-merge-diff writes. (An
API server's response then escapes ``<``, ``>`` and ``&`` in every string.)

Errors are those of :mod:`~kubelite.api.ssa.errors` (``FieldPathError`` says
where in a set a bad key was found).

Kubernetes answers no request with these: on create and update it replaces an
undecodable ``managedFields`` with the live object's (``decodeLiveOrNew`` in
``managedfields/internal/fieldmanager.go``); its 422s check only an entry's
``operation`` (``must be `Apply` or `Update```) and ``fieldsType`` (``must be
`FieldsV1```). Its decoder says ``parsing key as path element: missing colon``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import orjson

from kubelite.api.field import go_quote
from kubelite.api.patch import JSONValue
from kubelite.api.ssa import _gojson
from kubelite.api.ssa.errors import FieldPathError, UnknownElementError


class ElementKind(enum.IntEnum):
    """What a path element selects; the values are Kubernetes' order."""

    FIELD = 0
    KEY = 1
    VALUE = 2
    INDEX = 3


_PREFIXES: Final = {"f": ElementKind.FIELD, "k": ElementKind.KEY, "v": ElementKind.VALUE}
_INDEX_RE: Final = re.compile(r"[+-]?[0-9]+")
_INT64: Final = 1 << 63
_EXACT_FLOAT: Final = 1 << 53
# Every element built or parsed, by its text; reset when full, since the texts
# come from clients.
_ELEMENTS: dict[str, PathElement] = {}
_ELEMENTS_LIMIT: Final = 1 << 16


class PathElement(tuple[tuple[Any, ...], str]):
    """One step of a path, immutable and hashable, ordered as Kubernetes orders
    them. Build one with :meth:`field`, :meth:`key`, :meth:`value`,
    :meth:`list_index` or :meth:`parse`.

    Two elements are equal when their FieldsV1 texts are: the text is canonical
    (key fields sorted by name, numbers as Go writes them), so ``80`` and
    ``80.0`` make the same element, and ``true`` and ``1`` do not.
    """

    # A pair (order, text), so that hashing, equality and order, the work of
    # every set operation, run as tuple code in C; callers should not unpack
    # it. The order is (kind, payload), the payload made comparable (see
    # _value_order).
    __slots__ = ()

    def __new__(cls, order: tuple[Any, ...], text: str) -> PathElement:
        # Private: use the constructors, which keep text and order consistent.
        return tuple.__new__(cls, (order, text))

    def __getnewargs__(self) -> tuple[tuple[Any, ...], str]:
        return self[0], self[1]

    @classmethod
    def field(cls, name: str) -> PathElement:
        """The field ``name`` of a struct or map: ``f:name``."""
        text = "f:" + name
        found = _ELEMENTS.get(text)
        return found if found is not None else _remember(cls((0, name), text))

    @classmethod
    def key(cls, fields: Mapping[str, JSONValue]) -> PathElement:
        """The item of an associative list whose key fields have these values."""
        items = [(n, _as_decoded(fields[n])) for n in sorted(fields)]
        text = "k:{" + ",".join(_gojson.encode(n) + ":" + _gojson.encode(v) for n, v in items) + "}"
        return cls((1, tuple((n, _gojson.value_order(v)) for n, v in items)), text)

    @classmethod
    def value(cls, value: JSONValue) -> PathElement:
        """The item of a set (a list of distinct values) equal to ``value``."""
        value = _as_decoded(value)
        return cls((2, _gojson.value_order(value)), "v:" + _gojson.encode(value))

    @classmethod
    def list_index(cls, index: int) -> PathElement:
        """The item at ``index`` of a list whose items have no key."""
        if isinstance(index, bool) or not -_INT64 <= index < _INT64:
            raise FieldPathError(f"index {index!r} is not a 64-bit integer")
        return cls((3, index), f"i:{index}")

    @classmethod
    def parse(cls, text: str) -> PathElement:
        """The element a FieldsV1 key names; raises :class:`FieldPathError`."""
        found = _ELEMENTS.get(text)
        return found if found is not None else _remember(_parse(text))

    @property
    def kind(self) -> ElementKind:
        return ElementKind(self[0][0])

    @property
    def text(self) -> str:
        """The FieldsV1 key: ``f:spec``, ``k:{"name":"c"}``, ``v:"x"``, ``i:0``."""
        return self[1]

    def to_string(self) -> str:
        """The FieldsV1 key, as :meth:`parse` reads it."""
        return self[1]

    @property
    def payload(self) -> JSONValue:
        """What the element holds, decoded afresh: the field name, the key
        fields as a dict, the set item, or the index."""
        if self[0][0] == ElementKind.FIELD:
            return self[1][2:]
        return orjson.loads(self[1][2:])  # type: ignore[no-any-return]

    def __str__(self) -> str:
        # As Kubernetes prints paths in apply conflicts: .name, [k=v,k2="s"],
        # [="item"], [3]; numbers print as the float64s they decode to.
        kind, body = self[0][0], self[1][2:]
        if kind == ElementKind.FIELD:
            return "." + body
        if kind == ElementKind.KEY:
            fields = orjson.loads(body)
            return "[" + ",".join(f"{n}={_gojson.print_value(fields[n])}" for n in fields) + "]"
        if kind == ElementKind.VALUE:
            return f"[={_gojson.print_value(orjson.loads(body))}]"
        return f"[{body}]"

    def __repr__(self) -> str:
        return f"PathElement({self[1]!r})"


class Path(tuple[PathElement, ...]):
    """A path from the object's root: a tuple of elements. ``str()`` gives the
    form of Kubernetes' conflict messages, ``.spec.template.spec.containers
    [name="nginx"].image`` (without the break); ``<`` is Kubernetes' order."""

    __slots__ = ()

    @classmethod
    def of(cls, *parts: str | int | PathElement) -> Path:
        """A path from field names, indexes and elements:
        ``Path.of("spec", "containers", PathElement.key({"name": "c"}))``."""
        steps: list[PathElement] = []
        for part in parts:
            if isinstance(part, str):
                part = PathElement.field(part)
            elif not isinstance(part, PathElement):
                part = PathElement.list_index(part)
            steps.append(part)
        return cls(steps)

    def __str__(self) -> str:
        return "".join(str(element) for element in self)

    def __repr__(self) -> str:
        return f"Path({str(self)!r})"


class FieldSet:
    """An immutable set of paths, stored as a trie (see the module docstring).

    The empty path is never a member: Kubernetes does not track ownership of
    the whole object, and inserting it does nothing.
    """

    __slots__ = ("_children", "_entries", "_members", "_size", "_written")

    # Invariants: no child is empty, so a set has one representation and
    # equality can compare the structure; nothing here is mutated once built.
    _members: frozenset[PathElement]
    _children: Mapping[PathElement, FieldSet]
    # Computed when first needed: members and children merged in order, each
    # as (element, is a member, child or None); and the number of paths.
    _entries: tuple[tuple[PathElement, bool, FieldSet | None], ...] | None
    _size: int
    # Its FieldsV1 object once written, (as a member, not as a member).
    _written: list[dict[str, JSONValue] | None] | None

    def __init__(self, paths: Iterable[Sequence[PathElement]] = ()) -> None:
        built = _build(paths)
        self._members, self._children = built._members, built._children
        self._entries, self._size, self._written = None, -1, None

    @classmethod
    def from_paths(cls, paths: Iterable[Sequence[PathElement]]) -> FieldSet:
        """The set of these paths."""
        return _build(paths)

    def insert(self, path: Sequence[PathElement]) -> FieldSet:
        """This set with ``path`` added."""
        return self._insert(path, 0) if path else self

    def _insert(self, path: Sequence[PathElement], depth: int) -> FieldSet:
        element = path[depth]
        if depth == len(path) - 1:
            if element in self._members:
                return self
            return _node(self._members | {element}, self._children)
        child = self._children.get(element, EMPTY)
        grown = child._insert(path, depth + 1)
        if grown is child:
            return self
        return _node(self._members, {**self._children, element: grown})

    def has(self, path: Sequence[PathElement]) -> bool:
        """Whether ``path`` is in the set (not merely a prefix of one that is)."""
        node = self
        for element in path[:-1]:
            child = node._children.get(element)
            if child is None:
                return False
            node = child
        return bool(path) and path[-1] in node._members

    __contains__ = has

    def union(self, other: FieldSet) -> FieldSet:
        """The paths in either set."""
        children = dict(self._children)
        for element, theirs in other._children.items():
            mine = children.get(element)
            children[element] = theirs if mine is None else mine.union(theirs)
        return _node(self._members | other._members, children)

    def intersection(self, other: FieldSet) -> FieldSet:
        """The paths in both sets."""
        children = {}
        for element, mine in self._children.items():
            theirs = other._children.get(element)
            if theirs is not None:
                both = mine.intersection(theirs)
                if both._members or both._children:
                    children[element] = both
        return _node(self._members & other._members, children)

    def difference(self, other: FieldSet) -> FieldSet:
        """The paths in this set and not in ``other``; a path's descendants
        stay unless ``other`` has them too."""
        children = {}
        for element, mine in self._children.items():
            theirs = other._children.get(element)
            rest = mine if theirs is None else mine.difference(theirs)
            if rest._members or rest._children:
                children[element] = rest
        return _node(self._members - other._members, children)

    def recursive_difference(self, other: FieldSet) -> FieldSet:
        """The paths none of whose prefixes (the path itself included) is in
        ``other``: what is left once ``other``'s fields go with all below them."""
        if not other._members and not other._children:
            return self
        children = {}
        for element, mine in self._children.items():
            if element in other._members:
                continue
            theirs = other._children.get(element)
            rest = mine if theirs is None else mine.recursive_difference(theirs)
            if rest._members or rest._children:
                children[element] = rest
        return _node(self._members - other._members, children)

    __or__ = union
    __and__ = intersection
    __sub__ = difference

    @classmethod
    def from_level(
        cls, members: Iterable[PathElement], children: dict[PathElement, FieldSet]
    ) -> FieldSet:
        """The set with these members at its top and these subsets under
        their elements, for walks that build a set level by level. No subset
        may be empty; ``children`` becomes the set's own (do not change it)."""
        frozen = frozenset(members)
        if not frozen and not children:
            return EMPTY
        return _node(frozen, children)

    def level(self) -> tuple[frozenset[PathElement], Mapping[PathElement, FieldSet]]:
        """The members at the top of the set, and the subset under each
        element that paths continue through: the inverse of :meth:`from_level`."""
        return self._members, self._children

    def is_empty(self) -> bool:
        return not self._members and not self._children

    def leaves(self) -> FieldSet:
        """The paths of the set that no other path of the set continues."""
        children = {element: child.leaves() for element, child in self._children.items()}
        return _node(self._members.difference(self._children), children)

    def with_prefix(self, element: PathElement) -> FieldSet:
        """The paths that start with ``element``, without it: the subtree."""
        return self._children.get(element, EMPTY)

    def __iter__(self) -> Iterator[Path]:
        """Every path, in Kubernetes' order (a path before its descendants)."""
        return self._walk(())

    def _walk(self, prefix: tuple[PathElement, ...]) -> Iterator[Path]:
        for element, is_member, child in self._sorted():
            path = (*prefix, element)
            if is_member:
                yield Path(path)
            if child is not None:
                yield from child._walk(path)

    def _sorted(self) -> tuple[tuple[PathElement, bool, FieldSet | None], ...]:
        if self._entries is None:
            members, children = self._members, self._children
            get = children.get
            self._entries = tuple(
                [(e, e in members, get(e)) for e in sorted(members.union(children))]
            )
        return self._entries

    def __len__(self) -> int:
        if self._size < 0:
            self._size = len(self._members) + sum(map(len, self._children.values()))
        return self._size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSet):
            return NotImplemented
        return self._members == other._members and self._children == other._children

    def __hash__(self) -> int:
        return hash((self._members, frozenset(self._children.items())))

    def __repr__(self) -> str:
        return f"FieldSet({[str(path) for path in self]!r})"


def _node(members: frozenset[PathElement], children: Mapping[PathElement, FieldSet]) -> FieldSet:
    node = FieldSet.__new__(FieldSet)
    node._members, node._children, node._entries, node._size = members, children, None, -1
    node._written = None
    return node


EMPTY: Final = _node(frozenset(), {})
"""The empty set."""


def _build(paths: Iterable[Sequence[PathElement]]) -> FieldSet:
    # A mutable draft per node, frozen at the end: one pass, no copying.
    root: tuple[set[PathElement], dict[PathElement, Any]] = (set(), {})
    for path in paths:
        if not path:
            continue
        node = root
        for element in path[:-1]:
            node = node[1].get(element) or node[1].setdefault(element, (set(), {}))
        node[0].add(path[-1])
    return _freeze(root)


def _freeze(draft: tuple[set[PathElement], dict[PathElement, Any]]) -> FieldSet:
    members, children = draft
    if not members and not children:
        return EMPTY
    return _node(frozenset(members), {e: _freeze(child) for e, child in children.items()})


def _remember(element: PathElement) -> PathElement:
    if len(_ELEMENTS) >= _ELEMENTS_LIMIT:
        _ELEMENTS.clear()
    _ELEMENTS[element[1]] = element
    return element


# -- FieldsV1 ------------------------------------------------------------------


def to_fields_v1(fields: FieldSet) -> dict[str, JSONValue]:
    """The FieldsV1 object for ``fields``, keys in the order Kubernetes writes
    them. The top level is a new object each call; below it, a set written
    before gives the object it gave then (sets are immutable, and the walks
    that build them reuse the sets of subtrees met before), so copy before
    changing anything below the top."""
    return _emit(fields, member=False)


def _emit(node: FieldSet, *, member: bool) -> dict[str, JSONValue]:
    out: dict[str, JSONValue] = {".": {}} if member else {}
    for element, is_member, child in node._sorted():
        if child is None:
            out[element[1]] = {}
            continue
        written = child._written
        if written is None:
            written = child._written = [None, None]
        text = written[is_member]
        if text is None:
            text = written[is_member] = _emit(child, member=is_member)
        out[element[1]] = text
    return out


def from_fields_v1(document: object) -> FieldSet:
    """The set a decoded FieldsV1 object describes, read as Kubernetes reads
    it: ``null`` counts as ``{}``, the value of ``"."`` is not looked at, and
    keys of unknown types are dropped. Raises :class:`FieldPathError`."""
    if document is None:
        return EMPTY
    if not isinstance(document, dict):
        raise FieldPathError(f"fieldsV1 must be a JSON object, not {type(document).__name__}")
    node, _ = _read(document)
    return EMPTY if node is None else node


def _read(document: dict[str, object]) -> tuple[FieldSet | None, bool]:
    # The subtree of one object, or None if it names nothing, and whether the
    # element that leads here is itself a member: it is when the object holds
    # "." or names nothing (an empty object marks a leaf).
    members: list[PathElement] = []
    children: dict[PathElement, FieldSet] = {}
    is_member = False
    for text, value in document.items():
        if text == ".":
            is_member = True
            continue
        element = _ELEMENTS.get(text)
        if element is None:
            try:
                element = _remember(_parse(text))
            except UnknownElementError:
                continue
        if value is None or value == {}:
            members.append(element)
            continue
        if not isinstance(value, dict):
            kind = type(value).__name__
            raise FieldPathError(f"the value of {go_quote(text)} must be a JSON object, not {kind}")
        try:
            child, child_is_member = _read(value)
        except FieldPathError as err:
            err.path = Path((element, *err.path))
            raise
        if child_is_member:
            members.append(element)
        if child is not None:
            children[element] = child
    if not members and not children:
        return None, True
    return _node(frozenset(members), children), is_member


def _parse(text: str) -> PathElement:
    if len(text) < 2 or text[1] != ":":
        raise FieldPathError(f"key {go_quote(text)} does not start with a type letter and a colon")
    kind, body = text[0], text[2:]
    if kind == "i":
        if not _INDEX_RE.fullmatch(body):
            raise FieldPathError(f"key {go_quote(text)}: the index is not a decimal integer")
        return PathElement.list_index(int(body))
    if kind not in _PREFIXES:
        raise UnknownElementError(f"key {go_quote(text)} is of unknown type {kind!r}")
    if kind == "f":
        return PathElement((0, body), text)
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise FieldPathError(f"key {go_quote(text)}: invalid JSON: {err}") from err
    if kind == "v":
        return PathElement.value(decoded)
    if decoded is None:  # Kubernetes reads k:null as a key with no fields
        decoded = {}
    if not isinstance(decoded, dict):
        raise FieldPathError(f"key {go_quote(text)}: a key must be a JSON object")
    return PathElement.key(decoded)


def _as_decoded(value: JSONValue) -> JSONValue:
    # Go decodes fieldsV1 numbers to float64s and compares an int64 to one by
    # value; integers past 2**53 are stored as those floats (9007199254740993
    # as 9007199254740992), so that an element reads back equal to itself.
    if isinstance(value, list):
        return [_as_decoded(item) for item in value]
    if isinstance(value, dict):
        return {name: _as_decoded(item) for name, item in value.items()}
    if type(value) is int and abs(value) > _EXACT_FLOAT:
        try:
            return float(value)
        except OverflowError:
            raise FieldPathError(f"{value} is out of the range of a JSON number") from None
    return value
