"""Unknown fields: what a built-in type's schema does not declare.

Kubernetes decodes a built-in object into its Go type, so a field the type does
not have is dropped, and ``fieldValidation`` decides what the client hears about
it: ``Strict`` refuses the request, ``Warn`` (the default) answers with a
``Warning`` header per field, ``Ignore`` says nothing. ``prune_unknown`` does the
dropping against the OpenAPI schema of the type and returns the paths it dropped,
written as Kubernetes writes them::

    {"spec": {"containers": [{"name": "a", "imagee": "x"}], "foo": 1}}
    -> dropped "spec.containers[0].imagee", "spec.foo"

A schema node that keeps unknown fields (``x-kubernetes-preserve-unknown-fields``)
or has no declared properties (free-form JSON) is left as it is.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.openapi.definitions import COMPONENTS_REF, BuiltinDefinitions, Schema

# Reference chains are short; a longer one is a cycle in the data.
_MAX_REFS = 32


def prune_unknown(definitions: BuiltinDefinitions, root: str, obj: dict[str, Any]) -> list[str]:
    """Drop, in place, the fields of ``obj`` that type ``root`` does not declare."""
    dropped: list[str] = []
    _walk(definitions, definitions.schema(root), obj, "", dropped)
    return dropped


def _resolve(definitions: BuiltinDefinitions, node: Schema) -> Schema:
    for _ in range(_MAX_REFS):
        ref = node.get("$ref")
        if ref is None:
            all_of = node.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
                ref = all_of[0].get("$ref")
        if not isinstance(ref, str) or not ref.startswith(COMPONENTS_REF):
            return node
        node = definitions.schema(ref.removeprefix(COMPONENTS_REF))
    raise ValueError("schema references form a cycle")


def _walk(
    definitions: BuiltinDefinitions, node: Schema, value: Any, path: str, dropped: list[str]
) -> None:
    schema = _resolve(definitions, node)
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        additional = schema.get("additionalProperties")
        if not isinstance(properties, dict) and not isinstance(additional, dict):
            return
        for key in list(value):
            child = f"{path}.{key}" if path else key
            if isinstance(properties, dict) and key in properties:
                _walk(definitions, properties[key], value[key], child, dropped)
            elif isinstance(additional, dict):
                _walk(definitions, additional, value[key], f"{path}[{key}]", dropped)
            else:
                dropped.append(child)
                del value[key]
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                _walk(definitions, items, item, f"{path}[{index}]", dropped)
