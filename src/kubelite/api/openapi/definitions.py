"""The built-in Kubernetes definitions, read from ``kubernetes-validate``'s data.

``kubernetes-validate`` ships, for each Kubernetes minor version, every built-in
type as JSON Schema (2020-12) in one ``_definitions.json``: descriptions, the
``x-kubernetes-*`` extensions (group-version-kind, patch merge keys and
strategies, list types) and all. Its converter changed three things on the way
from OpenAPI, which :func:`to_openapi` undoes so that the schemas read as the
real API server's ``/openapi/v3`` documents do:

* nullability: every optional field became ``type: [T, "null"]``; back to ``T``;
* ``apiVersion`` and ``kind`` became one-value enums; the enums go;
* references point into ``#/$defs/``; they point to ``#/components/schemas/``
  again, and a reference with siblings (a description, a patch strategy) is
  wrapped in ``allOf`` as kube-openapi writes it.

Worked example, the ``metadata`` field of a Pod::

    in the data    {"$ref": "#/$defs/io.k8s...v1.ObjectMeta", "description": "Standard..."}
    served         {"allOf": [{"$ref": "#/components/schemas/io.k8s...v1.ObjectMeta"}],
                    "description": "Standard..."}

The data is found with ``importlib.util.find_spec``, without importing the
package (whose ``__init__`` pulls in ``jsonschema`` and ``yaml``, which nothing
here needs). It is read once, on first use (about 20 ms for 1.7 MB), and each
definition is converted the first time a document or a patch schema asks for it.
Two things the data lacks compared with the upstream documents: the
descriptions of ``IntOrString`` and ``Quantity``, and ``format: int-or-string``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias

__all__ = [
    "COMPONENTS_REF",
    "KUBERNETES_VERSION",
    "BuiltinDefinitions",
    "DefinitionsNotFoundError",
    "Schema",
    "builtin_definitions",
    "to_openapi",
]

Schema: TypeAlias = dict[str, Any]
"""An OpenAPI schema object as decoded JSON."""

KUBERNETES_VERSION = "v1.37.0"
"""The Kubernetes release whose definitions are served."""

COMPONENTS_REF = "#/components/schemas/"
_DEFS_REF = "#/$defs/"
_PACKAGE = "kubernetes_validate"
_REF_PATTERN = re.compile(r'"\$ref": ?"#/\$defs/([^"]+)"')


class DefinitionsNotFoundError(RuntimeError):
    """The ``kubernetes-validate`` data is missing; installing it is the only fix."""


def _definitions_file(version: str) -> Path:
    spec = importlib.util.find_spec(_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise DefinitionsNotFoundError(
            f"package {_PACKAGE} is not installed; "
            "install 'kubernetes-validate>=1.37,<1.38' for the built-in schemas"
        )
    path = Path(locations[0]) / "kubernetes-json-schema" / f"{version}-local" / "_definitions.json"
    if not path.is_file():
        raise DefinitionsNotFoundError(f"no definitions for kubernetes {version} at {path}")
    return path


def to_openapi(node: Any) -> Any:
    """One JSON Schema node of the data back in OpenAPI v3.0 form (see above).

    Returns a new value; ``node`` is left as it was.
    """
    if isinstance(node, list):
        return [to_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    for key, value in node.items():
        if key == "$ref":
            continue
        if key == "type" and isinstance(value, list):
            kinds = [kind for kind in value if kind != "null"]
            out["type"] = kinds[0] if len(kinds) == 1 else kinds
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: _property(name, prop) for name, prop in value.items()}
        elif key.startswith("x-kubernetes-") or key in ("enum", "required", "format"):
            # Extension values and keyword lists are data, not schemas.
            out[key] = value
        else:
            out[key] = to_openapi(value)
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return out
    target = {"$ref": COMPONENTS_REF + ref.removeprefix(_DEFS_REF)}
    if not out:
        return target
    return {"allOf": [target], **out}


def _property(name: str, prop: Any) -> Any:
    converted = to_openapi(prop)
    if name in ("apiVersion", "kind") and isinstance(converted, dict):
        converted.pop("enum", None)
    return converted


class BuiltinDefinitions:
    """Every built-in definition of one Kubernetes version, by name and by kind.

    Names are kube-openapi's (``io.k8s.api.core.v1.Pod``). :meth:`schema` hands
    out the converted schema, shared between callers: treat it as read-only.
    """

    def __init__(self, raw: Mapping[str, Schema], *, version: str = KUBERNETES_VERSION) -> None:
        self.version = version
        self._raw = raw
        # Invariant: holds only names of ``_raw``, each converted once.
        self._converted: dict[str, Schema] = {}
        self._references: dict[str, frozenset[str]] = {}
        self._by_kind: dict[tuple[str, str, str], str] = {}
        for name, schema in raw.items():
            for gvk in schema.get("x-kubernetes-group-version-kind", ()):
                self._by_kind[(gvk["group"], gvk["version"], gvk["kind"])] = name

    @classmethod
    def load(cls, version: str = KUBERNETES_VERSION) -> BuiltinDefinitions:
        """Read the definitions of ``version`` from the installed package."""
        document = json.loads(_definitions_file(version).read_bytes())
        return cls(document["$defs"], version=version)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def schema(self, name: str) -> Schema:
        """The OpenAPI v3 schema of a definition; ``KeyError`` for an unknown name."""
        converted = self._converted.get(name)
        if converted is None:
            converted = self._converted[name] = to_openapi(self._raw[name])
        return converted

    def by_kind(self, group: str, version: str, kind: str) -> str | None:
        """The name of the definition a group-version-kind is served as, if any."""
        return self._by_kind.get((group, version, kind))

    def references(self, name: str) -> frozenset[str]:
        """The definitions that ``name`` refers to directly."""
        found = self._references.get(name)
        if found is None:
            text = json.dumps(self._raw[name])
            found = self._references[name] = frozenset(_REF_PATTERN.findall(text))
        return found

    def closure(self, roots: Iterable[str]) -> set[str]:
        """``roots`` and every definition they reach through references."""
        seen: set[str] = set()
        stack = [root for root in roots if root in self._raw]
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                stack.extend(self.references(name) - seen)
        return seen


@functools.cache
def builtin_definitions() -> BuiltinDefinitions:
    """The definitions of :data:`KUBERNETES_VERSION`, loaded on the first call."""
    return BuiltinDefinitions.load()
