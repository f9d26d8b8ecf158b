"""Custom objects against the structural schema of their CRD version.

On every create and update Kubernetes does three things to a custom object
with its version's ``openAPIV3Schema``, and so does this package:

1. **prune**: drop the fields the schema does not declare (unless
   ``x-kubernetes-preserve-unknown-fields`` keeps them) and report their
   paths, for ``fieldValidation`` warnings or Strict errors; then drop the
   ``null`` values of non-nullable fields that no default replaces;
2. **default**: fill absent fields, and ``null`` non-nullable ones, with
   copies of their ``default``, also inside array items and map values;
3. **validate**: check every value with the rules of kube-openapi's
   validator (types, formats, bounds, patterns, enums, ``allOf`` and the
   other junctors), then the embedded resources, then the list types, each
   violation worded as the API server words it::

       spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"

``check_structural`` says first whether a schema may serve at all.

**Ratcheting.** Given the object an update replaces (``old``), validation
ratchets as Kubernetes has since 1.33: a schema error on a value unchanged
from its old value is dropped, so objects written before their CRD tightened
its schema stay updatable while the update leaves the invalid parts alone.
Old values are found through object properties, map keys and the items of
``x-kubernetes-list-type: map`` lists (by their keys), never through the
items of other lists, nor inside ``allOf``/``anyOf``/``oneOf``/``not``; an
error on an object, list or junctor node (``required``, ``maxProperties``,
``maxItems``, a failed ``anyOf``) goes only when that whole node is
unchanged. The list-type errors go all together when the old object had some
too; the embedded-resource errors stay. ``_ratchet`` has the details. A
create (no ``old``) is validated exactly as before, and an update whose
object is valid costs no more than a create.

**Compiled once.** A schema becomes a tree of nodes (``_compiled``) that
carry only what the walks need; ``_validator`` walks it to validate. Since
nearly every object written is valid, validation first asks a function
generated for the schema on first use (``_fastpath``): straight-line Python
with the schema's names, bounds, enums and patterns inlined, which answers
True only for an object the walk would find no error in. Then, create or
update, there is nothing to report or ratchet; any other answer, or a schema
too large to generate code for, leaves the object to the walk. The
functions here take the raw schema and keep its compiled tree in a small
cache keyed by ``id(schema)``; the cache holds the schema, so its id cannot
be reused while cached, and a schema must not be changed once used. Callers
that keep a schema around can hold the ``CompiledSchema`` instead.

**Kubernetes' quirks, kept.** Messages name the path twice, as Kubernetes'
do. A map value's path is ``spec.labels.key`` in the validator's errors and
pruned paths but ``spec.labels[key]`` in the list-type and embedded-resource
errors, which come from other code. Bounds are truncated to integers when
the value is an integer (``minimum: 1.5`` accepts 1). ``maxLength`` counts
characters but says "may not be more than N bytes". Only the formats
Kubernetes keeps are checked (``formats``): ``int32`` is never range
checked. ``null`` fails an ``enum`` even where the field is ``nullable``
(though pruning drops a non-nullable ``null`` before validation ever sees
it). A junctor's failure has the field ``<nil>``, as from a real server.

**Limits.** Patterns are run by Python's ``re`` (Kubernetes uses Go's RE2
and calls them ECMA-262): ``$`` also matches before a final newline, and
RE2-only syntax fails to compile. Where Kubernetes keeps the errors of the
``anyOf``/``oneOf`` branch that passed the most checks, the branch with the
fewest errors stands in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubelite.api.crd._compiled import Node, Pruner, default_values
from kubelite.api.crd._fastpath import FastCheck, compile_fast_check
from kubelite.api.crd._ratchet import ratcheted
from kubelite.api.crd._structural import check_structural
from kubelite.api.crd._validator import Check
from kubelite.api.field import FieldError, FieldPath

__all__ = [
    "CompiledSchema",
    "apply_defaults",
    "check_structural",
    "compile_schema",
    "prune",
    "validate",
]

_ROOT: Final = FieldPath()
_CACHE_SIZE: Final = 256


class CompiledSchema:
    """A version's ``openAPIV3Schema``, compiled for the three walks.

    Build one with ``compile_schema``; it holds no state between calls and
    may be shared by concurrent requests.
    """

    __slots__ = ("_fast", "_root")

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._root = Node(schema, nested=False)
        # Generated on first use: many schemas compiled never validate.
        self._fast: FastCheck | None = None

    def validate(
        self,
        obj: Mapping[str, Any],
        *,
        path: FieldPath = _ROOT,
        old: Mapping[str, Any] | None = None,
    ) -> list[FieldError]:
        """Every violation in ``obj`` (its ``metadata`` aside), in a fixed
        order; on an update, ``old`` is the object it replaces, and the errors
        on values unchanged from it are dropped (ratcheting)."""
        fast = self._fast
        if fast is None:
            fast = self._fast = compile_fast_check(self._root)
        if fast(obj):
            return []
        walk = Check(self._root, path)
        walk.check(self._root, obj)
        if old is None or not (walk.errors or walk.lists):
            return walk.errors + walk.embedded + walk.lists
        return ratcheted(self._root, path, obj, old, walk)

    def prune(self, obj: dict[str, Any]) -> list[str]:
        """Drop, in place, the fields the schema does not declare; their
        paths (``spec.foo``, ``spec.items[0].x``), sorted."""
        walk = Pruner()
        if self._root.preserve:
            walk.keep(self._root, obj, meta=True)
        else:
            walk.fields(self._root, obj, meta=True)
        return sorted(walk.dropped)

    def apply_defaults(self, obj: dict[str, Any]) -> None:
        """Fill, in place, absent fields (and non-nullable nulls) with copies
        of their defaults."""
        if self._root.has_defaults:
            default_values(self._root, obj)


_cache: dict[int, tuple[Mapping[str, Any], CompiledSchema]] = {}


def compile_schema(schema: Mapping[str, Any]) -> CompiledSchema:
    """``schema`` compiled, from the cache when this very object was
    compiled before. The schema must not change afterwards."""
    entry = _cache.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    compiled = CompiledSchema(schema)
    if len(_cache) >= _CACHE_SIZE:
        del _cache[next(iter(_cache))]
    # The entry holds the schema, so its id cannot be reused while cached.
    _cache[id(schema)] = (schema, compiled)
    return compiled


def validate(
    schema: Mapping[str, Any],
    obj: Mapping[str, Any],
    *,
    path: FieldPath = _ROOT,
    old: Mapping[str, Any] | None = None,
) -> list[FieldError]:
    """Every violation of ``schema`` in ``obj``, as Kubernetes words it; on an
    update (``old`` given) less those on values ``old`` had already."""
    return compile_schema(schema).validate(obj, path=path, old=old)


def prune(schema: Mapping[str, Any], obj: dict[str, Any]) -> list[str]:
    """Drop the fields ``schema`` does not declare; the dropped paths, sorted."""
    return compile_schema(schema).prune(obj)


def apply_defaults(schema: Mapping[str, Any], obj: dict[str, Any]) -> None:
    """Fill ``obj``'s absent fields from the defaults in ``schema``."""
    compile_schema(schema).apply_defaults(obj)
