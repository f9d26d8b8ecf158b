"""Strategic merge metadata read from the served schemas.

A :class:`PatchSchema` answers, for a field path, how strategic merge patch
treats the field. Here the answer comes from the same definitions the
``/openapi/v3`` documents serve, so the merge keys a client sees in the
documents are the ones the server merges by. It walks the schema along the
path (list elements add nothing to the path, map values add their key, as in
:mod:`kubelite.api.patch.strategic`) and reads two extensions of the field it
reaches:

* ``x-kubernetes-patch-strategy``: ``merge``, ``replace``, ``retainKeys`` or a
  combination such as ``merge,retainKeys``;
* ``x-kubernetes-patch-merge-key``: the key of a merged list of objects.

A merged list without a merge key whose items are strings or numbers is a
primitive list (``finalizers``), merged as a set.

Worked example, the ports of a Deployment's containers::

    Deployment .spec     -> allOf $ref DeploymentSpec
    DeploymentSpec .template -> allOf $ref PodTemplateSpec
    PodTemplateSpec .spec    -> allOf $ref PodSpec
    PodSpec .containers      -> array, items $ref Container
    Container .ports         -> {"x-kubernetes-patch-strategy": "merge",
                                 "x-kubernetes-patch-merge-key": "containerPort", ...}

The extensions sit on the property, beside a ``$ref`` when there is one
(``DeploymentSpec.strategy`` has ``retainKeys`` next to its reference), never on
the referenced definition; so the property, not what it resolves to, is read.
Only built-in kinds have a schema: custom kinds get None, and the API server
answers their strategic merge patches with 415 as Kubernetes does.
"""

from __future__ import annotations

import functools

from kubelite.api.openapi.definitions import (
    COMPONENTS_REF,
    BuiltinDefinitions,
    Schema,
    builtin_definitions,
)
from kubelite.api.patch.schema import DEFAULT_META, FieldPatchMeta, FieldPath, PatchSchema

__all__ = ["OpenAPIPatchSchema", "patch_schema_for"]

_PRIMITIVES = frozenset({"string", "integer", "number", "boolean"})
_MAX_REFS = 64
"""More references than this on one step means a cycle (none exists today)."""


class OpenAPIPatchSchema:
    """The :class:`PatchSchema` of one built-in kind, read from its definition.

    An answer is a walk of a few dictionary lookups per path segment, kept
    per path so that each field path is walked once per kind.
    """

    __slots__ = ("_cache", "_definitions", "_root")

    def __init__(self, definitions: BuiltinDefinitions, root: str) -> None:
        if root not in definitions:
            raise KeyError(f"no definition named {root!r}")
        self._definitions = definitions
        self._root = root
        # Invariant: holds only paths made of declared field names, a set
        # bounded by the schema; unknown fields and map keys (label names)
        # come from clients and are never kept.
        self._cache: dict[FieldPath, FieldPatchMeta] = {}

    @property
    def root(self) -> str:
        """The definition this schema starts from (``io.k8s.api.core.v1.Pod``)."""
        return self._root

    def field_meta(self, path: FieldPath) -> FieldPatchMeta:
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        prop, by_name = self._property(path)
        if prop is None:
            return DEFAULT_META
        meta = self._meta(prop)
        if by_name:
            self._cache[path] = meta
        return meta

    def _property(self, path: FieldPath) -> tuple[Schema | None, bool]:
        """The property schema that ``path`` ends at (None if it leaves the schema),
        and whether every step was a declared field rather than a map key."""
        if not path:
            return None, False
        node: Schema = self._definitions.schema(self._root)
        prop: Schema | None = None
        by_name = True
        for step in path:
            container = self._resolve(node)
            properties = container.get("properties")
            additional = container.get("additionalProperties")
            if isinstance(properties, dict) and step in properties:
                prop = properties[step]
            elif isinstance(additional, dict):
                prop, by_name = additional, False
            else:
                return None, False
            node = prop
        return prop, by_name

    def _resolve(self, node: Schema) -> Schema:
        """Follow references and list items to the object a field name steps into."""
        for _ in range(_MAX_REFS):
            target = self._target(node)
            if target is not None:
                node = self._definitions.schema(target)
            elif node.get("type") == "array" and isinstance(node.get("items"), dict):
                node = node["items"]
            else:
                return node
        raise ValueError(f"schema of {self._root} refers in a cycle")

    @staticmethod
    def _target(node: Schema) -> str | None:
        ref = node.get("$ref")
        if ref is None:
            all_of = node.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
                ref = all_of[0].get("$ref")
        if isinstance(ref, str) and ref.startswith(COMPONENTS_REF):
            return ref.removeprefix(COMPONENTS_REF)
        return None

    def _meta(self, prop: Schema) -> FieldPatchMeta:
        strategy = prop.get("x-kubernetes-patch-strategy", "")
        merge_key = prop.get("x-kubernetes-patch-merge-key")
        if not strategy and not merge_key:
            return DEFAULT_META
        primitive = False
        if merge_key is None and "merge" in strategy.split(","):
            items = prop.get("items")
            if isinstance(items, dict):
                primitive = self._resolve(items).get("type") in _PRIMITIVES
        return FieldPatchMeta.parse(strategy, merge_key, primitive_list=primitive)

    def __repr__(self) -> str:
        return f"OpenAPIPatchSchema({self._root})"


@functools.cache
def _schema_of(definitions: BuiltinDefinitions, name: str) -> OpenAPIPatchSchema:
    return OpenAPIPatchSchema(definitions, name)


def patch_schema_for(
    group: str,
    version: str,
    kind: str,
    *,
    definitions: BuiltinDefinitions | None = None,
) -> PatchSchema | None:
    """The strategic merge schema of a built-in kind; None for any other kind."""
    defs = definitions if definitions is not None else builtin_definitions()
    name = defs.by_kind(group, version, kind)
    return None if name is None else _schema_of(defs, name)
