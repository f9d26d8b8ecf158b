"""The built-in definitions: found without importing the package, converted back
to OpenAPI v3 with every description and extension kept."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubelite.api.openapi import (
    BuiltinDefinitions,
    DefinitionsNotFoundError,
    builtin_definitions,
)
from kubelite.api.openapi.definitions import to_openapi


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every schema object below ``value``, in no particular order."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


@pytest.fixture(scope="module")
def converted() -> dict[str, Any]:
    defs = builtin_definitions()
    return {name: defs.schema(name) for name in defs}


def test_loaded_once_without_importing_the_package() -> None:
    assert builtin_definitions() is builtin_definitions()
    assert len(builtin_definitions()) > 800
    # In a fresh interpreter: other tests import the kubernetes client, which imports it.
    script = (
        "import sys\n"
        "from kubelite.api.openapi import builtin_definitions\n"
        "assert len(builtin_definitions()) > 800\n"
        "print('kubernetes_validate' in sys.modules)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"


def test_missing_version_fails_loudly() -> None:
    with pytest.raises(DefinitionsNotFoundError, match=r"v0\.0\.0"):
        BuiltinDefinitions.load("v0.0.0")


def test_to_openapi_worked_example() -> None:
    raw = {
        "type": ["object", "null"],
        "properties": {
            "kind": {"type": ["string", "null"], "enum": ["Pod"], "description": "Kind."},
            "metadata": {"$ref": "#/$defs/meta.ObjectMeta", "description": "Standard."},
            "spec": {"$ref": "#/$defs/core.PodSpec"},
        },
        "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}],
    }
    assert to_openapi(raw) == {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "description": "Kind."},
            "metadata": {
                "allOf": [{"$ref": "#/components/schemas/meta.ObjectMeta"}],
                "description": "Standard.",
            },
            "spec": {"$ref": "#/components/schemas/core.PodSpec"},
        },
        "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}],
    }
    assert raw["type"] == ["object", "null"], "the input is left as it was"


def test_no_null_types_no_kind_enums_no_defs_refs(converted: dict[str, Any]) -> None:
    for node in _nodes(converted):
        kind = node.get("type")
        if isinstance(kind, list):
            assert "null" not in kind
        else:
            assert kind != "null"
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/components/schemas/")
        props = node.get("properties")
        if isinstance(props, dict):
            for name in ("apiVersion", "kind"):
                assert "enum" not in props.get(name, {}), name


def test_descriptions_and_extensions_are_kept(converted: dict[str, Any]) -> None:
    spec = importlib.util.find_spec("kubernetes_validate")
    assert spec is not None
    assert spec.submodule_search_locations
    data = Path(spec.submodule_search_locations[0]) / "kubernetes-json-schema"
    raw = (data / "v1.37.0-local" / "_definitions.json").read_text()
    text = json.dumps(list(converted.values()))
    for key in (
        '"description"',
        '"x-kubernetes-group-version-kind"',
        '"x-kubernetes-patch-merge-key"',
        '"x-kubernetes-patch-strategy"',
        '"x-kubernetes-list-type"',
        '"x-kubernetes-list-map-keys"',
        '"x-kubernetes-map-type"',
    ):
        assert text.count(key) == raw.count(key) > 0, key


def test_lookup_by_kind_and_closure() -> None:
    defs = builtin_definitions()
    assert defs.by_kind("", "v1", "Pod") == "io.k8s.api.core.v1.Pod"
    assert defs.by_kind("apps", "v1", "Deployment") == "io.k8s.api.apps.v1.Deployment"
    assert defs.by_kind("example.com", "v1", "Redis") is None
    reached = defs.closure(["io.k8s.api.core.v1.Pod"])
    assert "io.k8s.api.core.v1.Container" in reached
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in reached
    assert "io.k8s.api.apps.v1.Deployment" not in reached
