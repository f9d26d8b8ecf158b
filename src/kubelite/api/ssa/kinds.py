"""The type model of a kind: a built-in one's from Kubernetes' OpenAPI
definitions, a custom one's from its CRD version's structural schema.

The nodes are those of :mod:`~kubelite.api.ssa.types`, built by the
converter in ``_from_openapi``; a built-in kind's model is built once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubelite.api.openapi.definitions import BuiltinDefinitions, builtin_definitions
from kubelite.api.ssa import _from_openapi
from kubelite.api.ssa.types import Node

__all__ = ["type_for_kind", "type_for_schema"]


def type_for_kind(
    group: str,
    version: str,
    kind: str,
    *,
    definitions: BuiltinDefinitions | None = None,
) -> Node | None:
    """The model of a built-in kind (None for any other), built once per kind.

    ``definitions`` defaults to :func:`~kubelite.api.openapi.definitions.builtin_definitions`.
    """
    defs = definitions if definitions is not None else builtin_definitions()
    name = defs.by_kind(group, version, kind)
    return None if name is None else _from_openapi.builtin_converter(defs).named(name)


def type_for_schema(
    schema: Mapping[str, Any],
    *,
    definitions: BuiltinDefinitions | None = None,
) -> Node:
    """The model of a custom kind from its CRD version's structural
    ``openAPIV3Schema``, with ``apiVersion`` and ``kind`` as strings and
    ``metadata`` as the built-in ``ObjectMeta``, as Kubernetes adds them.

    Not cached: the caller keeps the result with the CRD version it serves.
    """
    defs = definitions if definitions is not None else builtin_definitions()
    return _from_openapi.custom_root(schema, _from_openapi.builtin_converter(defs))
