"""The /openapi/v3 documents: the root and its hashes, the operations kubectl
checks before a create, descriptions for explain, references that resolve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from kubelite.api.openapi import OpenAPIDocuments, document_path
from kubelite.api.resources import BUILT_IN, ResourceType, ResourceTypes, Subresource

REDIS = ResourceType(
    "example.com",
    "v1",
    "Redis",
    "redises",
    "redis",
    namespaced=True,
    subresources=(
        Subresource("status", ("get", "patch", "update")),
        Subresource(
            "scale", ("get", "patch", "update"), group="autoscaling", version="v1", kind="Scale"
        ),
    ),
)
REDIS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "description": "The desired cache.",
            "properties": {"replicas": {"type": "integer"}},
        }
    },
}


def _load(documents: OpenAPIDocuments, path: str) -> dict[str, Any]:
    served = documents.document(path)
    assert served is not None, path
    return dict(json.loads(served.body))


@pytest.fixture(scope="module")
def documents() -> OpenAPIDocuments:
    return OpenAPIDocuments(ResourceTypes())


def test_root_lists_every_group_version(documents: OpenAPIDocuments) -> None:
    root = json.loads(documents.root())
    assert list(root) == ["paths"]
    assert list(root["paths"]) == [
        "api/v1",
        "apis/apiextensions.k8s.io/v1",
        "apis/apps/v1",
        "apis/coordination.k8s.io/v1",
        "apis/events.k8s.io/v1",
    ]
    for path, entry in root["paths"].items():
        served = documents.document(path)
        assert served is not None
        assert entry == {"serverRelativeURL": f"/openapi/v3/{path}?hash={served.hash}"}
        assert len(served.hash) == 128
    assert documents.document("apis/batch/v1") is None
    assert document_path("", "v1") == "api/v1"
    assert document_path("apps", "v1") == "apis/apps/v1"


def test_documents_are_cached_as_bytes(documents: OpenAPIDocuments) -> None:
    assert documents.root() is documents.root()
    first, second = documents.document("api/v1"), documents.document("api/v1")
    assert first is not None
    assert second is not None
    assert first.body is second.body


def test_hashes_are_stable_across_processes(documents: OpenAPIDocuments) -> None:
    # A different hash seed reorders every set; the bytes must not change.
    script = (
        "import sys; from kubelite.api.openapi import OpenAPIDocuments;"
        "from kubelite.api.resources import ResourceTypes;"
        "sys.stdout.buffer.write(OpenAPIDocuments(ResourceTypes()).root())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, env=env, check=True, timeout=60
    )
    assert result.stdout == documents.root()
    assert OpenAPIDocuments(ResourceTypes(reversed(BUILT_IN))).root() == documents.root()


def test_hash_changes_when_a_type_is_added() -> None:
    types = ResourceTypes()
    documents = OpenAPIDocuments(types)
    before = json.loads(documents.root())["paths"]
    core = documents.document("api/v1")

    types.add(ResourceType("apps", "v1", "StatefulSet", "statefulsets", "statefulset", True))
    types.add(REDIS)
    assert json.loads(documents.root())["paths"] == before, "unchanged until invalidated"
    documents.invalidate()
    after = json.loads(documents.root())["paths"]

    assert after["apis/apps/v1"] != before["apis/apps/v1"]
    assert after["api/v1"] == before["api/v1"]
    assert documents.document("api/v1") is core, "an unchanged document is not rebuilt"
    assert "apis/example.com/v1" in after
    apps = _load(documents, "apis/apps/v1")
    assert "io.k8s.api.apps.v1.StatefulSet" in apps["components"]["schemas"]


def _field_validation_supported(doc: Mapping[str, Any], group: str, kind: str) -> bool:
    """kubectl's pre-flight: a patch op of this GVK with an inline fieldValidation."""
    wanted = {"group": group, "version": "v1", "kind": kind}
    for item in doc["paths"].values():
        op = item.get("patch")
        if op is None or op.get("x-kubernetes-group-version-kind") != wanted:
            continue
        if any(p.get("name") == "fieldValidation" for p in op.get("parameters", [])):
            return True
    return False


@pytest.mark.parametrize(
    ("path", "group", "kind", "url"),
    [
        ("api/v1", "", "Pod", "/api/v1/namespaces/{namespace}/pods/{name}"),
        ("api/v1", "", "Namespace", "/api/v1/namespaces/{name}"),
        (
            "apis/apps/v1",
            "apps",
            "Deployment",
            "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
        ),
    ],
)
def test_patch_operation_has_inline_field_validation(
    documents: OpenAPIDocuments, path: str, group: str, kind: str, url: str
) -> None:
    doc = _load(documents, path)
    assert _field_validation_supported(doc, group, kind)
    patch = doc["paths"][url]["patch"]
    assert patch["x-kubernetes-action"] == "patch"
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": group,
        "kind": kind,
        "version": "v1",
    }
    names = {p["name"]: p for p in patch["parameters"]}
    assert set(names) == {"dryRun", "fieldManager", "fieldValidation", "force"}
    assert names["fieldValidation"]["in"] == "query"
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
    assert "application/json-patch+json" in patch["requestBody"]["content"]


def test_operations_are_named_as_kubernetes_names_them(documents: OpenAPIDocuments) -> None:
    doc = _load(documents, "apis/apps/v1")
    ops = {
        (method, op["operationId"], op["x-kubernetes-action"])
        for item in doc["paths"].values()
        for method, op in item.items()
        if method != "parameters"
    }
    for expected in [
        ("get", "listAppsV1NamespacedDeployment", "list"),
        ("post", "createAppsV1NamespacedDeployment", "post"),
        ("get", "readAppsV1NamespacedDeployment", "get"),
        ("put", "replaceAppsV1NamespacedDeployment", "put"),
        ("patch", "patchAppsV1NamespacedDeployment", "patch"),
        ("delete", "deleteAppsV1NamespacedDeployment", "delete"),
        ("delete", "deleteAppsV1CollectionNamespacedDeployment", "deletecollection"),
        ("get", "watchAppsV1NamespacedDeployment", "watch"),
        ("get", "watchAppsV1NamespacedDeploymentList", "watchlist"),
        ("get", "listAppsV1DeploymentForAllNamespaces", "list"),
        ("patch", "patchAppsV1NamespacedDeploymentScale", "patch"),
    ]:
        assert expected in ops
    scale = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["patch"]["x-kubernetes-group-version-kind"]["kind"] == "Scale"
    core = _load(documents, "api/v1")
    namespaces = core["paths"]["/api/v1/namespaces"]
    assert "delete" not in namespaces, "namespaces declare no deletecollection"
    assert core["paths"]["/api/v1/namespaces/{name}/finalize"]["put"]["operationId"] == (
        "replaceCoreV1NamespaceFinalize"
    )


def test_descriptions_for_explain(documents: OpenAPIDocuments) -> None:
    schemas = _load(documents, "api/v1")["components"]["schemas"]
    pod = schemas["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert pod["description"].startswith("Pod is a collection of containers")
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["description"].startswith("List of containers belonging to the pod.")
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    assert containers["x-kubernetes-patch-merge-key"] == "name"


def _refs(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def test_every_reference_resolves_inside_its_document() -> None:
    types = ResourceTypes([*BUILT_IN, REDIS])
    documents = OpenAPIDocuments(types, custom_schema=lambda _: REDIS_SCHEMA)
    checked = 0
    for path in documents.paths():
        doc = _load(documents, path)
        for ref in set(_refs(doc)):
            prefix, _, name = ref.rpartition("/")
            section = prefix.removeprefix("#/components/")
            assert prefix.startswith("#/components/"), ref
            assert name in doc["components"][section], f"{ref} in {path}"
            checked += 1
    assert checked > 200


def test_custom_type_gets_the_supplied_schema() -> None:
    documents = OpenAPIDocuments(
        ResourceTypes([*BUILT_IN, REDIS]), custom_schema=lambda _: REDIS_SCHEMA
    )
    doc = _load(documents, "apis/example.com/v1")
    schemas = doc["components"]["schemas"]
    redis = schemas["com.example.v1.Redis"]
    assert redis["x-kubernetes-group-version-kind"] == [
        {"group": "example.com", "kind": "Redis", "version": "v1"}
    ]
    assert list(redis["properties"]) == ["apiVersion", "kind", "metadata", "spec"]
    assert redis["properties"]["spec"]["description"] == "The desired cache."
    assert "com.example.v1.RedisList" in schemas
    assert "io.k8s.api.autoscaling.v1.Scale" in schemas
    assert _field_validation_supported(doc, "example.com", "Redis")
    patch = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/redises/{name}"]["patch"]
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]


def test_custom_type_without_schema_keeps_unknown_fields() -> None:
    documents = OpenAPIDocuments(ResourceTypes([REDIS]))
    redis = _load(documents, "apis/example.com/v1")["components"]["schemas"]["com.example.v1.Redis"]
    assert redis["x-kubernetes-preserve-unknown-fields"] is True


def test_custom_schema_with_a_reference_is_refused() -> None:
    broken = {"type": "object", "properties": {"spec": {"$ref": "#/definitions/x"}}}
    documents = OpenAPIDocuments(ResourceTypes([REDIS]), custom_schema=lambda _: broken)
    with pytest.raises(ValueError, match=r"\$ref"):
        documents.root()
