"""Where strategic merge patch learns how to merge each field.

Strategic merge differs from JSON merge patch only where a field's schema says
so, through two OpenAPI extensions that Kubernetes puts on built-in types:

* ``x-kubernetes-patch-strategy``: ``merge`` (merge a list element by element
  instead of replacing it), ``replace`` (replace a map instead of merging it),
  ``retainKeys`` (kubectl may send a ``$retainKeys`` directive for this map), or a
  comma-separated combination such as ``merge,retainKeys``;
* ``x-kubernetes-patch-merge-key``: the field that identifies an element of a
  merged list of objects (``name`` for containers, ``containerPort`` for ports).

The merge code asks a :class:`PatchSchema` for a field by its path of field
names from the object's root; list elements add nothing to the path, so the
ports of every container of a Pod are ``("spec", "containers", "ports")``. Any
object that answers that one question will do: :class:`DictPatchSchema` is a
table, built by hand for tests and by :mod:`kubelite.api.patch.builtin` until the
API server builds one from the OpenAPI schemas it serves.

Example::

    schema = DictPatchSchema({
        "spec.containers": FieldPatchMeta.parse("merge", "name"),
        "spec.containers.ports": FieldPatchMeta.parse("merge", "containerPort"),
        "metadata.finalizers": FieldPatchMeta.parse("merge", primitive_list=True),
    })
    schema.field_meta(("spec", "containers")).merge_key    # "name"
    schema.field_meta(("spec", "volumes")).strategy        # PatchStrategy.DEFAULT
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeAlias

FieldPath: TypeAlias = tuple[str, ...]
"""Field names from the object's root; list elements are not counted."""


class PatchStrategy(enum.Enum):
    """How a field's value is combined with the patch's value."""

    DEFAULT = "default"
    """Maps merge key by key; lists and scalars are replaced (JSON merge patch)."""
    MERGE = "merge"
    """Lists merge element by element: objects by merge key, primitives as a set."""
    REPLACE = "replace"
    """Maps are replaced whole instead of merged."""


@dataclass(frozen=True, slots=True)
class FieldPatchMeta:
    """The patch metadata of one field.

    Invariants: ``merge_key`` is set only for a list of objects, so never together
    with ``primitive_list``; ``strategy`` is never both merge and replace.
    """

    strategy: PatchStrategy = PatchStrategy.DEFAULT
    retain_keys: bool = False
    """The field is a union whose unset members kubectl clears with ``$retainKeys``.
    The directive is honoured wherever it appears, as Kubernetes does; this flag
    records the schema for those who publish it."""
    merge_key: str | None = None
    primitive_list: bool = False
    """The field is a list of strings or numbers (``finalizers``), merged as a set."""

    def __post_init__(self) -> None:
        if self.merge_key is not None and self.primitive_list:
            raise ValueError(f"merge key {self.merge_key!r} given for a list of primitives")

    @classmethod
    def parse(
        cls,
        patch_strategy: str = "",
        merge_key: str | None = None,
        *,
        primitive_list: bool = False,
    ) -> FieldPatchMeta:
        """Build from the values of the OpenAPI extensions.

        ``patch_strategy`` is the ``x-kubernetes-patch-strategy`` string, e.g.
        ``"merge,retainKeys"``; an unknown or contradictory strategy raises
        ``ValueError``, since it can only come from a broken schema.
        """
        tokens = {t.strip() for t in patch_strategy.split(",") if t.strip()}
        unknown = tokens - {"merge", "replace", "retainKeys"}
        if unknown:
            raise ValueError(f"unknown patch strategy {sorted(unknown)} in {patch_strategy!r}")
        if {"merge", "replace"} <= tokens:
            raise ValueError(f"patch strategy {patch_strategy!r} is both merge and replace")
        strategy = PatchStrategy.DEFAULT
        if "merge" in tokens:
            strategy = PatchStrategy.MERGE
        elif "replace" in tokens:
            strategy = PatchStrategy.REPLACE
        return cls(
            strategy=strategy,
            retain_keys="retainKeys" in tokens,
            merge_key=merge_key or None,
            primitive_list=primitive_list,
        )


DEFAULT_META = FieldPatchMeta()
"""The metadata of a field no schema mentions: JSON merge patch behaviour."""


class PatchSchema(Protocol):
    """Answers, for a field path, how strategic merge patch treats the field."""

    def field_meta(self, path: FieldPath) -> FieldPatchMeta:
        """The field's metadata; :data:`DEFAULT_META` for a field with none."""
        ...


class DictPatchSchema:
    """A :class:`PatchSchema` backed by a table of field paths.

    Paths are given either as tuples or as dotted strings (``"spec.containers"``);
    built-in field names never contain dots. Schemas compose: :meth:`prefixed`
    moves a table under a field (a Pod's spec table becomes a Deployment's
    ``spec.template.spec``), and ``a | b`` unites two tables, ``b`` winning.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str | FieldPath, FieldPatchMeta] | None = None) -> None:
        self._fields: dict[FieldPath, FieldPatchMeta] = {}
        for path, meta in (fields or {}).items():
            key = tuple(path.split(".")) if isinstance(path, str) else tuple(path)
            if not key or not all(key):
                raise ValueError(f"empty field name in patch schema path {path!r}")
            self._fields[key] = meta

    @classmethod
    def _of(cls, fields: dict[FieldPath, FieldPatchMeta]) -> DictPatchSchema:
        schema = cls()
        schema._fields = fields
        return schema

    def field_meta(self, path: FieldPath) -> FieldPatchMeta:
        return self._fields.get(path, DEFAULT_META)

    def items(self) -> Iterable[tuple[FieldPath, FieldPatchMeta]]:
        """Every field the table mentions, in the order it was built."""
        return self._fields.items()

    def prefixed(self, prefix: str | FieldPath) -> DictPatchSchema:
        """The same table with every path moved under ``prefix``."""
        head = tuple(prefix.split(".")) if isinstance(prefix, str) else tuple(prefix)
        return DictPatchSchema._of({head + path: meta for path, meta in self._fields.items()})

    def __or__(self, other: DictPatchSchema) -> DictPatchSchema:
        return DictPatchSchema._of({**self._fields, **other._fields})

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"DictPatchSchema({len(self._fields)} fields)"
